"""Unit tests of chatrec.llm without a model: the fakes, backend specs, JSON parsing, and that
the OpenAI key never leaks (against a stub HTTP server on 127.0.0.1)."""

from __future__ import annotations

import json
import logging
import threading
import time
import traceback
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from chatrec.errors import BackendError, BackendReplyError, BackendUnavailable, ConfigError
from chatrec.llm import (
    BackendSpec,
    available_backends,
    clear_backend_cache,
    create_backend,
    parse_backend_spec,
)
from chatrec.llm.base import Generation, LLMBackend, Message, parse_json_reply
from chatrec.llm.fake import FailingLLM, FakeLLM, SlowLLM, fake_value
from chatrec.llm.openai import OpenAIBackend, is_loopback_url, strict_schema
from chatrec.settings import Settings

PICKS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"picks": {
        "type": "array", "minItems": 2, "maxItems": 3,
        "items": {"type": "object", "properties": {
            "id": {"type": "string", "enum": ["101", "202", "303", "404"]},
            "reason": {"type": "string", "maxLength": 80}},
            "required": ["id", "reason"]}}},
    "required": ["picks"],
}
MSGS = [Message("system", "You recommend movies."), Message("user", "Something with space")]
SECRET = "sk-test-DO-NOT-LEAK-0123456789abcdef"


# --- specs and create_backend ---------------------------------------------------------------------
@pytest.mark.parametrize(("spec", "expected"), [
    ("local", BackendSpec("local")),
    (" LOCAL ", BackendSpec("local")),
    ("fake", BackendSpec("fake")),
    ("openai", BackendSpec("openai")),
    ("openai:gpt-4o-mini", BackendSpec("openai", "gpt-4o-mini")),
    ("OpenAI:my-org/Model-7B", BackendSpec("openai", "my-org/Model-7B")),
    ("/models/x.gguf", BackendSpec("local", "/models/x.gguf")),
    ("models/Y.GGUF", BackendSpec("local", "models/Y.GGUF")),
    ("~/m.gguf", BackendSpec("local", str(Path("~/m.gguf").expanduser()))),
])
def test_parse_backend_spec(spec: str, expected: BackendSpec) -> None:
    assert parse_backend_spec(spec) == expected


@pytest.mark.parametrize("spec", ["", "llama", "openai:", "openai:  ", "gguf", "local:x",
                                  "model.bin", "fake:1"])
def test_parse_backend_spec_rejects(spec: str) -> None:
    with pytest.raises(ConfigError) as e:
        parse_backend_spec(spec)
    for form in ('"local"', '"openai:<model>"', '"fake"', ".gguf"):
        assert form in str(e.value)


@pytest.mark.parametrize(("spec", "settings", "kind", "name"), [
    ("fake", Settings(), FakeLLM, "fake"),
    (None, Settings(backend="fake"), FakeLLM, "fake"),
    ("openai", Settings(openai_api_key=SECRET), OpenAIBackend, "openai:gpt-4o-mini"),
    ("openai:gpt-4.1-nano", Settings(openai_api_key=SECRET), OpenAIBackend, "openai:gpt-4.1-nano"),
    ("openai", Settings(openai_base_url="http://127.0.0.1:9/v1", openai_model="m"),
     OpenAIBackend, "openai:m"),
])
def test_create_backend(spec: str | None, settings: Settings, kind: type, name: str) -> None:
    backend = create_backend(spec, settings)
    assert isinstance(backend, kind)
    assert isinstance(backend, LLMBackend)
    assert backend.name == name


@pytest.mark.parametrize(("spec", "settings", "error", "words"), [
    ("openai", Settings(), BackendUnavailable, ["OPENAI_API_KEY", "OPENAI_BASE_URL"]),
    ("/nowhere/model.gguf", Settings(), BackendUnavailable, ["/nowhere/model.gguf"]),
    ("local", Settings(model_path="/nowhere/x.gguf"), BackendUnavailable, ["/nowhere/x.gguf"]),
    ("ollama", Settings(), ConfigError, ['"openai:<model>"']),
    (None, Settings(backend="gpt4"), ConfigError, ['"local"']),
])
def test_create_backend_errors(spec: str | None, settings: Settings, error: type[Exception],
                               words: list[str]) -> None:
    with pytest.raises(error) as e:
        create_backend(spec, settings)
    for w in words:
        assert w in str(e.value)


def test_local_backend_not_a_gguf(tmp_path: Path) -> None:
    pytest.importorskip("llama_cpp")
    bad = tmp_path / "notes.gguf"
    bad.write_text("hello, I am text")
    with pytest.raises(BackendUnavailable, match="not a GGUF"):
        create_backend(str(bad), Settings())


def test_local_backends_are_cached(tmp_path: Path) -> None:
    pytest.importorskip("llama_cpp")
    model = tmp_path / "tiny.gguf"
    model.write_bytes(b"GGUF" + b"\0" * 64)  # passes the cheap check; never loaded here
    try:
        a = create_backend(str(model), Settings(n_threads=1))
        b = create_backend("local", Settings(model_path=str(model), n_threads=1))
        c = create_backend(str(model), Settings(n_threads=1, n_ctx=1024))
        assert a is b
        assert c is not a
        assert a.name == "local:tiny" and a.is_local
    finally:
        clear_backend_cache()


def test_available_backends() -> None:
    infos = {i.spec: i for i in available_backends(Settings(openai_api_key=SECRET))}
    assert set(infos) == {"local", "openai", "fake"}
    assert infos["fake"].available and infos["openai"].available
    assert SECRET not in repr(infos)
    no_key = {i.spec: i for i in available_backends(Settings())}
    assert not no_key["openai"].available and "OPENAI_API_KEY" in no_key["openai"].detail


# --- OpenAI helpers that need no server -----------------------------------------------------------
@pytest.mark.parametrize(("url", "local"), [
    (None, False), ("https://api.openai.com/v1", False), ("http://127.0.0.1:8080/v1", True),
    ("http://127.9.9.9", True), ("http://localhost:11434/v1", True), ("http://[::1]:8000/v1", True),
    ("http://10.0.0.5:8000/v1", False), ("https://my-llm.example.com/v1", False),
    ("localhost:8000", True),
])
def test_is_loopback_url(url: str | None, local: bool) -> None:
    assert is_loopback_url(url) is local


@pytest.mark.parametrize(("base_url", "setting", "method"), [
    (None, "auto", "json_schema"), ("https://api.openai.com/v1", "auto", "json_schema"),
    ("http://127.0.0.1:8080/v1", "auto", "function_calling"),
    (None, "json_object", "json_object"), ("http://127.0.0.1:1/v1", "json_schema", "json_schema"),
])
def test_structured_output_method(base_url: str | None, setting: str, method: str) -> None:
    b = OpenAIBackend(api_key=SECRET, base_url=base_url, structured_output=setting)
    assert b.method == method
    assert b.is_local is is_loopback_url(base_url)


def test_openai_backend_bad_method() -> None:
    with pytest.raises(ConfigError, match="structured_output"):
        OpenAIBackend(api_key=SECRET, structured_output="xml")


def test_strict_schema() -> None:
    fixed, strict = strict_schema(PICKS_SCHEMA)
    assert strict and fixed["additionalProperties"] is False
    assert fixed["properties"]["picks"]["items"]["additionalProperties"] is False
    assert "additionalProperties" not in PICKS_SCHEMA  # the input is not changed
    optional = {"type": "object", "properties": {"a": {"type": "string"}}}
    assert strict_schema(optional)[1] is False


# --- parse_json_reply -----------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "value"), [
    ('{"a": 1}', {"a": 1}),
    ('  {"a": [1, 2]}\n', {"a": [1, 2]}),
    ('```json\n{"a": 1}\n```', {"a": 1}),
    ('```\n{"a": 1}\n```', {"a": 1}),
    ('Sure! Here it is: {"a": {"b": "}"}} Hope it helps.', {"a": {"b": "}"}}),
    ("[1, 2]", [1, 2]),
    ('"just a string"', "just a string"),
])
def test_parse_json_reply(text: str, value: Any) -> None:
    assert parse_json_reply(text) == value


@pytest.mark.parametrize("text", ["", "   ", "not json", '{"a": ', "{'a': 1}", "} {"])
def test_parse_json_reply_rejects(text: str) -> None:
    with pytest.raises(BackendReplyError, match="not valid JSON"):
        parse_json_reply(text)


# --- the fakes ------------------------------------------------------------------------------------
SCHEMAS: list[dict[str, Any]] = [
    PICKS_SCHEMA,
    {"type": "object", "properties": {"ids": {"type": "array", "minItems": 5, "items": {
        "type": "string", "enum": ["a", "b"]}}}, "required": ["ids"]},
    {"type": "object", "properties": {"n": {"type": "integer", "minimum": 3, "maximum": 9},
                                      "x": {"type": "number", "exclusiveMaximum": -1},
                                      "ok": {"type": "boolean"}, "none": {"type": "null"},
                                      "maybe": {"type": ["string", "null"], "minLength": 12},
                                      "k": {"const": "fixed"}}},
    {"$defs": {"pick": {"type": "object", "properties": {"id": {"enum": [1, 2, 3]}},
                        "required": ["id"]}},
     "type": "object", "properties": {"picks": {"type": "array", "maxItems": 1,
                                                "items": {"$ref": "#/$defs/pick"}}},
     "required": ["picks"]},
    {"anyOf": [{"type": "null"}, {"type": "object", "properties": {"s": {
        "type": "string", "format": "date"}}, "required": ["s"]}]},
    {"type": "array", "minItems": 0, "maxItems": 0},
    {"type": "object", "properties": {"t": {"type": "string", "maxLength": 3}}, "required": ["t"]},
]


@pytest.mark.parametrize("schema", SCHEMAS)
def test_fake_default_json_is_valid(schema: dict[str, Any]) -> None:
    llm = FakeLLM()
    chunks = list(llm.stream_json(MSGS, schema))
    value = json.loads("".join(chunks))
    jsonschema.validate(value, schema)
    assert value == fake_value(schema)
    if len("".join(chunks)) > llm.chunk_size:
        assert len(chunks) > 1
    assert llm.calls[-1].schema is schema and llm.calls[-1].kind == "json"


def test_fake_enum_ids_do_not_repeat_within_an_array() -> None:
    schema = {"type": "object", "properties": {"picks": {
        "type": "array", "minItems": 3, "items": PICKS_SCHEMA["properties"]["picks"]["items"]}},
        "required": ["picks"]}
    value = FakeLLM().complete_json(MSGS, schema)
    assert [p["id"] for p in value["picks"]] == ["101", "202", "303"]


def test_fake_scripted_replies_in_order_then_default() -> None:
    seen: list[tuple[int, bool]] = []

    def responder(messages: list[Message], schema: dict[str, Any] | None) -> dict[str, Any]:
        seen.append((len(messages), schema is not None))
        return {"picks": [{"id": "404", "reason": "from a callable"}]}

    llm = FakeLLM(["hello there", {"a": 1}, BackendReplyError("scripted"), responder])
    assert "".join(llm.stream_text(MSGS)) == "hello there"
    assert json.loads("".join(llm.stream_json(MSGS, {"type": "object"}))) == {"a": 1}
    with pytest.raises(BackendReplyError, match="scripted"):
        llm.complete_json(MSGS, PICKS_SCHEMA)
    assert llm.complete_json(MSGS, PICKS_SCHEMA)["picks"][0]["reason"] == "from a callable"
    assert seen == [(2, True)]
    assert llm.remaining == 0
    assert "".join(llm.stream_text(MSGS)) == llm.text  # the default, forever after
    jsonschema.validate(llm.complete_json(MSGS, PICKS_SCHEMA), PICKS_SCHEMA)
    assert [c.kind for c in llm.calls] == ["text", "json", "json", "json", "text", "json"]
    assert all(c.messages == MSGS for c in llm.calls)


def test_fake_records_call_before_iteration_and_raises_when_iterated() -> None:
    llm = FakeLLM([RuntimeError("boom")])
    it = llm.stream_text(MSGS, gen=Generation(max_tokens=7, temperature=0.5))
    assert len(llm.calls) == 1 and llm.calls[0].gen == Generation(max_tokens=7, temperature=0.5)
    with pytest.raises(RuntimeError, match="boom"):
        next(it)


def test_fake_responder_and_default() -> None:
    llm = FakeLLM(responder=lambda msgs, schema: msgs[-1].content.upper())
    assert "".join(llm.stream_text(MSGS)) == "SOMETHING WITH SPACE"
    with pytest.raises(ValueError, match="either"):
        FakeLLM(["x"], responder=lambda m, s: "y")
    llm2 = FakeLLM(["first"], default="again")
    assert ["".join(llm2.stream_text(MSGS)) for _ in range(3)] == ["first", "again", "again"]
    llm3 = FakeLLM([ValueError])
    with pytest.raises(ValueError):
        list(llm3.stream_text(MSGS))


def test_failing_llm() -> None:
    llm = FailingLLM()
    for _ in range(3):
        with pytest.raises(BackendUnavailable):
            list(llm.stream_json(MSGS, PICKS_SCHEMA))
    assert len(llm.calls) == 3
    with pytest.raises(BackendReplyError, match="bad"):
        list(FailingLLM(BackendReplyError("bad")).stream_text(MSGS))
    with pytest.raises(TimeoutError):
        list(FailingLLM(TimeoutError).stream_text(MSGS))
    with pytest.raises(BackendUnavailable, match="server down"):
        list(FailingLLM("server down").stream_text(MSGS))


def test_slow_llm() -> None:
    inner = FakeLLM(['{"picks": []}'], chunk_size=2)
    llm = SlowLLM(0.2, inner, chunk_delay_s=0.01)
    it = llm.stream_json(MSGS, PICKS_SCHEMA)
    assert len(llm.calls) == 1
    t0 = time.perf_counter()
    first = next(it)
    assert time.perf_counter() - t0 >= 0.19
    assert first + "".join(it) == '{"picks": []}'
    assert llm.is_local and "SlowLLM" in repr(llm)
    llm.close()
    assert inner.closed


def test_fake_is_thread_safe() -> None:
    llm = FakeLLM([str(i) for i in range(200)])
    out: list[str] = []

    def work() -> None:
        for _ in range(50):
            out.append("".join(llm.stream_text(MSGS)))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(out, key=int) == [str(i) for i in range(200)]


# --- the key never leaks --------------------------------------------------------------------------
class _StubHandler(BaseHTTPRequestHandler):
    """A tiny OpenAI-compatible server; it waits ``server.delay`` seconds before answering.
    With ``server.status`` 200 it streams ``server.reply`` as
    SSE chunks (as tool-call arguments when the request has tools); otherwise it answers that
    status with an error body that echoes the key. Request bodies go to ``server.requests``."""

    def do_POST(self) -> None:
        srv: Any = self.server
        srv.hits += 1
        length = int(self.headers.get("Content-Length") or 0)
        request = json.loads(self.rfile.read(length) or b"{}")
        srv.requests.append(request)
        time.sleep(srv.delay)
        if srv.status != 200:
            auth = self.headers.get("Authorization", "")
            body = json.dumps({"error": {
                "message": f"Incorrect API key provided: {auth} ({SECRET})",
                "type": "invalid_request_error", "code": str(srv.status)}}).encode()
            self.send_response(srv.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        text: str = srv.reply
        pieces = [text[i:i + 5] for i in range(0, len(text), 5)]
        tools = bool(request.get("tools"))
        deltas: list[dict[str, Any]] = []
        if tools:
            deltas.append({"role": "assistant", "tool_calls": [{
                "index": 0, "id": "call_1", "type": "function",
                "function": {"name": "reply", "arguments": ""}}]})
            deltas += [{"tool_calls": [{"index": 0, "function": {"arguments": p}}]}
                       for p in pieces]
        else:
            deltas.append({"role": "assistant", "content": ""})
            deltas += [{"content": p} for p in pieces]
        finish = "tool_calls" if tools else "stop"
        for i, delta in enumerate([*deltas, {}]):
            chunk = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": "m",
                     "choices": [{"index": 0, "delta": delta, "logprobs": None,
                                  "finish_reason": finish if i == len(deltas) else None}]}
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
        self.wfile.write(b"data: [DONE]\n\n")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture()
def stub_server() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _StubHandler)
    srv: Any = server
    srv.status, srv.hits, srv.requests, srv.delay = 401, 0, [], 0.0
    srv.reply = json.dumps({"picks": [{"id": "303", "reason": "a crew in space"},
                                      {"id": "101", "reason": "a wormhole"}]})
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _assert_no_secret(*things: Any) -> None:
    for thing in things:
        if isinstance(thing, BaseException):
            text = "".join(traceback.format_exception(thing)) + repr(thing)
        else:
            text = thing if isinstance(thing, str) else repr(thing)
        assert SECRET not in text
        assert "DO-NOT-LEAK" not in text


@pytest.mark.parametrize(("status", "error", "words"), [
    (401, BackendUnavailable, ["OPENAI_API_KEY", "refused"]),
    (403, BackendUnavailable, ["403"]),
    (404, BackendUnavailable, ["404", "model"]),
    (429, BackendError, ["429"]),
    (500, BackendError, ["500"]),
    (400, BackendError, ["400", "Incorrect API key"]),
])
@pytest.mark.parametrize("method", ["stream_text", "function_calling", "json_object"])
def test_openai_errors_never_show_the_key(stub_server: ThreadingHTTPServer, status: int,
                                          error: type[Exception], words: list[str], method: str,
                                          caplog: pytest.LogCaptureFixture) -> None:
    stub_server.status = status  # type: ignore[attr-defined]
    url = f"http://127.0.0.1:{stub_server.server_address[1]}/v1"
    settings = Settings(openai_api_key=SECRET, openai_base_url=url, llm_max_retries=0,
                        llm_timeout_s=5, structured_output="json_object"
                        if method == "json_object" else "function_calling")
    backend = create_backend("openai:any-model", settings)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(error) as e:
        if method == "stream_text":
            list(backend.stream_text(MSGS))
        else:
            list(backend.stream_json(MSGS, PICKS_SCHEMA))
    for w in words:
        assert w in str(e.value)
    _assert_no_secret(e.value, str(e.value), backend, vars(backend), caplog.text, settings,
                      settings.public_dict())
    backend.close()


def test_openai_retries_then_reports_status(stub_server: ThreadingHTTPServer) -> None:
    stub_server.status = 503  # type: ignore[attr-defined]
    url = f"http://127.0.0.1:{stub_server.server_address[1]}/v1"
    backend = OpenAIBackend(api_key=SECRET, base_url=url, max_retries=1, timeout_s=5)
    with pytest.raises(BackendError, match=r"503.*after 1 retries") as e:
        list(backend.stream_text(MSGS))
    assert stub_server.hits == 2  # type: ignore[attr-defined]
    _assert_no_secret(e.value)


# --- what OpenAIBackend sends and how it reads the stream (stub server) ---------------------------
@pytest.mark.parametrize("method", ["json_schema", "function_calling", "json_object"])
def test_openai_structured_output_requests(stub_server: ThreadingHTTPServer, method: str) -> None:
    srv: Any = stub_server
    srv.status = 200
    url = f"http://127.0.0.1:{srv.server_address[1]}/v1"
    b = OpenAIBackend(model="m", api_key=SECRET, base_url=url, structured_output=method,
                      max_retries=0, timeout_s=5)
    chunks = list(b.stream_json(MSGS, PICKS_SCHEMA, gen=Generation(max_tokens=123)))
    assert len(chunks) > 1
    assert json.loads("".join(chunks)) == json.loads(srv.reply)
    req = srv.requests[-1]
    assert req["stream"] is True and req["model"] == "m"
    assert req["max_tokens"] == 123  # for compatible servers, next to max_completion_tokens
    assert req["temperature"] == 0.0
    if method == "json_schema":
        fmt = req["response_format"]
        assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
        assert fmt["json_schema"]["schema"]["additionalProperties"] is False
        assert "tools" not in req
    elif method == "function_calling":
        assert req["tools"][0]["function"]["parameters"] == PICKS_SCHEMA
        assert req["tool_choice"] == {"type": "function", "function": {"name": "reply"}}
        assert "response_format" not in req
    else:
        assert req["response_format"] == {"type": "json_object"}
        system = req["messages"][0]
        assert system["role"] == "system" and system["content"].startswith("You recommend")
        assert json.dumps(PICKS_SCHEMA) in system["content"]


def test_openai_stream_text_request(stub_server: ThreadingHTTPServer) -> None:
    srv: Any = stub_server
    srv.status = 200
    srv.reply = "Hello there, space fan!"
    url = f"http://127.0.0.1:{srv.server_address[1]}/v1"
    b = OpenAIBackend(model="m", base_url=url, max_retries=0, timeout_s=5)  # no key: placeholder
    assert "".join(b.stream_text(MSGS, gen=Generation(max_tokens=50, temperature=0.7))) \
        == "Hello there, space fan!"
    req = srv.requests[-1]
    assert req["max_tokens"] == 50 and req["temperature"] == 0.7
    assert [m["role"] for m in req["messages"]] == ["system", "user"]
    assert "tools" not in req and "response_format" not in req


def test_openai_request_is_bounded_by_the_deadline(stub_server: ThreadingHTTPServer) -> None:
    srv: Any = stub_server
    srv.status, srv.delay = 200, 3.0
    url = f"http://127.0.0.1:{srv.server_address[1]}/v1"
    b = OpenAIBackend(model="m", base_url=url, max_retries=0, timeout_s=30)
    start = time.monotonic()
    with pytest.raises(BackendUnavailable, match="deadline"):
        list(b.stream_json(MSGS, PICKS_SCHEMA, gen=Generation(max_tokens=50).within(0.5)))
    assert time.monotonic() - start < 2.5  # the turn's deadline, not the 30 s timeout
