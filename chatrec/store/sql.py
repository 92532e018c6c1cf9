"""SQLStore: sessions in SQLite (the default, one file under the data directory) or PostgreSQL
(several app processes), through SQLAlchemy Core, with one schema:

    sessions(id, catalog, state, created, updated)
    turns(session_id, idx, role, text, reply, ts)   PRIMARY KEY (session_id, idx)
    users(id, catalog, state, created, updated)     PRIMARY KEY (id, catalog)
    user_sessions(user_id, session_id, created)     PRIMARY KEY (user_id, session_id)

``SQLStore.sqlite(path)``, ``SQLStore("sqlite:///path.sqlite3")`` or
``SQLStore("postgresql://user:pw@host/db")``. A file written by the sqlite3 store of earlier
versions has this layout and opens as it is.

:meth:`SQLStore.append` numbers the turns itself (``MAX(idx) + 1``) inside one transaction that
first locks the session row (``SELECT ... FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on
SQLite), so two threads or processes appending to one session never collide.

:func:`open_store` picks the database from the settings: ``database_url`` if set, otherwise the
SQLite file under the data directory.
"""

from __future__ import annotations

import importlib.util
import json
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from chatrec.errors import ConfigError, SessionError
from chatrec.store.base import SessionRecord, SessionStore, TurnRecord, UserChange, UserRecord

if TYPE_CHECKING:
    from chatrec.settings import Settings

metadata = sa.MetaData()
# REAL on SQLite (8 bytes there, as earlier versions wrote it), DOUBLE PRECISION on PostgreSQL
# (its REAL is 4 bytes)
_Time: sa.types.TypeEngine[float] = sa.Double().with_variant(sa.REAL(), "sqlite")
sessions_table = sa.Table(
    "sessions", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("catalog", sa.Text, nullable=False),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("created", _Time, nullable=False),
    sa.Column("updated", _Time, nullable=False),
)
turns_table = sa.Table(
    "turns", metadata,
    sa.Column("session_id", sa.Text, sa.ForeignKey("sessions.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("idx", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("reply", sa.Text),
    sa.Column("ts", _Time, nullable=False),
)
users_table = sa.Table(
    "users", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("catalog", sa.Text, primary_key=True),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("created", _Time, nullable=False),
    sa.Column("updated", _Time, nullable=False),
)
user_sessions_table = sa.Table(
    "user_sessions", metadata,
    sa.Column("user_id", sa.Text, primary_key=True),
    sa.Column("session_id", sa.Text, sa.ForeignKey("sessions.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("created", _Time, nullable=False),
)
updated_index = sa.Index("sessions_updated_idx", sessions_table.c.updated)  # list_sessions

_SCHEMA_LOCK_KEY = 0x63686174726563  # "chatrec": serialises CREATE TABLE across processes (postgres)


def normalize_url(url: str) -> URL:
    """A SQLAlchemy URL; ``postgres://`` and bare ``postgresql://`` use psycopg 3 when installed."""
    raw = url.strip()
    if raw.startswith("postgres://"):
        raw = "postgresql://" + raw[len("postgres://"):]
    try:
        u = make_url(raw)
    except Exception as e:  # SQLAlchemy raises ArgumentError, ValueError, ...
        raise ConfigError(f"database_url {_mask(raw)!r} is not a database URL ({e}); use e.g. "
                          "postgresql://user:password@host:5432/chatrec or sqlite:///path "
                          "(CHATREC_DATABASE_URL)") from None
    if u.drivername == "postgresql":
        if importlib.util.find_spec("psycopg") is not None:
            u = u.set(drivername="postgresql+psycopg")
        elif importlib.util.find_spec("psycopg2") is None:
            raise ConfigError("database_url is a PostgreSQL URL but no driver is installed: "
                              "pip install 'psycopg[binary]'")
    if u.get_backend_name() not in ("postgresql", "sqlite"):
        raise ConfigError(f"database_url: {u.get_backend_name()!r} is not supported; use a "
                          "postgresql:// or sqlite:/// URL (CHATREC_DATABASE_URL)")
    return u


def _mask(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unreadable url>"


class SQLStore(SessionStore):
    """Sessions through SQLAlchemy Core: a SQLite file (WAL; many threads, several processes) or
    PostgreSQL (several app processes on several machines)."""

    def __init__(self, url: str | URL, *, pool_size: int = 5, max_overflow: int = 10,
                 connect_timeout_s: float = 10.0) -> None:
        self.url = url if isinstance(url, URL) else normalize_url(url)
        self.dialect = self.url.get_backend_name()
        kwargs: dict[str, Any] = {"pool_pre_ping": True}
        # this process's SQLite writers queue here rather than in SQLite's sleeping busy handler
        self._write_lock: AbstractContextManager[Any] = nullcontext()
        if self.dialect == "sqlite":
            db = self.url.database or ""
            if db in ("", ":memory:"):
                kwargs["poolclass"] = StaticPool  # one shared in-memory database
            elif not db.startswith("file:"):
                Path(db).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
            self._write_lock = threading.Lock()
        else:
            kwargs.update(pool_size=pool_size, max_overflow=max_overflow,
                          connect_args={"connect_timeout": int(max(1, connect_timeout_s)),
                                        "application_name": "chatrec"})
        self.engine: Engine = sa.create_engine(self.url, **kwargs)
        if self.dialect == "sqlite":
            _sqlite_setup(self.engine)
        try:
            self._create_schema()
        except SQLAlchemyError as e:
            self.engine.dispose()
            raise SessionError(f"cannot open the session database {self.masked_url}: "
                               f"{_short(e)}") from e

    @classmethod
    def sqlite(cls, path: str | Path) -> SQLStore:
        """Sessions in the SQLite file at ``path`` (created, with its folder, if missing)."""
        return cls(URL.create("sqlite", database=str(path)))

    @property
    def masked_url(self) -> str:
        return self.url.render_as_string(hide_password=True)

    def __repr__(self) -> str:
        return f"SQLStore({self.masked_url!r})"

    def _create_schema(self) -> None:
        with self.engine.begin() as c:
            if self.dialect == "postgresql":
                # two processes starting at once must not both CREATE TABLE
                c.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SCHEMA_LOCK_KEY})
            metadata.create_all(c, checkfirst=True)
            updated_index.create(c, checkfirst=True)  # also on tables an earlier version made

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        """One write transaction; on SQLite it takes the database's write lock up front."""
        with self._write_lock, self.engine.connect() as conn:
            if self.dialect == "sqlite":
                conn = conn.execution_options(chatrec_immediate=True)
            with conn.begin():
                yield conn

    # --- SessionStore -----------------------------------------------------------------
    def create(self, session_id: str, catalog: str, state: dict[str, Any],
               user_id: str | None = None) -> None:
        now = time.time()
        try:
            with self._writing() as conn:
                conn.execute(sa.insert(sessions_table).values(
                    id=session_id, catalog=catalog, state=json.dumps(state), created=now,
                    updated=now))
                if user_id is not None:
                    conn.execute(sa.insert(user_sessions_table).values(
                        user_id=user_id, session_id=session_id, created=now))
        except IntegrityError as e:
            raise SessionError(f"session {session_id} already exists") from e
        except SQLAlchemyError as e:
            raise SessionError(f"cannot write session {session_id}: {_short(e)}") from e

    def load(self, session_id: str) -> SessionRecord | None:
        try:
            with self.engine.connect() as conn:
                if self.dialect == "postgresql":  # the state and the turns from one snapshot
                    conn = conn.execution_options(isolation_level="REPEATABLE READ")
                with conn.begin():
                    row = conn.execute(
                        sa.select(sessions_table).where(sessions_table.c.id == session_id)).first()
                    if row is None:
                        return None
                    trows = conn.execute(
                        sa.select(turns_table.c.idx, turns_table.c.role, turns_table.c.text,
                                  turns_table.c.reply, turns_table.c.ts)
                        .where(turns_table.c.session_id == session_id)
                        .order_by(turns_table.c.idx)).all()
        except SQLAlchemyError as e:
            raise SessionError(f"cannot read session {session_id}: {_short(e)}") from e
        try:
            state = json.loads(row.state)
            turns = [TurnRecord(int(idx), role, text, json.loads(reply) if reply else None,
                                float(ts)) for idx, role, text, reply, ts in trows]
        except json.JSONDecodeError as e:
            raise SessionError(f"session {session_id} is stored damaged: {e}") from e
        return SessionRecord(row.id, row.catalog, state, turns, float(row.created),
                             float(row.updated))

    def append(self, session_id: str, state: dict[str, Any], turns: list[TurnRecord]) -> None:
        s, t = sessions_table, turns_table
        try:
            with self._writing() as conn:
                # lock the session row: a second writer of this session waits here until we commit
                locked = conn.execute(
                    sa.select(s.c.id).where(s.c.id == session_id).with_for_update()).first()
                if locked is None:
                    raise SessionError(f"unknown session {session_id}")
                conn.execute(sa.update(s).where(s.c.id == session_id)
                             .values(state=json.dumps(state), updated=time.time()))
                nxt = int(conn.execute(
                    sa.select(sa.func.coalesce(sa.func.max(t.c.idx) + 1, 0))
                    .where(t.c.session_id == session_id)).scalar_one())
                rows = [{"session_id": session_id, "idx": nxt + n, "role": r.role,
                         "text": r.text, "ts": r.ts,
                         "reply": json.dumps(r.reply) if r.reply is not None else None}
                        for n, r in enumerate(turns)]
                if rows:
                    conn.execute(sa.insert(t), rows)
        except SQLAlchemyError as e:
            raise SessionError(f"cannot write session {session_id}: {_short(e)}") from e
        for n, rec in enumerate(turns):  # numbered once written
            rec.idx = nxt + n

    def list_sessions(self, limit: int = 50) -> list[tuple[str, str, float]]:
        s = sessions_table
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(sa.select(s.c.id, s.c.catalog, s.c.updated)
                                    .order_by(s.c.updated.desc()).limit(limit)).all()
        except SQLAlchemyError as e:
            raise SessionError(f"cannot list sessions: {_short(e)}") from e
        return [(r[0], r[1], float(r[2])) for r in rows]

    # --- users --------------------------------------------------------------------------
    def load_user(self, user_id: str, catalog: str) -> UserRecord | None:
        u = users_table
        try:
            with self.engine.connect() as conn:
                row = conn.execute(sa.select(u).where(u.c.id == user_id,
                                                      u.c.catalog == catalog)).first()
        except SQLAlchemyError as e:
            raise SessionError(f"cannot read user {user_id!r}: {_short(e)}") from e
        return None if row is None else _user_record(row)

    def update_user(self, user_id: str, catalog: str, change: UserChange) -> dict[str, Any]:
        u = users_table
        insert = (pg_dialect.insert if self.dialect == "postgresql" else sqlite_dialect.insert)
        now = time.time()
        try:
            with self._writing() as conn:
                # make the row exist, then hold it: concurrent writers of one user queue here
                conn.execute(insert(u).values(id=user_id, catalog=catalog, state="{}",
                                              created=now, updated=now)
                             .on_conflict_do_nothing(index_elements=["id", "catalog"]))
                raw = conn.execute(sa.select(u.c.state).where(
                    u.c.id == user_id, u.c.catalog == catalog).with_for_update()).scalar_one()
                new = change(json.loads(raw))
                conn.execute(sa.update(u).where(u.c.id == user_id, u.c.catalog == catalog)
                             .values(state=json.dumps(new), updated=time.time()))
        except SQLAlchemyError as e:
            raise SessionError(f"cannot write user {user_id!r}: {_short(e)}") from e
        return json.loads(json.dumps(new))

    def user_records(self, user_id: str) -> list[UserRecord]:
        u = users_table
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(sa.select(u).where(u.c.id == user_id)
                                    .order_by(u.c.catalog)).all()
        except SQLAlchemyError as e:
            raise SessionError(f"cannot read user {user_id!r}: {_short(e)}") from e
        return [_user_record(r) for r in rows]

    def user_sessions(self, user_id: str) -> list[str]:
        us = user_sessions_table
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(sa.select(us.c.session_id).where(us.c.user_id == user_id)
                                    .order_by(us.c.created, us.c.session_id)).all()
        except SQLAlchemyError as e:
            raise SessionError(f"cannot read user {user_id!r}: {_short(e)}") from e
        return [r[0] for r in rows]

    def delete_user(self, user_id: str) -> int:
        us = user_sessions_table
        owned = sa.select(us.c.session_id).where(us.c.user_id == user_id).scalar_subquery()
        try:
            with self._writing() as conn:
                conn.execute(sa.delete(turns_table).where(turns_table.c.session_id.in_(owned)))
                gone = conn.execute(sa.delete(sessions_table)
                                    .where(sessions_table.c.id.in_(owned))).rowcount
                conn.execute(sa.delete(us).where(us.c.user_id == user_id))
                conn.execute(sa.delete(users_table).where(users_table.c.id == user_id))
        except SQLAlchemyError as e:
            raise SessionError(f"cannot delete user {user_id!r}: {_short(e)}") from e
        return int(gone or 0)

    def close(self) -> None:
        self.engine.dispose()


def _user_record(row: Any) -> UserRecord:
    try:
        state = json.loads(row.state)
    except json.JSONDecodeError as e:
        raise SessionError(f"user {row.id!r} is stored damaged: {e}") from e
    return UserRecord(row.id, row.catalog, state, float(row.created), float(row.updated))


def _sqlite_setup(engine: Engine) -> None:
    """WAL (readers never wait for the writer), FULL sync, foreign keys, a 30 s busy timeout for
    other processes' writes, and BEGIN IMMEDIATE for our writes (no upgrade deadlock)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _rec: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON",
                       "busy_timeout=30000"):
            cur.execute(f"PRAGMA {pragma}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("chatrec_immediate")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _short(e: BaseException) -> str:
    """The first line of a driver error, without SQLAlchemy's statement dump."""
    orig = getattr(e, "orig", None)
    text = str(orig if orig is not None else e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def open_store(settings: Settings) -> SQLStore:
    """The session store the settings ask for: ``database_url`` (e.g. PostgreSQL) if set,
    otherwise the SQLite file under the data directory (``settings.sessions_path``)."""
    if settings.database_url:
        return SQLStore(settings.database_url)
    return SQLStore.sqlite(settings.sessions_path)
