"""The server: the page at ``/`` and a small JSON API, in one FastAPI app."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from chatrec.errors import ChatrecError, InputError
from chatrec.settings import Settings
from chatrec.ui.html import CSS
from chatrec.ui.page import build
from chatrec.ui.state import AppState
from chatrec.ui.users_api import add_user_routes


class ChatIn(BaseModel):
    """The body of ``POST /api/chat`` (module level: FastAPI resolves the annotation by name)."""

    message: str
    session_id: str | None = None
    user_id: str | None = None  # the conversation is this user's (chatrec.users)
    catalog: str | None = None
    backend: str | None = None


def create_app(settings: Settings | None = None) -> Any:
    """A FastAPI app serving the page at ``/`` and a small JSON API:

    ``GET /healthz``; ``POST /api/chat`` ``{"message", "session_id"?, "user_id"?, "catalog"?,
    "backend"?}`` -> ``{"session_id", "reply", "profile"}`` (with ``user_id`` a new session
    starts from that user's profile and updates it); ``GET /api/sessions/{id}`` -> the
    history; the user routes of :mod:`chatrec.ui.users_api`.
    """
    import gradio as gr
    from fastapi import FastAPI, HTTPException
    settings = settings or Settings.load()
    state = AppState(settings)
    api = FastAPI(title="chatrec", docs_url=None, redoc_url=None)
    api.state.chatrec = state

    @api.get("/healthz")
    def healthz() -> dict[str, Any]:
        """``ready``: the default catalog's recommender is warm (:func:`warm`); ``loaded``: the
        parts it warmed ("embedder", "index", "candidates", "model", "first turn")."""
        loaded = (state.rec(settings.catalog, settings.backend).warmed
                  if state.loaded(settings.catalog, settings.backend) else ())
        return {"ok": True, "ready": "first turn" in loaded, "loaded": list(loaded),
                "catalog": settings.catalog, "backend": settings.backend}

    @api.post("/api/chat")
    def chat(body: ChatIn) -> dict[str, Any]:
        try:
            rec = state.rec(body.catalog or settings.catalog, body.backend or settings.backend)
            s = rec.session(body.session_id or None, user=body.user_id or None)
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

    add_user_routes(api, state, settings)
    demo = build(settings, state)
    demo.queue(default_concurrency_limit=8)
    theme = gr.themes.Soft(font=["system-ui", "sans-serif"], font_mono=["monospace"])
    return gr.mount_gradio_app(api, demo, path="/", footer_links=[], show_error=False,
                               theme=theme, css=CSS)


def warm(state: AppState, progress: Callable[[str], None] | None = None) -> None:
    """Build the default catalog's recommender and warm it (:meth:`Recommender.warm`), telling
    ``progress`` each step's name."""
    if progress is not None:
        progress(f"{state.settings.catalog} catalog")
    state.rec(state.settings.catalog, state.settings.backend, progress)


def announce(server: Any, url: str, detail: str) -> None:
    """Print "chatrec: ready at ``url``" and ``detail`` once ``server`` (a ``uvicorn.Server``)
    listens there."""
    while not server.started:
        if server.should_exit:
            return
        time.sleep(0.02)
    print(f"chatrec: ready at {url}{detail}", flush=True)


def launch(host: str | None = None, port: int | None = None, catalog: str | None = None,
           backend: str | None = None) -> None:
    """Serve the page and the JSON API (blocking). The default catalog, its index, the embedder
    and the model are loaded first, with a progress line, so the first reply costs what a later
    one does; "chatrec: ready at <address>" is printed once the server answers there."""
    import uvicorn

    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    settings = Settings.load(catalog=catalog, backend=backend)
    h, p = host or settings.host, port or settings.port
    t0 = time.perf_counter()

    def step(name: str) -> None:
        print(f" {name}…", end="", flush=True)

    print("chatrec: loading", end="", flush=True)
    step("page")
    app = create_app(settings)
    try:
        warm(app.state.chatrec, step)
    except ChatrecError as e:
        print(flush=True)
        raise SystemExit(f"chatrec: cannot start: {e}") from None
    print(f" {time.perf_counter() - t0:.1f} s", flush=True)
    server = uvicorn.Server(uvicorn.Config(app, host=h, port=p, log_level="warning"))
    threading.Thread(target=announce, daemon=True, args=(
        server, f"http://{h}:{p}",
        f"  (catalog {settings.catalog}, model {settings.backend})")).start()
    server.run()
