"""Which of several same-named items people mean: the main work before its companions, and the
most rated or most popular one first (used by :class:`chatrec.understand.titles.TitleIndex`).

* :data:`COMPANION`: titles of companions to a work (guides, box sets, "making of", official
  illustrated companions, art books), beside the add-ons (DLC, soundtracks) that
  ``titles._ADDON`` finds;
* :func:`bare_title`: a title without a trailing series note, ``"The Hunger Games (The Hunger
  Games, #1)"`` -> ``"The Hunger Games"``, so the novel is found by its plain name;
* :func:`popularity_prior`: 0..1 per item, to choose among same-named items: the catalog's
  popularity role, else the percentile of its votes (ratings count), else of its number of
  ratings in the catalog; :func:`known_prior`: how well known, for the evidence a title needs;
* :func:`rating_counts` and :func:`clearly_more_rated`: a catalog percentile can put two
  same-named works close together (1,355 votes and none are both near the bottom of a catalog
  of hits), so among same-named items the raw counts decide when one is clearly the most rated.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chatrec.catalog import Catalog

COMPANION = re.compile(
    r"\b(companion|(?:official|strategy|study|reader'?s|collector'?s|field|survival) guide|"
    r"guidebook|handbook|workbook|box(?:ed)? ?set|making of|behind the scenes|"
    r"official illustrated|illustrated (?:movie )?companion|art of|artbook|sparknotes|"
    r"cliffs ?notes|summary (?:of|and analysis)|coloring book|colouring book|"
    r"original (?:motion picture )?score|season pass|expansion pass|episode \d+ ?[-:] ?dlc)\b",
    re.IGNORECASE)
_SERIES_TAIL = re.compile(r"\s*\((?![^)]*\b\d{4}\b\s*\))[^()]*(?:#\s*\d[\d.\-]*|book \d+|vol\.? ?\d+)"
                          r"[^()]*\)\s*$", re.IGNORECASE)


def bare_title(name: str) -> str:
    """``"The Hunger Games (The Hunger Games, #1)"`` -> ``"The Hunger Games"``; other titles as
    they are."""
    if not name.rstrip().endswith(")"):
        return name
    return _SERIES_TAIL.sub("", name).strip() or name


def known_prior(catalog: Catalog) -> dict[str, float]:
    """Item id -> 0..1, how well known, for the evidence a title needs: the popularity role's
    value, or 0.9 for every item of a catalog without one (all count as well known)."""
    f = catalog.manifest.popularity_field
    if f is None:
        return {it.id: 0.9 for it in catalog}
    return {it.id: float(p) if isinstance(p := it.meta.get(f), (int, float))
            and not isinstance(p, bool) else 0.0 for it in catalog}


# How much more rated the top same-named item must be to be the one people mean: twice the
# votes of the next one, and by at least this many (2 ratings against 1 says nothing).
MORE_RATED_RATIO = 2.0
MORE_RATED_MIN_LEAD = 10.0


def rating_counts(catalog: Catalog) -> dict[str, float]:
    """Item id -> how many rated it, for a catalog without a popularity role: its votes role,
    else its number of ratings in the catalog; empty when there is neither (or a popularity)."""
    man = catalog.manifest
    counts: dict[str, float] = {}
    if man.popularity_field:
        return counts
    if man.votes_field:
        counts = {it.id: catalog.votes(it.id) for it in catalog}
    elif man.ratings_file is not None:
        ratings = catalog.ratings()
        if ratings is not None:
            for iid in ratings.item_ids:
                counts[str(iid)] = counts.get(str(iid), 0.0) + 1.0
    return counts if any(counts.values()) else {}


def clearly_more_rated(counts: dict[str, float], top: str, second: str) -> bool:
    """``top`` has at least :data:`MORE_RATED_RATIO` times the ratings of ``second`` and
    :data:`MORE_RATED_MIN_LEAD` more (False without counts)."""
    a, b = counts.get(top, 0.0), counts.get(second, 0.0)
    return a >= MORE_RATED_RATIO * b and a - b >= MORE_RATED_MIN_LEAD


def popularity_prior(catalog: Catalog) -> dict[str, float]:
    """Item id -> 0..1: the popularity role's value; else the percentile of the votes role;
    else of the number of the catalog's own ratings; else 0.9 for all (nothing to go on)."""
    if catalog.manifest.popularity_field:
        return known_prior(catalog)
    counts = rating_counts(catalog)
    if not counts:
        return {it.id: 0.9 for it in catalog}
    ranked = sorted(set(counts.values()))
    rank = {v: n / max(1, len(ranked) - 1) for n, v in enumerate(ranked)}
    return {it.id: rank[counts[it.id]] if counts.get(it.id) else 0.0 for it in catalog}
