"""What a reason may say: plain text only, prose, and only attributes the item really has.

The model's reasons are data: :func:`clean_reason` strips markup and caps the length,
:func:`looks_like_prose` rejects the degenerate output small models produce, and
:class:`Grounding` rejects a reason that claims an attribute the item does not have or names
none it has. Words are compared normalised (lower case, punctuation dropped, the vocabulary's
synonyms added), so "sci fi" is checked as "sci-fi".
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

from chatrec.types import Item
from chatrec.vocab import SYNONYMS

if TYPE_CHECKING:
    from chatrec.catalog import Catalog

MAX_REASON_CHARS = 200
_MARKUP = re.compile(r"<[^>]{0,200}>|\[([^\]]*)\]\([^)]*\)|https?://\S+|[`*_#]{1,3}")
_CTRL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_WORD = re.compile(r"[a-z0-9][a-z0-9'\-]*")


def clean_reason(text: str) -> str:
    """Plain text only: no markup, links or control characters; one line, length-capped."""
    t = _CTRL.sub(" ", str(text))
    t = _MARKUP.sub(lambda m: m.group(1) or "", t)
    t = re.sub(r"\s+", " ", t).strip().strip('"').strip()
    if len(t) > MAX_REASON_CHARS:
        t = t[: MAX_REASON_CHARS - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return t


def looks_like_prose(text: str) -> bool:
    """Rejects the degenerate output small models produce ("1.1.1.1", one word repeated)."""
    words = _WORD.findall(text.lower())
    if len(words) < 3:
        return False
    if sum(c.isalpha() or c.isspace() for c in text) < 0.8 * len(text):
        return False
    top = Counter(words).most_common(1)[0][1]
    if top > max(3, len(words) // 3):
        return False
    return not re.search(r"(.{1,6}?)\1{3,}", text)


def _normalized_words(text: str) -> str:
    """``text`` as blank-separated lower-case words with blanks at both ends, each known
    variant followed by its canonical term ("sci fi" -> " sci fi sci-fi ")."""
    t = " " + " ".join(_WORD.findall(text.lower())) + " "
    for variant, canon in SYNONYMS.items():
        if f" {variant} " in t:
            t = t.replace(f" {variant} ", f" {variant} {canon} ")
    return t


def _mentions(norm_text: str, term: str) -> bool:
    words = " ".join(_WORD.findall(term.lower()))
    return bool(words) and f" {words} " in norm_text


def _without(norm_text: str, phrases: Iterable[str]) -> str:
    for p in phrases:
        n = _normalized_words(p).strip()
        if n:
            norm_text = norm_text.replace(n, " ")
    return norm_text


class Grounding:
    """Checks that a reason only claims attributes the item has, and names at least one."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        claim: set[str] = set()
        for f in catalog.manifest.attribute_fields:
            spec = catalog.manifest.fields.get(f)
            if spec is None:
                continue
            vocab = catalog.field_vocabulary(f)
            # genre-like fields are small and every term in them is a checkable claim
            if len(vocab) <= 80:
                claim |= {t for t in vocab if len(t) >= 3}
        self.claim_vocab = frozenset(claim)

    def check(self, reason: str, item: Item, ignore: Iterable[str] = ()) -> tuple[bool, str]:
        """(ok, why). ``ignore``: titles the reason may name (the user's items: "people who
        liked Children of Men" claims nothing about family films)."""
        attrs = self.catalog.attributes(item)
        norm = _without(_normalized_words(reason), ignore)
        # what the item's own terms cover is not another claim ("Massively Multiplayer" is a
        # genre it has, not a claim of the "multi-player" spec)
        rest = _without(norm, sorted((t for t in attrs if len(t) >= 3), key=len, reverse=True))
        # a term inside one the item has is true of it ("co-op" of a "local co-op" game)
        own = " ".join(_normalized_words(t) for t in attrs)
        false = {t for t in self.claim_vocab
                 if t not in attrs and _mentions(rest, t) and not _mentions(own, t)}
        if false:
            return False, f"claims {sorted(false)} which the item does not have"
        if not any(_mentions(norm, t) for t in attrs if len(t) >= 3):
            return False, "names none of the item's attributes"
        return True, ""

    def grounded(self, reason: str, item: Item, ignore: Iterable[str] = ()) -> bool:
        return self.check(reason, item, ignore)[0]
