"""The SessionStore contract on SQLite, the in-memory double and PostgreSQL (see conftest.py),
then what only the SQL store does: URLs, several processes, files written by earlier versions."""

from __future__ import annotations

import secrets
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from chatrec.errors import ConfigError, SessionError
from chatrec.settings import Settings
from chatrec.store import SessionStore, SQLStore, TurnRecord, open_store
from chatrec.store.sql import normalize_url, sessions_table

REPO = Path(__file__).resolve().parents[2]


def _sid() -> str:
    return "test-" + secrets.token_urlsafe(12)


# --- the contract, on every store -----------------------------------------------------------
def test_create_load_and_append_numbered_by_the_store(store: SessionStore) -> None:
    sid = _sid()
    store.create(sid, "movies", {"prefs": {}, "turn": 0})
    turns = [TurnRecord(-1, "user", "hi"), TurnRecord(-1, "assistant", "hello", {"picks": [1]})]
    store.append(sid, {"prefs": {"a": 1}, "turn": 1}, turns)
    assert [t.idx for t in turns] == [0, 1]
    store.append(sid, {"prefs": {"a": 2}, "turn": 2}, [TurnRecord(99, "event", "like:1")])
    rec = store.load(sid)
    assert rec is not None
    assert rec.session_id == sid and rec.catalog == "movies"
    assert rec.state == {"prefs": {"a": 2}, "turn": 2}
    assert [(t.idx, t.role, t.text) for t in rec.turns] == [
        (0, "user", "hi"), (1, "assistant", "hello"), (2, "event", "like:1")]
    assert rec.turns[1].reply == {"picks": [1]} and rec.turns[0].reply is None
    assert rec.updated >= rec.created > 1e9  # double precision, not 4-byte REAL
    assert abs(rec.turns[0].ts - turns[0].ts) < 1e-3


def test_load_gives_a_copy(store: SessionStore) -> None:
    sid = _sid()
    store.create(sid, "movies", {"prefs": {"liked": ["a"]}})
    store.append(sid, {"prefs": {"liked": ["a"]}}, [TurnRecord(-1, "assistant", "x", {"p": [1]})])
    rec = store.load(sid)
    assert rec is not None and rec.turns[0].reply is not None
    rec.state["prefs"]["liked"].append("b")
    rec.turns[0].reply["p"].append(2)
    again = store.load(sid)
    assert again is not None
    assert again.state == {"prefs": {"liked": ["a"]}} and again.turns[0].reply == {"p": [1]}


def test_unknown_and_duplicate_sessions_are_session_errors(store: SessionStore) -> None:
    sid = _sid()
    assert store.load(sid) is None
    with pytest.raises(SessionError, match="unknown session"):
        store.append(sid, {}, [TurnRecord(-1, "user", "x")])
    store.create(sid, "movies", {"turn": 0})
    with pytest.raises(SessionError, match="already exists"):
        store.create(sid, "games", {})
    rec = store.load(sid)
    assert rec is not None and rec.catalog == "movies" and rec.state == {"turn": 0}


def test_a_failed_append_writes_nothing(store: SessionStore) -> None:
    sid = _sid()
    store.create(sid, "movies", {"turn": 0})
    store.append(sid, {"turn": 1}, [TurnRecord(-1, "user", "kept")])
    bad = [TurnRecord(-1, "user", "lost"), TurnRecord(-1, "assistant", "lost", {"x": object()})]
    with pytest.raises(TypeError):  # the second record cannot be stored, after the state was
        store.append(sid, {"turn": 2}, bad)
    rec = store.load(sid)
    assert rec is not None
    assert rec.state == {"turn": 1} and [t.text for t in rec.turns] == ["kept"]
    assert [t.idx for t in bad] == [-1, -1]  # not numbered: not written
    store.append(sid, {"turn": 2}, [TurnRecord(-1, "user", "next")])
    rec = store.load(sid)
    assert rec is not None and [t.idx for t in rec.turns] == [0, 1]


def test_list_sessions_newest_first(store: SessionStore) -> None:
    a, b, c = _sid(), _sid(), _sid()
    for sid in (a, b, c):
        store.create(sid, "movies", {})
        time.sleep(0.01)
    store.append(a, {"turn": 1}, [TurnRecord(-1, "user", "back again")])
    listed = store.list_sessions(limit=1000)
    mine = [(sid, cat) for sid, cat, _ in listed if sid in (a, b, c)]
    assert mine == [(a, "movies"), (c, "movies"), (b, "movies")]
    updated = [u for _, _, u in listed]
    assert updated == sorted(updated, reverse=True)
    assert len(store.list_sessions(limit=2)) == 2


def test_threads_appending_to_one_session_never_collide(store: SessionStore) -> None:
    sid = _sid()
    store.create(sid, "movies", {})
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        try:
            for i in range(10):
                store.append(sid, {"w": k}, [TurnRecord(-1, "user", f"{k}.{i}"),
                                             TurnRecord(-1, "assistant", f"{k}.{i}")])
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    rec = store.load(sid)
    assert rec is not None
    assert [t.idx for t in rec.turns] == list(range(80))
    # each append's two records stayed adjacent (one transaction)
    assert all(rec.turns[i].text == rec.turns[i + 1].text for i in range(0, 80, 2))
    assert sorted(t.text for t in rec.turns[::2]) == sorted(
        f"{k}.{i}" for k in range(4) for i in range(10))


# --- the SQL store -------------------------------------------------------------------------
def test_a_failed_insert_rolls_back_the_state(sql_store: SQLStore) -> None:
    sid = _sid()
    sql_store.create(sid, "movies", {"turn": 0})
    bad = [TurnRecord(-1, "user", "lost"), TurnRecord(-1, "user", None)]  # type: ignore[arg-type]
    with pytest.raises(SessionError, match="cannot write session"):  # NOT NULL, in the database
        sql_store.append(sid, {"turn": 1}, bad)
    rec = sql_store.load(sid)
    assert rec is not None and rec.state == {"turn": 0} and rec.turns == []


def test_damaged_state_is_a_session_error(sql_store: SQLStore) -> None:
    sid = _sid()
    sql_store.create(sid, "movies", {})
    with sql_store.engine.begin() as c:
        c.execute(sa.update(sessions_table).where(sessions_table.c.id == sid).values(state="{oops"))
    with pytest.raises(SessionError, match="damaged"):
        sql_store.load(sid)


def test_sqlite_threads_on_many_sessions_survive_reopen(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "s.sqlite3"  # the folder is made
    store = SQLStore.sqlite(path)
    for n in range(8):
        store.create(f"s{n}", "movies", {"turn": 0})

    def work(n: int) -> None:
        for k in range(20):
            store.append(f"s{n}", {"turn": k + 1}, [TurnRecord(-1, "user", f"{n}-{k}")])

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    store.close()
    again = SQLStore(f"sqlite:///{path}")
    for n in range(8):
        rec = again.load(f"s{n}")
        assert rec is not None and rec.state["turn"] == 20
        assert [t.text for t in rec.turns] == [f"{n}-{k}" for k in range(20)]
    assert again.engine.connect().exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    again.close()


_WRITER = textwrap.dedent("""
    import sys
    from chatrec.store import SQLStore, TurnRecord
    url, sid, tag = sys.argv[1:4]
    store = SQLStore(url)
    for i in range(25):
        store.append(sid, {"w": tag}, [TurnRecord(-1, "user", f"{tag}.{i}"),
                                       TurnRecord(-1, "assistant", f"{tag}.{i}")])
    print("ok")
""")


def _two_processes_append(url: str) -> None:
    store = SQLStore(url)
    sid = _sid()
    store.create(sid, "movies", {})
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, url, sid, tag], cwd=REPO,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for tag in ("a", "b")]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    rec = store.load(sid)
    store.close()
    assert rec is not None
    assert [t.idx for t in rec.turns] == list(range(100))
    assert sorted(t.text for t in rec.turns[::2]) == sorted(
        f"{tag}.{i}" for tag in "ab" for i in range(25))


def test_two_processes_append_to_one_session_sqlite(tmp_path: Path) -> None:
    _two_processes_append(f"sqlite:///{tmp_path / 'shared.sqlite3'}")


def test_two_processes_append_to_one_session_postgresql(pg_url: str) -> None:
    _two_processes_append(pg_url)


def test_open_store_chooses_by_database_url(tmp_path: Path) -> None:
    default = open_store(Settings.load(env={}, data_dir=str(tmp_path)))
    assert default.dialect == "sqlite"
    assert Path(str(default.url.database)) == tmp_path / "sessions.sqlite3"
    default.create("s", "movies", {})
    default.close()
    assert (tmp_path / "sessions.sqlite3").is_file()
    other = open_store(Settings.load(env={}, data_dir=str(tmp_path),
                                     database_url=f"sqlite:///{tmp_path / 'other.db'}"))
    assert Path(str(other.url.database)) == tmp_path / "other.db"
    assert other.load("s") is None
    other.close()


@pytest.mark.parametrize("url", ["mysql://u:p@h/db", "not a url", "postgresql://u:p@"])
def test_bad_database_urls_say_what_to_do(url: str) -> None:
    with pytest.raises((ConfigError, SessionError)) as e:
        SQLStore(url, connect_timeout_s=1)
    assert "postgresql://" in str(e.value) or "cannot open" in str(e.value)
    assert ":p@" not in str(e.value)  # the password is never echoed


def test_password_is_masked_in_repr() -> None:
    store = SQLStore("sqlite://")
    assert repr(store) == "SQLStore('sqlite://')"
    store.close()
    u = normalize_url("postgres://me:secret@db:5432/chatrec")
    assert u.get_backend_name() == "postgresql"
    assert "secret" not in u.render_as_string(hide_password=True)


# --- files written by earlier versions (sqlite3, no SQLAlchemy) -----------------------------
# The schema and statements of the sqlite3 store this package replaced, verbatim.
_OLD_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, catalog TEXT NOT NULL, state TEXT NOT NULL,
    created REAL NOT NULL, updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS turns (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL, role TEXT NOT NULL, text TEXT NOT NULL, reply TEXT, ts REAL NOT NULL,
    PRIMARY KEY (session_id, idx));
"""


def _old_file(path: Path) -> None:
    c = sqlite3.connect(path, isolation_level=None)
    c.execute("PRAGMA journal_mode=WAL")
    c.executescript(_OLD_SCHEMA)
    c.execute("INSERT INTO sessions (id, catalog, state, created, updated) VALUES (?,?,?,?,?)",
              ("s1", "movies", '{"prefs": {"liked": ["m1"]}, "turn": 1}', 1.7e9, 1.7e9 + 5))
    c.executemany(
        "INSERT INTO turns (session_id, idx, role, text, reply, ts) VALUES (?,?,?,?,?,?)",
        [("s1", 0, "user", "I loved Alien", None, 1.7e9 + 1),
         ("s1", 1, "assistant", "Try Aliens", '{"text": "Try Aliens", "picks": []}', 1.7e9 + 2)])
    c.close()


def _columns(c: sqlite3.Connection, table: str) -> list[tuple[object, ...]]:
    # (name, declared type, not null, primary key position); defaults are none on both sides
    return [(r[1], r[2].upper(), r[3], r[5]) for r in c.execute(f"PRAGMA table_info({table})")]


def _foreign_keys(c: sqlite3.Connection) -> list[tuple[object, ...]]:
    return [(r[2], r[3], r[4], r[6]) for r in c.execute("PRAGMA foreign_key_list(turns)")]


def test_the_schema_is_the_one_earlier_versions_wrote(tmp_path: Path) -> None:
    _old_file(tmp_path / "old.sqlite3")
    SQLStore.sqlite(tmp_path / "new.sqlite3").close()
    old = sqlite3.connect(tmp_path / "old.sqlite3")
    new = sqlite3.connect(tmp_path / "new.sqlite3")
    assert _columns(new, "turns") == _columns(old, "turns")
    # one difference: sessions.id is NOT NULL now; SQLite let the old text primary key hold a
    # NULL, which the old code never wrote
    assert _columns(old, "sessions")[0] == ("id", "TEXT", 0, 1)
    assert _columns(new, "sessions") == [("id", "TEXT", 1, 1), *_columns(old, "sessions")[1:]]
    assert _foreign_keys(new) == _foreign_keys(old) == [("sessions", "session_id", "id", "CASCADE")]
    old.close()
    new.close()


def test_a_file_written_by_earlier_versions_opens_and_continues(tmp_path: Path) -> None:
    path = tmp_path / "sessions.sqlite3"
    _old_file(path)
    store = SQLStore.sqlite(path)
    rec = store.load("s1")
    assert rec is not None
    assert rec.catalog == "movies" and rec.state == {"prefs": {"liked": ["m1"]}, "turn": 1}
    assert (rec.created, rec.updated) == (1.7e9, 1.7e9 + 5)
    assert [(t.idx, t.role, t.text, t.reply, t.ts) for t in rec.turns] == [
        (0, "user", "I loved Alien", None, 1.7e9 + 1),
        (1, "assistant", "Try Aliens", {"text": "Try Aliens", "picks": []}, 1.7e9 + 2)]
    store.append("s1", {"turn": 2}, [TurnRecord(-1, "user", "more like that")])
    assert [s for s, _, _ in store.list_sessions()] == ["s1"]
    store.close()
    raw = sqlite3.connect(path)  # what the old code would read back
    assert raw.execute("SELECT idx, text FROM turns ORDER BY idx").fetchall()[-1] == (
        2, "more like that")
    assert raw.execute("SELECT state FROM sessions").fetchone() == ('{"turn": 2}',)
    assert "sessions_updated_idx" in {r[1] for r in raw.execute("PRAGMA index_list(sessions)")}
    raw.close()
