"""One exception tree for chatrec.

Every error a user can hit derives from :class:`ChatrecError` and says what to do about it.
"""

from __future__ import annotations


class ChatrecError(Exception):
    """Base class for every error chatrec raises on purpose."""


class ConfigError(ChatrecError):
    """A setting is missing or invalid (the message names the setting and the fix)."""


class CatalogError(ChatrecError):
    """A catalog is unknown, missing or malformed."""


class CatalogRowError(CatalogError):
    """One row of a catalog file is malformed; names the file and line."""

    def __init__(self, path: str, line: int, message: str, column: str | None = None) -> None:
        self.path = path
        self.line = line
        self.column = column
        where = f"{path}:{line}" + (f" (column {column!r})" if column else "")
        super().__init__(f"{where}: {message}")


class VectorIndexError(ChatrecError):
    """The vector index could not be built or opened."""


class PromptError(ChatrecError):
    """A prompt file is missing or its variables do not match what the code supplies."""


class BackendError(ChatrecError):
    """An LLM backend could not be created or failed to answer."""


class BackendUnavailable(BackendError):
    """The backend cannot be reached or loaded (server down, model file missing, no API key)."""


class BackendBusy(BackendError):
    """The backend is answering another call and this one has a deadline it would not meet by
    waiting (a local model serves one call at a time); the caller answers without it now. Raise
    ``CHATREC_LLM_DEADLINE_S`` to let turns wait longer, or serve the model from a server that
    takes several calls at once (``OPENAI_BASE_URL``)."""


class BackendReplyError(BackendError):
    """The backend answered, but the reply was empty, malformed or outside the schema."""


class SessionError(ChatrecError):
    """A session id is unknown or its stored state cannot be read."""


class InputError(ChatrecError):
    """A user message is empty, too long, or otherwise not acceptable."""
