"""Shared fixtures. A network guard refuses every connection that is not to this machine; a
model guard fails every test that loads or runs a real model without the ``slow`` marker."""

from __future__ import annotations

import functools
import importlib.abc
import importlib.machinery
import os
import socket
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

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



# --- the model guard: only tests marked `slow` may load or run a real model ----------------------
MODEL_CLASSES = {  # module: the class holding a real model, and its methods that load or run it
    "sentence_transformers": ("SentenceTransformer", ("__init__", "encode")),
    "llama_cpp": ("Llama", ("__init__", "create_chat_completion")),
}


class ModelGuard:
    """Which running test must not touch a real model (None: any may), and what it touched."""

    def __init__(self) -> None:
        self.unmarked_test: str | None = None
        self.tripped: list[str] = []
        self.lock = threading.Lock()

    def message(self, what: str) -> str:
        return (f"{self.unmarked_test} uses a real model ({what}) but is not marked slow: mark it "
                "slow (`@pytest.mark.slow` or `pytestmark = pytest.mark.slow`), or use the test "
                "doubles (chatrec.retrieve.embed.HashingEmbedder, chatrec.llm.fake.FakeLLM)")

    def check(self, what: str) -> None:
        with self.lock:
            if self.unmarked_test is None:
                return
            self.tripped.append(what)
        pytest.fail(self.message(what), pytrace=True)  # a BaseException: `except Exception` lets it by

    def guard_module(self, module: ModuleType) -> None:
        class_name, methods = MODEL_CLASSES[module.__name__]
        cls = getattr(module, class_name)
        for method in methods:
            setattr(cls, method, self.wrap(f"{module.__name__}.{class_name}.{method}",
                                           getattr(cls, method)))

    def wrap(self, what: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            self.check(what)
            return fn(*args, **kwargs)
        return guarded


MODEL_GUARD = ModelGuard()


class GuardOnImport(importlib.abc.MetaPathFinder):
    """Puts the guard on a model library's classes when it is first imported (importing them
    here would cost every fast run seconds)."""

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if fullname not in MODEL_CLASSES:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        loader = spec.loader if spec else None
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        exec_module = loader.exec_module

        def exec_and_guard(module: ModuleType) -> None:
            exec_module(module)
            MODEL_GUARD.guard_module(module)

        loader.exec_module = exec_and_guard  # type: ignore[method-assign]
        return spec


for _name in MODEL_CLASSES:
    if _name in sys.modules:
        MODEL_GUARD.guard_module(sys.modules[_name])
sys.meta_path.insert(0, GuardOnImport())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Arm the guard for the whole test, fixtures included, unless it is marked slow."""
    MODEL_GUARD.unmarked_test = None if item.get_closest_marker("slow") else item.nodeid
    MODEL_GUARD.tripped = []
    try:
        return (yield)
    finally:
        MODEL_GUARD.unmarked_test = None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Fail the test even if the guard's error was swallowed (a worker thread, a broad except)."""
    result = yield
    if MODEL_GUARD.tripped:
        pytest.fail(MODEL_GUARD.message(", ".join(sorted(set(MODEL_GUARD.tripped)))))
    return result

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


@pytest.fixture(scope="session")
def shared_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The data dir the tests of one run share (indexes, built by the fixtures that need them):
    empty at the start, as on a new machine. ``CHATREC_TEST_DATA_DIR=<folder>`` reuses a folder
    across runs instead (faster; index names carry the catalog's content hash, so a stale index
    is never reused). ``index/`` always exists, so a link to it is never dangling."""
    reuse = os.environ.get("CHATREC_TEST_DATA_DIR")
    d = Path(reuse).expanduser() if reuse else tmp_path_factory.mktemp("data")
    (d / "index").mkdir(parents=True, exist_ok=True)
    return d


@pytest.fixture(scope="session")
def movies_rec(shared_data_dir: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A real Recommender on the shipped movies catalog (real MiniLM, real Chroma), fake LLM."""
    from chatrec.llm.fake import FakeLLM
    from chatrec.recommender import Recommender
    from chatrec.settings import Settings
    from chatrec.store import SQLStore

    settings = Settings.load(env={}, data_dir=str(shared_data_dir))
    store = SQLStore.sqlite(tmp_path_factory.mktemp("sessions") / "s.sqlite3")
    return Recommender(catalog="movies", backend="fake", settings=settings, store=store,
                       llm=FakeLLM())
