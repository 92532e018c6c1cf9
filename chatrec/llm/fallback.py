"""One backend made of a primary and its fallbacks, tried in order on every call.

>>> from chatrec.llm.fake import FailingLLM, FakeLLM
>>> llm = FallbackBackend(FailingLLM("server down"), FakeLLM())
>>> stream = llm.stream_text([Message("user", "hi")])
>>> "".join(stream), stream.answered_by, [str(f) for f in stream.failures]
('Here are a few fake suggestions.', 'fake', ['fake:failing: server down'])

Per call, each member is asked in turn while it fails with a :class:`BackendError`
(:class:`BackendUnavailable` included) *before its first chunk*; the first that starts answering
answers the whole call. A failure after output has started is raised as is: two backends' words
are never mixed. When every member fails, the call raises one error that lists each.

A busy member (:class:`BackendBusy`: a local model answering another call, for a call with a
deadline) counts as a failed call: the next member answers, within the same deadline (the
:class:`Generation` is passed on as is; once it has passed, no further member is asked). A model
busy with other users is exactly when a second backend helps, and the user is told who answered.
When every member is busy or unavailable and at least one is busy, the call raises BackendBusy,
so that the caller can say the model is busy.

A member may be a :class:`Deferred` backend, created on first use (a local model is checked, not
loaded, at creation; an OpenAI client needs its key). A creation that fails counts as a failed
call, every time, with the creation error as its message: the error is kept, not retried.

The stream a call returns (:class:`FallbackStream`) says, once consumed, who answered
(``answered_by``) and who failed and why (``failures``), so that the caller can tell the user.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Any

from chatrec.errors import BackendBusy, BackendError, BackendUnavailable
from chatrec.llm.base import (
    JSON_GEN,
    NO_CAPABILITIES,
    TEXT_GEN,
    Capabilities,
    Generation,
    LLMBackend,
    Message,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Deferred:
    """A backend made on first use. ``create`` raises BackendError (e.g. BackendUnavailable: no
    model file, no key) when it cannot be made; ``name`` stands for it until then."""

    name: str
    create: Callable[[], LLMBackend]


@dataclass(frozen=True)
class Failure:
    """One member that did not answer a call."""

    backend: str  # its name (the Deferred's name when it could not be created)
    error: BackendError
    unavailable: bool  # it could not be created at all (as opposed to: its call failed)

    @property
    def busy(self) -> bool:
        """It was answering another call (and this one had a deadline)."""
        return isinstance(self.error, BackendBusy)

    def __str__(self) -> str:
        return f"{self.backend}: {self.error}"


class _Member:
    """One member of a FallbackBackend: a backend, or a Deferred one and what creating it gave."""

    def __init__(self, member: LLMBackend | Deferred) -> None:
        self.deferred = member if isinstance(member, Deferred) else None
        self.backend = member if isinstance(member, LLMBackend) else None
        self.error: BackendError | None = None
        self.lock = threading.Lock()

    @property
    def name(self) -> str:
        if self.backend is not None:
            return self.backend.name
        assert self.deferred is not None
        return self.deferred.name

    def get(self) -> LLMBackend:
        """The backend, created now if needed. Raises the (kept) creation error."""
        with self.lock:
            if self.backend is None and self.error is None:
                assert self.deferred is not None
                try:
                    self.backend = self.deferred.create()
                except BackendError as e:
                    self.error = e
            if self.error is not None:
                raise self.error
            assert self.backend is not None
            return self.backend

    def created(self) -> LLMBackend | None:
        """The backend if it exists or can be made now, else None."""
        try:
            return self.get()
        except BackendError:
            return None


class FallbackStream(Iterator[str]):
    """The chunks of one call, from the first member that starts answering.

    Like every backend's stream, nothing happens until it is first advanced. Once it is
    consumed (or has raised), ``answered_by`` names the backend that answered (None when none
    did) and ``failures`` lists the members that failed before it, in order.
    """

    def __init__(self, members: list[_Member], call: Callable[[LLMBackend], Iterator[str]],
                 gen: Generation) -> None:
        self.failures: list[Failure] = []
        self._answered: list[str] = []
        # no reference back to self: a stream dropped unfinished is freed (and the local model
        # it holds released) at once, not at the next garbage collection
        self._chunks = _first_answer(members, call, gen, self.failures, self._answered)

    @property
    def answered_by(self) -> str | None:
        return self._answered[0] if self._answered else None

    def __next__(self) -> str:
        return next(self._chunks)

    def close(self) -> None:
        """Stop early: the answering backend's stream is closed (a local model is released)."""
        self._chunks.close()


def _first_answer(members: list[_Member], call: Callable[[LLMBackend], Iterator[str]],
                  gen: Generation, failures: list[Failure],
                  answered: list[str]) -> Generator[str, None, None]:
    for member in members:
        left = gen.remaining()
        if failures and left is not None and left <= 0:
            break  # the caller has stopped waiting: no next member is asked
        try:
            backend = member.get()
        except BackendError as e:
            failures.append(Failure(member.name, e, unavailable=True))
            continue
        try:
            chunks = call(backend)
            first = next(chunks, None)  # a stream that raised here is finished
        except BackendError as e:
            failures.append(Failure(backend.name, e, unavailable=False))
            continue
        answered.append(backend.name)
        try:
            if first is not None:
                yield first
                yield from chunks
        finally:
            close = getattr(chunks, "close", None)
            if callable(close):
                close()
        return
    raise _all_failed(failures)


def _all_failed(failures: list[Failure]) -> BackendError:
    if len(failures) == 1:
        return failures[0].error
    text = "every LLM backend failed: " + "; ".join(str(f) for f in failures)
    if all(isinstance(f.error, BackendUnavailable) for f in failures):
        return BackendUnavailable(text)
    if any(f.busy for f in failures) and all(
            f.busy or isinstance(f.error, BackendUnavailable) for f in failures):
        return BackendBusy(text)
    return BackendError(text)


class FallbackBackend(LLMBackend):
    """``primary``, then each of ``fallbacks``, per call (see the module docstring).

    ``capabilities`` and ``name`` are the primary's, or, when the primary cannot be created,
    those of the first member that can (every reply is validated anyway); with no member that
    can be created, it can be trusted with nothing.
    """

    def __init__(self, primary: LLMBackend | Deferred, *fallbacks: LLMBackend | Deferred) -> None:
        self._members = [_Member(m) for m in (primary, *fallbacks)]

    def __repr__(self) -> str:
        return f"FallbackBackend({', '.join(repr(m.name) for m in self._members)})"

    def _first(self) -> LLMBackend | None:
        return next((b for b in (m.created() for m in self._members) if b is not None), None)

    @property
    def name(self) -> str:  # type: ignore[override]
        first = self._first()
        return first.name if first is not None else self._members[0].name

    @property
    def capabilities(self) -> Capabilities:  # type: ignore[override]
        first = self._first()
        return first.capabilities if first is not None else NO_CAPABILITIES

    def unavailable(self) -> list[Failure]:
        """The members before the first that can be created, which cannot be, and why."""
        failures: list[Failure] = []
        for m in self._members:
            if m.created() is not None:
                break
            if m.error is not None:
                failures.append(Failure(m.name, m.error, True))
        return failures

    @property
    def is_local(self) -> bool:  # type: ignore[override]
        """True when no member that can be created sends a byte off this machine."""
        return all(b.is_local for b in (m.created() for m in self._members) if b is not None)

    def stream_text(self, messages: list[Message], *,
                    gen: Generation = TEXT_GEN) -> FallbackStream:
        return FallbackStream(self._members, lambda b: b.stream_text(messages, gen=gen), gen)

    def stream_json(self, messages: list[Message], schema: dict[str, Any], *,
                    gen: Generation = JSON_GEN) -> FallbackStream:
        return FallbackStream(self._members, lambda b: b.stream_json(messages, schema, gen=gen),
                              gen)

    def warm(self) -> None:
        """Create and warm every member that can be; one that cannot is left to its calls."""
        for m in self._members:
            b = m.created()
            if b is not None:
                try:
                    b.warm()
                except BackendError as e:
                    log.warning("%s is not ready: %s", m.name, e)

    def close(self) -> None:
        """Close every member created so far."""
        for m in self._members:
            if m.backend is not None:
                m.backend.close()
