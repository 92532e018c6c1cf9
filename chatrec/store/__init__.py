"""Where conversations live: every turn, profile and pick, written before a reply returns.

:class:`SQLStore` (SQLite by default, PostgreSQL by URL; :func:`open_store` picks it from the
settings) and :class:`MemoryStore`, the in-memory test double, implement :class:`SessionStore`,
which also keeps users (a profile per user and catalog, and the sessions each user owns).
"""

from chatrec.store.base import SessionRecord, SessionStore, TurnRecord, UserRecord
from chatrec.store.memory import MemoryStore
from chatrec.store.sql import SQLStore, open_store

__all__ = ["MemoryStore", "SQLStore", "SessionRecord", "SessionStore", "TurnRecord", "UserRecord",
           "open_store"]
