"""The Gradio page: chat, item cards with feedback buttons, the editable profile panel, and
"remember me" (a user kept in the browser: history import, export, forget)."""

from __future__ import annotations

import json
import logging
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from chatrec.errors import ChatrecError, InputError
from chatrec.profile import Preferences
from chatrec.session import clean_message
from chatrec.settings import Settings
from chatrec.types import Done, Pick, PickEvent, TextChunk
from chatrec.ui.html import (
    EXAMPLES,
    card_html,
    history_messages,
    profile_entries,
    profile_html,
    status_html,
)
from chatrec.ui.state import AppState, browser_secret
from chatrec.users import check_user_id

log = logging.getLogger(__name__)

#: how many card slots the page renders (hidden when empty); replies have ``n_picks`` picks
MAX_SLOTS = 6


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
        uid = gr.BrowserState(None, storage_key="chatrec_user",  # "remember me"
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
                    # not interactive until the page has opened (or chosen not to open) its
                    # conversation: a message sent earlier went to a session of its own
                    box = gr.Textbox(placeholder="e.g. I loved Interstellar, but no horror",
                                     show_label=False, scale=5, elem_id="msg", autofocus=True,
                                     max_length=settings.max_message_chars, lines=1,
                                     min_width=160, interactive=False)
                    send = gr.Button("Send", variant="primary", scale=1, elem_id="send",
                                     min_width=70, interactive=False)
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
                    profile = gr.HTML(profile_html(Preferences()), elem_id="profile")
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
                with gr.Group():
                    gr.Markdown("### Remember me\nYour likes, dislikes and seen items carry "
                                "into every conversation; kept in this browser.")
                    who = gr.Textbox(label="Your name or key (empty: a new key)",
                                     elem_id="user-name", max_length=128)
                    with gr.Row():
                        remember = gr.Button("Remember me", size="sm", elem_id="remember",
                                             min_width=60)
                        forget = gr.Button("Forget me", size="sm", elem_id="forget",
                                           variant="stop", min_width=60)
                    upload = gr.UploadButton("Import watch history (Letterboxd, IMDb, Trakt…)",
                                             file_types=[".csv", ".json", ".zip", ".txt"],
                                             size="sm", elem_id="history-upload")
                    export = gr.Button("Export my data", size="sm", elem_id="export")
                    export_file = gr.File(label="Your data (JSON)", visible=False,
                                          elem_id="export-file")
                    user_note = gr.Markdown("", elem_id="user-note")

        # ---- helpers -------------------------------------------------------------------
        def open_session(sid_: str | None, catalog_: str, backend_: str,
                         uid_: str | None = None) -> Any:
            rec = state.rec(catalog_, backend_)
            if sid_:
                try:
                    return rec.session(sid_)
                except ChatrecError:
                    pass
            return rec.session(user=uid_ or None)

        def profile_out(s: Any) -> dict[Any, Any]:
            return {profile: profile_html(s.preferences),
                    beliefs: gr.update(choices=profile_entries(s.preferences), value=[]),
                    novelty: s.preferences.novelty}

        def slots_out(picks: list[Pick], catalog_: Any) -> dict[Any, Any]:
            out: dict[Any, Any] = {shown: [p.item_id for p in picks[:n_slots]]}
            for i in range(n_slots):
                if i < len(picks):
                    out[slot_html[i]] = card_html(picks[i], catalog_, i + 1)
                    out[slot_cols[i]] = gr.update(visible=True)
                else:
                    out[slot_html[i]] = ""
                    out[slot_cols[i]] = gr.update(visible=False)
            return out

        def examples_out(catalog_: str) -> dict[Any, Any]:
            return {b: gr.update(value=t) for b, t in zip(ex_btns, examples_for(catalog_))}

        def fresh(s: Any, note: str) -> dict[Any, Any]:
            out = {chat: history_messages(s), status: status_html(note), sid: s.session_id}
            last = s.last_reply()
            out.update(slots_out(last.picks if last else [], s.catalog))
            out.update(profile_out(s))
            return out | ready(True)

        def blank(note: str) -> dict[Any, Any]:
            """An empty page with no session yet: the tab's first message makes its one."""
            empty = Preferences()
            out: dict[Any, Any] = {chat: [], status: status_html(note), sid: None,
                   profile: profile_html(empty), beliefs: gr.update(choices=[], value=[]),
                   novelty: empty.novelty}
            out.update(slots_out([], None))
            return out | ready(True)

        def ready(on: bool) -> dict[Any, Any]:
            return {box: gr.update(interactive=on), send: gr.update(interactive=on)}

        # ---- events --------------------------------------------------------------------
        def on_load(sid_: str | None, uid_: str | None, catalog_: str,
                    backend_: str) -> dict[Any, Any]:
            try:
                state.rec(catalog_, backend_)  # loaded and warm; the store is open
                cat = state.session_catalog(sid_) if sid_ else None
                if cat is None and uid_:  # a remembered user: start from their profile
                    out = fresh(open_session(None, catalog_, backend_, uid_),
                                f"Welcome back, {uid_}: I remember your taste.")
                    return out | {catalog: catalog_, who: uid_} | examples_out(catalog_)
                if cat is None:  # nothing stored for this tab yet
                    out = blank("Ready: say what you like, or try an example.")
                    out[catalog] = catalog_
                    out.update(examples_out(catalog_))
                    return out
                if cat in catalogs and cat != catalog_:
                    catalog_ = cat
                s = open_session(sid_, catalog_, backend_)
            except ChatrecError as e:
                return {status: status_html(f"⚠ {e}")} | ready(True)
            except Exception as e:
                log.exception("page load failed")
                return {status: status_html(f"⚠ could not open the {catalog_} catalog "
                                        f"({type(e).__name__}); see the server log.")
                        } | ready(True)
            out = fresh(s, "Welcome back: your conversation is restored." if s.history
                        else f"Welcome back, {uid_}: I remember your taste." if uid_
                        else "Ready: say what you like, or try an example.")
            out[catalog] = catalog_
            out[who] = uid_ or ""
            out.update(examples_out(catalog_))
            return out

        def on_send(message: str, history: list[dict[str, str]], sid_: str | None, catalog_: str,
                    backend_: str, uid_: str | None = None) -> Iterator[dict[Any, Any]]:
            history = list(history or [])
            try:
                s = open_session(sid_, catalog_, backend_, uid_)
            except ChatrecError as e:
                yield {status: status_html(f"⚠ {e}")}
                return
            except Exception as e:
                log.exception("opening a session failed")
                yield {status: status_html(f"⚠ could not open the {catalog_} catalog "
                                       f"({type(e).__name__}); see the server log.")}
                return
            try:
                clean_message(message, settings.max_message_chars)
            except InputError as e:
                yield {status: status_html(f"⚠ {e}"), sid: s.session_id}
                return
            history.append({"role": "user", "content": message})
            history.append({"role": "assistant", "content": "…"})
            yield {chat: history, status: status_html("thinking…"), sid: s.session_id, box: ""}
            text, picks = "", []
            try:
                for ev in s.stream(message):
                    if isinstance(ev, TextChunk):
                        text += ev.text
                        history[-1] = {"role": "assistant", "content": text}
                        yield {chat: history, status: status_html("answering…")}
                    elif isinstance(ev, PickEvent):
                        picks.append(ev.pick)
                        out = slots_out(picks, s.catalog)
                        out[status] = status_html("answering…")
                        yield out
                    elif isinstance(ev, Done):
                        r = ev.reply
                        history[-1] = {"role": "assistant", "content": r.text}
                        out = {chat: history,
                               status: status_html(f"answered by {r.backend} in {r.elapsed_s:.1f} s")}
                        if r.picks:
                            out.update(slots_out(r.picks, s.catalog))
                        out.update(profile_out(s))
                        yield out
            except InputError as e:
                yield {chat: history[:-2], status: status_html(f"⚠ {e}"), box: message}
            except Exception as e:  # never a stack trace on the page
                log.exception("turn failed")
                history[-1] = {"role": "assistant",
                               "content": f"Sorry, something went wrong ({type(e).__name__}). "
                                          "Your conversation is saved; please try again."}
                yield {chat: history, status: status_html(
                    "⚠ the turn failed (is the model backend up?); please try again."),
                       box: message}

        def on_feedback(kind: str, slot: int, sid_: str | None, catalog_: str, backend_: str,
                        shown_: list[str]) -> dict[Any, Any]:
            if not sid_ or slot >= len(shown_ or []):
                return {status: status_html("⚠ that card is gone; ask for new picks first.")}
            try:
                s = open_session(sid_, catalog_, backend_)
                item_id = shown_[slot]
                s.feedback(item_id, kind)  # type: ignore[arg-type]
                last = s.last_reply()
                pick = next((p for p in (last.picks if last else []) if p.item_id == item_id),
                            None)
                item = s.catalog.items[item_id]
                pick = pick or Pick(item_id, item.display_title, "", 0.0)
                out = profile_out(s)
                out[slot_html[slot]] = card_html(pick, s.catalog, slot + 1, feedback=kind)
                out[status] = status_html(f"noted: {kind} {item.display_title}. It counts from your "
                                      "next message.")
                return out
            except ChatrecError as e:
                return {status: status_html(f"⚠ {e}")}

        def on_new(catalog_: str, backend_: str,
                   uid_: str | None = None) -> Iterator[dict[Any, Any]]:
            if not state.loaded(catalog_, backend_):
                yield {status: status_html(f"loading the {catalog_} catalog (the first time, its "
                                       "index is built: this can take a few minutes)…")
                       } | ready(False)
            try:
                state.rec(catalog_, backend_)
            except Exception as e:
                log.exception("opening a catalog failed")
                yield {status: status_html(f"⚠ could not open the {catalog_} catalog "
                                       f"({type(e).__name__}); see the server log.")
                       } | ready(True)
                return
            note = f"New conversation ({catalog_}): say what you like."
            out = fresh(open_session(None, catalog_, backend_, uid_), note) if uid_ else \
                blank(note)
            out.update(examples_out(catalog_))
            yield out

        def on_edit(action: str, selected: list[str], sid_: str | None, catalog_: str,
                    backend_: str) -> dict[Any, Any]:
            if not sid_:
                return {status: status_html("⚠ nothing to change yet.")}
            if not selected:
                return {status: status_html("⚠ select something in the profile first.")}
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
                out[status] = status_html(("removed" if action == "remove" else "changed")
                                      + f" {len(selected)} item(s); this applies to the next reply.")
                return out
            except ChatrecError as e:
                return {status: status_html(f"⚠ {e}")}

        def on_add(kind: str, text: str, sid_: str | None, catalog_: str,
                   backend_: str, uid_: str | None) -> dict[Any, Any]:
            t = (text or "").strip()
            if not t:
                return {status: status_html("⚠ type a genre, tag or title to add first.")}
            try:
                s = open_session(sid_, catalog_, backend_, uid_)
                s.add_to_profile(t, "like" if kind == "like" else "dislike")
                out = profile_out(s)
                out.update({sid: s.session_id, add_box: "",
                            status: status_html("added; this applies to the next reply.")})
                return out
            except ChatrecError as e:
                return {status: status_html(f"⚠ {e}")}

        def on_novelty(value: float, sid_: str | None, catalog_: str,
                       backend_: str, uid_: str | None) -> dict[Any, Any]:
            try:
                s = open_session(sid_, catalog_, backend_, uid_)
                s.set_preference("novelty", value)
                out = profile_out(s)
                word = "lesser-known" if value > 0.5 else "well-known" if value < 0.5 else "balanced"
                out.update({sid: s.session_id,
                            status: status_html(f"leaning to {word} picks; this applies to the next "
                                            "reply.")})
                return out
            except ChatrecError as e:
                return {status: status_html(f"⚠ {e}")}

        def users_conversation(sid_: str | None, uid_: str, catalog_: str, backend_: str) -> Any:
            """This tab's conversation if it is the user's (it gains their profile), else a
            new conversation of theirs."""
            if sid_:
                try:
                    return state.rec(catalog_, backend_).session(sid_, user=uid_)
                except ChatrecError:
                    pass
            return open_session(None, catalog_, backend_, uid_)

        def on_remember(name: str, sid_: str | None, catalog_: str,
                        backend_: str) -> dict[Any, Any]:
            try:
                uid_ = check_user_id(name) if (name or "").strip() else secrets.token_urlsafe(12)
                s = users_conversation(sid_, uid_, catalog_, backend_)
            except ChatrecError as e:
                return {status: status_html(f"⚠ {e}")}
            return fresh(s, f"Remembered as {uid_}: this browser keeps it.") | {
                uid: uid_, who: uid_, user_note: f"You are **{uid_}** here."}

        def on_forget(uid_: str | None, catalog_: str, backend_: str) -> dict[Any, Any]:
            if not uid_:
                return {status: status_html("⚠ nothing to forget: this browser has no user.")}
            try:
                n = state.rec(catalog_, backend_).user(uid_).forget()
            except ChatrecError as e:
                return {status: status_html(f"⚠ {e}")}
            return blank(f"Forgot {uid_}: the profile, imports and {n} conversation(s) are "
                         "deleted.") | {uid: None, who: "", user_note: "",
                                        export_file: gr.update(value=None, visible=False)}

        def on_import(path: str | None, uid_: str | None, sid_: str | None, catalog_: str,
                      backend_: str) -> dict[Any, Any]:
            if not path:
                return {status: status_html("⚠ choose an export file to import.")}
            try:
                uid_ = uid_ or secrets.token_urlsafe(12)
                report = state.rec(catalog_, backend_).user(uid_).import_history(path)
                s = users_conversation(sid_, uid_, catalog_, backend_)
            except ChatrecError as e:
                return {status: status_html(f"⚠ {e}")}
            return fresh(s, f"imported {len(report.linked)} of {report.rows} rows") | {
                uid: uid_, who: uid_, user_note: "```\n" + report.summary() + "\n```"}

        def on_export(uid_: str | None, catalog_: str, backend_: str) -> dict[Any, Any]:
            if not uid_:
                return {status: status_html("⚠ nothing to export: this browser has no user.")}
            data = state.rec(catalog_, backend_).user(uid_).export()
            folder = Path(tempfile.mkdtemp(prefix="chatrec-export-"))
            path = folder / "chatrec-my-data.json"
            path.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
            return {export_file: gr.update(value=str(path), visible=True),
                    status: status_html(f"your data: {len(data['sessions'])} conversation(s)")}

        # ---- wiring ----------------------------------------------------------------------
        slot_outs = [shown, *slot_cols, *slot_html]
        prof_outs = [profile, beliefs, novelty]
        send_outs = [chat, status, sid, box, *slot_outs, *prof_outs]
        box.submit(on_send, [box, chat, sid, catalog, backend, uid], send_outs, api_name="send",
                   concurrency_id="turn")
        send.click(on_send, [box, chat, sid, catalog, backend, uid], send_outs,
                   api_visibility="private", concurrency_id="turn")
        for ex in ex_btns:
            ex.click(lambda t: t, [ex], [box], api_visibility="private", queue=False)
        for i, btns in enumerate(slot_btns):
            for kind, btn in btns.items():
                btn.click(lambda s_, c, b_, sh, k=kind, n=i: on_feedback(k, n, s_, c, b_, sh),
                          [sid, catalog, backend, shown], [status, slot_html[i], *prof_outs],
                          api_visibility="private")
        page_outs = [chat, status, sid, catalog, box, send, *slot_outs, *prof_outs, *ex_btns]
        new.click(on_new, [catalog, backend, uid], page_outs, api_visibility="private")
        catalog.input(on_new, [catalog, backend, uid], page_outs, api_visibility="private")
        remove.click(lambda sel, s_, c, b_: on_edit("remove", sel, s_, c, b_),
                     [beliefs, sid, catalog, backend], [status, *prof_outs],
                     api_visibility="private")
        flip.click(lambda sel, s_, c, b_: on_edit("flip", sel, s_, c, b_),
                   [beliefs, sid, catalog, backend], [status, *prof_outs],
                   api_visibility="private")
        for add_btn, kind in ((add_like, "like"), (add_dislike, "dislike")):
            add_btn.click(lambda t, s_, c, b_, u, k=kind: on_add(k, t, s_, c, b_, u),
                    [add_box, sid, catalog, backend, uid], [status, sid, add_box, *prof_outs],
                    api_visibility="private")
        novelty.input(on_novelty, [novelty, sid, catalog, backend, uid], [status, sid, *prof_outs],
                        api_visibility="private")
        user_outs = [*page_outs, uid, who, user_note, export_file]
        remember.click(on_remember, [who, sid, catalog, backend], user_outs,
                       api_visibility="private")
        forget.click(on_forget, [uid, catalog, backend], user_outs, api_visibility="private")
        upload.upload(on_import, [upload, uid, sid, catalog, backend], user_outs,
                      api_visibility="private")
        export.click(on_export, [uid, catalog, backend], [status, export_file],
                     api_visibility="private")
        demo.load(on_load, [sid, uid, catalog, backend], [*page_outs, who],
                  api_visibility="private")
    return demo

