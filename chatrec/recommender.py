"""The entry point of the Python API.

>>> rec = Recommender(catalog="movies", backend="local")
>>> s = rec.session()
>>> reply = s.send("I loved Interstellar, nothing with horror")
"""

from __future__ import annotations

import logging
import secrets
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chatrec.candidates import CandidateGenerator
from chatrec.catalog import Catalog, load_catalog
from chatrec.collab import CollaborativeModel
from chatrec.embed import Embedder, MiniLMEmbedder
from chatrec.errors import BackendError, SessionError
from chatrec.index import VectorIndex
from chatrec.llm.base import LLMBackend, Message, large_local_model
from chatrec.profile import Preferences
from chatrec.prompts import load_prompts
from chatrec.rank import Ranker, describe_item
from chatrec.session import Session
from chatrec.settings import Settings
from chatrec.store import SessionStore

if TYPE_CHECKING:
    from chatrec.understand import Understanding

log = logging.getLogger(__name__)


class Recommender:
    """A catalog, its index and models, an LLM backend and a session store, ready to chat."""

    def __init__(self, catalog: str = "movies", backend: str | None = None, *,
                 settings: Settings | None = None, embedder: Embedder | None = None,
                 store: SessionStore | None = None, llm: LLMBackend | None = None,
                 **overrides: Any) -> None:
        base = settings or Settings.load(**overrides)
        self.settings = base.replace(catalog=catalog, backend=backend or base.backend)
        self.catalog: Catalog = load_catalog(self.settings.catalog, self.settings)
        self.embedder = embedder or MiniLMEmbedder()
        self.index = VectorIndex.open(self.catalog, self.embedder, self.settings)
        self.collab = CollaborativeModel.from_catalog(self.catalog)
        from chatrec.conversations import ConversationModel

        self.conversations = ConversationModel.from_catalog(
            self.catalog, self.embedder, Path(self.settings.data_dir) / "cache")
        self.generator = CandidateGenerator(self.catalog, self.index, self.collab,
                                            retrieve_k=self.settings.retrieve_k,
                                            conversations=self.conversations)
        self.prompts = load_prompts(self.settings.prompts_dir)
        self.ranker = Ranker(self.catalog, self.prompts)
        from chatrec.understand import Understander

        self.understander = Understander(self.catalog)
        if store is None:  # SQLite under the data dir, or database_url (e.g. PostgreSQL)
            from chatrec.store_sql import open_store

            store = open_store(self.settings)
        self.store: SessionStore = store
        self._llm = llm
        self._llm_error: str | None = None
        self._fallback: LLMBackend | None = None
        self._llm_lock = threading.Lock()
        self._session_locks: dict[str, threading.RLock] = {}
        self._session_locks_guard = threading.Lock()

    # --- sessions -------------------------------------------------------------------
    def session(self, session_id: str | None = None) -> Session:
        """A new session, or the stored one with this id (resumed where it left off)."""
        if session_id is None:
            sid = secrets.token_urlsafe(24)  # 192 bits
            prefs = Preferences()
            self.store.create(sid, self.catalog.name, {"prefs": prefs.to_dict(), "turn": 0})
            return Session(self, sid, prefs, [], 0)
        rec = self.store.load(session_id)
        if rec is None:
            raise SessionError(f"no session with id {session_id!r} (it may have been made with "
                               "another data directory)")
        if rec.catalog != self.catalog.name:
            raise SessionError(f"session {session_id!r} belongs to the {rec.catalog!r} catalog; "
                               f"open it with Recommender(catalog={rec.catalog!r})")
        prefs = Preferences.from_dict(rec.state.get("prefs", {}))
        return Session(self, session_id, prefs, rec.turns, int(rec.state.get("turn", 0)))

    def session_lock(self, session_id: str) -> threading.RLock:
        """The lock that serialises changes to one session within this process."""
        with self._session_locks_guard:
            lock = self._session_locks.get(session_id)
            if lock is None:
                lock = self._session_locks[session_id] = threading.RLock()
            return lock

    # --- the LLM ----------------------------------------------------------------------
    def understand(self, text: str, prefs: Preferences, turn: int) -> Understanding:
        """The deterministic reading of ``text``; with a capable backend (settings.llm_extract),
        the LLM extractor's catalog-checked additions merged under it (never over it)."""
        u = self.understander.parse(text, prefs, turn)
        if not self.settings.use_llm or self.settings.llm_extract == "off":
            return u
        try:
            backend = self.llm()
        except BackendError:
            return u
        from chatrec.understand.llm_extract import refine, should_extract

        if not should_extract(backend, self.settings.llm_extract):
            return u
        return refine(u, backend, text, prefs, self.catalog, self.prompts,
                      titles=self.understander.titles, turn=turn)

    @property
    def backend_name(self) -> str:
        return self.settings.backend

    def llm(self) -> LLMBackend:
        """The configured backend, created on first use. Raises BackendError with the fix."""
        with self._llm_lock:
            if self._llm is None:
                from chatrec.llm import create_backend

                self._llm = create_backend(self.settings.backend, self.settings)
            return self._llm

    def llm_writes_reasons(self, backend: LLMBackend) -> bool:
        """Whether to ask this backend for reasons, or only for an order (settings.llm_reasons)."""
        mode = self.settings.llm_reasons
        if mode != "auto":
            return mode == "on"
        large = large_local_model(backend)
        return True if large is None else large

    def fallback_llm(self) -> LLMBackend | None:
        """The configured fallback backend (settings.fallback_backend), or None."""
        fb = self.settings.fallback_backend
        if not fb or fb == self.settings.backend or not self.settings.use_llm:
            return None
        with self._llm_lock:
            if self._fallback is None:
                from chatrec.llm import create_backend

                try:
                    self._fallback = create_backend(fb, self.settings)
                except BackendError as e:
                    log.warning("fallback backend %s unavailable: %s", fb, e)
                    return None
            return self._fallback

    def backend_for_turn(self) -> tuple[LLMBackend | None, str | None]:
        """The backend to use now, or None with a note saying why the code ranks alone."""
        if not self.settings.use_llm:
            return None, None
        try:
            return self.llm(), None
        except BackendError as e:
            fb = self.settings.fallback_backend
            if fb and fb != self.settings.backend:
                try:
                    from chatrec.llm import create_backend

                    with self._llm_lock:
                        self._llm = create_backend(fb, self.settings)
                    return self._llm, f"({self.settings.backend} is unavailable: using {fb}.)"
                except BackendError as e2:
                    log.warning("fallback backend failed too: %s", e2)
            return None, f"(The language model is unavailable: {e}. Ranking without it.)"

    # --- questions about one item ----------------------------------------------------
    def predict_fit(self, item_id: str, prefs: Preferences) -> float | None:
        """A 1-5 estimate of how much this user would like the item."""
        item = self.catalog.get(item_id)
        if item is None:
            return None
        base: float | None = None
        if self.collab is not None:
            base = self.collab.predict_rating(item_id, list(prefs.liked_items),
                                              list(prefs.disliked_items))
        if base is None:
            rf = self.catalog.manifest.rating_field
            v = item.meta.get(rf) if rf else None
            base = float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else 3.0
        attrs = self.catalog.attributes(item)
        base += 0.3 * len(attrs & set(prefs.liked_attrs))
        base -= 1.0 * len(attrs & set(prefs.disliked_attrs))
        return max(1.0, min(5.0, base))

    def answer_about(self, u: Understanding, prefs: Preferences, question: str) -> str:
        """Answer "would I like X?", "what is #2 about?" or "why that one?" from catalog data."""
        item_id = u.question_item or (prefs.last_picks[0] if prefs.last_picks else None)
        item = self.catalog.get(item_id) if item_id else None
        if item is None:
            return "I don't know that title; it isn't in this catalog."
        facts = describe_item(item, self.catalog, max_terms=8)
        overview = item.meta.get("overview")
        fit = self.predict_fit(item.id, prefs)
        attrs = self.catalog.attributes(item)
        good = sorted(attrs & set(prefs.liked_attrs))
        bad = sorted(attrs & set(prefs.disliked_attrs))
        parts = [f"{item.display_title}: {facts}."]
        if isinstance(overview, str) and overview:
            parts.append(overview if len(overview) < 400 else overview[:397] + "…")
        if fit is not None and prefs.has_positive_signal:
            verdict = "likely a good fit" if fit >= 3.7 else (
                "maybe" if fit >= 3.0 else "probably not for you")
            line = f"Predicted fit for you: {fit:.1f}/5 ({verdict})"
            if good:
                line += f"; it has {', '.join(good)} which you like"
            if bad:
                line += f"; but it has {', '.join(bad)} which you said you don't want"
            parts.append(line + ".")
        return " ".join(parts)

    def ask_llm_about(self, item_id: str, question: str, prefs: Preferences) -> str | None:
        """Let the backend phrase an answer from the item's facts (None if it fails)."""
        item = self.catalog.get(item_id)
        if item is None:
            return None
        try:
            llm = self.llm()
            msgs = [Message("system", self.prompts["answer_system"].render(
                        noun=self.catalog.manifest.noun)),
                    Message("user", self.prompts["answer_user"].render(
                        profile=prefs.describe(), item=describe_item(item, self.catalog, 8),
                        question=question[:300]))]
            return "".join(llm.stream_text(msgs, max_tokens=80)).strip() or None
        except BackendError:
            return None
