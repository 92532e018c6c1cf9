"""The dialogue manager: one conversation, its profile, and the path of one turn.

``Session.stream(text)`` yields events (text chunks, picks, then ``Done``); ``send`` collects them.
Every turn is written to the session store before the reply is returned.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import time
import unicodedata
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

from chatrec.errors import ChatrecError, InputError, SessionError
from chatrec.filters import violations
from chatrec.profile import Constraint, Preferences
from chatrec.rank import RankOutcome
from chatrec.store import TurnRecord
from chatrec.types import Done, Event, Pick, PickEvent, Reply, TextChunk

if TYPE_CHECKING:
    from chatrec.recommender import Recommender
    from chatrec.understand import Understanding

log = logging.getLogger(__name__)

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


class Session:
    """One user's conversation with a :class:`~chatrec.recommender.Recommender`."""

    def __init__(self, rec: Recommender, session_id: str, prefs: Preferences,
                 turns: list[TurnRecord], turn_no: int) -> None:
        self.rec = rec
        self.session_id = session_id
        self._synced = self._fingerprint({"prefs": prefs.to_dict(), "turn": turn_no}, len(turns))
        self._prefs = prefs
        self._turns = turns
        self._turn_no = turn_no

    # --- one writer at a time ---------------------------------------------------------
    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold this session's lock (shared by every Session object of the same id in this
        process) and start from the stored state, so a card click during a streaming reply, or
        two tabs of one user, never overwrite each other's changes."""
        lock = self.rec.session_lock(self.session_id)
        if not lock.acquire(timeout=120):
            raise SessionError("this conversation is busy with another request; try again")
        try:
            stored = self.rec.store.load(self.session_id)
            if stored is not None and \
                    self._fingerprint(stored.state, len(stored.turns)) != self._synced:
                # someone else (another request, another process) changed it: take theirs;
                # otherwise keep this object's profile, including direct edits made through
                # ``session.preferences``
                self._prefs = Preferences.from_dict(stored.state.get("prefs", {}))
                self._turn_no = int(stored.state.get("turn", 0))
                self._turns = stored.turns
                self._synced = self._fingerprint(stored.state, len(stored.turns))
            yield
        finally:
            lock.release()

    # --- reading ----------------------------------------------------------------------
    @property
    def preferences(self) -> Preferences:
        """The structured profile after the latest turn."""
        return self._prefs

    @property
    def history(self) -> list[TurnRecord]:
        return list(self._turns)

    @property
    def catalog_name(self) -> str:
        return self.rec.catalog.name

    def talk(self, current: str = "") -> str:
        """Everything the user said in this conversation (latest words kept), plus ``current``."""
        from chatrec.conversations import talk_text

        said = self._user_texts()
        if current and (not said or said[-1] != current):
            said.append(current)
        return talk_text(said)

    def _user_texts(self) -> list[str]:
        return [t.text for t in self._turns if t.role == "user"]

    def describe_preferences(self) -> str:
        return self._prefs.describe(self.rec.catalog)

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
        """One user turn as events: ``TextChunk``s, ``PickEvent``s, then ``Done``."""
        msg = clean_message(text, self.rec.settings.max_message_chars)
        with self._locked():
            yield from self._turn(msg)

    def _turn(self, msg: str) -> Iterator[Event]:
        t0 = time.perf_counter()
        turn = self._turn_no + 1
        before = self._prefs.to_dict()
        u = self.rec.understand(msg, self._prefs, turn)
        from chatrec.understand import apply

        notes = apply(u, self._prefs, turn)
        chunks: list[str] = []
        picks: list[Pick] = []
        kind: Any = "recommend"
        backend_name = "chatrec"
        diag: dict[str, Any] = {}
        try:
            if u.intent in ("item_question", "why") and (u.question_item or self._prefs.last_picks):
                kind = "answer"
                answer = self._explain(u) if u.intent == "why" else None
                answer = answer or self.rec.answer_about(u, self._prefs, msg)
                chunks.append(answer)
                yield TextChunk(answer)
            elif self._needs_clarifying(u):
                kind = "clarify"
                q = self._clarifying_question(u, notes)
                chunks.append(q)
                yield TextChunk(q)
            else:
                used: list[str] = []
                for ev in self._recommend(msg, u, notes, used, diag):
                    if isinstance(ev, TextChunk):
                        chunks.append(ev.text)
                    elif isinstance(ev, PickEvent):
                        picks.append(ev.pick)
                    yield ev
                backend_name = used[0] if used else backend_name
        except BaseException:
            # the turn failed: the profile goes back to what it was, nothing is half-saved
            from chatrec.profile import Preferences as P

            self._prefs = P.from_dict(before)
            raise
        reply = Reply(text="".join(chunks).strip(), picks=picks, kind=kind, notes=notes,
                      backend=backend_name, elapsed_s=round(time.perf_counter() - t0, 3),
                      turn=turn, meta=diag)
        self._commit(turn, [TurnRecord(0, "user", msg), TurnRecord(0, "assistant", reply.text,
                                                                    reply.to_dict())])
        yield Done(reply)

    def _explain(self, u: Understanding) -> str | None:
        """Why an earlier pick was made: its recorded reason and the profile behind it."""
        last = self.last_reply()
        if last is None or not last.picks:
            return None
        target = u.question_item or last.picks[0].item_id
        for p in last.picks:
            if p.item_id == target:
                who = "the language model" if p.source == "llm" else "chatrec's ranking"
                return (f"I picked {p.title} because: {p.reason} (reason by {who}; based on "
                        f"your profile: {self._prefs.describe()})")
        return None

    def _needs_clarifying(self, u: Understanding) -> bool:
        if u.intent == "more":
            return not (self._prefs.has_positive_signal or self._prefs.recommended)
        if self._prefs.has_positive_signal:
            return False
        return u.intent == "greeting" or not u.positive_text.strip()

    def _clarifying_question(self, u: Understanding, notes: list[str]) -> str:
        man = self.rec.catalog.manifest
        lead = " ".join(notes) + "\n\n" if notes else ""
        if man.name == "games" or man.noun == "game":
            ask = ("Tell me a game or two you loved, or what you feel like playing: a genre, a "
                   "theme (say, co-op, roguelike, relaxing), a price limit or a platform.")
        else:
            ask = (f"Tell me a {man.noun} or two you loved, or what you're in the mood for: a "
                   f"genre, a theme, an era, or how long it should be.")
        hello = "Hi! " if u.intent == "greeting" else ""
        return f"{lead}{hello}{ask}"

    def _recommend(self, msg: str, u: Understanding, notes: list[str], used: list[str],
                   diag: dict[str, Any]) -> Iterator[Event]:
        rec = self.rec
        n = rec.settings.n_picks
        cands = rec.generator.generate(self._prefs, u.positive_text,
                                       k=max(rec.settings.llm_candidates, n) + 10,
                                       talk=self.talk(msg))
        if not cands:
            text = ("I found nothing in the catalog that fits everything you asked for. "
                    f"Right now: {self._prefs.describe()} Try lifting a limit, e.g. "
                    "\"forget the year limit\".")
            if notes:
                text = " ".join(notes) + "\n\n" + text
            yield TextChunk(text)
            return
        backend, backend_note = rec.backend_for_turn()
        if backend_note:
            notes.append(backend_note)
        used.append(backend.name if backend is not None else "chatrec (no LLM)")
        lead = (" ".join(notes) + "\n\n") if notes else ""
        intro = f"{lead}Here are {min(n, len(cands))} {rec.catalog.manifest.plural} for you"
        limits = self._prefs.describe_limits()
        nots = [f.label or f.value for f in self._prefs.disliked_attrs.values()]
        keep = ([f"no {', '.join(nots)}"] if nots else []) + limits
        intro += f" ({'; '.join(keep)}):\n" if keep else ":\n"
        yield TextChunk(intro)
        outcome = RankOutcome()
        shown: list[str] = []
        diag["llm_reasons"] = backend is not None and rec.llm_writes_reasons(backend)
        fallback = rec.fallback_llm() if backend is not None else None
        for pick in rec.ranker.stream(self._prefs, u.positive_text or msg, cands, n, backend,
                                      llm_candidates=rec.settings.llm_candidates,
                                      reasons_for=rec.llm_writes_reasons, outcome=outcome,
                                      fallback=fallback):
            item = rec.catalog.items[pick.item_id]
            bad = violations(item, self._prefs, rec.catalog)
            if bad:  # defence in depth: never show an item that breaks the profile
                log.error("dropping %s at the last gate: %s", pick.item_id, bad)
                continue
            shown.append(pick.item_id)
            yield PickEvent(pick)
            yield TextChunk(f"{len(shown)}. {pick.title}: {pick.reason}\n")
        diag.update(rec.ranker.diagnostics(outcome))
        if outcome.backend and outcome.backend != used[0]:
            used[0] = outcome.backend
        if outcome.notes:
            notes.extend(outcome.notes)
            yield TextChunk("\n" + " ".join(outcome.notes))
        self._prefs.note_recommended(shown)

    # --- other ways to change the conversation -------------------------------------
    def feedback(self, item_id: str, kind: FeedbackKind) -> None:
        """Like, dislike or mark seen one item (from the UI's card buttons or the API)."""
        with self._locked():
            item = self.rec.catalog.get(str(item_id))
            if item is None:
                raise InputError(f"unknown {self.rec.catalog.manifest.noun} id {item_id!r}")
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
                if fieldname not in self.rec.catalog.manifest.fields:
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
            msg = clean_message(text, max(self.rec.settings.max_message_chars, 20000))
            turn = self._turn_no + 1
            u = self.rec.understander.parse(msg, self._prefs, turn)
            if role == "user":
                from chatrec.understand import apply

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
        rec = self.rec
        cands = rec.generator.generate(self._prefs, "", k=max(k, rerank), talk=self.talk())
        backend = rec.backend_for_turn()[0] if rerank > 1 and len(cands) > 1 else None
        if backend is None:
            return [rec.ranker.code_pick(c, self._prefs) for c in cands[:k]]
        said = self._user_texts()
        request = said[-1][-400:] if said else self._prefs.describe()
        head = cands[:rerank]
        top = list(rec.ranker.stream(self._prefs, request, head, len(head), backend,
                                     llm_candidates=len(head), reasons=False))
        chosen = {p.item_id for p in top}
        rest = [rec.ranker.code_pick(c, self._prefs) for c in cands if c.item.id not in chosen]
        return (top + rest)[:k]

    # --- persistence ----------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        return {"prefs": self._prefs.to_dict(), "turn": self._turn_no}

    def _commit(self, turn: int | None, records: list[TurnRecord]) -> None:
        if turn is not None:
            self._turn_no = turn
        state = self.state()
        self.rec.store.append(self.session_id, state, records)  # numbers the records
        self._turns.extend(records)
        self._synced = self._fingerprint(state, len(self._turns))

    @staticmethod
    def _fingerprint(state: dict[str, Any], n_turns: int) -> str:
        return f"{n_turns}:{json.dumps(state, sort_keys=True)}"
