"""The result of understanding one message, and applying it to the profile."""

from __future__ import annotations

from dataclasses import dataclass, field

from chatrec.profile import Constraint, Preferences


@dataclass
class TitleMatch:
    """A catalog item the user named or pointed at."""

    item_id: str
    label: str  # the item's display title, "Title (Year)"
    mention: str  # the user's words
    confidence: float  # 0..1
    via: str = "title"  # "title" (exact/alias), "fuzzy" (typo), "reference" ("the second one")


@dataclass
class Understanding:
    """Everything one message says about the user's preferences. See ``chatrec.understand``."""

    liked_items: list[TitleMatch] = field(default_factory=list)
    disliked_items: list[TitleMatch] = field(default_factory=list)
    seen_items: list[TitleMatch] = field(default_factory=list)
    liked_attrs: list[str] = field(default_factory=list)
    disliked_attrs: list[str] = field(default_factory=list)
    constraints: list[Constraint] = field(default_factory=list)
    dropped_constraints: list[str] = field(default_factory=list)  # "year" (all ops) or "year:min"
    dropped_attrs: list[str] = field(default_factory=list)
    dropped_items: list[str] = field(default_factory=list)  # "I changed my mind about Titanic"
    unknown_titles: list[str] = field(default_factory=list)
    ambiguous: list[tuple[str, list[str]]] = field(default_factory=list)
    anchor: str | None = None
    intent: str = "recommend"  # recommend | greeting | more | item_question | why | other
    question_item: str | None = None
    positive_text: str = ""
    novelty: float | None = None  # "hidden gems" -> 0.8, "something popular" -> 0.0
    notes: list[str] = field(default_factory=list)  # e.g. "This catalog has no runtime data ..."
    attr_labels: dict[str, str] = field(default_factory=dict)  # term -> the user's words
    labels: dict[str, str] = field(default_factory=dict)  # item id -> display title (ambiguous)

    @property
    def has_content(self) -> bool:
        """True when the message changes the profile or points at an item."""
        return bool(self.liked_items or self.disliked_items or self.seen_items or self.liked_attrs
                    or self.disliked_attrs or self.constraints or self.dropped_constraints
                    or self.dropped_attrs or self.dropped_items or self.unknown_titles
                    or self.ambiguous or self.anchor or self.question_item
                    or self.novelty is not None)


def _quote(s: str) -> str:
    return f"'{s}'"


def apply(u: Understanding, prefs: Preferences, turn: int) -> list[str]:
    """Apply ``u`` to ``prefs`` (mutating it); return short notes for the user.

    Notes cover what the user might not expect: unknown or ambiguous titles, typo guesses,
    lifted limits, limits the catalog can't apply. Ordinary likes and dislikes are not
    repeated here (the reply shows the profile).
    """
    notes: list[str] = []
    for mid in u.dropped_items:
        gone = [d.pop(mid, None) for d in (prefs.liked_items, prefs.disliked_items, prefs.seen_items)]
        if any(gone):
            lab = next(f.label for f in gone if f is not None)
            notes.append(f"Forgot what you said about {lab}.")
    for m in u.liked_items:
        if m.via == "reference" and (m.item_id in prefs.disliked_items
                                     or m.item_id in prefs.seen_items):
            continue  # "more like those" does not undo a dislike or a "seen" given by card button
        prefs.like_item(m.item_id, m.label, turn, confidence=m.confidence)
        if m.via == "fuzzy":
            notes.append(f"I took {_quote(m.mention)} to mean {m.label}.")
    for m in u.disliked_items:
        prefs.dislike_item(m.item_id, m.label, turn)
        if m.via == "fuzzy":
            notes.append(f"I took {_quote(m.mention)} to mean {m.label}.")
    for m in u.seen_items:
        prefs.mark_seen(m.item_id, m.label, turn)
    for t in u.dropped_attrs:
        was_disliked = t in prefs.disliked_attrs
        if prefs.drop_attr(t):
            notes.append(f"OK, {t} is no longer ruled out." if was_disliked
                         else f"OK, I'll stop looking for {t}.")
    for t in u.liked_attrs:
        prefs.like_attr(t, turn, label=u.attr_labels.get(t, t))
    for t in u.disliked_attrs:
        prefs.dislike_attr(t, turn, label=u.attr_labels.get(t, t))
    for d in u.dropped_constraints:
        if ":" in d:
            c = prefs.constraints.pop(d, None)
            if c is not None:
                notes.append(f"Dropped the limit '{c.describe()}'.")
        else:
            gone_c = prefs.drop_constraints(d)
            if gone_c:
                notes.append("Dropped the limit " + ", ".join(f"'{c.describe()}'" for c in gone_c) + ".")
    for c in u.constraints:
        prefs.set_constraint(c)
    # a new bound that contradicts an older one on the same field replaces it
    for c in u.constraints:
        if c.op not in ("min", "max"):
            continue
        other = prefs.constraints.get(f"{c.field}:{'max' if c.op == 'min' else 'min'}")
        if other is None or (other.turn == turn and other in u.constraints):
            continue
        lo, hi = (c.value, other.value) if c.op == "min" else (other.value, c.value)
        try:
            bad = float(lo) > float(hi)
        except (TypeError, ValueError):
            bad = False
        if bad:
            del prefs.constraints[other.key]
            notes.append(f"Replaced the limit '{other.describe()}'.")
    if u.anchor:
        prefs.anchor = u.anchor
    if u.novelty is not None and u.novelty != prefs.novelty:
        prefs.set_novelty(u.novelty)
        notes.append("OK, leaning to lesser-known picks." if u.novelty > 0
                     else "OK, back to well-known picks.")
    for name in u.unknown_titles:
        notes.append(f"I don't know {_quote(name)}; it isn't in this catalog.")
    for mention, ids in u.ambiguous:
        labels = [u.labels.get(i, i) for i in ids]
        notes.append(f"Which {_quote(mention)} do you mean: " + " or ".join(labels) + "?")
    notes.extend(u.notes)
    return [n for n in notes if n]
