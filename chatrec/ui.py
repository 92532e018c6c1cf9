"""The Gradio page: a thin layer over the Python API (``Recommender`` / ``Session``)."""

from __future__ import annotations

import html
import logging
import os
import threading
from collections.abc import Iterator
from typing import Any

from chatrec.errors import ChatrecError, InputError
from chatrec.settings import Settings
from chatrec.types import Done, Pick, PickEvent, TextChunk

log = logging.getLogger(__name__)

EXAMPLES = {
    "movies": ["I loved Interstellar and The Martian, but no horror please",
               "Something light and funny from the 90s, under two hours",
               "A mind-bending thriller like Inception"],
    "games": ["Co-op games like Portal 2, under $10",
              "A relaxing farming game like Stardew Valley",
              "Roguelike with great reviews, no early access"],
}

CSS = """
.chatrec-cards {display: grid; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr)); gap: 10px;}
.chatrec-card {border: 1px solid var(--border-color-primary); border-radius: 10px; padding: 10px 12px;
  background: var(--background-fill-secondary);}
.chatrec-card h4 {margin: 0 0 4px 0; font-size: 1rem;}
.chatrec-card .meta {font-size: .82rem; opacity: .8; margin-bottom: 6px;}
.chatrec-card .reason {font-size: .9rem;}
.chatrec-card .src {font-size: .72rem; opacity: .6; margin-top: 6px;}
"""


class AppState:
    """One Recommender per (catalog, backend), shared by every browser session."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._recs: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def rec(self, catalog: str, backend: str) -> Any:
        from chatrec.recommender import Recommender

        key = (catalog, backend)
        with self._lock:
            r = self._recs.get(key)
            if r is None:
                # share the heavy parts (catalog, index, models) across backends of one catalog
                r = Recommender(catalog=catalog, backend=backend, settings=self.settings)
                self._recs[key] = r
            return r

    def backends(self) -> list[str]:
        out = ["local"]
        if self.settings.openai_api_key or self.settings.openai_base_url:
            out.append(f"openai:{self.settings.openai_model}")
        if self.settings.backend not in out:
            out.append(self.settings.backend)
        return out


def cards_html(picks: list[Pick], rec: Any) -> str:
    """Item cards; every value is escaped (catalog text and model output are data)."""
    if not picks:
        return ""
    out = ['<div class="chatrec-cards">']
    for n, p in enumerate(picks, 1):
        item = rec.catalog.get(p.item_id)
        meta = " · ".join(html.escape(v) for v in rec.catalog.display_meta(item).values()) \
            if item else ""
        link = rec.catalog.link(p.item_id) if item else None
        title = html.escape(p.title)
        if link and link.startswith(("https://", "http://")):
            title = (f'<a href="{html.escape(link, quote=True)}" target="_blank" '
                     f'rel="noopener noreferrer">{title}</a>')
        src = {"llm": "chosen and explained by the language model",
               "llm-order": "chosen by the language model; reason by chatrec",
               "code": "chosen and explained by chatrec's ranking"}.get(p.source, p.source)
        out.append(f'<div class="chatrec-card" data-item-id="{html.escape(p.item_id, quote=True)}">'
                   f"<h4>{n}. {title}</h4><div class=\"meta\">{meta}</div>"
                   f'<div class="reason">{html.escape(p.reason)}</div>'
                   f'<div class="src">{html.escape(src)}</div></div>')
    out.append("</div>")
    return "".join(out)


def history_messages(session: Any) -> list[dict[str, str]]:
    msgs = []
    for t in session.history:
        if t.role in ("user", "assistant"):
            msgs.append({"role": t.role, "content": t.text})
    return msgs


def build(settings: Settings | None = None, state: AppState | None = None) -> Any:
    """The Gradio Blocks app."""
    import gradio as gr

    from chatrec.catalog import list_catalogs

    settings = settings or Settings.load()
    state = state or AppState(settings)
    catalogs = list_catalogs(settings)
    backends = state.backends()

    def open_session(sid: str | None, catalog: str, backend: str) -> Any:
        rec = state.rec(catalog, backend)
        if sid:
            try:
                return rec.session(sid)
            except ChatrecError:
                pass
        return rec.session()

    def on_load(sid: str | None, catalog: str, backend: str) -> tuple[Any, ...]:
        try:
            s = open_session(sid, catalog, backend)
        except ChatrecError as e:
            return [], "", f"⚠️ {e}", "", sid
        last = s.last_reply()
        cards = cards_html(last.picks, s.rec) if last else ""
        return (history_messages(s), cards, s.describe_preferences(),
                f"session {s.session_id[:8]}…", s.session_id)

    def on_send(message: str, history: list[dict[str, str]], sid: str | None, catalog: str,
                backend: str) -> Iterator[tuple[Any, ...]]:
        history = list(history or [])
        try:
            s = open_session(sid, catalog, backend)
        except ChatrecError as e:
            yield history, gr.skip(), gr.skip(), f"⚠️ {e}", sid, message
            return
        history.append({"role": "user", "content": message})
        history.append({"role": "assistant", "content": "…"})
        yield history, gr.skip(), gr.skip(), "thinking…", s.session_id, ""
        text, picks = "", []
        try:
            for ev in s.stream(message):
                if isinstance(ev, TextChunk):
                    text += ev.text
                    history[-1] = {"role": "assistant", "content": text}
                    yield history, gr.skip(), gr.skip(), "answering…", s.session_id, ""
                elif isinstance(ev, PickEvent):
                    picks.append(ev.pick)
                    yield history, cards_html(picks, s.rec), gr.skip(), "answering…", \
                        s.session_id, ""
                elif isinstance(ev, Done):
                    r = ev.reply
                    history[-1] = {"role": "assistant", "content": r.text}
                    status = f"answered by {r.backend} in {r.elapsed_s:.1f}s"
                    yield (history, cards_html(r.picks, s.rec) if r.picks else gr.skip(),
                           s.describe_preferences(), status, s.session_id, "")
        except InputError as e:
            history = history[:-2]
            yield history, gr.skip(), gr.skip(), f"⚠️ {e}", s.session_id, message
        except Exception as e:  # never a stack trace on the page
            log.exception("turn failed")
            history[-1] = {"role": "assistant",
                           "content": f"Sorry, something went wrong ({type(e).__name__}). "
                                      "Your conversation is saved; please try again."}
            yield history, gr.skip(), gr.skip(), "⚠️ error", s.session_id, message

    def on_feedback(kind: str, which: str, sid: str | None, catalog: str,
                    backend: str) -> tuple[Any, ...]:
        try:
            s = open_session(sid, catalog, backend)
            n = int(which) - 1
            item_id = s.preferences.last_picks[n]
            s.feedback(item_id, kind)  # type: ignore[arg-type]
            title = s.rec.catalog.items[item_id].display_title
            return s.describe_preferences(), f"noted: {kind} {title}"
        except (ValueError, IndexError):
            return gr.skip(), "choose a pick number from the last reply first"
        except ChatrecError as e:
            return gr.skip(), f"⚠️ {e}"

    def on_new(catalog: str, backend: str) -> tuple[Any, ...]:
        s = state.rec(catalog, backend).session()
        return [], "", s.describe_preferences(), f"new session {s.session_id[:8]}…", s.session_id

    with gr.Blocks(title="chatrec", analytics_enabled=False) as demo:
        sid = gr.BrowserState(None, storage_key="chatrec_session")
        gr.Markdown("## chatrec\nTell me what you like; I recommend real items from the catalog "
                    "and say why.")
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(label="Conversation", height=420, elem_id="chat",
                                  sanitize_html=True, feedback_options=None)
                with gr.Row():
                    box = gr.Textbox(placeholder="e.g. I loved Interstellar, but no horror",
                                     show_label=False, scale=5, elem_id="msg", autofocus=True,
                                     max_length=settings.max_message_chars)
                    send = gr.Button("Send", variant="primary", scale=1, elem_id="send")
                cards = gr.HTML(elem_id="cards")
                with gr.Row():
                    which = gr.Dropdown(["1", "2", "3", "4", "5"], label="Pick #", value="1",
                                        scale=1, elem_id="which")
                    like = gr.Button("👍 Like", elem_id="like")
                    dislike = gr.Button("👎 Dislike", elem_id="dislike")
                    seen = gr.Button("👁 Seen it", elem_id="seen")
            with gr.Column(scale=1):
                catalog = gr.Dropdown(catalogs, value=settings.catalog if settings.catalog in
                                      catalogs else catalogs[0], label="Catalog", elem_id="catalog")
                backend = gr.Dropdown(backends, value=settings.backend, label="Model",
                                      elem_id="backend", allow_custom_value=False)
                profile = gr.Markdown("Nothing yet: tell me what you like.", elem_id="profile",
                                      label="What I know about you")
                status = gr.Markdown("", elem_id="status")
                new = gr.Button("New conversation", elem_id="new")
                gr.Examples(EXAMPLES.get(settings.catalog, EXAMPLES["movies"]), inputs=[box])
        outs = [chat, cards, profile, status, sid, box]
        box.submit(on_send, [box, chat, sid, catalog, backend], outs, api_name="send")
        send.click(on_send, [box, chat, sid, catalog, backend], outs, api_visibility="private")
        for btn, kind in ((like, "like"), (dislike, "dislike"), (seen, "seen")):
            btn.click(lambda w, s_, c, b, k=kind: on_feedback(k, w, s_, c, b),
                      [which, sid, catalog, backend], [profile, status])
        new.click(on_new, [catalog, backend], [chat, cards, profile, status, sid])
        catalog.change(on_new, [catalog, backend], [chat, cards, profile, status, sid])
        demo.load(on_load, [sid, catalog, backend], [chat, cards, profile, status, sid])
    return demo


def create_app(settings: Settings | None = None) -> Any:
    """A FastAPI app serving the page at ``/`` and a small JSON API:

    ``GET /healthz``; ``POST /api/chat`` ``{"message", "session_id"?, "catalog"?, "backend"?}``
    -> ``{"session_id", "reply", "profile"}``; ``GET /api/sessions/{id}`` -> the history.
    """
    import gradio as gr
    from fastapi import FastAPI, HTTPException
    from pydantic import BaseModel

    settings = settings or Settings.load()
    state = AppState(settings)
    api = FastAPI(title="chatrec", docs_url=None, redoc_url=None)
    api.state.chatrec = state

    class ChatIn(BaseModel):
        message: str
        session_id: str | None = None
        catalog: str | None = None
        backend: str | None = None

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


def _warm(state: AppState) -> None:
    """Load the default catalog, index and model while the page is already being served."""
    try:
        rec = state.rec(state.settings.catalog, state.settings.backend)
        rec.backend_for_turn()
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
    threading.Thread(target=_warm, args=(app.state.chatrec,), daemon=True).start()
    h, p = host or settings.host, port or settings.port
    print(f"chatrec: serving http://{h}:{p}  (catalog {settings.catalog}, model "
          f"{settings.backend})", flush=True)
    uvicorn.run(app, host=h, port=p, log_level="warning")
