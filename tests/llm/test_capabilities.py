"""What each backend declares it can do (Capabilities), and the one generation-settings object."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest

from chatrec.llm import clear_backend_cache, create_backend
from chatrec.llm.base import JSON_GEN, TEXT_GEN, Capabilities, Generation, Message
from chatrec.llm.fake import FailingLLM, FakeLLM, SlowLLM
from chatrec.llm.local import LARGE_MODEL_BYTES, LocalLlamaBackend, model_capabilities
from chatrec.llm.openai import OpenAIBackend
from chatrec.settings import Settings

MSGS = [Message("user", "Something with space")]
BOTH = Capabilities(writes_reasons=True, extracts_preferences=True)
NEITHER = Capabilities(writes_reasons=False, extracts_preferences=False, orders_candidates=False)


def _gguf(path: Path, size: int) -> Path:
    """A file that passes the backend's cheap GGUF check; ``size`` bytes, sparse (never loaded)."""
    with path.open("wb") as f:
        f.write(b"GGUF")
        f.truncate(size)
    return path


# --- Capabilities ---------------------------------------------------------------------------------
def test_local_capabilities_follow_the_model_file_size(tmp_path: Path) -> None:
    small = _gguf(tmp_path / "small.gguf", 4096)
    large = _gguf(tmp_path / "large.gguf", LARGE_MODEL_BYTES)
    assert model_capabilities(small) == NEITHER  # the default 135M model: its order is the code's
    assert model_capabilities(large) == BOTH
    assert model_capabilities(tmp_path / "gone.gguf") == NEITHER
    try:
        assert create_backend(str(small), Settings(n_threads=1)).capabilities == NEITHER
        big = create_backend(str(large), Settings(n_threads=1))
        assert isinstance(big, LocalLlamaBackend) and not big.loaded
        assert big.capabilities == BOTH
    finally:
        clear_backend_cache()


@pytest.mark.parametrize(("base_url", "extracts"), [
    (None, True), ("https://my-llm.example.com/v1", True),
    ("http://127.0.0.1:8080/v1", False),  # a loopback server may run a small model
])
def test_openai_capabilities(base_url: str | None, extracts: bool) -> None:
    b = OpenAIBackend(api_key="sk-test-key-0123456789", base_url=base_url)
    assert b.capabilities == Capabilities(writes_reasons=True, extracts_preferences=extracts)


def test_fake_capabilities_are_a_constructor_argument() -> None:
    assert FakeLLM().capabilities == Capabilities(writes_reasons=True, extracts_preferences=False)
    assert FakeLLM(capabilities=NEITHER).capabilities == NEITHER
    assert FailingLLM().capabilities == FakeLLM().capabilities
    assert SlowLLM(0.0, FakeLLM(capabilities=BOTH)).capabilities == BOTH


# --- Generation -----------------------------------------------------------------------------------
def test_generation_defaults_and_presets() -> None:
    assert Generation() == JSON_GEN == Generation(max_tokens=512, temperature=0.0)
    assert Generation(max_tokens=256, temperature=0.2) == TEXT_GEN
    with pytest.raises(dataclasses.FrozenInstanceError):
        JSON_GEN.max_tokens = 1  # type: ignore[misc]


def test_generation_deadline() -> None:
    assert JSON_GEN.deadline is None and JSON_GEN.remaining() is None
    assert JSON_GEN.within(None) == JSON_GEN.within(0) == JSON_GEN
    start = time.monotonic()
    gen = TEXT_GEN.within(2.0)
    assert (gen.max_tokens, gen.temperature) == (TEXT_GEN.max_tokens, TEXT_GEN.temperature)
    assert gen.deadline is not None and 2.0 <= gen.deadline - start < 2.5
    left = gen.remaining()
    assert left is not None and 1.5 < left <= 2.0
    assert Generation(deadline=start - 1).remaining() < 0  # type: ignore[operator]


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"max_tokens": 0}, "max_tokens"), ({"temperature": -0.1}, "temperature"),
    ({"temperature": 2.5}, "temperature"),
])
def test_generation_is_checked(kwargs: dict[str, float], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        Generation(**kwargs)  # type: ignore[arg-type]


def test_each_call_gets_its_generation() -> None:
    llm = FakeLLM()
    "".join(llm.stream_text(MSGS))
    "".join(llm.stream_json(MSGS, {"type": "object"}))
    llm.complete_json(MSGS, {"type": "object"}, gen=Generation(max_tokens=9))
    assert [c.gen for c in llm.calls] == [TEXT_GEN, JSON_GEN, Generation(max_tokens=9)]
