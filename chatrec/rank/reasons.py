"""The reasons chatrec writes itself, from an item's own data and what the user said.

:func:`template_reason` is always grounded (it names only the item's own attributes), so it
replaces a model's reason that fails the checks, and words every pick the code makes alone.
:func:`describe_item` is the compact line of facts the model sees about a candidate.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from chatrec.profile import Preferences
from chatrec.rank.grounding import clean_reason
from chatrec.types import Candidate, Item

if TYPE_CHECKING:
    from chatrec.catalog import Catalog


def describe_item(item: Item, catalog: Catalog, max_terms: int = 5) -> str:
    """The compact facts the model sees for one item."""
    m = item.meta
    bits = [item.display_title]
    genres = item.values("genres")[:4]
    if genres:
        bits.append(", ".join(genres))
    terms: list[str] = []
    for f in catalog.manifest.attribute_fields:
        if f == "genres":
            continue
        for v in item.values(f):
            if v.lower() not in {t.lower() for t in terms + genres}:
                terms.append(v)
            if len(terms) >= max_terms:
                break
        if len(terms) >= max_terms:
            break
    if terms:
        bits.append(", ".join(terms))
    if isinstance(m.get("runtime"), int):
        bits.append(f"{m['runtime']} min")
    price = m.get("price")
    if isinstance(price, (int, float)) and not isinstance(price, bool):
        bits.append("free" if float(price) == 0 else f"${float(price):.2f}")
    return " | ".join(bits)


def template_reason(cand: Candidate, prefs: Preferences, catalog: Catalog) -> str:
    """A reason built from the item's own data and what the user said: always grounded."""
    item = cand.item
    genres = item.values("genres")[:3] or [v for f in catalog.manifest.attribute_fields
                                           for v in item.values(f)][:3]
    head = ", ".join(genres) if genres else catalog.manifest.noun.capitalize()
    if item.year:
        head += f" from {item.year}"
    why: list[str] = []
    if cand.matched:
        labels = [prefs.liked_attrs[t].label if t in prefs.liked_attrs else t for t in cand.matched]
        why.append("matches what you asked for (" + ", ".join(labels[:3]) + ")")
    ref_item = catalog.get(cand.because) if cand.because else None
    ref = ref_item.title if ref_item else None
    if ref and cand.signals.get("collab", 0.0) > 0.05:
        why.append(f"people who liked {_short(ref)} rate it highly")
    elif ref and cand.signals.get("dense", 0.0) > 0.45:
        why.append(f"close in themes to {_short(ref)}")
    if cand.signals.get("conv_popularity", 0.0) >= 0.7 and len(why) < 2:
        why.append("often recommended when people ask for suggestions")
    if not why:
        extra = [t for t in item.values("keywords")[:2] + item.values("tags")[:2]]
        if extra:
            why.append("about " + _join(extra[:2]))
        elif cand.signals.get("popularity", 0.0) > 0.8:
            why.append(f"one of the best-known {catalog.manifest.plural} here")
    text = head + (": " + "; ".join(why) if why else "")
    return clean_reason(text[0].upper() + text[1:] + ".")


def profile_titles(prefs: Preferences, catalog: Catalog) -> list[str]:
    """Titles a reason may name without claiming anything: the user's items, with and without
    the year."""
    ids = list(prefs.liked_items) + list(prefs.seen_items) + list(prefs.disliked_items)
    if prefs.anchor:
        ids.append(prefs.anchor)
    out: list[str] = []
    for i in ids:
        it = catalog.get(i)
        if it is not None:
            out += [it.display_title, it.title, _short(it.display_title)]
    return out


def _short(label: str) -> str:
    return re.sub(r"\s*\(\d{4}\)$", "", label)


def _join(xs: list[str]) -> str:
    xs = [x for x in xs if x]
    if len(xs) <= 1:
        return "".join(xs)
    return ", ".join(xs[:-1]) + " and " + xs[-1]
