"""FallbackBackend (a primary and its fallbacks, per call) and build_backend, with the test doubles."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chatrec.errors import (
    BackendBusy,
    BackendError,
    BackendReplyError,
    BackendUnavailable,
    ConfigError,
)
from chatrec.llm import build_backend, clear_backend_cache, create_backend
from chatrec.llm.base import (
    JSON_GEN,
    NO_CAPABILITIES,
    TEXT_GEN,
    Capabilities,
    Generation,
    LLMBackend,
    Message,
)
from chatrec.llm.fake import FailingLLM, FakeLLM
from chatrec.llm.fallback import Deferred, FallbackBackend, FallbackStream
from chatrec.llm.local import LocalLlamaBackend
from chatrec.settings import Settings

MSGS = [Message("user", "Something with space")]
SCHEMA: dict[str, Any] = {"type": "object", "properties": {"a": {"type": "integer"}},
                          "required": ["a"]}
BOTH = Capabilities(writes_reasons=True, extracts_preferences=True)


def named(name: str, llm: FakeLLM) -> FakeLLM:
    llm.name = name
    return llm


class BreaksMidway(FakeLLM):
    """Streams its first chunk, then fails; ``closed_streams`` counts streams closed early."""

    name = "fake:midway"

    def __init__(self) -> None:
        super().__init__()
        self.closed_streams = 0

    def stream_text(self, messages: list[Message], *,
                    gen: Generation = TEXT_GEN) -> Iterator[str]:
        def chunks() -> Iterator[str]:
            try:
                yield "Once upon"
                raise BackendError("the connection dropped")
            except GeneratorExit:
                self.closed_streams += 1
                raise

        return chunks()


class RaisesAtCall(FakeLLM):
    """Fails when called, before returning a stream (as a schema llama.cpp cannot compile)."""

    name = "fake:at-call"

    def stream_json(self, messages: list[Message], schema: dict[str, Any], *,
                    gen: Generation = JSON_GEN) -> Iterator[str]:
        raise BackendError("cannot turn the JSON schema into a grammar")


class Counting:
    """A Deferred's ``create`` that counts its calls and fails or returns ``backend``."""

    def __init__(self, backend: LLMBackend | None = None,
                 error: BackendError | None = None) -> None:
        self.backend, self.error, self.calls = backend, error, 0

    def __call__(self) -> LLMBackend:
        self.calls += 1
        if self.error is not None:
            raise self.error
        assert self.backend is not None
        return self.backend


# --- per call ---------------------------------------------------------------------------------------
def test_the_primary_answers_when_it_can() -> None:
    primary, backup = named("primary", FakeLLM(["hello"])), FakeLLM()
    stream = FallbackBackend(primary, backup).stream_text(MSGS)
    assert isinstance(stream, FallbackStream) and stream.answered_by is None  # lazy
    assert "".join(stream) == "hello"
    assert stream.answered_by == "primary" and stream.failures == []
    assert backup.calls == []


def test_a_primary_failing_before_output_hands_the_call_to_the_fallback() -> None:
    primary = named("openai:test", FakeLLM([BackendUnavailable("connection refused")]))
    backup = FakeLLM([{"a": 1}])
    llm = FallbackBackend(primary, backup)
    stream = llm.stream_json(MSGS, SCHEMA, gen=Generation(max_tokens=40))
    assert "".join(stream) == '{"a": 1}'
    assert stream.answered_by == "fake"
    (failure,) = stream.failures
    assert failure.backend == "openai:test" and not failure.unavailable
    assert str(failure) == "openai:test: connection refused"
    # both were asked the same question, the same way
    assert primary.calls[0].schema is SCHEMA and backup.calls[0].schema is SCHEMA
    assert primary.calls[0].gen == backup.calls[0].gen == Generation(max_tokens=40)
    # per call: the next call asks the primary first again
    assert llm.complete_json(MSGS, SCHEMA) == {"a": 0}
    assert len(primary.calls) == 2 and len(backup.calls) == 1


def test_any_backend_error_falls_back_even_when_raised_at_call_time() -> None:
    stream = FallbackBackend(RaisesAtCall(), FakeLLM([{"a": 2}])).stream_json(MSGS, SCHEMA)
    assert "".join(stream) == '{"a": 2}'
    assert [f.backend for f in stream.failures] == ["fake:at-call"]
    replies = FallbackBackend(FakeLLM([BackendReplyError("cut off")]), FakeLLM(["ok"]))
    assert "".join(replies.stream_text(MSGS)) == "ok"


def test_a_failure_after_output_started_is_raised_not_mixed() -> None:
    primary, backup = BreaksMidway(), FakeLLM(["never"])
    stream = FallbackBackend(primary, backup).stream_text(MSGS)
    assert next(stream) == "Once upon"
    with pytest.raises(BackendError, match="connection dropped"):
        list(stream)
    assert stream.answered_by == "fake:midway" and stream.failures == []
    assert backup.calls == []


def test_closing_the_stream_closes_the_answering_backends_stream() -> None:
    primary = BreaksMidway()
    stream = FallbackBackend(primary, FakeLLM()).stream_text(MSGS)
    assert next(stream) == "Once upon"
    stream.close()
    assert primary.closed_streams == 1
    with pytest.raises(StopIteration):
        next(stream)


def test_a_bug_is_not_a_backend_failure() -> None:
    backup = FakeLLM()
    stream = FallbackBackend(FakeLLM([KeyError("oops")]), backup).stream_text(MSGS)
    with pytest.raises(KeyError):
        list(stream)
    assert backup.calls == []


def test_when_every_member_fails_one_error_lists_each() -> None:
    llm = FallbackBackend(named("local", FakeLLM([BackendUnavailable("model file missing")])),
                          named("openai:m", FakeLLM([BackendError("HTTP 500")])))
    stream = llm.stream_text(MSGS)
    with pytest.raises(BackendError) as e:
        list(stream)
    assert not isinstance(e.value, BackendUnavailable)
    assert str(e.value) == ("every LLM backend failed: local: model file missing; "
                            "openai:m: HTTP 500")
    assert stream.answered_by is None and len(stream.failures) == 2
    down = FallbackBackend(FailingLLM("down"), FailingLLM("down too"))
    with pytest.raises(BackendUnavailable, match="down; fake:failing: down too"):
        list(down.stream_text(MSGS))


def test_a_busy_member_hands_the_call_to_the_next() -> None:
    busy = named("local", FakeLLM([BackendBusy("busy with another conversation")]))
    backup = FakeLLM()
    gen = Generation(max_tokens=20).within(5.0)
    stream = FallbackBackend(busy, backup).stream_text(MSGS, gen=gen)
    assert "".join(stream) == backup.text and stream.answered_by == "fake"
    (failure,) = stream.failures
    assert failure.busy and not failure.unavailable and failure.backend == "local"
    assert backup.calls[0].gen == gen  # the same deadline, passed on


def test_every_member_busy_or_unavailable_raises_busy() -> None:
    llm = FallbackBackend(FailingLLM("no key"), named("local", FakeLLM([BackendBusy("busy")])))
    with pytest.raises(BackendBusy, match="fake:failing: no key; local: busy"):
        list(llm.stream_text(MSGS))
    mixed = FallbackBackend(FakeLLM([BackendBusy("busy")]), FakeLLM([BackendError("HTTP 500")]))
    with pytest.raises(BackendError) as e:
        list(mixed.stream_text(MSGS))
    assert not isinstance(e.value, BackendBusy)


def test_no_member_is_asked_once_the_deadline_has_passed() -> None:
    first = FakeLLM([BackendBusy("busy")])
    backup = FakeLLM()
    gen = Generation(max_tokens=20, deadline=time.monotonic() - 0.01)
    with pytest.raises(BackendBusy):
        list(FallbackBackend(first, backup).stream_text(MSGS, gen=gen))
    assert len(first.calls) == 1 and backup.calls == []  # the first is always asked


def test_a_single_member_raises_its_own_error() -> None:
    error = BackendReplyError("not JSON")
    with pytest.raises(BackendReplyError) as e:
        list(FallbackBackend(FakeLLM([error])).stream_text(MSGS))
    assert e.value is error


# --- members created on first use ------------------------------------------------------------------
def test_a_primary_unavailable_at_creation_is_not_retried() -> None:
    create = Counting(error=BackendUnavailable("no model file at /m.gguf"))
    backup = FakeLLM()
    llm = FallbackBackend(Deferred("local", create), backup)
    assert create.calls == 0  # nothing is created before it is needed
    for _ in range(3):
        stream = llm.stream_text(MSGS)
        assert "".join(stream) == backup.text
        assert stream.answered_by == "fake"
        (failure,) = stream.failures
        assert failure.backend == "local" and failure.unavailable
        assert "no model file at /m.gguf" in str(failure.error)
    assert create.calls == 1 and len(backup.calls) == 3


def test_a_deferred_member_is_created_once_and_shared() -> None:
    fake = FakeLLM()
    create = Counting(backend=fake)
    llm = FallbackBackend(Deferred("fake", create))
    out: list[str] = []
    threads = [threading.Thread(target=lambda: out.append("".join(llm.stream_text(MSGS))))
               for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert out == [fake.text] * 6 and create.calls == 1 and len(fake.calls) == 6


def test_name_and_capabilities_are_the_first_working_members() -> None:
    remote = named("openai:m", FakeLLM(capabilities=BOTH))
    remote.is_local = False
    llm = FallbackBackend(FakeLLM(), remote)
    assert llm.name == "fake" and llm.capabilities == FakeLLM().capabilities
    assert llm.is_local is False  # the fallback may send the conversation off this machine
    gone = FallbackBackend(Deferred("local", Counting(error=BackendUnavailable("no file"))),
                           remote)
    assert gone.name == "openai:m" and gone.capabilities == BOTH
    nothing = FallbackBackend(Deferred("local", Counting(error=BackendUnavailable("no file"))))
    assert nothing.name == "local" and nothing.capabilities == NO_CAPABILITIES
    assert repr(gone) == "FallbackBackend('local', 'openai:m')"


def test_close_closes_the_members_created() -> None:
    made, never = FakeLLM(), Counting(backend=FakeLLM())
    llm = FallbackBackend(made, Deferred("never", never))
    llm.close()
    assert made.closed and never.calls == 0


# --- build_backend ------------------------------------------------------------------------------------
def test_no_backend_without_the_llm() -> None:
    assert build_backend(Settings(use_llm=False)) is None
    assert build_backend(Settings(use_llm=False), primary=FakeLLM()) is None


def test_a_given_primary_without_fallback_is_used_as_is() -> None:
    fake = FakeLLM()
    assert build_backend(Settings(backend="fake"), primary=fake) is fake
    same = Settings(backend="fake", fallback_backend=" FAKE ")
    assert build_backend(same, primary=fake) is fake  # the fallback names the same backend


def test_a_given_primary_with_a_fallback() -> None:
    llm = build_backend(Settings(backend="openai", fallback_backend="fake"),
                        primary=FailingLLM("refused"))
    assert isinstance(llm, FallbackBackend)
    stream = llm.stream_text(MSGS)
    assert "".join(stream) == FakeLLM().text
    assert stream.answered_by == "fake" and str(stream.failures[0]) == "fake:failing: refused"


def test_a_named_backend_is_created_on_first_use() -> None:
    llm = build_backend(Settings(backend="fake"))
    assert isinstance(llm, FallbackBackend) and repr(llm) == "FallbackBackend('fake')"
    assert llm.name == "fake" and llm.capabilities == FakeLLM().capabilities
    assert "".join(llm.stream_text(MSGS)) == FakeLLM().text


@pytest.mark.parametrize(("settings", "words"), [
    (Settings(backend="/nowhere/model.gguf"), "/nowhere/model.gguf"),
    (Settings(backend="openai", openai_api_key=None, openai_base_url=None), "OPENAI_API_KEY"),
])
def test_an_unavailable_backend_fails_the_call_not_the_build(settings: Settings,
                                                             words: str) -> None:
    llm = build_backend(settings)  # does not raise
    assert llm is not None and llm.capabilities == NO_CAPABILITIES
    with pytest.raises(BackendUnavailable, match=words):
        list(llm.stream_text(MSGS))
    with_fallback = build_backend(settings.replace(fallback_backend="fake"))
    assert with_fallback is not None
    stream = with_fallback.stream_json(MSGS, SCHEMA)
    assert isinstance(stream, FallbackStream)
    assert "".join(stream) == '{"a": 0}' and stream.answered_by == "fake"
    assert stream.failures[0].unavailable and words in str(stream.failures[0].error)


@pytest.mark.parametrize("settings", [
    Settings(backend="gpt4"), Settings(backend="fake", fallback_backend="ollama"),
])
def test_a_bad_spec_is_a_config_error_at_once(settings: Settings) -> None:
    with pytest.raises(ConfigError, match='"openai:<model>"'):
        build_backend(settings)


def test_a_local_model_is_not_loaded_by_building(tmp_path: Path) -> None:
    model = tmp_path / "tiny.gguf"
    model.write_bytes(b"GGUF" + b"\0" * 64)  # passes the cheap check; never loaded here
    settings = Settings(backend=str(model), fallback_backend="openai:gpt-4o-mini",
                        openai_api_key="sk-test-0123456789", n_threads=1)
    try:
        llm = build_backend(settings)
        assert llm is not None and llm.name == "local:tiny"
        assert llm.capabilities == Capabilities(writes_reasons=False, extracts_preferences=False,
                                                orders_candidates=False)
        local = create_backend(str(model), settings)  # the same, cached, backend
        assert isinstance(local, LocalLlamaBackend) and not local.loaded
        assert llm.is_local is False  # the OpenAI fallback would leave the machine
    finally:
        clear_backend_cache()


def test_an_unfinished_stream_releases_its_backend_when_dropped_without_gc() -> None:
    """A local backend holds its lock while a stream is open: a stream the ranker stops early
    must let go of it when dropped, not at the next garbage collection (that hung turn 2)."""
    import gc

    released: list[bool] = []

    class Holds(FakeLLM):
        def stream_json(self, messages: list[Message], schema: dict[str, Any], *,
                        gen: Generation = JSON_GEN) -> Iterator[str]:
            def chunks() -> Iterator[str]:
                try:
                    yield from ('{"a"', ": 1", "}")
                finally:
                    released.append(True)
            return chunks()

    gc.disable()
    try:
        stream = FallbackBackend(Holds()).stream_json(MSGS, SCHEMA)
        assert next(stream) == '{"a"'
        del stream
        assert released == [True]
    finally:
        gc.enable()
