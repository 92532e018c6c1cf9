"""The session store interface and its records: every turn, the profile, picks and feedback are
written before a reply returns."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

UserChange = Callable[[dict[str, Any]], dict[str, Any]]


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


@dataclass
class UserRecord:
    """What is kept about one user in one catalog: ``state`` holds the carried profile
    (``{"prefs": ..., "imports": [...]}``, see :mod:`chatrec.users`)."""

    user_id: str
    catalog: str
    state: dict[str, Any]
    created: float
    updated: float


class SessionStore(ABC):
    """Where sessions live. Implementations must be safe to call from many threads."""

    @abstractmethod
    def create(self, session_id: str, catalog: str, state: dict[str, Any],
               user_id: str | None = None) -> None:
        """A new session; :class:`~chatrec.errors.SessionError` if the id is taken. With
        ``user_id`` the session is recorded as that user's (in the same transaction)."""

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

    # --- users: a profile per (user, catalog), and the sessions each user owns ----------
    @abstractmethod
    def load_user(self, user_id: str, catalog: str) -> UserRecord | None: ...

    @abstractmethod
    def update_user(self, user_id: str, catalog: str, change: UserChange) -> dict[str, Any]:
        """Replace the user's state in this catalog by ``change(current)`` (``{}`` for a new
        user) in one transaction that holds the user's row, so concurrent sessions of one user
        never lose each other's changes; returns the new state. An exception from ``change``
        writes nothing."""

    @abstractmethod
    def user_records(self, user_id: str) -> list[UserRecord]:
        """The user's profile in every catalog (empty for an unknown user)."""

    @abstractmethod
    def user_sessions(self, user_id: str) -> list[str]:
        """Ids of the sessions created for this user, oldest first."""

    @abstractmethod
    def delete_user(self, user_id: str) -> int:
        """Delete everything stored about the user (profiles, sessions and their turns), in
        one transaction; returns how many sessions went."""

    def close(self) -> None:  # noqa: B027
        pass
