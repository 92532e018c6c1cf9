"""MemoryStore: the in-memory test double of the session store (sessions are lost at exit)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import replace
from typing import Any

from chatrec.errors import SessionError
from chatrec.store.base import SessionRecord, SessionStore, TurnRecord, UserChange, UserRecord


def _json_copy(value: Any) -> Any:
    """What a SQL store gives back: a JSON round trip (a value JSON cannot hold raises here)."""
    return json.loads(json.dumps(value))


class MemoryStore(SessionStore):
    """Sessions in a dict, with the SQL store's contract: copies in and out, store-numbered turns,
    an append that writes all or nothing."""

    def __init__(self) -> None:
        self._data: dict[str, SessionRecord] = {}
        self._users: dict[tuple[str, str], UserRecord] = {}
        self._owned: dict[str, list[str]] = {}  # user id -> session ids
        self._lock = threading.Lock()

    def create(self, session_id: str, catalog: str, state: dict[str, Any],
               user_id: str | None = None) -> None:
        now = time.time()
        copy = _json_copy(state)
        with self._lock:
            if session_id in self._data:
                raise SessionError(f"session {session_id} already exists")
            self._data[session_id] = SessionRecord(session_id, catalog, copy, [], now, now)
            if user_id is not None:
                self._owned.setdefault(user_id, []).append(session_id)

    def load(self, session_id: str) -> SessionRecord | None:
        with self._lock:
            r = self._data.get(session_id)
            if r is None:
                return None
            return replace(r, state=_json_copy(r.state),
                           turns=[replace(t, reply=_json_copy(t.reply)) for t in r.turns])

    def append(self, session_id: str, state: dict[str, Any], turns: list[TurnRecord]) -> None:
        new_state = _json_copy(state)
        with self._lock:
            r = self._data.get(session_id)
            if r is None:
                raise SessionError(f"unknown session {session_id}")
            nxt = (r.turns[-1].idx + 1) if r.turns else 0
            rows = [replace(t, idx=nxt + n, reply=_json_copy(t.reply)) for n, t in enumerate(turns)]
            r.state = new_state
            r.turns.extend(rows)
            r.updated = time.time()
        for row, t in zip(rows, turns, strict=True):
            t.idx = row.idx

    def list_sessions(self, limit: int = 50) -> list[tuple[str, str, float]]:
        with self._lock:
            rs = sorted(self._data.values(), key=lambda r: -r.updated)[:limit]
            return [(r.session_id, r.catalog, r.updated) for r in rs]

    # --- users --------------------------------------------------------------------------
    def load_user(self, user_id: str, catalog: str) -> UserRecord | None:
        with self._lock:
            r = self._users.get((user_id, catalog))
            return None if r is None else replace(r, state=_json_copy(r.state))

    def update_user(self, user_id: str, catalog: str, change: UserChange) -> dict[str, Any]:
        with self._lock:
            r = self._users.get((user_id, catalog))
            new = _json_copy(change(_json_copy(r.state) if r is not None else {}))
            now = time.time()
            if r is None:
                self._users[(user_id, catalog)] = UserRecord(user_id, catalog, new, now, now)
            else:
                r.state, r.updated = new, now
            return _json_copy(new)

    def user_records(self, user_id: str) -> list[UserRecord]:
        with self._lock:
            return [replace(r, state=_json_copy(r.state))
                    for (uid, _), r in sorted(self._users.items()) if uid == user_id]

    def user_sessions(self, user_id: str) -> list[str]:
        with self._lock:
            return [s for s in self._owned.get(user_id, []) if s in self._data]

    def delete_user(self, user_id: str) -> int:
        with self._lock:
            sids = self._owned.pop(user_id, [])
            gone = sum(self._data.pop(s, None) is not None for s in sids)
            for key in [k for k in self._users if k[0] == user_id]:
                del self._users[key]
            return gone
