"""Where conversations live: every turn, profile and pick, written before a reply returns.

:class:`SQLStore` (SQLite by default, PostgreSQL by URL; :func:`open_store` picks it from the
settings) and :class:`MemoryStore`, the in-memory test double, implement :class:`SessionStore`.
"""

from chatrec.store.base import SessionRecord, SessionStore, TurnRecord
from chatrec.store.memory import MemoryStore
from chatrec.store.sql import SQLStore, open_store

__all__ = ["MemoryStore", "SQLStore", "SessionRecord", "SessionStore", "TurnRecord", "open_store"]
