"""chatrec: a conversational recommender that recommends real catalog items and says why.

>>> from chatrec import Recommender
>>> rec = Recommender(catalog="movies", backend="local")
>>> s = rec.session()
>>> reply = s.send("I loved Interstellar, nothing with horror")
>>> [p.title for p in reply.picks]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chatrec.errors import ChatrecError
from chatrec.profile import Constraint, Preferences
from chatrec.settings import Settings
from chatrec.types import Candidate, Done, Item, Pick, PickEvent, Reply, TextChunk

__version__ = "0.1.0"

if TYPE_CHECKING:
    from chatrec.recommender import Recommender
    from chatrec.session import Session

__all__ = ["Candidate", "ChatrecError", "Constraint", "Done", "Item", "Pick", "PickEvent",
           "Preferences", "Recommender", "Reply", "Session", "Settings", "TextChunk",
           "__version__"]


def __getattr__(name: str) -> Any:
    # heavy modules (torch, chromadb) load only when the API is actually used
    if name == "Recommender":
        from chatrec.recommender import Recommender

        return Recommender
    if name == "Session":
        from chatrec.session import Session

        return Session
    raise AttributeError(name)
