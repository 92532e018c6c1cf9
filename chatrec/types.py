"""Plain data shared by every part of chatrec: catalog items, candidates, picks, replies, events."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

MetaValue = str | int | float | bool | list[str] | None


@dataclass(frozen=True)
class Item:
    """One catalog item. ``id`` is the source's own id as a string (MovieLens movieId, Steam app id)."""

    id: str
    title: str
    text: str
    aliases: tuple[str, ...] = ()
    meta: dict[str, MetaValue] = field(default_factory=dict, hash=False, compare=False)

    @property
    def year(self) -> int | None:
        y = self.meta.get("year")
        return y if isinstance(y, int) else None

    @property
    def display_title(self) -> str:
        """Title with the year, e.g. ``Interstellar (2014)``."""
        return f"{self.title} ({self.year})" if self.year else self.title

    def values(self, key: str) -> list[str]:
        """A metadata field as a list of strings (empty when absent)."""
        v = self.meta.get(key)
        if v is None:
            return []
        if isinstance(v, list):
            return [str(x) for x in v]
        return [str(v)]


@dataclass
class Candidate:
    """An item proposed for this turn, with the evidence behind its score."""

    item: Item
    score: float
    signals: dict[str, float] = field(default_factory=dict)
    matched: list[str] = field(default_factory=list)  # liked attributes this item has
    because: str | None = None  # the liked item it is most similar to (id), if any


#: "llm": the model chose the item and wrote the reason; "llm-order": the model chose it but its
#: reason was not grounded, so chatrec wrote it; "code": chatrec's own ranking and reason.
ReasonSource = Literal["llm", "llm-order", "code"]


@dataclass
class Pick:
    """One recommended item as shown to the user."""

    item_id: str
    title: str
    reason: str
    score: float
    source: ReasonSource = "code"  # who wrote the reason and chose the position

    def to_dict(self) -> dict[str, Any]:
        return {"item_id": self.item_id, "title": self.title, "reason": self.reason,
                "score": self.score, "source": self.source}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Pick:
        return cls(item_id=str(d["item_id"]), title=str(d["title"]), reason=str(d["reason"]),
                   score=float(d["score"]), source=d.get("source", "code"))


ReplyKind = Literal["recommend", "clarify", "answer", "error"]


@dataclass
class Reply:
    """What one user turn produced."""

    text: str
    picks: list[Pick] = field(default_factory=list)
    kind: ReplyKind = "recommend"
    notes: list[str] = field(default_factory=list)  # e.g. "the model's reply was unusable; ..."
    backend: str = ""
    elapsed_s: float = 0.0
    turn: int = 0
    #: diagnostics of how the picks were made (llm_valid, llm_dropped, reasons_replaced, ...)
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "picks": [p.to_dict() for p in self.picks], "kind": self.kind,
                "notes": list(self.notes), "backend": self.backend, "elapsed_s": self.elapsed_s,
                "turn": self.turn, "meta": dict(self.meta)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Reply:
        return cls(text=d["text"], picks=[Pick.from_dict(p) for p in d.get("picks", [])],
                   kind=d.get("kind", "recommend"), notes=list(d.get("notes", [])),
                   backend=d.get("backend", ""), elapsed_s=float(d.get("elapsed_s", 0.0)),
                   turn=int(d.get("turn", 0)), meta=dict(d.get("meta", {})))


@dataclass(frozen=True)
class TextChunk:
    """Streamed reply text."""

    text: str


@dataclass(frozen=True)
class PickEvent:
    """One pick, streamed as soon as it is final."""

    pick: Pick


@dataclass(frozen=True)
class Done:
    """The complete reply; always the last event of a stream."""

    reply: Reply


Event = TextChunk | PickEvent | Done
