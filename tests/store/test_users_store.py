"""The user part of the SessionStore contract, on SQLite, the in-memory double and PostgreSQL
(see conftest.py): one profile per user and catalog, atomic updates, sessions owned by a user,
and a delete that leaves no row of the user."""

from __future__ import annotations

import secrets
import threading

import pytest
import sqlalchemy as sa

from chatrec.errors import SessionError
from chatrec.store import MemoryStore, SessionStore, SQLStore, TurnRecord
from chatrec.store.sql import sessions_table, turns_table, user_sessions_table, users_table


def _uid() -> str:
    return "user-" + secrets.token_urlsafe(8)


def test_update_user_creates_then_changes(store: SessionStore) -> None:
    uid = _uid()
    assert store.load_user(uid, "movies") is None
    new = store.update_user(uid, "movies", lambda s: {**s, "prefs": {"novelty": 0.5}})
    assert new == {"prefs": {"novelty": 0.5}}
    store.update_user(uid, "games", lambda s: {"prefs": {"novelty": 0.1}})
    rec = store.load_user(uid, "movies")
    assert rec is not None and rec.state == {"prefs": {"novelty": 0.5}}
    assert rec.updated >= rec.created > 1e9
    assert [r.catalog for r in store.user_records(uid)] == ["games", "movies"]
    assert store.user_records(_uid()) == []


def test_a_failing_change_writes_nothing(store: SessionStore) -> None:
    uid = _uid()
    store.update_user(uid, "movies", lambda s: {"n": 1})

    def boom(state: dict) -> dict:  # type: ignore[type-arg]
        raise ValueError("half-way")

    with pytest.raises(ValueError):
        store.update_user(uid, "movies", boom)
    rec = store.load_user(uid, "movies")
    assert rec is not None and rec.state == {"n": 1}


def test_concurrent_updates_of_one_user_lose_nothing(store: SessionStore) -> None:
    uid = _uid()

    def bump() -> None:
        for _ in range(10):
            store.update_user(uid, "movies", lambda s: {"n": s.get("n", 0) + 1})

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rec = store.load_user(uid, "movies")
    assert rec is not None and rec.state["n"] == 40


def test_delete_user_removes_profiles_and_sessions_only_theirs(store: SessionStore) -> None:
    alice, bob = _uid(), _uid()
    for uid in (alice, bob):
        store.update_user(uid, "movies", lambda s: {"prefs": {}})
    a1, a2, b1, anon = (f"s-{secrets.token_urlsafe(8)}" for _ in range(4))
    store.create(a1, "movies", {"turn": 0}, user_id=alice)
    store.create(a2, "games", {"turn": 0}, user_id=alice)
    store.create(b1, "movies", {"turn": 0}, user_id=bob)
    store.create(anon, "movies", {"turn": 0})
    for sid in (a1, b1, anon):
        store.append(sid, {"turn": 1}, [TurnRecord(0, "user", "hi")])
    assert store.user_sessions(alice) == [a1, a2]
    assert store.delete_user(alice) == 2
    assert store.load(a1) is None and store.load(a2) is None
    assert store.load_user(alice, "movies") is None and store.user_sessions(alice) == []
    assert store.load(b1) is not None and store.load(anon) is not None
    assert store.load_user(bob, "movies") is not None and store.user_sessions(bob) == [b1]
    with pytest.raises(SessionError):
        store.append(a1, {"turn": 2}, [])
    if isinstance(store, SQLStore):  # not a row of alice is left in any table
        with store.engine.connect() as c:
            assert c.execute(sa.select(sa.func.count()).select_from(users_table)
                             .where(users_table.c.id == alice)).scalar_one() == 0
            assert c.execute(sa.select(sa.func.count()).select_from(user_sessions_table)
                             .where(user_sessions_table.c.user_id == alice)).scalar_one() == 0
            for sid in (a1, a2):
                assert c.execute(sa.select(sa.func.count()).select_from(sessions_table)
                                 .where(sessions_table.c.id == sid)).scalar_one() == 0
                assert c.execute(sa.select(sa.func.count()).select_from(turns_table)
                                 .where(turns_table.c.session_id == sid)).scalar_one() == 0
    else:
        assert isinstance(store, MemoryStore)
        assert store.user_records(alice) == []
