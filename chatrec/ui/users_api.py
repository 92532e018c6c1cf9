"""The JSON API's user routes (a thin layer over :class:`chatrec.users.User`):

``GET /api/users/{id}`` -> the profile and conversation ids; ``POST /api/users/{id}/history``
(a multipart ``file``) -> the import report; ``GET /api/users/{id}/export`` -> everything
stored about the user; ``DELETE /api/users/{id}`` -> forget them. ``catalog`` is a query
parameter (default: the server's catalog).
"""

from __future__ import annotations

from typing import Any

from fastapi import File, HTTPException, UploadFile

from chatrec.errors import ChatrecError, InputError
from chatrec.settings import Settings
from chatrec.ui.state import AppState
from chatrec.users import User, parse_history
from chatrec.users.history import MAX_BYTES


def add_user_routes(api: Any, state: AppState, settings: Settings) -> None:
    def user(user_id: str, catalog: str | None) -> User:
        try:
            return state.rec(catalog or settings.catalog, settings.backend).user(user_id)
        except ChatrecError as e:
            raise HTTPException(status_code=400, detail=str(e)) from None

    @api.get("/api/users/{user_id}")
    def profile(user_id: str, catalog: str | None = None) -> dict[str, Any]:
        me = user(user_id, catalog)
        return {"user_id": me.user_id, "profile": me.describe_preferences(),
                "preferences": me.preferences.to_dict(), "sessions": me.sessions()}

    @api.post("/api/users/{user_id}/history")
    def import_history(user_id: str, file: UploadFile = File(...),  # noqa: B008
                       catalog: str | None = None) -> dict[str, Any]:
        me = user(user_id, catalog)
        data = file.file.read(MAX_BYTES + 1)
        try:
            if len(data) > MAX_BYTES:
                raise InputError(f"the file is over {MAX_BYTES:,} bytes; split it")
            report = me.import_rows(parse_history(data, file.filename or "upload"),
                                    file.filename or "upload")
        except InputError as e:
            raise HTTPException(status_code=400, detail=str(e)) from None
        return {"report": report.to_dict(), "summary": report.summary(),
                "profile": me.describe_preferences()}

    @api.get("/api/users/{user_id}/export")
    def export(user_id: str) -> dict[str, Any]:
        return user(user_id, None).export()

    @api.delete("/api/users/{user_id}")
    def forget(user_id: str) -> dict[str, Any]:
        return {"user_id": user_id, "deleted_sessions": user(user_id, None).forget()}
