"""One turn: understand -> candidates -> rank -> reasons / answers, as a stream of events.

:class:`TurnPipeline` holds the parts a turn needs (built and wired by
:class:`~chatrec.recommender.Recommender`) and knows nothing of sessions or stores: the
:class:`~chatrec.session.Session` hands it the profile and what was said before, and stores what
it yields. The events end with ``Done(reply)``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chatrec.profile import Preferences
from chatrec.rank.ranker import REASONS_DEADLINE_S, RankOutcome
from chatrec.retrieve.conversations import talk_text
from chatrec.retrieve.filters import violations
from chatrec.retrieve.requested import shortfall_note
from chatrec.types import Done, Event, Pick, PickEvent, Reply, TextChunk
from chatrec.understand import apply
from chatrec.understand.intent import question_of
from chatrec.understand.llm_extract import GENERATION as EXTRACT_GEN
from chatrec.understand.llm_extract import refine, should_extract

if TYPE_CHECKING:
    from chatrec.catalog import Catalog
    from chatrec.llm.base import LLMBackend
    from chatrec.prompts import Prompt
    from chatrec.rank.answers import Answerer
    from chatrec.rank.ranker import Ranker
    from chatrec.retrieve.candidates import CandidateGenerator
    from chatrec.settings import Settings
    from chatrec.understand import Understander, Understanding

log = logging.getLogger(__name__)


@dataclass
class History:
    """What a turn may read of the conversation before it."""

    user_texts: list[str] = field(default_factory=list)
    last_reply: Reply | None = None

    def talk(self, current: str = "") -> str:
        """Everything the user said (latest words kept), plus ``current``."""
        said = list(self.user_texts)
        if current and (not said or said[-1] != current):
            said.append(current)
        return talk_text(said)


@dataclass
class TurnPipeline:
    """The parts of a turn, and the one path through them."""

    catalog: Catalog
    settings: Settings
    understander: Understander
    generator: CandidateGenerator
    ranker: Ranker
    answers: Answerer
    prompts: dict[str, Prompt]
    llm: LLMBackend | None  # None: the code ranks and words every reason alone

    def uses_llm(self) -> bool:
        """Whether a turn may call the backend (to rank, or to extract preferences)."""
        return self.llm is not None and (self.ranker.asks(self.llm) or should_extract(
            self.llm, self.settings.llm_extract))

    # --- understand ---------------------------------------------------------------------
    def understand(self, text: str, prefs: Preferences, turn: int) -> Understanding:
        """The deterministic reading of ``text``; with a backend that can extract preferences
        (settings.llm_extract), the extractor's catalog-checked additions merged under it."""
        u = self.understander.parse(text, prefs, turn)
        if self.llm is None or not should_extract(self.llm, self.settings.llm_extract):
            return u
        seconds = self.settings.llm_deadline_s
        gen = EXTRACT_GEN.within(REASONS_DEADLINE_S if seconds is None else seconds)
        return refine(u, self.llm, text, prefs, self.catalog, self.prompts,
                      titles=self.understander.titles, turn=turn, gen=gen)

    # --- the turn -----------------------------------------------------------------------
    def run(self, msg: str, prefs: Preferences, turn: int, history: History) -> Iterator[Event]:
        """Understand ``msg``, apply it to ``prefs`` (changed in place), answer; the events end
        with ``Done``. On an error ``prefs`` may be half-changed: the caller restores it."""
        t0 = time.perf_counter()
        u = self.understand(msg, prefs, turn)
        before = prefs.to_dict()
        notes = apply(u, prefs, turn)
        chunks: list[str] = []
        picks: list[Pick] = []
        kind: Any = "recommend"
        meta: dict[str, Any] = {}
        backend_name = "chatrec"
        last = history.last_reply
        answer = self.answers.respond(u, question_of(msg), prefs, topic=last.meta.get("about")
                                      if last is not None and last.kind == "answer" else None)
        if answer is not None:  # a question about one item, or why it was picked
            if answer.item_id is None:  # a title not in the catalog: asking is not telling
                vars(prefs).update(vars(Preferences.from_dict(before)))
                notes = []
            kind = "answer"
            meta["about"] = answer.item_id
            chunks.append(answer.text)
            yield TextChunk(answer.text)
        elif self._needs_clarifying(u, prefs):
            kind = "clarify"
            q = self._clarifying_question(u, notes)
            chunks.append(q)
            yield TextChunk(q)
        else:
            for ev in self._recommend(msg, u, prefs, notes, history, meta):
                if isinstance(ev, TextChunk):
                    chunks.append(ev.text)
                elif isinstance(ev, PickEvent):
                    picks.append(ev.pick)
                yield ev
            backend_name = meta.pop("answered_by", backend_name)
        yield Done(Reply(text="".join(chunks).strip(), picks=picks, kind=kind, notes=notes,
                         backend=backend_name, elapsed_s=round(time.perf_counter() - t0, 3),
                         turn=turn, meta=meta))

    def _needs_clarifying(self, u: Understanding, prefs: Preferences) -> bool:
        if u.intent == "more":
            return not (prefs.has_positive_signal or prefs.recommended)
        if prefs.has_positive_signal:
            return False
        return u.intent == "greeting" or not u.positive_text.strip()

    def _clarifying_question(self, u: Understanding, notes: list[str]) -> str:
        man = self.catalog.manifest
        lead = " ".join(notes) + "\n\n" if notes else ""
        if man.name == "games" or man.noun == "game":
            ask = ("Tell me a game or two you loved, or what you feel like playing: a genre, a "
                   "theme (say, co-op, roguelike, relaxing), a price limit or a platform.")
        else:
            ask = (f"Tell me a {man.noun} or two you loved, or what you're in the mood for: a "
                   f"genre, a theme, an era, or how long it should be.")
        hello = "Hi! " if u.intent == "greeting" else ""
        return f"{lead}{hello}{ask}"

    def _recommend(self, msg: str, u: Understanding, prefs: Preferences, notes: list[str],
                   history: History, meta: dict[str, Any]) -> Iterator[Event]:
        n = self.settings.n_picks
        cands = self.generator.generate(prefs, u.positive_text,
                                        k=max(self.settings.llm_candidates, n) + 10,
                                        talk=history.talk(msg))
        if not cands:
            text = ("I found nothing in the catalog that fits everything you asked for. "
                    f"Right now: {prefs.describe()} Try lifting a limit, e.g. "
                    "\"forget the year limit\".")
            if notes:
                text = " ".join(notes) + "\n\n" + text
            yield TextChunk(text)
            return
        short = shortfall_note(cands, prefs, self.catalog, n)  # "I have only 2 westerns ..."
        if short:
            notes.append(short)
        backend = self.llm
        meta["answered_by"] = backend.name if backend is not None else "chatrec (no LLM)"
        lead = (" ".join(notes) + "\n\n") if notes else ""
        intro = f"{lead}Here are {min(n, len(cands))} {self.catalog.manifest.plural} for you"
        nots = [f.label or f.value for f in prefs.disliked_attrs.values()]
        keep = ([f"no {', '.join(nots)}"] if nots else []) + prefs.describe_limits()
        intro += f" ({'; '.join(keep)}):\n" if keep else ":\n"
        yield TextChunk(intro)
        outcome = RankOutcome()
        shown: list[str] = []
        meta["llm_reasons"] = backend is not None and self.ranker.writes_reasons(backend)
        for pick in self.ranker.stream(prefs, u.positive_text or msg, cands, n, backend,
                                       llm_candidates=self.settings.llm_candidates,
                                       outcome=outcome):
            bad = violations(self.catalog.items[pick.item_id], prefs, self.catalog)
            if bad:  # defence in depth: never show an item that breaks the profile
                log.error("dropping %s at the last gate: %s", pick.item_id, bad)
                continue
            shown.append(pick.item_id)
            yield PickEvent(pick)
            yield TextChunk(f"{len(shown)}. {pick.title}: {pick.reason}\n")
        meta.update(self.ranker.diagnostics(outcome))
        if outcome.llm_used:
            meta["answered_by"] = outcome.backend or meta["answered_by"]
        elif backend is not None and not self.ranker.asks(backend):
            # its order would be the code's (Capabilities.orders_candidates; CHATREC_LLM_ORDER)
            meta["answered_by"] = f"chatrec ({backend.name} not asked)"
        else:
            meta["answered_by"] = "chatrec (no LLM)"
        if outcome.notes:
            notes.extend(outcome.notes)
            yield TextChunk("\n" + " ".join(outcome.notes))
        prefs.note_recommended(shown)

    # --- a ranking without text ---------------------------------------------------------
    def rank(self, prefs: Preferences, history: History, k: int, rerank: int = 0) -> list[Pick]:
        """The top ``k`` picks for ``prefs``; ``rerank`` > 1: the LLM orders the code's top
        ``rerank`` (ids only) and the rest follow in the code's order."""
        cands = self.generator.generate(prefs, "", k=max(k, rerank), talk=history.talk())
        backend = self.llm if rerank > 1 and len(cands) > 1 else None
        if backend is None:
            return [self.ranker.code_pick(c, prefs) for c in cands[:k]]
        said = history.user_texts
        request = said[-1][-400:] if said else prefs.describe()
        head = cands[:rerank]
        top = list(self.ranker.stream(prefs, request, head, len(head), backend,
                                      llm_candidates=len(head), reasons=False))
        chosen = {p.item_id for p in top}
        rest = [self.ranker.code_pick(c, prefs) for c in cands if c.item.id not in chosen]
        return (top + rest)[:k]
