"""Shared fixtures. A network guard refuses every connection that is not to this machine."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

LOOPBACK_PREFIXES = ("127.", "::1", "localhost", "0:0:0:0:0:0:0:1")
ATTEMPTS: list[str] = []  # every non-loopback connection tried during the run


def _is_local(address: object) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX path
        return True
    if isinstance(address, tuple) and address:
        host = str(address[0])
        return host.startswith(LOOPBACK_PREFIXES) or host == ""
    return False


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _guarded_connect(self: socket.socket, address: object) -> None:
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address):
        ATTEMPTS.append(repr(address))
        raise ConnectionRefusedError(f"network guard: tests may only connect to loopback, "
                                     f"not {address!r}")
    return _real_connect(self, address)  # type: ignore[arg-type]


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address):
        ATTEMPTS.append(repr(address))
        return 111
    return _real_connect_ex(self, address)  # type: ignore[arg-type]


socket.socket.connect = _guarded_connect  # type: ignore[method-assign,assignment]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign,assignment]


class AttemptLog:
    """A live view of the non-loopback connections attempted since the fixture started."""

    def __init__(self) -> None:
        self.start = len(ATTEMPTS)

    def list(self) -> list[str]:
        return ATTEMPTS[self.start:]


@pytest.fixture
def network_attempts() -> Iterator[AttemptLog]:
    """Non-loopback connections attempted during the test; also checked at teardown."""
    log = AttemptLog()
    yield log
    assert log.list() == [], f"the test tried to reach the network: {log.list()}"


def persistent_test_dir() -> Path:
    """Where tests keep built indexes: persistent across runs (index names carry the catalog's
    content hash, so a stale index is never reused)."""
    d = Path(os.environ.get("CHATREC_TEST_DATA_DIR",
                            Path.home() / ".cache" / "chatrec-test"))
    d.mkdir(parents=True, exist_ok=True)
    return d


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    return persistent_test_dir()


@pytest.fixture(scope="session")
def movies_rec(shared_data_dir: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A real Recommender on the shipped movies catalog (real MiniLM, real Chroma), fake LLM."""
    from chatrec.llm.fake import FakeLLM
    from chatrec.recommender import Recommender
    from chatrec.settings import Settings
    from chatrec.store import SQLiteStore

    settings = Settings.load(env={}, data_dir=str(shared_data_dir))
    store = SQLiteStore(tmp_path_factory.mktemp("sessions") / "s.sqlite3")
    return Recommender(catalog="movies", backend="fake", settings=settings, store=store,
                       llm=FakeLLM())
