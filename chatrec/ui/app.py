"""The server: the page at ``/`` and a small JSON API, in one FastAPI app."""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from pydantic import BaseModel

from chatrec.errors import ChatrecError, InputError
from chatrec.settings import Settings
from chatrec.ui.html import CSS
from chatrec.ui.page import build
from chatrec.ui.state import AppState

log = logging.getLogger(__name__)


class ChatIn(BaseModel):
    """The body of ``POST /api/chat`` (module level: FastAPI resolves the annotation by name)."""

    message: str
    session_id: str | None = None
    catalog: str | None = None
    backend: str | None = None


def create_app(settings: Settings | None = None) -> Any:
    """A FastAPI app serving the page at ``/`` and a small JSON API:

    ``GET /healthz``; ``POST /api/chat`` ``{"message", "session_id"?, "catalog"?, "backend"?}``
    -> ``{"session_id", "reply", "profile"}``; ``GET /api/sessions/{id}`` -> the history.
    """
    import gradio as gr
    from fastapi import FastAPI, HTTPException
    settings = settings or Settings.load()
    state = AppState(settings)
    api = FastAPI(title="chatrec", docs_url=None, redoc_url=None)
    api.state.chatrec = state

    @api.get("/healthz")
    def healthz() -> dict[str, Any]:
        return {"ok": True, "catalog": settings.catalog, "backend": settings.backend}

    @api.post("/api/chat")
    def chat(body: ChatIn) -> dict[str, Any]:
        try:
            rec = state.rec(body.catalog or settings.catalog, body.backend or settings.backend)
            s = rec.session(body.session_id) if body.session_id else rec.session()
            reply = s.send(body.message)
        except InputError as e:
            raise HTTPException(status_code=400, detail=str(e)) from None
        except ChatrecError as e:
            raise HTTPException(status_code=404 if "session" in str(e) else 400,
                                detail=str(e)) from None
        return {"session_id": s.session_id, "reply": reply.to_dict(),
                "profile": s.describe_preferences()}

    @api.get("/api/sessions/{session_id}")
    def history(session_id: str, catalog: str | None = None) -> dict[str, Any]:
        try:
            s = state.rec(catalog or settings.catalog, settings.backend).session(session_id)
        except ChatrecError as e:
            raise HTTPException(status_code=404, detail=str(e)) from None
        return {"session_id": s.session_id, "profile": s.describe_preferences(),
                "turns": [{"role": t.role, "text": t.text, "reply": t.reply} for t in s.history]}

    demo = build(settings, state)
    demo.queue(default_concurrency_limit=8)
    theme = gr.themes.Soft(font=["system-ui", "sans-serif"], font_mono=["monospace"])
    return gr.mount_gradio_app(api, demo, path="/", footer_links=[], show_error=False,
                               theme=theme, css=CSS)



def warm(state: AppState) -> None:
    """Load the default catalog, index and model while the page is already being served."""
    try:
        rec = state.rec(state.settings.catalog, state.settings.backend)
        rec.warm()
        log.info("warm: %s ready", state.settings.catalog)
    except Exception:  # the first request will report the problem properly
        log.exception("warm-up failed")


def launch(host: str | None = None, port: int | None = None, catalog: str | None = None,
           backend: str | None = None) -> None:
    """Serve the page and the JSON API (blocking)."""
    import uvicorn

    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    settings = Settings.load(catalog=catalog, backend=backend)
    app = create_app(settings)
    threading.Thread(target=warm, args=(app.state.chatrec,), daemon=True).start()
    h, p = host or settings.host, port or settings.port
    print(f"chatrec: serving http://{h}:{p}  (catalog {settings.catalog}, model "
          f"{settings.backend})", flush=True)
    uvicorn.run(app, host=h, port=p, log_level="warning")
