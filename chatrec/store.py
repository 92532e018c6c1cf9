"""Session storage: every turn, the profile, picks and feedback are written before a reply returns.

SQLite (WAL) by default: one file under the data directory, safe for many threads.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chatrec.errors import SessionError


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
    def create(self, session_id: str, catalog: str, state: dict[str, Any]) -> None: ...

    @abstractmethod
    def load(self, session_id: str) -> SessionRecord | None: ...

    @abstractmethod
    def append(self, session_id: str, state: dict[str, Any], turns: list[TurnRecord]) -> None:
        """Add turns (numbered by the store, in ``TurnRecord.idx``) and replace the state,
        atomically."""

    @abstractmethod
    def list_sessions(self, limit: int = 50) -> list[tuple[str, str, float]]: ...

    def close(self) -> None:  # noqa: B027
        pass


_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, catalog TEXT NOT NULL, state TEXT NOT NULL,
    created REAL NOT NULL, updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS turns (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL, role TEXT NOT NULL, text TEXT NOT NULL, reply TEXT, ts REAL NOT NULL,
    PRIMARY KEY (session_id, idx));
"""


class SQLiteStore(SessionStore):
    """Sessions in one SQLite file (WAL mode), one connection per thread."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._write_lock = threading.Lock()
        with self._conn() as c:
            c.executescript(_SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        c = getattr(self._local, "conn", None)
        if c is None:
            c = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                check_same_thread=False)
            c.execute("PRAGMA journal_mode=WAL")
            c.execute("PRAGMA synchronous=FULL")
            c.execute("PRAGMA foreign_keys=ON")
            self._local.conn = c
        return c

    def create(self, session_id: str, catalog: str, state: dict[str, Any]) -> None:
        now = time.time()
        with self._write_lock:
            self._conn().execute(
                "INSERT INTO sessions (id, catalog, state, created, updated) VALUES (?,?,?,?,?)",
                (session_id, catalog, json.dumps(state), now, now))

    def load(self, session_id: str) -> SessionRecord | None:
        c = self._conn()
        row = c.execute("SELECT id, catalog, state, created, updated FROM sessions WHERE id=?",
                        (session_id,)).fetchone()
        if row is None:
            return None
        try:
            state = json.loads(row[2])
            turns = [TurnRecord(idx, role, text, json.loads(reply) if reply else None, ts)
                     for idx, role, text, reply, ts in c.execute(
                         "SELECT idx, role, text, reply, ts FROM turns WHERE session_id=? "
                         "ORDER BY idx", (session_id,))]
        except json.JSONDecodeError as e:
            raise SessionError(f"session {session_id} is stored damaged: {e}") from e
        return SessionRecord(row[0], row[1], state, turns, row[3], row[4])

    def append(self, session_id: str, state: dict[str, Any], turns: list[TurnRecord]) -> None:
        with self._write_lock:
            c = self._conn()
            c.execute("BEGIN IMMEDIATE")
            try:
                cur = c.execute("UPDATE sessions SET state=?, updated=? WHERE id=?",
                                (json.dumps(state), time.time(), session_id))
                if cur.rowcount != 1:
                    raise SessionError(f"unknown session {session_id}")
                # numbering is the store's: two writers of one session never collide
                (nxt,) = c.execute("SELECT COALESCE(MAX(idx) + 1, 0) FROM turns WHERE session_id=?",
                                   (session_id,)).fetchone()
                for n, t in enumerate(turns):
                    t.idx = int(nxt) + n
                c.executemany(
                    "INSERT INTO turns (session_id, idx, role, text, reply, ts) VALUES (?,?,?,?,?,?)",
                    [(session_id, t.idx, t.role, t.text,
                      json.dumps(t.reply) if t.reply is not None else None, t.ts) for t in turns])
                c.execute("COMMIT")
            except BaseException:
                c.execute("ROLLBACK")
                raise

    def list_sessions(self, limit: int = 50) -> list[tuple[str, str, float]]:
        return [(r[0], r[1], r[2]) for r in self._conn().execute(
            "SELECT id, catalog, updated FROM sessions ORDER BY updated DESC LIMIT ?", (limit,))]

    def close(self) -> None:
        c = getattr(self._local, "conn", None)
        if c is not None:
            c.close()
            self._local.conn = None


class MemoryStore(SessionStore):
    """Test double: sessions in a dict (lost at exit)."""

    def __init__(self) -> None:
        self._data: dict[str, SessionRecord] = {}
        self._lock = threading.Lock()

    def create(self, session_id: str, catalog: str, state: dict[str, Any]) -> None:
        now = time.time()
        with self._lock:
            self._data[session_id] = SessionRecord(session_id, catalog, json.loads(json.dumps(state)),
                                                   [], now, now)

    def load(self, session_id: str) -> SessionRecord | None:
        with self._lock:
            r = self._data.get(session_id)
            if r is None:
                return None
            return SessionRecord(r.session_id, r.catalog, json.loads(json.dumps(r.state)),
                                 list(r.turns), r.created, r.updated)

    def append(self, session_id: str, state: dict[str, Any], turns: list[TurnRecord]) -> None:
        with self._lock:
            r = self._data.get(session_id)
            if r is None:
                raise SessionError(f"unknown session {session_id}")
            r.state = json.loads(json.dumps(state))
            nxt = (r.turns[-1].idx + 1) if r.turns else 0
            for n, t in enumerate(turns):
                t.idx = nxt + n
            r.turns.extend(turns)
            r.updated = time.time()

    def list_sessions(self, limit: int = 50) -> list[tuple[str, str, float]]:
        with self._lock:
            rs = sorted(self._data.values(), key=lambda r: -r.updated)[:limit]
            return [(r.session_id, r.catalog, r.updated) for r in rs]
