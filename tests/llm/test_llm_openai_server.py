"""OpenAIBackend against a real OpenAI-compatible server: ``python -m llama_cpp.server`` serving
the SmolLM2 GGUF on 127.0.0.1, started once for this module.

What that server enforces (llama-cpp-python 0.3.36):

* ``function_calling``: a forced tool becomes a grammar built from the tool's parameters, so the
  schema - candidate-id enums included - is enforced;
* ``json_object``: a generic JSON grammar - the reply is JSON (when it ends within max_tokens),
  but the schema is only pasted into the system message and SmolLM2 does not follow it;
* ``json_schema``: rejected (HTTP 500, its request model only knows "text" and "json_object").

The connection-error tests need no server and are not marked ``server``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from chatrec.errors import BackendError, BackendUnavailable
from chatrec.llm.base import Generation, Message
from chatrec.llm.openai import OpenAIBackend

SERVER_EXTRAS = {"uvicorn": "uvicorn", "fastapi": "fastapi", "sse_starlette": "sse-starlette",
                 "starlette_context": "starlette-context", "pydantic_settings": "pydantic-settings",
                 "yaml": "PyYAML"}
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
CANDIDATES = "Candidates: 101 Interstellar; 202 Titanic; 303 Alien; 404 Up."
SYSTEM = "Pick movies for the user from the candidates. Answer in JSON."
PROMPTS = ["I like space adventures.", "Something for my kids tonight.",
           "A romantic film please.", "Scary movies only."]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _picks(prompt: str) -> list[Message]:
    return [Message("system", SYSTEM), Message("user", f"{prompt} {CANDIDATES}")]


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start ``python -m llama_cpp.server`` on a free loopback port; stop it at teardown."""
    missing = [pkg for mod, pkg in SERVER_EXTRAS.items() if importlib.util.find_spec(mod) is None]
    if missing:
        pytest.skip("llama_cpp.server needs the llama-cpp-python[server] extras; missing: "
                    + ", ".join(missing))
    from chatrec.llm.local import default_model_path

    model = default_model_path()
    port = _free_port()
    log_path = tmp_path_factory.mktemp("llama-server") / "server.log"
    env = {**os.environ, "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "PASSIVE")}
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(model),
             "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048",
             "--model_alias", "smollm2"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited with {proc.returncode}:\n"
                            + _tail(log_path))
            try:
                with urllib.request.urlopen(url + "/models", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("llama_cpp.server did not answer /v1/models within 120 s:\n"
                            + _tail(log_path))
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


def _tail(path: Path, n: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-n:])


def _backend(url: str, method: str = "auto") -> OpenAIBackend:
    return OpenAIBackend(model="smollm2", base_url=url, structured_output=method,
                         timeout_s=120, max_retries=0)


@pytest.mark.server
@pytest.mark.slow
def test_stream_text(server_url: str) -> None:
    b = _backend(server_url)
    assert b.is_local and b.name == "openai:smollm2"
    chunks = list(b.stream_text([Message("user", "Name a famous space movie.")],
                                gen=Generation(max_tokens=30)))
    assert len(chunks) > 1
    assert "".join(chunks).strip()


@pytest.mark.server
@pytest.mark.slow
@pytest.mark.parametrize("prompt", PROMPTS)
def test_function_calling_enforces_the_schema(server_url: str, prompt: str) -> None:
    b = _backend(server_url, "function_calling")
    chunks = list(b.stream_json(_picks(prompt), PICKS_SCHEMA, gen=PICKS_GEN))
    assert len(chunks) > 1  # the tool-call arguments arrive in pieces
    value = json.loads("".join(chunks))
    jsonschema.validate(value, PICKS_SCHEMA)  # enforced by the server's grammar
    assert all(p["id"] in IDS for p in value["picks"])


@pytest.mark.server
@pytest.mark.slow
def test_auto_uses_function_calling_on_a_local_server(server_url: str) -> None:
    b = _backend(server_url, "auto")
    assert b.method == "function_calling"
    jsonschema.validate(b.complete_json(_picks(PROMPTS[0]), PICKS_SCHEMA, gen=PICKS_GEN),
                        PICKS_SCHEMA)


@pytest.mark.server
@pytest.mark.slow
def test_json_object_gives_json_but_does_not_enforce_the_schema(server_url: str) -> None:
    b = _backend(server_url, "json_object")
    prompt = ('I like space adventures. Candidates: 101 Interstellar; 202 Titanic; 303 Alien; '
              '404 Up. Answer like {"picks": [{"id": "101", "reason": "space epic"}, '
              '{"id": "303", "reason": "space horror"}]}')
    chunks = list(b.stream_json([Message("user", prompt)], PICKS_SCHEMA, gen=PICKS_GEN))
    value = json.loads("".join(chunks))  # JSON syntax: enforced by the server
    assert isinstance(value, dict)
    # The schema is only asked for in the system message. SmolLM2-135M does not follow it (it
    # tends to echo the schema's own keys), so schema validity is deliberately NOT asserted here.


@pytest.mark.server
@pytest.mark.slow
def test_json_schema_is_rejected_by_llama_cpp_server(server_url: str) -> None:
    b = _backend(server_url, "json_schema")
    with pytest.raises(BackendError) as e:
        list(b.stream_json(_picks(PROMPTS[0]), PICKS_SCHEMA, gen=Generation(max_tokens=50)))
    assert not isinstance(e.value, BackendUnavailable)  # reachable, but refuses the format
    assert server_url in str(e.value)


# --- no server needed -----------------------------------------------------------------------------
def test_closed_port_is_unavailable_quickly() -> None:
    url = f"http://127.0.0.1:{_free_port()}/v1"
    b = OpenAIBackend(model="m", base_url=url, timeout_s=2, max_retries=0)
    t0 = time.perf_counter()
    with pytest.raises(BackendUnavailable) as e:
        list(b.stream_text([Message("user", "hi")]))
    assert time.perf_counter() - t0 < 3
    assert url in str(e.value) and "cannot connect" in str(e.value)
    with pytest.raises(BackendUnavailable):
        b.complete_json([Message("user", "hi")], PICKS_SCHEMA)


def test_silent_server_times_out() -> None:
    """A server that accepts the connection but never answers: bounded by timeout_s."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    conns: list[socket.socket] = []

    def accept() -> None:
        try:
            while True:
                conns.append(listener.accept()[0])  # hold it open, say nothing
        except OSError:
            pass

    threading.Thread(target=accept, daemon=True).start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    try:
        b = OpenAIBackend(model="m", base_url=url, timeout_s=1, max_retries=0)
        t0 = time.perf_counter()
        with pytest.raises(BackendUnavailable, match="did not answer within 1s"):
            list(b.stream_json([Message("user", "hi")], PICKS_SCHEMA))
        assert time.perf_counter() - t0 < 5
    finally:
        listener.close()
        for c in conns:
            c.close()
