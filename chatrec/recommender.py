"""The entry point of the Python API: builds the parts of a turn and opens sessions.

>>> rec = Recommender(catalog="movies", backend="local")
>>> s = rec.session()
>>> reply = s.send("I loved Interstellar, nothing with horror")

Every part a test or an evaluation swaps is a constructor argument (``llm=``, ``store=``,
``embedder=``, ``generator=``, ``collab=``) or a temporary :meth:`Recommender.override`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from chatrec.catalog import Catalog, load_catalog
from chatrec.errors import BackendError, SessionError
from chatrec.llm import build_backend
from chatrec.llm.base import LLMBackend
from chatrec.profile import Preferences
from chatrec.prompts import load_prompts
from chatrec.rank.answers import Answerer
from chatrec.rank.ranker import Ranker
from chatrec.retrieve.candidates import CandidateGenerator, Weights
from chatrec.retrieve.collab import CollaborativeModel
from chatrec.retrieve.conversations import ConversationModel
from chatrec.retrieve.embed import Embedder, MiniLMEmbedder
from chatrec.retrieve.index import VectorIndex
from chatrec.session import Session, SessionLocks
from chatrec.settings import Settings
from chatrec.store import SessionStore, open_store
from chatrec.turn import History, TurnPipeline
from chatrec.understand import Understander
from chatrec.understand.meaning import meaning_matcher
from chatrec.users import User, UserLink, check_user_id, start_from

_KEEP = object()  # "not given" for override()
log = logging.getLogger(__name__)


class Recommender:
    """A catalog, its index and models, an LLM backend and a session store, ready to chat."""

    def __init__(self, catalog: str = "movies", backend: str | None = None, *,
                 settings: Settings | None = None, embedder: Embedder | None = None,
                 store: SessionStore | None = None, llm: LLMBackend | None = None,
                 collab: CollaborativeModel | object | None = _KEEP,
                 generator: CandidateGenerator | None = None,
                 **overrides: Any) -> None:
        """``llm``: use this backend object (a test double, a configured client) instead of
        ``backend``; with ``settings.use_llm`` False no backend is used at all. ``collab``: a
        collaborative model instead of the catalog's own (None: none). ``generator``: a
        candidate generator instead of the default one."""
        base = settings or Settings.load(**overrides)
        self.settings = base.replace(catalog=catalog, backend=backend or base.backend)
        self.catalog: Catalog = load_catalog(self.settings.catalog, self.settings)
        self.embedder = embedder or MiniLMEmbedder()
        self.index = VectorIndex.open(self.catalog, self.embedder, self.settings)
        self.collab: CollaborativeModel | None = (
            CollaborativeModel.from_catalog(self.catalog) if collab is _KEEP
            else collab)  # type: ignore[assignment]
        self.conversations = ConversationModel.from_catalog(
            self.catalog, self.embedder, Path(self.settings.data_dir) / "cache")
        self.store: SessionStore = store if store is not None else open_store(self.settings)
        prompts = load_prompts(self.settings.prompts_dir)
        self.llm: LLMBackend | None = build_backend(self.settings, primary=llm)
        self.pipeline = TurnPipeline(
            catalog=self.catalog, settings=self.settings,
            understander=Understander(self.catalog, meaning_matcher(
                self.catalog, self.embedder, Path(self.settings.data_dir) / "cache")),
            generator=generator or self.make_generator(),
            ranker=Ranker(self.catalog, prompts, llm_reasons=self.settings.llm_reasons,
                          llm_order=self.settings.llm_order,
                          deadline_s=self.settings.llm_deadline_s),
            answers=Answerer(self.catalog, self.collab),
            prompts=prompts, llm=self.llm)
        self._locks = SessionLocks()
        self.warmed: tuple[str, ...] = ()  # the parts warm() made ready

    # --- parts ----------------------------------------------------------------------
    @property
    def generator(self) -> CandidateGenerator:
        """The candidate generator turns use now."""
        return self.pipeline.generator

    @property
    def ranker(self) -> Ranker:
        return self.pipeline.ranker

    @property
    def understander(self) -> Understander:
        return self.pipeline.understander

    def make_generator(self, *, weights: Weights | None = None,
                       collab: CollaborativeModel | object | None = _KEEP,
                       conversations: ConversationModel | object | None = _KEEP
                       ) -> CandidateGenerator:
        """A new candidate generator over this recommender's index: its own collaborative
        model and conversation log unless others are given (None: without one)."""
        return CandidateGenerator(
            self.catalog, self.index,
            self.collab if collab is _KEEP else collab,  # type: ignore[arg-type]
            weights=weights, retrieve_k=self.settings.retrieve_k,
            conversations=(self.conversations if conversations is _KEEP
                           else conversations))  # type: ignore[arg-type]

    @contextlib.contextmanager
    def override(self, *, generator: CandidateGenerator | None = None,
                 collab: CollaborativeModel | object | None = _KEEP,
                 llm: LLMBackend | object | None = _KEEP,
                 ranker: Ranker | None = None) -> Iterator[Recommender]:
        """Swap parts for the duration of a ``with`` block, for every session of this
        recommender (evaluations, tests); not meant to run beside live traffic.

        ``collab``: a collaborative model for candidates and predicted fit (the generator is
        rebuilt with it unless ``generator`` is given too); ``ranker``: e.g. one that asks the
        model for an order every turn (``llm_order="on"``)."""
        p = self.pipeline
        saved = (p.generator, p.answers, p.llm, self.collab, self.llm, p.ranker)
        try:
            if collab is not _KEEP:
                self.collab = collab  # type: ignore[assignment]
                p.answers = Answerer(self.catalog, self.collab)
                p.generator = self.make_generator()
            if generator is not None:
                p.generator = generator
            if llm is not _KEEP:
                self.llm = p.llm = llm  # type: ignore[assignment]
            if ranker is not None:
                p.ranker = ranker
            yield self
        finally:
            p.generator, p.answers, p.llm, self.collab, self.llm, p.ranker = saved

    # --- sessions -------------------------------------------------------------------
    def user(self, user_id: str) -> User:
        """The user with this id (a name or a generated key; made on first use): a profile
        carried into every conversation of theirs, history import, export and forget."""
        return User(self, check_user_id(user_id))

    def session(self, session_id: str | None = None, *, user: str | None = None) -> Session:
        """A new session, or the stored one with this id (resumed where it left off).

        ``user``: the conversation is that user's: a new one starts from their profile, a
        resumed one gains what they learned since, and its feedback updates them."""
        link = UserLink(self.store, check_user_id(user), self.catalog.name) if user else None
        if session_id is None:
            sid = secrets.token_urlsafe(24)  # 192 bits
            prefs = start_from(link.profile()) if link is not None else Preferences()
            s = Session(self.pipeline, self.store, self._locks, sid, prefs, [], 0, link)
            self.store.create(sid, self.catalog.name, s.state(), user_id=user)
            return s
        rec = self.store.load(session_id)
        if rec is None:
            raise SessionError(f"no session with id {session_id!r} (it may have been made with "
                               "another data directory)")
        if rec.catalog != self.catalog.name:
            raise SessionError(f"session {session_id!r} belongs to the {rec.catalog!r} catalog; "
                               f"open it with Recommender(catalog={rec.catalog!r})")
        owner = rec.state.get("user_id")
        if user and owner != user:
            raise SessionError(f"session {session_id!r} is not one of user {user!r}'s; start "
                               "a new one (no session id)")
        if owner and link is None:
            link = UserLink(self.store, str(owner), self.catalog.name)
        prefs = Preferences.from_dict(rec.state.get("prefs", {}))
        s = Session(self.pipeline, self.store, self._locks, session_id, prefs, rec.turns,
                    int(rec.state.get("turn", 0)), link)
        s.refresh_from_user()
        return s

    def warm(self, progress: Callable[[str], None] | None = None) -> tuple[str, ...]:
        """Load now what the first turn would load, so that the first reply costs what a later
        one does: the embedder (its model and first run), the index (Chroma's first query), the
        candidate generator's tables, the vocabulary's vectors (meaning matching), the language
        model (when a turn calls it: see ``TurnPipeline.uses_llm``), then one rehearsal turn
        (nothing stored) for whatever else a turn computes on first use. ``progress`` is told
        each step's name before it runs. Returns the steps done (also kept in ``warmed``); a
        backend that cannot work is left out, and the turns report it."""
        steps: list[tuple[str, Callable[[], None]]] = [
            ("embedder", self.embedder.warm), ("index", self.index.warm),
            ("candidates", self.generator.warm)]
        meaning = self.understander.meaning
        if meaning is not None:  # the vocabulary's vectors: 3.5 s for movies when not cached
            steps.append(("vocabulary", meaning.warm))
        if self.llm is not None and self.pipeline.uses_llm():
            steps.append(("model", self.llm.warm))
        steps.append(("first turn", self._rehearse))
        ready: list[str] = []
        for name, step in steps:
            if progress is not None:
                progress(name)
            try:
                step()
            except BackendError as e:
                log.warning("the language model is not ready: %s", e)
                continue
            ready.append(name)
        self.warmed = tuple(ready)
        return self.warmed

    def _rehearse(self) -> None:
        """One turn about the catalog's most popular item, thrown away: it computes what a turn
        computes on first use (regular expressions, the ranking prompt, llama.cpp's prompt
        cache; measured: the first turn cost 1.2-1.4x a warm one without this, 1.0-1.1x with
        it). A backend that sends text off this machine is left out (a paid request)."""
        top = self.generator.popular(1)
        if not top:
            return
        llm = self.llm if self.llm is not None and self.llm.is_local else None
        message = f"I loved {self.catalog.items[top[0]].title}, something like it please"
        for _ in dataclasses.replace(self.pipeline, llm=llm).run(message, Preferences(), 1,
                                                                 History()):
            pass

    def predict_fit(self, item_id: str, prefs: Preferences) -> float | None:
        """A 1-5 estimate of how much a user with ``prefs`` would like the item."""
        return self.pipeline.answers.predict_fit(item_id, prefs)
