"""The one small interface every LLM backend implements.

A backend turns chat messages into either free text (streamed) or JSON that matches a JSON schema
(streamed as raw text chunks, so callers can show results while the model is still writing).
"""

from __future__ import annotations

import json
import os
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from chatrec.errors import BackendReplyError

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class Message:
    role: Role
    content: str


class LLMBackend(ABC):
    """Base class of every backend (local llama.cpp, OpenAI-compatible, fake)."""

    #: what the UI shows, e.g. "local:SmolLM2-135M-Instruct.Q4_1" or "openai:gpt-4o-mini"
    name: str = "llm"
    #: True when no byte of a conversation leaves this machine
    is_local: bool = True

    @abstractmethod
    def stream_text(self, messages: list[Message], *, max_tokens: int = 256,
                    temperature: float = 0.2) -> Iterator[str]:
        """Free text, chunk by chunk. Raises BackendUnavailable / BackendError."""

    @abstractmethod
    def stream_json(self, messages: list[Message], schema: dict[str, Any], *,
                    max_tokens: int = 512, temperature: float = 0.0) -> Iterator[str]:
        """Raw chunks of one JSON value that the backend is constrained (as well as the
        server allows) to make valid against ``schema``. Callers still validate it."""

    def complete_json(self, messages: list[Message], schema: dict[str, Any], *,
                      max_tokens: int = 512, temperature: float = 0.0) -> Any:
        """The whole JSON value, parsed. Raises BackendReplyError when it is not JSON."""
        text = "".join(self.stream_json(messages, schema, max_tokens=max_tokens,
                                        temperature=temperature))
        return parse_json_reply(text)

    def close(self) -> None:  # noqa: B027 - optional hook
        """Free the model or connection."""


LARGE_MODEL_BYTES = 1_000_000_000  # a GGUF this big is trusted to write reasons and extract


def large_local_model(backend: LLMBackend) -> bool | None:
    """For a backend running a local model file: is it large (>= 1 GB)? None when the backend
    has no model file (a remote server, a test double)."""
    path = getattr(backend, "model_path", None)
    if path is None:
        return None
    try:
        return os.path.getsize(path) >= LARGE_MODEL_BYTES
    except OSError:
        return False


def parse_json_reply(text: str) -> Any:
    """Parse a model's JSON reply, tolerating a code fence or prose around one JSON object."""
    s = text.strip()
    if s.startswith("```"):
        s = s.strip("`")
        s = s[s.find("\n") + 1:] if "\n" in s else s
    try:
        return json.loads(s)
    except json.JSONDecodeError:
        start, end = s.find("{"), s.rfind("}")
        if 0 <= start < end:
            try:
                return json.loads(s[start:end + 1])
            except json.JSONDecodeError:
                pass
    raise BackendReplyError(f"the model's reply is not valid JSON: {text[:200]!r}")
