"""The dialogue manager: one conversation, its profile, history and store.

``Session.stream(text)`` runs one turn through :class:`~chatrec.turn.TurnPipeline` and yields its
events (text chunks, picks, then ``Done``); ``send`` collects them. Every turn is written to the
session store before ``Done`` is yielded. Profile edits (feedback, ``set_preference``...) take the
same per-session lock as turns.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import unicodedata
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

from chatrec.errors import ChatrecError, InputError, SessionError
from chatrec.profile import Constraint, Preferences
from chatrec.store import SessionStore, TurnRecord
from chatrec.turn import History, TurnPipeline
from chatrec.types import Done, Event, Pick, Reply
from chatrec.understand import apply

if TYPE_CHECKING:
    from chatrec.catalog import Catalog
    from chatrec.users.carry import UserLink

FeedbackKind = Literal["like", "dislike", "seen"]
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def clean_message(text: str, max_chars: int) -> str:
    """Strip control characters and surrounding space; refuse empty or over-long messages."""
    if not isinstance(text, str):
        raise InputError("a message must be text")
    text = _ANSI.sub("", text)  # terminal colour codes pasted along with text
    t = "".join(c if (c in "\n\t" or unicodedata.category(c)[0] != "C") else " " for c in text)
    t = t.strip()
    if not t:
        raise InputError("Your message is empty: tell me something you like.")
    if len(t) > max_chars:
        raise InputError(f"Your message is {len(t)} characters long; please keep it under "
                         f"{max_chars}.")
    return t


class SessionLocks:
    """One lock per session id, shared by every Session object of that id in this process."""

    def __init__(self) -> None:
        self._locks: dict[str, threading.RLock] = {}
        self._guard = threading.Lock()

    def get(self, session_id: str) -> threading.RLock:
        with self._guard:
            lock = self._locks.get(session_id)
            if lock is None:
                lock = self._locks[session_id] = threading.RLock()
            return lock


class Session:
    """One user's conversation: its profile, history and store; each turn runs through the
    :class:`~chatrec.turn.TurnPipeline`. Made by :meth:`chatrec.recommender.Recommender.session`."""

    def __init__(self, pipeline: TurnPipeline, store: SessionStore, locks: SessionLocks,
                 session_id: str, prefs: Preferences, turns: list[TurnRecord],
                 turn_no: int, user: UserLink | None = None) -> None:
        """``user``: the user this conversation belongs to; every stored change of its
        profile's carried part (likes, dislikes, seen items, standing limits) goes to them."""
        self.pipeline = pipeline
        self.store = store
        self.session_id = session_id
        self._locks = locks
        self._prefs = prefs
        self._turns = turns
        self._turn_no = turn_no
        self._user = user
        self._synced = self._fingerprint(self.state(), len(turns))
        self._carried = user.carried(prefs) if user is not None else {}

    @property
    def user_id(self) -> str | None:
        """The user this conversation belongs to (None: an anonymous conversation)."""
        return self._user.user_id if self._user is not None else None

    def refresh_from_user(self) -> bool:
        """Add to this conversation's profile what its user gained since it was stored (an
        import, another conversation's likes); True when something was added (and stored)."""
        if self._user is None:
            return False
        with self._locked():
            if not self._user.merge_into(self._prefs):
                return False
            self._commit(None, [])
            return True

    # --- one writer at a time ---------------------------------------------------------
    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold this session's lock (shared by every Session object of the same id in this
        process) and start from the stored state, so a card click during a streaming reply, or
        two tabs of one user, never overwrite each other's changes."""
        lock = self._locks.get(self.session_id)
        if not lock.acquire(timeout=120):
            raise SessionError("this conversation is busy with another request; try again")
        try:
            stored = self.store.load(self.session_id)
            if stored is not None and \
                    self._fingerprint(stored.state, len(stored.turns)) != self._synced:
                # someone else (another request, another process) changed it: take theirs;
                # otherwise keep this object's profile, including direct edits made through
                # ``session.preferences``
                self._prefs = Preferences.from_dict(stored.state.get("prefs", {}))
                self._turn_no = int(stored.state.get("turn", 0))
                self._turns = stored.turns
                self._synced = self._fingerprint(stored.state, len(stored.turns))
                if self._user is not None:  # their writer already told the user
                    self._carried = self._user.carried(self._prefs)
            yield
        finally:
            lock.release()

    # --- reading ----------------------------------------------------------------------
    @property
    def catalog(self) -> Catalog:
        return self.pipeline.catalog

    @property
    def preferences(self) -> Preferences:
        """The structured profile after the latest turn."""
        return self._prefs

    @property
    def history(self) -> list[TurnRecord]:
        return list(self._turns)

    @property
    def turn_count(self) -> int:
        """How many turns (user and replayed ones) this conversation has had."""
        return self._turn_no

    def talk(self, current: str = "") -> str:
        """Everything the user said in this conversation (latest words kept), plus ``current``."""
        return self._history().talk(current)

    def _history(self) -> History:
        return History([t.text for t in self._turns if t.role == "user"], self.last_reply())

    def describe_preferences(self) -> str:
        return self._prefs.describe(self.catalog)

    def last_reply(self) -> Reply | None:
        for t in reversed(self._turns):
            if t.role == "assistant" and t.reply is not None:
                return Reply.from_dict(t.reply)
        return None

    # --- talking ----------------------------------------------------------------------
    def send(self, text: str) -> Reply:
        """One user turn; returns the complete reply."""
        for ev in self.stream(text):
            if isinstance(ev, Done):
                return ev.reply
        raise ChatrecError("the turn ended without a reply")  # stream() always ends with Done

    def stream(self, text: str) -> Iterator[Event]:
        """One user turn as events: ``TextChunk``s, ``PickEvent``s, then ``Done`` (sent after
        the turn is stored)."""
        msg = clean_message(text, self.pipeline.settings.max_message_chars)
        with self._locked():
            turn = self._turn_no + 1
            before = self._prefs.to_dict()
            try:
                for ev in self.pipeline.run(msg, self._prefs, turn, self._history()):
                    if isinstance(ev, Done):
                        reply = ev.reply
                        self._commit(turn, [TurnRecord(0, "user", msg),
                                            TurnRecord(0, "assistant", reply.text,
                                                       reply.to_dict())])
                    yield ev
            except BaseException:
                # the turn failed: the profile goes back to what it was, nothing is half-saved
                if self._turn_no < turn:
                    self._prefs = Preferences.from_dict(before)
                raise

    # --- other ways to change the conversation -------------------------------------
    def feedback(self, item_id: str, kind: FeedbackKind) -> None:
        """Like, dislike or mark seen one item (from the UI's card buttons or the API)."""
        with self._locked():
            item = self.catalog.get(str(item_id))
            if item is None:
                raise InputError(f"unknown {self.catalog.manifest.noun} id {item_id!r}")
            turn = self._turn_no
            if kind == "like":
                self._prefs.like_item(item.id, item.display_title, turn, "feedback")
            elif kind == "dislike":
                self._prefs.dislike_item(item.id, item.display_title, turn, "feedback")
            elif kind == "seen":
                self._prefs.mark_seen(item.id, item.display_title, turn, "feedback")
            else:
                raise InputError(f"feedback must be 'like', 'dislike' or 'seen', not {kind!r}")
            self._commit(None, [TurnRecord(0, "event", f"{kind} {item.id}")])

    def set_preference(self, kind: str, value: Any, op: str | None = None) -> None:
        """Edit the profile: ``kind`` is like_attr, dislike_attr, like_item, dislike_item, seen,
        novelty (0 popular .. 1 lesser-known), or constraint (then ``value`` is a field name with
        ``op`` and the limit in a tuple)."""
        with self._locked():
            p = self._prefs
            turn = self._turn_no
            if kind == "like_attr":
                p.like_attr(str(value), turn, source="edit")
            elif kind == "dislike_attr":
                p.dislike_attr(str(value), turn, source="edit")
            elif kind in ("like_item", "dislike_item", "seen"):
                self.feedback(str(value), {"like_item": "like", "dislike_item": "dislike",
                                           "seen": "seen"}[kind])  # type: ignore[arg-type]
                return
            elif kind == "novelty":
                try:
                    knob = float(value)
                except (TypeError, ValueError):
                    raise InputError("novelty is a number from 0 (popular) to 1 (lesser-known)") from None
                if not 0.0 <= knob <= 1.0:
                    raise InputError("novelty is a number from 0 (popular) to 1 (lesser-known)")
                p.set_novelty(knob)
            elif kind == "constraint":
                fieldname, limit = value
                if fieldname not in self.catalog.manifest.fields:
                    raise InputError(f"this catalog has no field {fieldname!r}")
                p.set_constraint(Constraint(fieldname, op or "eq", limit, turn, source="edit"))  # type: ignore[arg-type]
            else:
                raise InputError(f"unknown preference kind {kind!r}")
            self._commit(None, [TurnRecord(0, "event", f"set {kind} {value!r}")])

    def remove_preference(self, kind: str, value: str) -> bool:
        """Remove one thing from the profile (attribute, item or constraint field)."""
        with self._locked():
            p = self._prefs
            gone: Any
            if kind in ("like_attr", "dislike_attr", "attr"):
                gone = p.drop_attr(value)
            elif kind in ("like_item", "liked_item"):
                gone = p.liked_items.pop(value, None)
            elif kind in ("dislike_item", "disliked_item"):
                gone = p.disliked_items.pop(value, None)
            elif kind == "seen":
                gone = p.seen_items.pop(value, None)
            elif kind == "constraint":
                gone = p.drop_constraints(value)
            elif kind == "novelty":
                gone = p.novelty > 0
                p.set_novelty(0.0)
            else:
                raise InputError(f"unknown preference kind {kind!r}")
            self._commit(None, [TurnRecord(0, "event", f"remove {kind} {value!r}")])
            return bool(gone)

    def add_turn(self, role: str, text: str) -> None:
        """Record a past turn without replying (replaying a dialogue).

        User turns update the profile; items named in assistant turns count as recommended.
        """
        with self._locked():
            if role not in ("user", "assistant"):
                raise InputError("role must be 'user' or 'assistant'")
            msg = clean_message(text, max(self.pipeline.settings.max_message_chars, 20000))
            turn = self._turn_no + 1
            u = self.pipeline.understander.parse(msg, self._prefs, turn)
            if role == "user":
                apply(u, self._prefs, turn)
            else:
                named = [m.item_id for m in u.liked_items + u.seen_items + u.disliked_items]
                if named:
                    self._prefs.note_recommended(named)
            self._commit(turn, [TurnRecord(0, role, msg)])

    def rank(self, k: int = 10, rerank: int = 0) -> list[Pick]:
        """The top-``k`` picks (k <= 100) for the current profile, without text.

        ``rerank``: the LLM orders the code's top ``rerank`` candidates (ids only, under the
        same enum schema as a chat turn; its failures fall back to the code's order) and the
        rest follow in the code's order. 0 (the default) uses no LLM at all."""
        if not 1 <= k <= 100:
            raise InputError("k must be between 1 and 100")
        if not 0 <= rerank <= 30:
            raise InputError("rerank must be between 0 and 30")
        return self.pipeline.rank(self._prefs, self._history(), k, rerank)

    def add_to_profile(self, text: str, kind: Literal["like", "dislike"] = "like") -> str:
        """Add a title or an attribute typed as free text ("Alien", "space opera") to the liked
        or disliked side of the profile; returns what was added."""
        t = (text or "").strip()
        if not t:
            raise InputError("type a genre, tag or title to add first")
        if kind not in ("like", "dislike"):
            raise InputError(f"kind must be 'like' or 'dislike', not {kind!r}")
        with self._locked():
            u = self.pipeline.understander.parse(t, self._prefs, self._turn_no + 1)
            items = u.liked_items + u.seen_items + u.disliked_items
            if items:
                self.set_preference(f"{kind}_item", items[0].item_id)
                return items[0].label
            self.set_preference(f"{kind}_attr", t)
            return t

    # --- persistence ----------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        out: dict[str, Any] = {"prefs": self._prefs.to_dict(), "turn": self._turn_no}
        if self._user is not None:
            out["user_id"] = self._user.user_id
        return out

    def _commit(self, turn: int | None, records: list[TurnRecord]) -> None:
        if turn is not None:
            self._turn_no = turn
        state = self.state()
        self.store.append(self.session_id, state, records)  # numbers the records
        self._turns.extend(records)
        self._synced = self._fingerprint(state, len(self._turns))
        if self._user is not None:
            self._carried = self._user.sync(self._carried, self._prefs)

    @staticmethod
    def _fingerprint(state: dict[str, Any], n_turns: int) -> str:
        return f"{n_turns}:{json.dumps(state, sort_keys=True)}"
