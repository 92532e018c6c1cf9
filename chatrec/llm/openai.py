"""OpenAI (or any OpenAI-compatible server) as an :class:`~chatrec.llm.base.LLMBackend`.

Built on :class:`langchain_openai.ChatOpenAI`, always streaming. The OpenAI SDK under it does the
bounded retries with exponential backoff for connection errors, 408/409/429 and 5xx
(``settings.llm_max_retries``) and enforces ``settings.llm_timeout_s`` per request.

Structured output (``settings.structured_output``):

* ``json_schema`` - ``response_format={"type": "json_schema", ...}``; ``strict`` is set when the
  schema can be strict (every object lists all its properties as required);
* ``function_calling`` - one tool whose parameters are the schema, ``tool_choice`` forced to it;
  the tool-call argument chunks are streamed. llama.cpp's server turns a forced tool into a
  grammar, so there the schema (enums included) is enforced;
* ``json_object`` - ``response_format={"type": "json_object"}`` and the schema pasted into the
  system message: the reply is JSON, but the schema is only asked for, not enforced;
* ``auto`` - ``json_schema`` on api.openai.com, ``function_calling`` on any other server.

Capabilities: a model behind a remote server writes reasons and extracts preferences; a server on
this machine (loopback) may be running a small model (``python -m llama_cpp.server`` with the
135M default, say), so it writes reasons but is not asked to extract.

The API key never appears in an exception message, a log line or a ``repr``: it is held only as a
``SecretStr`` and every server message we quote is passed through :meth:`OpenAIBackend._redact`.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlparse

from chatrec.errors import (
    BackendError,
    BackendReplyError,
    BackendUnavailable,
    ConfigError,
)
from chatrec.llm.base import JSON_GEN, TEXT_GEN, Capabilities, Generation, LLMBackend, Message
from chatrec.settings import Settings

log = logging.getLogger(__name__)

OPENAI_URL = "https://api.openai.com/v1"
PLACEHOLDER_KEY = "not-needed"  # what local OpenAI-compatible servers get when no key is set
TOOL_NAME = "reply"
METHODS = ("auto", "json_schema", "function_calling", "json_object")
_KEYLIKE = re.compile(r"\b(sk-[A-Za-z0-9_\-]{6,})")


def is_loopback_url(url: str | None) -> bool:
    """True when ``url``'s host is this machine (127.0.0.0/8, ::1, localhost)."""
    if not url:
        return False
    host = (urlparse(url if "//" in url else "//" + url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def strict_schema(schema: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """A copy of ``schema`` with ``additionalProperties: false`` on every object, and whether
    OpenAI's ``strict`` mode can take it (it needs every property listed as required)."""
    out = copy.deepcopy(schema)
    ok = True

    def walk(node: Any) -> None:
        nonlocal ok
        if isinstance(node, list):
            for x in node:
                walk(x)
            return
        if not isinstance(node, dict):
            return
        if node.get("type") == "object" or "properties" in node:
            props = node.get("properties", {})
            node.setdefault("additionalProperties", False)
            if set(node.get("required", [])) != set(props):
                ok = False
        for v in node.values():
            walk(v)

    walk(out)
    return out, ok


def _to_langchain(messages: list[Message]) -> list[Any]:
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    kinds: dict[str, Callable[..., Any]] = {
        "system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
    return [kinds[m.role](content=m.content) for m in messages]


class OpenAIBackend(LLMBackend):
    """Chat completions from OpenAI or an OpenAI-compatible server (llama.cpp, vLLM, Ollama...)."""

    def __init__(self, *, model: str = "gpt-4o-mini", api_key: str | None = None,
                 base_url: str | None = None, timeout_s: float = 60.0, max_retries: int = 2,
                 structured_output: str = "auto") -> None:
        from pydantic import SecretStr

        if not api_key and not base_url:
            raise BackendUnavailable(
                "the openai backend needs a key: set OPENAI_API_KEY (or OPENAI_BASE_URL for a "
                "compatible server)")
        if structured_output not in METHODS:
            raise ConfigError(f"structured_output={structured_output!r}; use one of "
                              f"{', '.join(METHODS)} (CHATREC_STRUCTURED_OUTPUT)")
        try:
            from langchain_openai import ChatOpenAI
        except ImportError as e:
            raise BackendUnavailable(
                f"the openai backend needs langchain-openai ({e.name} is missing): "
                "pip install langchain-openai") from None
        self.model = model
        self.base_url = base_url.rstrip("/") if base_url else None
        self.url = self.base_url or OPENAI_URL
        self.timeout_s = float(timeout_s)
        self.max_retries = int(max_retries)
        self.structured_output = structured_output
        self.name = f"openai:{model}"
        self.is_local = is_loopback_url(self.base_url)
        self.capabilities = Capabilities(writes_reasons=True,
                                         extracts_preferences=not self.is_local)
        self._key = SecretStr(api_key or PLACEHOLDER_KEY)
        self._chat = ChatOpenAI(
            model=model, api_key=self._key, base_url=self.url, timeout=self.timeout_s,
            max_retries=self.max_retries, streaming=True, stream_usage=False)

    @classmethod
    def from_settings(cls, settings: Settings, model: str | None = None) -> OpenAIBackend:
        """The backend that ``settings`` describe (``model`` overrides ``openai_model``)."""
        return cls(model=model or settings.openai_model, api_key=settings.openai_api_key,
                   base_url=settings.openai_base_url, timeout_s=settings.llm_timeout_s,
                   max_retries=settings.llm_max_retries,
                   structured_output=settings.structured_output)

    def __repr__(self) -> str:
        return (f"OpenAIBackend(model={self.model!r}, url={self.url!r}, "
                f"structured_output={self.structured_output!r}, is_local={self.is_local})")

    # --- helpers ----------------------------------------------------------------------------------
    @property
    def method(self) -> str:
        """The structured-output method ``stream_json`` uses (``auto`` resolved)."""
        if self.structured_output != "auto":
            return self.structured_output
        on_openai = self.base_url is None or urlparse(self.url).hostname == "api.openai.com"
        return "json_schema" if on_openai else "function_calling"

    def _redact(self, text: str) -> str:
        secret = self._key.get_secret_value()
        if secret and secret != PLACEHOLDER_KEY:
            text = text.replace(secret, "***")
        return _KEYLIKE.sub("sk-***", text)

    def _limits(self, gen: Generation) -> dict[str, Any]:
        kw: dict[str, Any] = {"max_tokens": gen.max_tokens, "temperature": gen.temperature}
        left = gen.remaining()
        if left is not None:  # a turn's deadline bounds the request (this call's timeout)
            kw["timeout"] = max(0.1, min(self.timeout_s, left))
        if self.base_url is not None:
            # ChatOpenAI sends OpenAI's newer ``max_completion_tokens``; compatible servers
            # (llama.cpp's among them) may only read the classic field, so send both.
            kw["extra_body"] = {"max_tokens": gen.max_tokens}
        return kw

    def _error(self, exc: BaseException) -> Exception:
        """The chatrec error for an OpenAI SDK / LangChain error (with no secret in it)."""
        import openai

        msg = " ".join(self._redact(str(getattr(exc, "message", "") or exc)).split())[:300]
        retries = f" after {self.max_retries} retries" if self.max_retries else ""
        if isinstance(exc, openai.APITimeoutError):
            return BackendUnavailable(
                f"the LLM server at {self.url} did not answer within {self.timeout_s:g}s or the "
                f"turn's deadline{retries} (CHATREC_LLM_TIMEOUT_S, CHATREC_LLM_DEADLINE_S)")
        if isinstance(exc, openai.APIConnectionError):
            return BackendUnavailable(
                f"cannot connect to the LLM server at {self.url}{retries}: {msg}; is it running? "
                "(check OPENAI_BASE_URL)")
        if isinstance(exc, openai.AuthenticationError):
            return BackendUnavailable(
                f"the OpenAI key was refused by {self.url} (HTTP 401); check OPENAI_API_KEY")
        if isinstance(exc, openai.PermissionDeniedError):
            return BackendUnavailable(
                f"{self.url} refused access to model {self.model!r} (HTTP 403); check the key's "
                "permissions or CHATREC_OPENAI_MODEL")
        if isinstance(exc, openai.NotFoundError):
            return BackendUnavailable(
                f"model {self.model!r} was not found at {self.url} (HTTP 404): {msg}; check "
                "CHATREC_OPENAI_MODEL / OPENAI_MODEL")
        if isinstance(exc, openai.RateLimitError):
            return BackendError(f"{self.url} is rate-limiting us (HTTP 429){retries}: {msg}")
        if isinstance(exc, openai.LengthFinishReasonError):
            return BackendReplyError(
                f"the reply from {self.url} was cut off at the max_tokens limit before it was "
                "complete")
        if isinstance(exc, openai.APIStatusError):
            return BackendError(f"{self.url} answered HTTP {exc.status_code}"
                                f"{retries if exc.status_code >= 500 else ''}: {msg}")
        return BackendReplyError(f"unusable reply from {self.url}: {type(exc).__name__}: {msg}")

    def _guard(self, chunks: Iterator[str]) -> Iterator[str]:
        """Re-raise errors from the stream as chatrec errors, with secrets masked."""
        import openai

        try:
            yield from chunks
        except (openai.OpenAIError, ValueError) as e:
            err = self._error(e)
            log.warning("openai backend %s: %s", self.name, err)
            raise err from None

    # --- LLMBackend -------------------------------------------------------------------------------
    def stream_text(self, messages: list[Message], *,
                    gen: Generation = TEXT_GEN) -> Iterator[str]:
        def chunks() -> Iterator[str]:
            for chunk in self._chat.stream(_to_langchain(messages), **self._limits(gen)):
                if isinstance(chunk.content, str) and chunk.content:
                    yield chunk.content

        return self._guard(chunks())

    def stream_json(self, messages: list[Message], schema: dict[str, Any], *,
                    gen: Generation = JSON_GEN) -> Iterator[str]:
        method = self.method
        kw = self._limits(gen)
        if method == "function_calling":
            return self._guard(self._tool_json(messages, schema, kw))
        if method == "json_schema":
            fixed, strict = strict_schema(schema)
            kw["response_format"] = {"type": "json_schema", "json_schema": {
                "name": TOOL_NAME, "schema": fixed if strict else schema, "strict": strict}}
            lc_messages = _to_langchain(messages)
        else:  # json_object: JSON is enforced, the schema only asked for
            kw["response_format"] = {"type": "json_object"}
            lc_messages = _to_langchain(_with_schema_note(messages, schema))

        def chunks() -> Iterator[str]:
            for chunk in self._chat.stream(lc_messages, **kw):
                if isinstance(chunk.content, str) and chunk.content:
                    yield chunk.content

        return self._guard(chunks())

    def _tool_json(self, messages: list[Message], schema: dict[str, Any],
                   kw: dict[str, Any]) -> Iterator[str]:
        tool = {"type": "function", "function": {
            "name": TOOL_NAME, "description": "Give the reply as JSON arguments.",
            "parameters": schema}}
        bound = self._chat.bind_tools([tool], tool_choice=TOOL_NAME)
        text: list[str] = []
        got_args = False
        for chunk in bound.stream(_to_langchain(messages), **kw):
            for tc in getattr(chunk, "tool_call_chunks", None) or []:
                args = tc.get("args")
                if args:
                    got_args = True
                    yield args
            if isinstance(chunk.content, str) and chunk.content:
                text.append(chunk.content)
        if not got_args and text:  # a server that ignored tool_choice and answered in text
            yield "".join(text)

    def close(self) -> None:
        """Close the HTTP clients (the backend can not be used afterwards)."""
        for attr in ("root_client", "client"):
            client = getattr(self._chat, attr, None)
            close = getattr(client, "close", None)
            if callable(close):
                try:
                    close()
                except Exception as e:
                    log.debug("closing the OpenAI client failed: %s", type(e).__name__)


def _with_schema_note(messages: list[Message], schema: dict[str, Any]) -> list[Message]:
    """``messages`` with the schema appended to (or given as) the system message."""
    note = ("Reply with one JSON object and nothing else. It must be valid against this JSON "
            "schema:\n" + json.dumps(schema, ensure_ascii=False))
    if messages and messages[0].role == "system":
        return [Message("system", messages[0].content.rstrip() + "\n\n" + note), *messages[1:]]
    return [Message("system", note), *messages]
