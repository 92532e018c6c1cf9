"""What a reason may say: plain text only, prose, and only attributes the item really has.

The model's reasons are data: :func:`clean_reason` strips markup and caps the length,
:func:`looks_like_prose` rejects the degenerate output small models produce, and
:class:`Grounding` rejects a reason that claims an attribute the item does not have or names
none it has. Words are compared normalised (lower case, punctuation dropped, the vocabulary's
synonyms added), so "sci fi" is checked as "sci-fi". Beyond attributes, a reason may cite the
item's facts (:mod:`chatrec.rank.facts`: its description's hook, creator, score): every number it
states must be one of the item's own (:func:`numbers_ok`), and every fact chatrec writes itself
is checked against the item's data (:meth:`Grounding.supports`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

from chatrec.types import Item
from chatrec.understand.lexicon import word_set
from chatrec.vocab import SYNONYMS

if TYPE_CHECKING:
    from chatrec.catalog import Catalog

MAX_REASON_CHARS = 200
_MARKUP = re.compile(r"<[^>]{0,200}>|\[([^\]]*)\]\([^)]*\)|https?://\S+|[`*_#]{1,3}")
_CTRL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_WORD = re.compile(r"[a-z0-9][a-z0-9'\-]*")
_NUMBER = re.compile(r"(?<![\w/])\d{1,3}(?:,\d{3})+(?:\.\d+)?|(?<![\w/])\d+(?:\.\d+)?")
_SCALE = re.compile(r"/\s?\d+")
_CONTENT = re.compile(r"[a-z][a-z'\-]{3,}")
_STOPWORDS = word_set("""this that with from into their they them have what when where which
while about after before there these those then than will would your been were being over under
also just more most very only some such each other""")


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


def item_numbers(item: Item) -> set[float]:
    """Every number in the item's data (its meta values, numbers inside its text and strings)."""
    out: set[float] = set()
    for v in item.meta.values():
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            out.add(float(v))
        elif isinstance(v, str):
            out |= {float(x.replace(",", "")) for x in _NUMBER.findall(v)}
    out |= {float(x.replace(",", "")) for x in _NUMBER.findall(item.text + " " + item.title)}
    return out


def numbers_ok(text: str, item: Item, ignore: Iterable[str] = (),
               have: Iterable[float] | None = None) -> bool:
    """True when every number ``text`` states is one of the item's own, as written or rounded
    ("3.9/5" of a 3.921 rating; a scale like "/5" and the user's titles are not claims).
    ``have``: the item's numbers when already known (:meth:`Grounding.numbers`)."""
    for t in ignore:
        text = text.replace(t, " ")
    have = item_numbers(item) if have is None else have
    for raw in _NUMBER.findall(_SCALE.sub(" ", text)):
        said = float(raw.replace(",", ""))
        places = len(raw.split(".")[1]) if "." in raw else 0
        if not any(round(v, places) == said or v == said for v in have):
            return False
    return True


def _content_words(text: str) -> set[str]:
    return {w for w in _CONTENT.findall(text.lower()) if w not in _STOPWORDS}


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
        # per item id: its words (normalized) and its numbers; a turn checks many phrases of
        # the same items (rank(50) wrote 50 reasons 4x slower without this)
        self._seen: dict[str, tuple[str, frozenset[str], frozenset[float]]] = {}

    def _data(self, item: Item) -> tuple[str, frozenset[str], frozenset[float]]:
        got = self._seen.get(item.id)
        if got is None:
            blob = _normalized_words(" ".join([item.title, item.text] + [
                " ".join(item.values(k)) for k, v in item.meta.items()
                if not isinstance(v, bool)]))
            got = (blob, frozenset(blob.split()), frozenset(item_numbers(item)))
            if len(self._seen) < 100_000:
                self._seen[item.id] = got
        return got

    def numbers_ok(self, text: str, item: Item, ignore: Iterable[str] = ()) -> bool:
        """:func:`numbers_ok` with the item's numbers remembered."""
        return numbers_ok(text, item, ignore, self._data(item)[2])

    def supports(self, item: Item, phrase: str) -> bool:
        """True when ``phrase`` (a fact chatrec cites) is in the item's own data: its words
        in the item's text or meta values, its numbers among the item's numbers."""
        blob, blob_words, _ = self._data(item)
        words = " ".join(_WORD.findall(_NUMBER.sub(" ", _SCALE.sub(" ", phrase.lower()))))
        return self.numbers_ok(phrase, item) and (not words.strip() or f" {words} " in blob
                                                   or _content_words(words) <= blob_words)

    def check(self, reason: str, item: Item, ignore: Iterable[str] = (),
              facts: Iterable[str] = ()) -> tuple[bool, str]:
        """(ok, why). ``ignore``: titles the reason may name (the user's items: "people who
        liked Children of Men" claims nothing about family films). ``facts``: the item's facts
        (its hook, creator, score) the reason may cite instead of an attribute; the words of a
        fact are the item's own, not claims."""
        facts = [f for f in facts if f]
        ignore = list(ignore)
        if not self.numbers_ok(reason, item, ignore):
            return False, "states a number the item's data does not have"
        attrs = self.catalog.attributes(item)
        norm = _without(_without(_normalized_words(reason), ignore), facts)
        # what the item's own terms cover is not another claim ("Massively Multiplayer" is a
        # genre it has, not a claim of the "multi-player" spec)
        rest = _without(norm, sorted((t for t in attrs if len(t) >= 3), key=len, reverse=True))
        # a term inside one the item has is true of it ("co-op" of a "local co-op" game)
        own = " ".join(_normalized_words(t) for t in attrs)
        false = {t for t in self.claim_vocab
                 if t not in attrs and _mentions(rest, t) and not _mentions(own, t)}
        if false:
            return False, f"claims {sorted(false)} which the item does not have"
        if not any(_mentions(norm, t) for t in attrs if len(t) >= 3) and \
                not self._cites(reason, facts):
            return False, "names none of the item's attributes"
        return True, ""

    @staticmethod
    def _cites(reason: str, facts: list[str]) -> bool:
        """True when the reason carries one of the facts: its words (most of a hook's content
        words, at least two) or the fact itself."""
        said = _content_words(reason)
        low = reason.lower()
        for f in facts:
            if f.lower() in low:
                return True
            words = _content_words(f)
            if len(words) >= 2 and len(words & said) >= max(2, (len(words) + 1) // 2):
                return True
        return False

    def grounded(self, reason: str, item: Item, ignore: Iterable[str] = (),
                 facts: Iterable[str] = ()) -> bool:
        return self.check(reason, item, ignore, facts)[0]
