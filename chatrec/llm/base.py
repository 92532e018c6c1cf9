"""The one small interface every LLM backend implements.

A backend turns chat messages into either free text (streamed) or JSON that matches a JSON schema
(streamed as raw text chunks, so callers can show results while the model is still writing).
Each backend declares what it can be trusted with (:class:`Capabilities`), and every call takes
its length, sampling and deadline from one :class:`Generation`.
"""

from __future__ import annotations

import json
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any, Literal

from chatrec.errors import BackendReplyError

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class Message:
    role: Role
    content: str


@dataclass(frozen=True)
class Capabilities:
    """What a backend's model is good enough to be asked for; callers ask this instead of
    guessing from a model file or a server address. Every reply is still validated."""

    #: word the reason for each pick (else the model only orders the candidates and chatrec
    #: writes the reasons from the item's own data)
    writes_reasons: bool = True
    #: run the LLM preference extractor (chatrec/understand/llm_extract.py) on each message
    extracts_preferences: bool = False
    #: order the code's top candidates better than the code does (else, unless it writes
    #: reasons, the model is not called in a turn: SmolLM2-135M returned the code's own order in
    #: 46 of 46 measured turns, at about 1 s each, and lost a hit of R@1 on ReDial)
    orders_candidates: bool = True


#: A backend that cannot be created can be trusted with nothing.
NO_CAPABILITIES = Capabilities(writes_reasons=False, extracts_preferences=False,
                               orders_candidates=False)


@dataclass(frozen=True)
class Generation:
    """How much to generate, how to sample, and until when, for one call."""

    max_tokens: int = 512
    temperature: float = 0.0
    #: when the caller stops waiting for this call, as a ``time.monotonic()`` value (None: no
    #: limit; see :meth:`within`). A backend that would have to queue for it (a local model
    #: answering another call) raises BackendBusy at once instead; a remote one bounds its request
    #: by it; the caller stops reading when it passes.
    deadline: float | None = None

    def __post_init__(self) -> None:
        if self.max_tokens < 1:
            raise ValueError(f"Generation.max_tokens must be at least 1, got {self.max_tokens}")
        if not 0.0 <= self.temperature <= 2.0:
            raise ValueError(f"Generation.temperature must be in 0..2, got {self.temperature}")

    def within(self, seconds: float | None) -> Generation:
        """This generation with a deadline ``seconds`` from now (None or 0: no deadline)."""
        deadline = time.monotonic() + seconds if seconds else None
        return replace(self, deadline=deadline)

    def remaining(self) -> float | None:
        """Seconds left before the deadline (negative once it has passed); None without one."""
        return None if self.deadline is None else self.deadline - time.monotonic()


#: the default of :meth:`LLMBackend.stream_text`: a short answer, a little varied
TEXT_GEN = Generation(max_tokens=256, temperature=0.2)
#: the default of :meth:`LLMBackend.stream_json`: room for a list of objects, greedy
JSON_GEN = Generation(max_tokens=512, temperature=0.0)


class LLMBackend(ABC):
    """Base class of every backend (local llama.cpp, OpenAI-compatible, fake, fallback)."""

    #: what the UI shows, e.g. "local:SmolLM2-135M-Instruct.Q4_1" or "openai:gpt-4o-mini"
    name: str = "llm"
    #: True when no byte of a conversation leaves this machine
    is_local: bool = True
    #: what this backend's model can be asked for; every backend sets it
    capabilities: Capabilities

    @abstractmethod
    def stream_text(self, messages: list[Message], *,
                    gen: Generation = TEXT_GEN) -> Iterator[str]:
        """Free text, chunk by chunk. Raises BackendUnavailable / BackendError."""

    @abstractmethod
    def stream_json(self, messages: list[Message], schema: dict[str, Any], *,
                    gen: Generation = JSON_GEN) -> Iterator[str]:
        """Raw chunks of one JSON value that the backend is constrained (as well as the
        server allows) to make valid against ``schema``. Callers still validate it."""

    def complete_json(self, messages: list[Message], schema: dict[str, Any], *,
                      gen: Generation = JSON_GEN) -> Any:
        """The whole JSON value, parsed. Raises BackendReplyError when it is not JSON."""
        return parse_json_reply("".join(self.stream_json(messages, schema, gen=gen)))

    def warm(self) -> None:  # noqa: B027 - optional hook
        """Get ready to answer now (a local backend loads its model), so that the first call
        costs what the next ones do. Raises BackendError when the backend cannot work."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Free the model or connection."""


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
