"""Test doubles that implement :class:`~chatrec.llm.base.LLMBackend` without any model.

They ship in the package (not only under ``tests/``) so that other modules' tests, demos and the
``--backend fake`` command-line option can use them.

* :class:`FakeLLM` - scripted replies, or, with no script, a generic valid reply for any schema.
* :class:`FailingLLM` - raises the same error on every call (for fallback / error-path tests).
* :class:`SlowLLM` - wraps another backend and waits before (and between) chunks (timeout tests).

Every double records its calls in ``self.calls`` and streams in several small chunks, like a real
backend. Like the real backends, the ``stream_*`` methods raise when the returned iterator is
first advanced (errors surface while consuming the stream), but the call itself is recorded at
once.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

from chatrec.errors import BackendUnavailable
from chatrec.llm.base import JSON_GEN, TEXT_GEN, Capabilities, Generation, LLMBackend, Message

#: What a scripted reply may be. A callable is given ``(messages, schema)`` (``schema`` is None for
#: ``stream_text``) and returns the reply text or a JSON-able dict; it may also raise.
Responder = Callable[[list[Message], dict[str, Any] | None], str | dict[str, Any]]
Reply = str | dict[str, Any] | BaseException | type[BaseException] | Responder

DEFAULT_TEXT = "fake text"
#: what a FakeLLM claims by default: it writes reasons, and is not asked to extract preferences
FAKE_CAPABILITIES = Capabilities(writes_reasons=True, extracts_preferences=False)


@dataclass(frozen=True)
class FakeCall:
    """One recorded call of a fake backend."""

    kind: Literal["text", "json"]
    messages: list[Message]
    schema: dict[str, Any] | None
    gen: Generation


def _chunks(text: str, size: int) -> Iterator[str]:
    for i in range(0, len(text), max(1, size)):
        yield text[i:i + max(1, size)]


# --- a generic valid value for a JSON schema ------------------------------------------------------
def fake_value(schema: dict[str, Any]) -> Any:
    """A small value that is valid against ``schema`` (the subset of JSON Schema chatrec uses).

    Objects get their required properties (all properties when none is marked required); arrays get
    ``minItems`` items (2 when unspecified, capped by ``maxItems``); ``enum`` values are picked in
    order without repeating within one array; strings are ``"fake text"`` cut/padded to
    ``maxLength``/``minLength``; numbers are 0 moved into ``minimum``..``maximum``.
    """
    return _Walker(schema).value(schema, {})


class _Walker:
    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        seen = 0
        while isinstance(schema, dict) and "$ref" in schema and seen < 32:
            ref = str(schema["$ref"])
            if not ref.startswith("#"):
                raise ValueError(f"fake_value: only local $ref is supported, got {ref!r}")
            node: Any = self.root
            for part in [p for p in ref[1:].split("/") if p]:
                node = node[part.replace("~1", "/").replace("~0", "~")]
            schema = node
            seen += 1
        return schema

    def value(self, schema: Any, used: dict[str, int]) -> Any:
        """``used`` counts, per enum, how many values this array scope already took."""
        if schema is True or schema is None or schema == {}:
            return DEFAULT_TEXT
        schema = self.resolve(schema)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            options = list(schema["enum"])
            key = json.dumps(options, sort_keys=True, default=str)
            i = used.get(key, 0)
            used[key] = i + 1
            return options[i % len(options)] if options else None
        for key in ("anyOf", "oneOf"):
            if schema.get(key):
                options = [self.resolve(s) for s in schema[key]]
                non_null = [s for s in options if s.get("type") != "null"]
                return self.value((non_null or options)[0], used)
        if schema.get("allOf"):
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                part = self.resolve(part)
                for k, v in part.items():
                    if k == "properties":
                        merged.setdefault("properties", {}).update(v)
                    elif k == "required":
                        merged.setdefault("required", []).extend(v)
                    else:
                        merged.setdefault(k, v)
            rest = {k: v for k, v in schema.items() if k != "allOf"}
            return self.value({**merged, **rest}, used)
        kind = schema.get("type")
        if isinstance(kind, list):
            kinds = [k for k in kind if k != "null"] or ["null"]
            kind = kinds[0]
        if kind is None:
            kind = ("object" if "properties" in schema else
                    "array" if "items" in schema else "string")
        return getattr(self, "_" + str(kind), self._string)(schema, used)

    def _object(self, schema: dict[str, Any], used: dict[str, int]) -> dict[str, Any]:
        props: dict[str, Any] = schema.get("properties", {})
        names = list(schema["required"]) if "required" in schema else list(props)
        return {name: self.value(props.get(name, {}), used) for name in names}

    def _array(self, schema: dict[str, Any], used: dict[str, int]) -> list[Any]:
        lo = int(schema.get("minItems", 0))
        hi = schema.get("maxItems")
        n = lo if lo > 0 else 2
        if hi is not None:
            n = min(n, int(hi))
        items = schema.get("items", {})
        scope: dict[str, int] = {}  # enums inside the items do not repeat within this array
        if isinstance(schema.get("prefixItems"), list):
            prefix = schema["prefixItems"]
            return [self.value(s, scope) for s in prefix[:max(n, len(prefix))]]
        return [self.value(items, scope) for _ in range(n)]

    def _string(self, schema: dict[str, Any], used: dict[str, int]) -> str:
        fmt = schema.get("format")
        text = {"date": "2024-01-01", "date-time": "2024-01-01T00:00:00Z",
                "email": "fake@example.com", "uri": "https://example.com/",
                "uuid": "00000000-0000-0000-0000-000000000000"}.get(str(fmt), DEFAULT_TEXT)
        lo, hi = int(schema.get("minLength", 0)), schema.get("maxLength")
        if len(text) < lo:
            text = (text + " " + "x" * lo)[:lo]
        if hi is not None:
            text = text[:int(hi)]
        return text

    def _number(self, schema: dict[str, Any], used: dict[str, int]) -> float:
        return float(self._integer(schema, used))

    def _integer(self, schema: dict[str, Any], used: dict[str, int]) -> int:
        v = 0
        if "minimum" in schema:
            v = max(v, int(-(-schema["minimum"] // 1)))
        if "exclusiveMinimum" in schema and not isinstance(schema["exclusiveMinimum"], bool):
            v = max(v, int(schema["exclusiveMinimum"] // 1) + 1)
        if "maximum" in schema:
            v = min(v, int(schema["maximum"] // 1))
        if "exclusiveMaximum" in schema and not isinstance(schema["exclusiveMaximum"], bool):
            v = min(v, int(-(-schema["exclusiveMaximum"] // 1)) - 1)
        return v

    def _boolean(self, schema: dict[str, Any], used: dict[str, int]) -> bool:
        return False

    def _null(self, schema: dict[str, Any], used: dict[str, int]) -> None:
        return None


# --- the doubles ----------------------------------------------------------------------------------
class FakeLLM(LLMBackend):
    """A scripted backend.

    ``replies`` are consumed in order, one per call (``stream_text`` and ``stream_json`` alike):
    a ``str`` is streamed as is, a ``dict`` is dumped as JSON, an exception is raised, a callable
    is called with ``(messages, schema)`` and its result used the same way. When the script is
    used up, every further call gets ``default`` (a reply of the same kinds), or, without one, the
    built-in behaviour: ``stream_json`` streams :func:`fake_value` of the schema and
    ``stream_text`` streams a short fixed sentence. ``responder`` (instead of a script) answers
    every call. ``capabilities``: what it claims it can do (default: it writes reasons and is
    not asked to extract preferences). Thread-safe.
    """

    name = "fake"
    is_local = True

    def __init__(self, replies: Sequence[Reply] | None = None, *,
                 responder: Responder | None = None, default: Reply | None = None,
                 chunk_size: int = 7, text: str = "Here are a few fake suggestions.",
                 capabilities: Capabilities = FAKE_CAPABILITIES) -> None:
        if replies and responder is not None:
            raise ValueError("FakeLLM: give either replies or responder, not both")
        self._script: list[Reply] = list(replies or [])
        self._responder = responder
        self._default = default
        self.chunk_size = chunk_size
        self.text = text
        self.capabilities = capabilities
        self.calls: list[FakeCall] = []
        self.closed = False
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, remaining={len(self._script)})"

    @property
    def remaining(self) -> int:
        """How many scripted replies are left."""
        return len(self._script)

    def _next(self) -> Reply | None:
        with self._lock:
            if self._responder is not None:
                return self._responder
            if self._script:
                return self._script.pop(0)
            return self._default

    def _record(self, kind: Literal["text", "json"], messages: list[Message],
                schema: dict[str, Any] | None, gen: Generation) -> None:
        with self._lock:
            self.calls.append(FakeCall(kind, list(messages), schema, gen))

    def _render(self, reply: Reply | None, messages: list[Message],
                schema: dict[str, Any] | None) -> str:
        if reply is None:
            return json.dumps(fake_value(schema)) if schema is not None else self.text
        if isinstance(reply, BaseException):
            raise reply
        if isinstance(reply, type) and issubclass(reply, BaseException):
            raise reply("scripted FakeLLM error")
        if isinstance(reply, dict):
            return json.dumps(reply)
        if isinstance(reply, str):
            return reply
        responder = cast(Responder, reply)
        return self._render(responder(list(messages), schema), messages, schema)

    def _stream(self, kind: Literal["text", "json"], messages: list[Message],
                schema: dict[str, Any] | None, gen: Generation) -> Iterator[str]:
        self._record(kind, messages, schema, gen)
        reply = self._next()

        def chunks() -> Iterator[str]:
            yield from _chunks(self._render(reply, messages, schema), self.chunk_size)

        return chunks()

    def stream_text(self, messages: list[Message], *,
                    gen: Generation = TEXT_GEN) -> Iterator[str]:
        return self._stream("text", messages, None, gen)

    def stream_json(self, messages: list[Message], schema: dict[str, Any], *,
                    gen: Generation = JSON_GEN) -> Iterator[str]:
        return self._stream("json", messages, schema, gen)

    def close(self) -> None:
        self.closed = True


class FailingLLM(FakeLLM):
    """Raises ``error`` (default: :class:`BackendUnavailable`) on every call; records the calls."""

    name = "fake:failing"

    def __init__(self, error: BaseException | type[BaseException] | str | None = None) -> None:
        if error is None:
            err: BaseException = BackendUnavailable("the fake backend is down (FailingLLM)")
        elif isinstance(error, str):
            err = BackendUnavailable(error)
        elif isinstance(error, type):
            err = error("FailingLLM")
        else:
            err = error
        self.error = err
        super().__init__(responder=self._raise)

    def _raise(self, messages: list[Message], schema: dict[str, Any] | None) -> str:
        raise self.error


class SlowLLM(LLMBackend):
    """Delegates to ``inner`` (default :class:`FakeLLM`) after sleeping ``delay_s`` before the
    first chunk and ``chunk_delay_s`` before each further chunk."""

    name = "fake:slow"

    def __init__(self, delay_s: float, inner: LLMBackend | None = None, *,
                 chunk_delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self.chunk_delay_s = chunk_delay_s
        self.inner: LLMBackend = inner if inner is not None else FakeLLM()
        self.is_local = self.inner.is_local
        self.capabilities = self.inner.capabilities

    def __repr__(self) -> str:
        return f"SlowLLM(delay_s={self.delay_s}, inner={self.inner!r})"

    @property
    def calls(self) -> list[FakeCall]:
        """The inner backend's recorded calls (empty when it records none)."""
        return list(getattr(self.inner, "calls", []))

    def _slow(self, chunks: Iterator[str]) -> Iterator[str]:
        time.sleep(self.delay_s)
        first = True
        for chunk in chunks:
            if not first and self.chunk_delay_s:
                time.sleep(self.chunk_delay_s)
            first = False
            yield chunk

    def stream_text(self, messages: list[Message], *,
                    gen: Generation = TEXT_GEN) -> Iterator[str]:
        return self._slow(self.inner.stream_text(messages, gen=gen))

    def stream_json(self, messages: list[Message], schema: dict[str, Any], *,
                    gen: Generation = JSON_GEN) -> Iterator[str]:
        return self._slow(self.inner.stream_json(messages, schema, gen=gen))

    def close(self) -> None:
        self.inner.close()
