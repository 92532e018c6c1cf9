"""Answers about one item: "would I like X?", "what is #2 about?", "why that one?".

Built from the catalog's own data and the profile; the predicted fit comes from the collaborative
model where the catalog has ratings, else from the item's rating, moved by the liked and disliked
attributes it has.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatrec.profile import Preferences
from chatrec.rank.reasons import describe_item
from chatrec.types import Reply

if TYPE_CHECKING:
    from chatrec.catalog import Catalog
    from chatrec.retrieve.collab import CollaborativeModel

MAX_OVERVIEW = 400


class Answerer:
    """Answers questions about single items of one catalog."""

    def __init__(self, catalog: Catalog, collab: CollaborativeModel | None) -> None:
        self.catalog = catalog
        self.collab = collab

    def predict_fit(self, item_id: str, prefs: Preferences) -> float | None:
        """A 1-5 estimate of how much this user would like the item (None: unknown item)."""
        item = self.catalog.get(item_id)
        if item is None:
            return None
        base: float | None = None
        if self.collab is not None:
            base = self.collab.predict_rating(item_id, list(prefs.liked_items),
                                              list(prefs.disliked_items))
        if base is None:
            rating = self.catalog.rating(item_id)
            base = rating if rating is not None else 3.0
        attrs = self.catalog.attributes(item)
        base += 0.3 * len(attrs & set(prefs.liked_attrs))
        base -= 1.0 * len(attrs & set(prefs.disliked_attrs))
        return max(1.0, min(5.0, base))

    def about(self, item_id: str | None, prefs: Preferences) -> str:
        """What the item is, and how well it fits this profile."""
        item = self.catalog.get(item_id) if item_id else None
        if item is None:
            return "I don't know that title; it isn't in this catalog."
        facts = describe_item(item, self.catalog, max_terms=8)
        overview = item.meta.get("overview")
        fit = self.predict_fit(item.id, prefs)
        attrs = self.catalog.attributes(item)
        good = sorted(attrs & set(prefs.liked_attrs))
        bad = sorted(attrs & set(prefs.disliked_attrs))
        parts = [f"{item.display_title}: {facts}."]
        if isinstance(overview, str) and overview:
            parts.append(overview if len(overview) < MAX_OVERVIEW
                         else overview[:MAX_OVERVIEW - 3] + "…")
        if fit is not None and prefs.has_positive_signal:
            verdict = "likely a good fit" if fit >= 3.7 else (
                "maybe" if fit >= 3.0 else "probably not for you")
            line = f"Predicted fit for you: {fit:.1f}/5 ({verdict})"
            if good:
                line += f"; it has {', '.join(good)} which you like"
            if bad:
                line += f"; but it has {', '.join(bad)} which you said you don't want"
            parts.append(line + ".")
        return " ".join(parts)

    @staticmethod
    def why(last: Reply | None, item_id: str | None, prefs: Preferences) -> str | None:
        """Why a pick of the last reply was made: its recorded reason and the profile behind
        it (None when the item was not among the last picks)."""
        if last is None or not last.picks:
            return None
        target = item_id or last.picks[0].item_id
        for p in last.picks:
            if p.item_id == target:
                who = "the language model" if p.source == "llm" else "chatrec's ranking"
                return (f"I picked {p.title} because: {p.reason} (reason by {who}; based on "
                        f"your profile: {prefs.describe()})")
        return None
