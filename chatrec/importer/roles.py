"""Which columns of a user's file play a role: the year, the creator, the rating, the votes,
the popularity, the language and the link.

:func:`choose_roles` takes the roles the user named (``--year COL``, ``--creator COL``, ...,
or ``none`` to leave a role out) and detects the others from the column names and a sample of
their values; it returns the chosen columns and one line per detected role for the user
("using original_publication_year as the year; pass --year to change"). The converter
(:mod:`chatrec.importer.convert`) then stores each role in the manifest, so every later step
reads roles, never column names. Part of :mod:`chatrec.importer`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from chatrec.importer.values import BadValue, is_missing, to_list, to_number

ROLES = ("year", "creator", "rating", "votes", "popularity", "language", "link")
NONE = "none"  # --year none: no column plays the role
_YEAR_IN_TEXT = re.compile(r"(?<!\d)(1\d{3}|20\d{2})(?!\d)")
_CREATOR_SEP = re.compile(r"\s*(?:;|,|&|\band\b)\s*")
# creator column words, the most telling first (an author before a publisher)
_CREATOR_WORDS = ("author", "authors", "writer", "writers", "director", "directors", "developer",
                  "developers", "creator", "creators", "artist", "artists", "designer", "designers",
                  "composer", "brand", "manufacturer", "maker", "studio", "publisher", "publishers")
_DATE_WORDS = frozenset({"date", "released", "release", "published", "publication", "pub", "first"})
_COUNT_WORDS = frozenset({"count", "counts", "num", "n", "number", "total", "nb"})
_VOTE_WORDS = frozenset({"rating", "ratings", "review", "reviews", "vote", "votes", "reviewers"})
_RATING_WORDS = frozenset({"rating", "stars", "score"})
_LINK_WORDS = frozenset({"url", "link", "href", "website", "homepage", "page"})
_NOT_LINK = frozenset({"image", "img", "thumbnail", "cover", "small", "icon", "logo", "photo"})
_LANG_WORDS = frozenset({"language", "lang", "languages"})
ROLE_FLAGS = {"year": "--year", "creator": "--creator", "rating": "--rating", "votes": "--votes",
              "popularity": "--popularity", "language": "--language", "link": "--link"}
_ROLE_WORDS = {"year": "the year", "creator": "the creator (\"by ...\")",
               "rating": "the average rating", "votes": "the ratings count",
               "popularity": "the popularity", "language": "the language",
               "link": "the link"}


def words(col: str) -> list[str]:
    """``"original_publication_year"`` -> ``["original", "publication", "year"]``;
    ``"maker.developer"`` -> ``["maker", "developer"]``; ``"releaseDate"`` -> ``["release", "date"]``."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", col)
    return [w for w in re.split(r"[^a-z0-9]+", spaced.lower()) if w]


def year_of(v: Any) -> int | None:
    """A year from a cell: ``1999``, ``1999.0``, ``"1999"``, ``"-720"`` (ancient works),
    ``"2016-05-03"``, ``"May 3, 2016"``, ``"03/05/2016"``; None when there is none."""
    if isinstance(v, bool) or is_missing(v):
        return None
    if isinstance(v, (int, float)):
        return int(v) if float(v).is_integer() and -3000 <= v <= 2100 else None
    s = str(v).strip()
    if re.fullmatch(r"[-+]?\d{1,4}(?:\.0+)?", s):
        y = int(float(s))
        return y if -3000 <= y <= 2100 else None
    m = _YEAR_IN_TEXT.search(s)
    return int(m.group(1)) if m else None


def split_creators(v: Any, sep: str) -> list[str]:
    """Creator names from a cell: a list, ``"A|B"``, ``"A, B"``, ``"A & B"``, ``"A and B"``."""
    out: list[str] = []
    for part in to_list(v, sep):
        out.extend(p for p in _CREATOR_SEP.split(part) if p and not p.isdigit())
    return list(dict.fromkeys(" ".join(p.split()) for p in out))


def nested_columns(columns: Sequence[str], sample: Iterable[Any]) -> list[str]:
    """The file's columns plus the dotted paths of nested JSONL objects (``maker.developer``)."""
    out = list(columns)
    for values in sample:
        stack = [(k, v) for k, v in values.items() if isinstance(v, Mapping)]
        while stack:
            prefix, obj = stack.pop()
            for k, v in obj.items():
                path = f"{prefix}.{k}"
                if isinstance(v, Mapping):
                    stack.append((path, v))
                elif path not in out:
                    out.append(path)
    return out


@dataclass
class Roles:
    """role -> the column that plays it, and what to tell the user about the detected ones."""

    columns: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _share(values: list[Any], ok: Any) -> float:
    vals = [v for v in values if not is_missing(v)]
    if not vals:
        return 0.0
    return sum(1 for v in vals if ok(v)) / len(vals)


def _number(v: Any) -> float | None:
    try:
        return float(to_number(v, "float", False))
    except BadValue:
        return None


def _score(role: str, col: str, values: list[Any]) -> float:
    """How well ``col`` fits ``role`` (0: not at all); names first, then the values must agree."""
    ws = words(col)
    last = ws[-1] if ws else ""
    wset = set(ws)
    name = 0.0
    if role == "year":
        if "year" in wset or "yr" in wset:
            name = 3.0 + (0.5 if "original" in wset or "first" in wset else 0.0)
        elif wset & _DATE_WORDS:
            name = 2.0
        if name and _share(values, lambda v: year_of(v) is not None) < 0.6:
            return 0.0
    elif role == "creator":
        hits = [i for i, w in enumerate(_CREATOR_WORDS) if w in wset]
        if hits:
            name = 3.0 - min(hits) / len(_CREATOR_WORDS)
        if name and _share(values, lambda v: isinstance(v, (str, list)) and _number(v) is None) < 0.6:
            return 0.0
    elif role == "rating":
        if (wset & _RATING_WORDS or last in ("avg", "average", "mean")) and not wset & _COUNT_WORDS:
            name = 3.0 if wset & {"average", "avg", "mean"} else 2.0
        nums = [_number(v) for v in values if not is_missing(v)]
        if name and (not nums or any(x is None or x < 0 or x > 100 for x in nums)):
            return 0.0
    elif role == "votes":
        if (wset & _VOTE_WORDS and wset & _COUNT_WORDS) or col.lower() in ("votes", "num_votes"):
            name = 3.0 - 0.1 * len(ws)  # "ratings_count" before "work_ratings_count"
        nums = [_number(v) for v in values if not is_missing(v)]
        if name and (not nums or any(x is None or x < 0 for x in nums)):
            return 0.0
    elif role == "popularity":
        if wset & {"popularity", "popular"}:
            name = 3.0
        if name and _share(values, lambda v: _number(v) is not None) < 0.9:
            return 0.0
    elif role == "language":
        if wset & _LANG_WORDS:
            name = 3.0
        if name and _share(values, lambda v: isinstance(v, str) and len(v) <= 40) < 0.9:
            return 0.0
    elif role == "link":
        if wset & _LINK_WORDS and not wset & _NOT_LINK:
            name = 3.0
        if name and _share(values, lambda v: str(v).startswith(("http://", "https://"))) < 0.6:
            return 0.0
    return name


def choose_roles(given: Mapping[str, str | None], columns: Sequence[str],
                 values: Mapping[str, list[Any]], taken: Iterable[str]) -> Roles:
    """The column of every role: the one the user gave (``none`` leaves the role out), else the
    best-fitting column by name and values that no other role or the id/title has taken."""
    out = Roles()
    used = set(taken)
    for role in ROLES:
        col = given.get(role)
        if col and col.lower() != NONE:
            out.columns[role] = col
            used.add(col)
    for role in ROLES:
        if role in out.columns or (given.get(role) or "").lower() == NONE:
            continue
        best, best_score = None, 0.0
        for col in columns:
            if col in used:
                continue
            s = _score(role, col, values.get(col, []))
            if s > best_score:
                best, best_score = col, s
        if best is not None:
            out.columns[role] = best
            used.add(best)
            out.notes.append(f"using {best} as {_ROLE_WORDS[role]}; pass {ROLE_FLAGS[role]} COL "
                             f"(or {ROLE_FLAGS[role]} none) to change")
    return out
