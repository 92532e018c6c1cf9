"""The user's words win: what the latest request asked for comes first in every list.

A plain attribute request ("a western", "something funny", "co-op games") is in the profile as
liked attributes. The fused score (popularity, conversation log, learned ranker, collaborative)
orders items *within* what was asked and never overrides it:

* :func:`request_of`: the latest request, the liked attributes of the newest turn that named
  any, grouped by the words that asked for them ("relaxing" -> relaxing/casual is one group),
  until a later turn names liked titles;
* :class:`RequestIndex`: per attribute term, the catalog's items carrying it, most popular
  first; :meth:`RequestIndex.pool` brings the allowed items that satisfy the request into the
  candidate pool, so a request never depends on the dense index finding them;
* :func:`request_order`: the candidate order: the first :data:`HEAD` places (what one reply
  chooses from) go to the items satisfying most of the request, by the fused score; a longer
  list (``Session.rank``) then goes on in the fused order;
* :func:`shortfall_note`: when fewer than ``n`` allowed items satisfy it, the reply says so.

"Only X" is a hard constraint (:class:`~chatrec.profile.Constraint` ``has``), filtered like
every other; this module only orders.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from chatrec.catalog import Catalog
    from chatrec.profile import Preferences
    from chatrec.types import Candidate, Item

POOL = 100  # allowed items satisfying the request that always join the candidate pool
#: how many list positions the request fills first: the candidates one reply chooses from
#: (``Settings.llm_candidates``' default); the rest of a longer list keeps the fused order
HEAD = 6


@dataclass(frozen=True)
class Request:
    """The newest turn's attribute request: ``(label, terms)`` groups, each satisfied by an item
    carrying any of its terms."""

    groups: tuple[tuple[str, frozenset[str]], ...]
    turn: int

    @property
    def label(self) -> str:
        return " ".join(label for label, _ in self.groups)

    def satisfied(self, attrs: frozenset[str] | set[str]) -> int:
        """How many groups an item with these attribute terms satisfies."""
        return sum(1 for _, terms in self.groups if terms & attrs)


def request_of(prefs: Preferences) -> Request | None:
    """The latest attribute request in ``prefs``: None when no attribute is liked, or when a
    later turn named liked items (then those lead, and the attributes count as one signal among
    the others). Likes from card buttons or profile edits do not end a request."""
    if not prefs.liked_attrs:
        return None
    newest = max(f.turn for f in prefs.liked_attrs.values())
    if any(f.turn > newest for f in prefs.liked_items.values()
           if f.source not in ("feedback", "edit")):
        return None
    groups: dict[str, set[str]] = {}
    for term, fact in prefs.liked_attrs.items():
        if fact.turn == newest:
            groups.setdefault(fact.label or term, set()).add(term)
    return Request(tuple((label, frozenset(ts)) for label, ts in groups.items()), newest)


class RequestIndex:
    """Per attribute term, the ids of the catalog's items carrying it, by ``prior`` (highest
    first)."""

    def __init__(self, catalog: Catalog, prior: dict[str, float]) -> None:
        self.catalog = catalog
        ranked = sorted(catalog.items, key=lambda i: -prior.get(i, 0.0))
        self.rank = {i: n for n, i in enumerate(ranked)}
        self.by_term: dict[str, list[str]] = {}
        for iid in ranked:
            for t in catalog.attributes(catalog.items[iid]):
                self.by_term.setdefault(t, []).append(iid)

    def carriers(self, req: Request) -> list[str]:
        """Items satisfying at least one group: more groups first, then by the prior."""
        count: dict[str, int] = {}
        for _, terms in req.groups:
            ids: set[str] = set()
            for t in terms:
                ids.update(self.by_term.get(t, ()))
            for i in ids:
                count[i] = count.get(i, 0) + 1
        return sorted(count, key=lambda i: (-count[i], self.rank.get(i, 0)))

    def pool(self, req: Request, allowed: Callable[[Item], bool], limit: int = POOL) -> list[str]:
        """Up to ``limit`` allowed items satisfying the request (the most groups first)."""
        out: list[str] = []
        for iid in self.carriers(req):
            if allowed(self.catalog.items[iid]):
                out.append(iid)
                if len(out) >= limit:
                    break
        return out


def request_order(ids: list[str], fused: np.ndarray, catalog: Catalog,
                  req: Request | None, head: int = HEAD) -> np.ndarray:
    """Positions of ``ids`` best first. The first ``head`` (the candidates one reply chooses
    from) are the items satisfying most of the request, by ``fused``; then every other item by
    ``fused`` (just ``fused`` without a request)."""
    order = np.argsort(-fused, kind="stable")
    if req is None or head <= 0:
        return order
    tier = np.array([req.satisfied(catalog.attributes(catalog.items[i])) for i in ids],
                    dtype=np.int64)
    if int(tier.max(initial=0)) == 0:
        return order
    first = order[np.argsort(-tier[order], kind="stable")]
    first = first[tier[first] > 0][:head]
    return np.concatenate([first, order[~np.isin(order, first)]])


def satisfying(cands: Iterable[Candidate], req: Request, catalog: Catalog) -> int:
    """How many of ``cands`` satisfy every group of ``req``."""
    return sum(1 for c in cands if req.satisfied(catalog.attributes(c.item)) == len(req.groups))


def shortfall_note(cands: list[Candidate], prefs: Preferences, catalog: Catalog, n: int) -> str:
    """"I have only 2 western movies ..." when fewer than ``n`` of ``cands`` (a pool that holds
    every allowed item satisfying the request, up to :data:`POOL`) satisfy the latest request;
    empty otherwise."""
    req = request_of(prefs)
    if req is None:
        return ""
    have = satisfying(cands, req, catalog)
    if have >= n:
        return ""
    more = " more" if prefs.recommended else ""
    plural = catalog.manifest.plural
    if have == 0:
        return (f"I have no{more} {req.label} {plural} that fit everything you asked for; "
                f"here are the closest.")
    one, fit = (catalog.manifest.noun, "fits") if have == 1 else (plural, "fit")
    return (f"I have only {have}{more} {req.label} {one} that {fit} everything you asked for; "
            f"here {'it is' if have == 1 else 'they are'}, then the closest.")
