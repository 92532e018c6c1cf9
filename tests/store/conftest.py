"""Stores for the store suite: SQLite (a tmp file), the in-memory double, and PostgreSQL when
``CHATREC_TEST_DATABASE_URL`` is set (``make test`` sets it from ``scripts/ci_services.sh``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatrec.store import MemoryStore, SessionStore, SQLStore


@pytest.fixture(scope="session")
def pg_url() -> str:
    url = os.environ.get("CHATREC_TEST_DATABASE_URL")
    if not url:
        pytest.skip("PostgreSQL: CHATREC_TEST_DATABASE_URL is unset (`make test` sets it; or "
                    "export CHATREC_TEST_DATABASE_URL=$(scripts/ci_services.sh | tail -1))")
    return url


def _open(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> SessionStore:
    if kind == "sqlite":
        return SQLStore.sqlite(tmp_path / "sessions.sqlite3")
    if kind == "postgresql":
        return SQLStore(request.getfixturevalue("pg_url"))
    return MemoryStore()


@pytest.fixture(params=["sqlite", "memory", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SessionStore]:
    """Every SessionStore: the contract holds for the double as for the real ones."""
    s = _open(request.param, request, tmp_path)
    yield s
    s.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def sql_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SQLStore]:
    s = _open(request.param, request, tmp_path)
    assert isinstance(s, SQLStore)
    yield s
    s.close()
