"""The Gradio page: a thin layer over the Python API (``Recommender`` / ``Session``)."""

from __future__ import annotations

import html
import logging
import os
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel

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
#cards {display: grid !important; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr));
  gap: 10px;}
.chatrec-slot {border: 1px solid var(--border-color-primary); border-radius: 10px; padding: 8px 10px;
  background: var(--background-fill-secondary);}
.chatrec-card h4 {margin: 0 0 4px 0; font-size: 1rem;}
.chatrec-card .meta {font-size: .82rem; opacity: .8; margin-bottom: 6px;}
.chatrec-card .reason {font-size: .9rem;}
.chatrec-card .src {font-size: .72rem; opacity: .6; margin-top: 6px;}
.chatrec-card .fb {font-size: .8rem; font-weight: 600; margin-top: 4px;}
.chatrec-fb button {min-width: 0 !important;}
#profile .none {opacity: .7;}
#profile ul {margin: 0; padding-left: 1.1em;}
@media (max-width: 640px) {
  .chatrec-slot {padding: 6px;}
  #chat {height: 320px !important;}
}
"""

#: how many card slots the page renders (hidden when empty); replies have ``n_picks`` picks
MAX_SLOTS = 6

_SOURCE = {"llm": "chosen and explained by the language model",
           "llm-order": "chosen by the language model; reason by chatrec",
           "code": "chosen and explained by chatrec's ranking"}
_FEEDBACK_NOTE = {"like": "✓ You liked this: more like it next time.",
                  "dislike": "✗ You disliked this: it won't be recommended again.",
                  "seen": "Marked as seen: it won't be recommended again."}


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

    def loaded(self, catalog: str, backend: str) -> bool:
        with self._lock:
            return (catalog, backend) in self._recs

    def session_catalog(self, sid: str) -> str | None:
        """The catalog a stored session belongs to (None if unknown)."""
        with self._lock:
            recs = list(self._recs.values())
        for r in recs:
            rec = r.store.load(sid)
            if rec is not None:
                return str(rec.catalog)
        return None


def card_html(pick: Pick, rec: Any, n: int, feedback: str | None = None) -> str:
    """One item card; every value is escaped (catalog text and model output are data)."""
    item = rec.catalog.get(pick.item_id)
    meta = " · ".join(html.escape(v) for v in rec.catalog.display_meta(item).values()) \
        if item else ""
    link = rec.catalog.link(pick.item_id) if item else None
    title = html.escape(pick.title)
    if link and link.startswith(("https://", "http://")):
        title = (f'<a href="{html.escape(link, quote=True)}" target="_blank" '
                 f'rel="noopener noreferrer">{title}</a>')
    src = _SOURCE.get(pick.source, pick.source)
    fb = f'<div class="fb">{html.escape(_FEEDBACK_NOTE[feedback])}</div>' if feedback else ""
    return (f'<div class="chatrec-card" data-item-id="{html.escape(pick.item_id, quote=True)}">'
            f"<h4>{n}. {title}</h4><div class=\"meta\">{meta}</div>"
            f'<div class="reason">{html.escape(pick.reason)}</div>'
            f'<div class="src">{html.escape(src)}</div>{fb}</div>')


def cards_html(picks: list[Pick], rec: Any) -> str:
    """All cards in one block (kept for callers that want plain HTML)."""
    if not picks:
        return ""
    return '<div class="chatrec-cards">' + "".join(
        card_html(p, rec, n) for n, p in enumerate(picks, 1)) + "</div>"


def history_messages(session: Any) -> list[dict[str, str]]:
    msgs = []
    for t in session.history:
        if t.role in ("user", "assistant"):
            msgs.append({"role": t.role, "content": t.text})
    return msgs


def profile_entries(prefs: Any) -> list[tuple[str, str]]:
    """(label, key) for every belief in the profile; the key says how to remove or flip it."""
    out: list[tuple[str, str]] = []
    for k, f in prefs.liked_attrs.items():
        out.append((f"like: {f.label or k}", f"like_attr:{k}"))
    for k, f in prefs.liked_items.items():
        out.append((f"liked: {f.label or k}", f"like_item:{k}"))
    for k, f in prefs.disliked_attrs.items():
        out.append((f"not: {f.label or k}", f"dislike_attr:{k}"))
    for k, f in prefs.disliked_items.items():
        out.append((f"not: {f.label or k}", f"dislike_item:{k}"))
    for c in prefs.constraints.values():
        out.append((f"limit: {c.describe()}", f"constraint:{c.field}"))
    for k, f in prefs.seen_items.items():
        out.append((f"seen: {f.label or k}", f"seen:{k}"))
    return out


def profile_html(prefs: Any) -> str:
    """What chatrec believes, in plain words, as escaped HTML."""
    groups = [("You like", [f.label or k for k, f in prefs.liked_attrs.items()]
               + [f.label or k for k, f in prefs.liked_items.items()]),
              ("Not for you", [f.label or k for k, f in prefs.disliked_attrs.items()]
               + [f.label or k for k, f in prefs.disliked_items.items()]),
              ("Limits", [c.describe() for c in prefs.constraints.values()]),
              ("Already seen", [f.label or k for k, f in prefs.seen_items.items()]),
              ("Leaning", [f"lesser-known picks ({prefs.novelty:.0%})"]
               if getattr(prefs, "novelty", 0) > 0 else [])]
    rows = [f"<li><b>{name}:</b> {html.escape(', '.join(vals))}</li>" for name, vals in groups if vals]
    if not rows:
        return '<p class="none">Nothing yet: tell me what you like.</p>'
    return "<ul>" + "".join(rows) + "</ul>"


def browser_secret(settings: Settings) -> str | None:
    """A per-installation key for the session id kept in browser storage, stable across server
    restarts (Gradio's default is random per process, which would forget every conversation)."""
    path = Path(settings.data_dir) / "ui_secret"
    try:
        if path.is_file():
            key = path.read_text().strip()
            if len(key) >= 16:
                return key
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(24)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(key)
        return key
    except OSError as e:
        log.warning("cannot keep the browser-storage key in %s (%s): conversations will not "
                    "survive a server restart", path, e)
        return None


def _status(text: str) -> str:
    return html.escape(text)


def build(settings: Settings | None = None, state: AppState | None = None) -> Any:
    """The Gradio Blocks app."""
    import gradio as gr

    from chatrec.catalog import list_catalogs

    settings = settings or Settings.load()
    state = state or AppState(settings)
    catalogs = list_catalogs(settings)
    backends = state.backends()
    default_catalog = settings.catalog if settings.catalog in catalogs else catalogs[0]
    n_slots = max(1, min(MAX_SLOTS, settings.n_picks))

    def examples_for(catalog: str) -> list[str]:
        ex = EXAMPLES.get(catalog)
        if ex is None:
            ex = ["Something like the last thing I loved", "Surprise me with a classic",
                  "Something short and fun"]
        return ex

    with gr.Blocks(title="chatrec", analytics_enabled=False) as demo:
        sid = gr.BrowserState(None, storage_key="chatrec_session",
                              secret=browser_secret(settings))
        shown = gr.State([])  # item ids in the card slots, in order
        gr.Markdown("## chatrec\nTell me what you like; I recommend real items from the catalog "
                    "and say why.")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=300):
                chat = gr.Chatbot(label="Conversation", height=420, elem_id="chat",
                                  sanitize_html=True, feedback_options=None,
                                  buttons=["copy"])
                with gr.Row():
                    box = gr.Textbox(placeholder="e.g. I loved Interstellar, but no horror",
                                     show_label=False, scale=5, elem_id="msg", autofocus=True,
                                     max_length=settings.max_message_chars, lines=1,
                                     min_width=160)
                    send = gr.Button("Send", variant="primary", scale=1, elem_id="send",
                                     min_width=70)
                status = gr.HTML("", elem_id="status")
                with gr.Row(elem_id="examples"):
                    ex_btns = [gr.Button(t, size="sm", elem_id=f"example-{i}", min_width=120)
                               for i, t in enumerate(examples_for(default_catalog))]
                slot_cols, slot_html, slot_btns = [], [], []
                with gr.Row(elem_id="cards", elem_classes="chatrec-slots"):
                    for i in range(n_slots):
                        with gr.Column(visible=False, min_width=220, elem_id=f"card-{i}",
                                       elem_classes="chatrec-slot") as col:
                            h = gr.HTML("", elem_id=f"card-{i}-body")
                            with gr.Row(elem_classes="chatrec-fb"):
                                b = {k: gr.Button(lbl, size="sm", elem_id=f"card-{i}-{k}",
                                                  min_width=40)
                                     for k, lbl in (("like", "Like"), ("dislike", "Dislike"),
                                                    ("seen", "Seen it"))}
                        slot_cols.append(col)
                        slot_html.append(h)
                        slot_btns.append(b)
            with gr.Column(scale=1, min_width=260):
                catalog = gr.Radio(catalogs, value=default_catalog, label="Catalog",
                                   elem_id="catalog")
                backend = gr.Radio(backends, value=settings.backend if settings.backend in
                                   backends else backends[0], label="Model", elem_id="backend")
                new = gr.Button("New conversation", elem_id="new")
                with gr.Group():
                    gr.Markdown("### What I know about you")
                    profile = gr.HTML(profile_html(_empty_prefs()), elem_id="profile")
                    beliefs = gr.CheckboxGroup([], label="Select to change", elem_id="beliefs")
                    with gr.Row():
                        remove = gr.Button("Remove", size="sm", elem_id="remove", min_width=60)
                        flip = gr.Button("Flip like ↔ dislike", size="sm", elem_id="flip",
                                         min_width=60)
                    add_box = gr.Textbox(label="Add a taste (a genre, tag or title)",
                                         elem_id="add-text", max_length=200)
                    with gr.Row():
                        add_like = gr.Button("I like it", size="sm", elem_id="add-like",
                                             min_width=60)
                        add_dislike = gr.Button("Not for me", size="sm", elem_id="add-dislike",
                                                min_width=60)
                    novelty = gr.Slider(0.0, 1.0, value=0.0, step=0.1, elem_id="novelty",
                                        label="Well-known ↔ lesser-known picks")

        # ---- helpers -------------------------------------------------------------------
        def open_session(sid_: str | None, catalog_: str, backend_: str) -> Any:
            rec = state.rec(catalog_, backend_)
            if sid_:
                try:
                    return rec.session(sid_)
                except ChatrecError:
                    pass
            return rec.session()

        def profile_out(s: Any) -> dict[Any, Any]:
            return {profile: profile_html(s.preferences),
                    beliefs: gr.update(choices=profile_entries(s.preferences), value=[]),
                    novelty: s.preferences.novelty}

        def slots_out(picks: list[Pick], rec: Any) -> dict[Any, Any]:
            out: dict[Any, Any] = {shown: [p.item_id for p in picks[:n_slots]]}
            for i in range(n_slots):
                if i < len(picks):
                    out[slot_html[i]] = card_html(picks[i], rec, i + 1)
                    out[slot_cols[i]] = gr.update(visible=True)
                else:
                    out[slot_html[i]] = ""
                    out[slot_cols[i]] = gr.update(visible=False)
            return out

        def examples_out(catalog_: str) -> dict[Any, Any]:
            return {b: gr.update(value=t) for b, t in zip(ex_btns, examples_for(catalog_))}

        def fresh(s: Any, note: str) -> dict[Any, Any]:
            out = {chat: history_messages(s), status: _status(note), sid: s.session_id}
            last = s.last_reply()
            out.update(slots_out(last.picks if last else [], s.rec))
            out.update(profile_out(s))
            return out

        # ---- events --------------------------------------------------------------------
        def on_load(sid_: str | None, catalog_: str, backend_: str) -> dict[Any, Any]:
            try:
                if sid_:
                    state.rec(catalog_, backend_)  # so the store is open
                    cat = state.session_catalog(sid_)
                    if cat and cat in catalogs and cat != catalog_:
                        catalog_ = cat
                s = open_session(sid_, catalog_, backend_)
            except ChatrecError as e:
                return {status: _status(f"⚠ {e}")}
            except Exception as e:
                log.exception("page load failed")
                return {status: _status(f"⚠ could not open the {catalog_} catalog "
                                        f"({type(e).__name__}); see the server log.")}
            out = fresh(s, "Welcome back: your conversation is restored." if s.history
                        else "Ready: say what you like, or try an example.")
            out[catalog] = catalog_
            out.update(examples_out(catalog_))
            return out

        def on_send(message: str, history: list[dict[str, str]], sid_: str | None, catalog_: str,
                    backend_: str) -> Iterator[dict[Any, Any]]:
            history = list(history or [])
            try:
                s = open_session(sid_, catalog_, backend_)
            except ChatrecError as e:
                yield {status: _status(f"⚠ {e}")}
                return
            except Exception as e:
                log.exception("opening a session failed")
                yield {status: _status(f"⚠ could not open the {catalog_} catalog "
                                       f"({type(e).__name__}); see the server log.")}
                return
            try:
                from chatrec.session import clean_message

                clean_message(message, settings.max_message_chars)
            except InputError as e:
                yield {status: _status(f"⚠ {e}"), sid: s.session_id}
                return
            history.append({"role": "user", "content": message})
            history.append({"role": "assistant", "content": "…"})
            yield {chat: history, status: _status("thinking…"), sid: s.session_id, box: ""}
            text, picks = "", []
            try:
                for ev in s.stream(message):
                    if isinstance(ev, TextChunk):
                        text += ev.text
                        history[-1] = {"role": "assistant", "content": text}
                        yield {chat: history, status: _status("answering…")}
                    elif isinstance(ev, PickEvent):
                        picks.append(ev.pick)
                        out = slots_out(picks, s.rec)
                        out[status] = _status("answering…")
                        yield out
                    elif isinstance(ev, Done):
                        r = ev.reply
                        history[-1] = {"role": "assistant", "content": r.text}
                        out = {chat: history,
                               status: _status(f"answered by {r.backend} in {r.elapsed_s:.1f} s")}
                        if r.picks:
                            out.update(slots_out(r.picks, s.rec))
                        out.update(profile_out(s))
                        yield out
            except InputError as e:
                yield {chat: history[:-2], status: _status(f"⚠ {e}"), box: message}
            except Exception as e:  # never a stack trace on the page
                log.exception("turn failed")
                history[-1] = {"role": "assistant",
                               "content": f"Sorry, something went wrong ({type(e).__name__}). "
                                          "Your conversation is saved; please try again."}
                yield {chat: history, status: _status(
                    "⚠ the turn failed (is the model backend up?); please try again."),
                       box: message}

        def on_feedback(kind: str, slot: int, sid_: str | None, catalog_: str, backend_: str,
                        shown_: list[str]) -> dict[Any, Any]:
            if not sid_ or slot >= len(shown_ or []):
                return {status: _status("⚠ that card is gone; ask for new picks first.")}
            try:
                s = open_session(sid_, catalog_, backend_)
                item_id = shown_[slot]
                s.feedback(item_id, kind)  # type: ignore[arg-type]
                last = s.last_reply()
                pick = next((p for p in (last.picks if last else []) if p.item_id == item_id),
                            None)
                item = s.rec.catalog.items[item_id]
                pick = pick or Pick(item_id, item.display_title, "", 0.0)
                out = profile_out(s)
                out[slot_html[slot]] = card_html(pick, s.rec, slot + 1, feedback=kind)
                out[status] = _status(f"noted: {kind} {item.display_title}. It counts from your "
                                      "next message.")
                return out
            except ChatrecError as e:
                return {status: _status(f"⚠ {e}")}

        def on_new(catalog_: str, backend_: str) -> Iterator[dict[Any, Any]]:
            if not state.loaded(catalog_, backend_):
                yield {status: _status(f"loading the {catalog_} catalog (the first time, its "
                                       "index is built: this can take a few minutes)…")}
            try:
                s = state.rec(catalog_, backend_).session()
            except Exception as e:
                log.exception("new session failed")
                yield {status: _status(f"⚠ could not open the {catalog_} catalog "
                                       f"({type(e).__name__}); see the server log.")}
                return
            out = fresh(s, f"New conversation ({catalog_}): say what you like.")
            out.update(examples_out(catalog_))
            yield out

        def on_edit(action: str, selected: list[str], sid_: str | None, catalog_: str,
                    backend_: str) -> dict[Any, Any]:
            if not sid_:
                return {status: _status("⚠ nothing to change yet.")}
            if not selected:
                return {status: _status("⚠ select something in the profile first.")}
            try:
                s = open_session(sid_, catalog_, backend_)
                for key in selected:
                    kind, _, value = key.partition(":")
                    if action == "remove":
                        s.remove_preference(kind, value)
                    elif kind in ("like_attr", "dislike_attr"):
                        label = (s.preferences.liked_attrs.get(value)
                                 or s.preferences.disliked_attrs.get(value))
                        s.set_preference("dislike_attr" if kind == "like_attr" else "like_attr",
                                         label.label if label else value)
                    elif kind in ("like_item", "dislike_item"):
                        s.set_preference("dislike_item" if kind == "like_item" else "like_item",
                                         value)
                out = profile_out(s)
                out[status] = _status(("removed" if action == "remove" else "changed")
                                      + f" {len(selected)} item(s); this applies to the next reply.")
                return out
            except ChatrecError as e:
                return {status: _status(f"⚠ {e}")}

        def on_add(kind: str, text: str, sid_: str | None, catalog_: str,
                   backend_: str) -> dict[Any, Any]:
            t = (text or "").strip()
            if not t:
                return {status: _status("⚠ type a genre, tag or title to add first.")}
            try:
                s = open_session(sid_, catalog_, backend_)
                u = s.rec.understander.parse(t, s.preferences, s._turn_no + 1)
                items = [m.item_id for m in u.liked_items + u.seen_items + u.disliked_items]
                if items:
                    s.set_preference("like_item" if kind == "like" else "dislike_item", items[0])
                else:
                    s.set_preference("like_attr" if kind == "like" else "dislike_attr", t)
                out = profile_out(s)
                out.update({sid: s.session_id, add_box: "",
                            status: _status("added; this applies to the next reply.")})
                return out
            except ChatrecError as e:
                return {status: _status(f"⚠ {e}")}

        def on_novelty(value: float, sid_: str | None, catalog_: str,
                       backend_: str) -> dict[Any, Any]:
            try:
                s = open_session(sid_, catalog_, backend_)
                s.set_preference("novelty", value)
                out = profile_out(s)
                word = "lesser-known" if value > 0.5 else "well-known" if value < 0.5 else "balanced"
                out.update({sid: s.session_id,
                            status: _status(f"leaning to {word} picks; this applies to the next "
                                            "reply.")})
                return out
            except ChatrecError as e:
                return {status: _status(f"⚠ {e}")}

        # ---- wiring ----------------------------------------------------------------------
        slot_outs = [shown, *slot_cols, *slot_html]
        prof_outs = [profile, beliefs, novelty]
        send_outs = [chat, status, sid, box, *slot_outs, *prof_outs]
        box.submit(on_send, [box, chat, sid, catalog, backend], send_outs, api_name="send",
                   concurrency_id="turn")
        send.click(on_send, [box, chat, sid, catalog, backend], send_outs,
                   api_visibility="private", concurrency_id="turn")
        for ex in ex_btns:
            ex.click(lambda t: t, [ex], [box], api_visibility="private", queue=False)
        for i, btns in enumerate(slot_btns):
            for kind, btn in btns.items():
                btn.click(lambda s_, c, b_, sh, k=kind, n=i: on_feedback(k, n, s_, c, b_, sh),
                          [sid, catalog, backend, shown], [status, slot_html[i], *prof_outs],
                          api_visibility="private")
        page_outs = [chat, status, sid, catalog, *slot_outs, *prof_outs, *ex_btns]
        new.click(on_new, [catalog, backend], page_outs, api_visibility="private")
        catalog.input(on_new, [catalog, backend], page_outs, api_visibility="private")
        remove.click(lambda sel, s_, c, b_: on_edit("remove", sel, s_, c, b_),
                     [beliefs, sid, catalog, backend], [status, *prof_outs],
                     api_visibility="private")
        flip.click(lambda sel, s_, c, b_: on_edit("flip", sel, s_, c, b_),
                   [beliefs, sid, catalog, backend], [status, *prof_outs],
                   api_visibility="private")
        for add_btn, kind in ((add_like, "like"), (add_dislike, "dislike")):
            add_btn.click(lambda t, s_, c, b_, k=kind: on_add(k, t, s_, c, b_),
                    [add_box, sid, catalog, backend], [status, sid, add_box, *prof_outs],
                    api_visibility="private")
        novelty.input(on_novelty, [novelty, sid, catalog, backend], [status, sid, *prof_outs],
                        api_visibility="private")
        demo.load(on_load, [sid, catalog, backend], page_outs, api_visibility="private")
    return demo


def _empty_prefs() -> Any:
    from chatrec.profile import Preferences

    return Preferences()


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
