"""The user's preference profile: a typed, serialisable record of what they said, with provenance.

Hard constraints and dislikes in here are filters, never suggestions.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from chatrec.types import Item
from chatrec.vocab import normalize_term

if TYPE_CHECKING:
    from chatrec.catalog import Catalog

Source = Literal["user", "feedback", "edit", "llm", "replay", "import"]
Op = Literal["min", "max", "eq", "has", "not_has"]


@dataclass
class Fact:
    """One liked/disliked/seen item or attribute, with the turn that said it."""

    value: str  # an item id, or a normalised attribute term
    turn: int = 0
    source: Source = "user"
    label: str = ""  # how to show it: the item's title, or the attribute as said
    confidence: float = 1.0


@dataclass
class Constraint:
    """A hard constraint on one metadata field: ``year min 1990``, ``price max 10``, ``specs has co-op``."""

    field: str
    op: Op
    value: Any
    turn: int = 0
    text: str = ""  # the words it came from, e.g. "90s"
    source: Source = "user"

    @property
    def key(self) -> str:
        return f"{self.field}:{self.op}"

    def allows(self, item: Item) -> bool:
        """True when the item satisfies the constraint. An unknown value never satisfies it."""
        v = item.meta.get(self.field)
        if self.op in ("has", "not_has"):  # a list value: any of them ("by A or B", "not by A, B")
            have = {normalize_term(x) for x in item.values(self.field)}
            vals = self.value if isinstance(self.value, list) else [self.value]
            hit = any(normalize_term(str(v)) in have for v in vals)
            return hit if self.op == "has" else not hit
        if v is None or isinstance(v, list):
            return False
        if self.op == "eq":
            return bool(v == self.value)
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return False
        if self.op == "min":
            return float(v) >= float(self.value)
        return float(v) <= float(self.value)  # max

    def describe(self) -> str:
        f = self.field
        if self.op == "min":
            return f"{f} {_num(self.value)}+" if f == "year" else f"{f} >= {_num(self.value)}"
        if self.op == "max":
            return f"{f} up to {_num(self.value)}" if f == "year" else f"{f} <= {_num(self.value)}"
        many = isinstance(self.value, list)
        if self.op == "has":
            return f"{f}: {' or '.join(map(str, self.value)) if many else self.value}"
        if self.op == "not_has":
            return f"{f}: not {', '.join(map(str, self.value)) if many else self.value}"
        return f"{f} = {self.value}"


DESCRIBED_ITEMS = 12  # a long history (an import) is described by its latest items


def attr_labels(facts: dict[str, Fact]) -> list[str]:
    """The labels of attribute facts, one per normal form: "relaxing" read as two catalog terms
    (relaxing, casual) both labelled "relaxing" is said once."""
    out: dict[str, str] = {}
    for k, f in facts.items():
        label = f.label or f.value or k
        out.setdefault(normalize_term(label), label)
    return list(out.values())


def latest_labels(labels: list[str]) -> list[str]:
    """The latest ``DESCRIBED_ITEMS`` labels, then how many earlier ones there are (a long
    imported history stays readable)."""
    if len(labels) <= DESCRIBED_ITEMS:
        return labels
    return [*labels[-DESCRIBED_ITEMS:], f"and {len(labels) - DESCRIBED_ITEMS} more"]


def _num(v: Any) -> str:
    return str(int(v)) if isinstance(v, (int, float)) and float(v).is_integer() else str(v)


@dataclass
class Preferences:
    """What chatrec believes about the user. Shown to them, editable, and obeyed."""

    liked_items: dict[str, Fact] = field(default_factory=dict)
    disliked_items: dict[str, Fact] = field(default_factory=dict)
    seen_items: dict[str, Fact] = field(default_factory=dict)
    liked_attrs: dict[str, Fact] = field(default_factory=dict)
    disliked_attrs: dict[str, Fact] = field(default_factory=dict)
    constraints: dict[str, Constraint] = field(default_factory=dict)
    recommended: list[str] = field(default_factory=list)  # every item id shown so far, in order
    last_picks: list[str] = field(default_factory=list)  # the latest reply's picks ("the second one")
    anchor: str | None = None  # an item the user asked for "more like"
    novelty: float = 0.0  # 0: what many people like ... 1: lesser-known picks (the novelty knob)

    # --- changes ----------------------------------------------------------------------
    def like_item(self, item_id: str, label: str, turn: int, source: Source = "user",
                  confidence: float = 1.0) -> None:
        self.disliked_items.pop(item_id, None)
        self.liked_items[item_id] = Fact(item_id, turn, source, label, confidence)

    def dislike_item(self, item_id: str, label: str, turn: int, source: Source = "user") -> None:
        self.liked_items.pop(item_id, None)
        self.disliked_items[item_id] = Fact(item_id, turn, source, label)

    def mark_seen(self, item_id: str, label: str, turn: int, source: Source = "user") -> None:
        self.seen_items[item_id] = Fact(item_id, turn, source, label)

    def like_attr(self, term: str, turn: int, label: str = "", source: Source = "user") -> None:
        t = normalize_term(term)
        self.disliked_attrs.pop(t, None)
        self.liked_attrs[t] = Fact(t, turn, source, label or t)

    def dislike_attr(self, term: str, turn: int, label: str = "", source: Source = "user") -> None:
        t = normalize_term(term)
        self.liked_attrs.pop(t, None)
        self.disliked_attrs[t] = Fact(t, turn, source, label or t)

    def drop_attr(self, term: str) -> bool:
        t = normalize_term(term)
        a = self.liked_attrs.pop(t, None)
        b = self.disliked_attrs.pop(t, None)
        return a is not None or b is not None

    def set_constraint(self, c: Constraint) -> None:
        self.constraints[c.key] = c

    def drop_constraints(self, field_name: str) -> list[Constraint]:
        gone = [c for c in self.constraints.values() if c.field == field_name]
        for c in gone:
            del self.constraints[c.key]
        return gone

    def note_recommended(self, item_ids: list[str]) -> None:
        for i in item_ids:
            if i not in self.recommended:
                self.recommended.append(i)
        self.last_picks = list(item_ids)

    # --- reading ----------------------------------------------------------------------
    def set_novelty(self, value: float) -> None:
        """The novelty knob, 0..1 (values outside are clipped)."""
        self.novelty = min(1.0, max(0.0, float(value)))

    @property
    def has_positive_signal(self) -> bool:
        return bool(self.liked_items or self.liked_attrs or self.anchor or self.constraints)

    def excluded_ids(self) -> set[str]:
        """Items that must never be recommended now."""
        return (set(self.disliked_items) | set(self.seen_items) | set(self.recommended)
                | set(self.liked_items))

    def describe(self, catalog: Catalog | None = None) -> str:
        """The profile in plain words: ``You like: space, Interstellar. Not: horror. year 1990+``."""
        parts: list[str] = []
        likes = attr_labels(self.liked_attrs)
        likes += latest_labels([f.label or f.value for f in self.liked_items.values()])
        if likes:
            parts.append("You like: " + ", ".join(likes) + ".")
        nots = attr_labels(self.disliked_attrs)
        nots += latest_labels([f.label or f.value for f in self.disliked_items.values()])
        if nots:
            parts.append("Not: " + ", ".join(nots) + ".")
        if self.constraints:
            parts.append("Limits: " + "; ".join(self.describe_limits()) + ".")
        if self.seen_items:
            parts.append("Seen: " + ", ".join(
                latest_labels([f.label or f.value for f in self.seen_items.values()])) + ".")
        if self.novelty > 0:
            parts.append(f"Leaning to lesser-known picks ({self.novelty:.0%}).")
        return " ".join(parts) if parts else "Nothing yet: tell me what you like."

    def describe_limits(self) -> list[str]:
        """Constraints in words, a min and a max of one field joined: ``year 1990-1999``."""
        out: list[str] = []
        done: set[str] = set()
        for c in self.constraints.values():
            if c.field in done:
                continue
            lo = self.constraints.get(f"{c.field}:min")
            hi = self.constraints.get(f"{c.field}:max")
            if lo is not None and hi is not None:
                done.add(c.field)
                out.append(f"{c.field} {_num(lo.value)}-{_num(hi.value)}")
            else:
                out.append(c.describe())
        return out

    # --- persistence ------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Preferences:
        def facts(key: str) -> dict[str, Fact]:
            return {k: Fact(**v) for k, v in d.get(key, {}).items()}

        return cls(
            liked_items=facts("liked_items"), disliked_items=facts("disliked_items"),
            seen_items=facts("seen_items"), liked_attrs=facts("liked_attrs"),
            disliked_attrs=facts("disliked_attrs"),
            constraints={k: Constraint(**v) for k, v in d.get("constraints", {}).items()},
            recommended=list(d.get("recommended", [])), last_picks=list(d.get("last_picks", [])),
            anchor=d.get("anchor"), novelty=float(d.get("novelty", 0.0) or 0.0),
        )
