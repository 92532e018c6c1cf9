"""The session store interface and its records: every turn, the profile, picks and feedback are
written before a reply returns."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any


@dataclass
class TurnRecord:
    """One message of a conversation (user or assistant), or a feedback event (role "event")."""

    idx: int
    role: str  # "user" | "assistant" | "event"
    text: str
    reply: dict[str, Any] | None = None  # Reply.to_dict() for assistant turns
    ts: float = field(default_factory=time.time)


@dataclass
class SessionRecord:
    session_id: str
    catalog: str
    state: dict[str, Any]  # {"prefs": ..., "turn": n}
    turns: list[TurnRecord]
    created: float
    updated: float


class SessionStore(ABC):
    """Where sessions live. Implementations must be safe to call from many threads."""

    @abstractmethod
    def create(self, session_id: str, catalog: str, state: dict[str, Any]) -> None:
        """A new session; :class:`~chatrec.errors.SessionError` if the id is taken."""

    @abstractmethod
    def load(self, session_id: str) -> SessionRecord | None: ...

    @abstractmethod
    def append(self, session_id: str, state: dict[str, Any], turns: list[TurnRecord]) -> None:
        """Add turns and replace the state, atomically: all of it or, on any error, nothing.

        The store numbers the turns (``TurnRecord.idx`` is set once they are written), so two
        writers of one session never collide."""

    @abstractmethod
    def list_sessions(self, limit: int = 50) -> list[tuple[str, str, float]]:
        """``(session_id, catalog, updated)`` of the most recently updated sessions first."""

    def close(self) -> None:  # noqa: B027
        pass
