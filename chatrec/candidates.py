"""Candidate generation: separate scorers (dense, collaborative, attribute match, popularity),
fused by a weighted sum of normalised scores, after the profile's hard filters.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from chatrec.filters import build_where, violations
from chatrec.profile import Preferences
from chatrec.types import Candidate

if TYPE_CHECKING:
    from chatrec.catalog import Catalog
    from chatrec.collab import CollaborativeModel
    from chatrec.index import VectorIndex


@dataclass(frozen=True)
class Weights:
    """How much each scorer counts in the fused score."""

    dense: float = 1.0
    collab: float = 1.0
    attrs: float = 0.6
    popularity: float = 0.6
    max_per_series: int = 1  # variety: items of one franchise allowed in one list
    thin_boost: float = 2.0  # popularity counts (1 + thin_boost / (1 + liked items)) times
    popular_pool: int = 300  # the most popular items always join the candidate pool


@dataclass
class Signals:
    """Raw per-scorer scores for a pool of item ids (aligned lists)."""

    ids: list[str]
    dense: np.ndarray
    collab: np.ndarray
    attrs: np.ndarray
    popularity: np.ndarray
    matched: dict[str, list[str]] = field(default_factory=dict)


COUNT_SHARE = 0.2  # share of log(rating count) in the popularity prior (rest: catalog popularity)

_SERIES_TAIL = re.compile(r"(\s*(part\s+)?([0-9]+|[ivx]+)\s*)$", re.I)


def series_key(title: str) -> str:
    """A rough franchise key: "Toy Story 3" and "Toy Story" share "toy story"."""
    t = title.lower().split(":")[0].strip()
    t = _SERIES_TAIL.sub("", t).strip()
    return t or title.lower()


def _minmax(x: np.ndarray) -> np.ndarray:
    if len(x) == 0:
        return x
    lo, hi = float(np.min(x)), float(np.max(x))
    if hi - lo < 1e-9:
        return np.zeros_like(x) if hi <= 0 else np.ones_like(x)
    return (x - lo) / (hi - lo)


class CandidateGenerator:
    """Turns a profile (and this turn's words) into scored, filtered candidates."""

    def __init__(self, catalog: Catalog, index: VectorIndex,
                 collab: CollaborativeModel | None = None, weights: Weights | None = None,
                 retrieve_k: int = 200) -> None:
        self.catalog = catalog
        self.index = index
        self.collab = collab
        self.weights = weights or Weights()
        self.retrieve_k = retrieve_k
        self._prior: dict[str, float] | None = None
        self._popular: list[str] | None = None

    # --- the popularity prior ---------------------------------------------------------
    def prior(self) -> dict[str, float]:
        """Per item, 0..1: the catalog's popularity blended with how many people rated it
        (log scale), so films that are both well known and widely watched lead."""
        if self._prior is None:
            ids = list(self.catalog.items)
            cat = np.array([self.catalog.popularity(i) for i in ids], dtype=np.float32)
            if self.collab is not None and float(self.collab.counts.max()) > 0:
                cnt = np.zeros(len(ids), dtype=np.float32)
                for n, i in enumerate(ids):
                    j = self.collab.index.get(i)
                    if j is not None:
                        cnt[n] = self.collab.counts[j]
                lc = np.log1p(cnt) / np.log1p(float(cnt.max()))
                val = (1 - COUNT_SHARE) * _minmax(cat) + COUNT_SHARE * lc if float(cat.max()) > 0 else lc
            else:
                val = cat
            prior = {i: float(v) for i, v in zip(ids, val, strict=True)}
            # publish the ranking before the prior: a concurrent caller that sees the prior
            # set (and skips this block) must also find the ranking ready
            self._popular = sorted(ids, key=lambda i: -prior[i])
            self._prior = prior
        return self._prior

    def popular(self, n: int) -> list[str]:
        """The ``n`` items with the highest prior."""
        self.prior()
        assert self._popular is not None
        return self._popular[:n]

    # --- the individual scorers ------------------------------------------------------
    def query_vectors(self, prefs: Preferences, query_text: str) -> np.ndarray:
        """Dense queries: the liked items' centroid, the anchor item, and the words of the profile."""
        vecs: list[np.ndarray] = []
        liked = list(prefs.liked_items)
        if prefs.anchor and prefs.anchor not in liked:
            liked.append(prefs.anchor)
        if liked:
            _, iv = self.index.vectors(liked)
            if len(iv):
                c = iv.mean(axis=0)
                vecs.append(c / max(float(np.linalg.norm(c)), 1e-9))
            if prefs.anchor:
                _, av = self.index.vectors([prefs.anchor])
                if len(av):
                    vecs.append(av[0])
        words = [f.label or f.value for f in prefs.liked_attrs.values()]
        text = " ".join(x for x in [", ".join(words), query_text.strip()] if x)
        if text:
            vecs.append(self.index.embedder.encode([text])[0])
        if not vecs:
            return np.zeros((0, self.index.embedder.dim), dtype=np.float32)
        return np.vstack(vecs).astype(np.float32)

    def collab_scores(self, prefs: Preferences) -> dict[str, float]:
        if self.collab is None:
            return {}
        liked = list(prefs.liked_items) + ([prefs.anchor] if prefs.anchor else [])
        if not liked:
            return {}
        s = self.collab.scores(liked, list(prefs.disliked_items))
        top = np.argsort(-s)[: self.retrieve_k * 2]
        return {self.collab.item_ids[j]: float(s[j]) for j in top if s[j] > 0}

    def signals(self, prefs: Preferences, query_text: str) -> Signals:
        """Every scorer over the union of the dense and collaborative pools, hard filters applied."""
        qv = self.query_vectors(prefs, query_text)
        where = build_where(prefs, self.catalog)
        dense: dict[str, float] = {}
        if len(qv):
            for h in self.index.query(qv, self.retrieve_k, where):
                dense[h.item_id] = h.similarity
        cf = self.collab_scores(prefs)
        pool = list(dict.fromkeys(list(dense) + list(cf)))
        if not pool:  # nothing to go on but constraints: the most popular allowed items
            pool = self.popular(2000)
        elif self.weights.popular_pool > 0 and self.weights.popularity > 0:
            pool = list(dict.fromkeys(pool + self.popular(self.weights.popular_pool)))
        items = [self.catalog.items[i] for i in pool if i in self.catalog.items]
        items = [it for it in items if not violations(it, prefs, self.catalog)]
        ids = [it.id for it in items]
        missing = [i for i in ids if i not in dense]
        if missing and len(qv):
            present, mv = self.index.vectors(missing)
            if len(mv):
                sims = (mv @ qv.T).max(axis=1)
                for i, s in zip(present, sims, strict=False):
                    dense[i] = float(s)
        liked_attrs = set(prefs.liked_attrs)
        attrs = np.zeros(len(ids), dtype=np.float32)
        matched: dict[str, list[str]] = {}
        for n, it in enumerate(items):
            have = self.catalog.attributes(it) & liked_attrs
            if liked_attrs:
                attrs[n] = len(have) / len(liked_attrs)
            matched[it.id] = sorted(have)
        return Signals(
            ids=ids,
            dense=np.array([dense.get(i, 0.0) for i in ids], dtype=np.float32),
            collab=np.array([cf.get(i, 0.0) for i in ids], dtype=np.float32),
            attrs=attrs,
            popularity=np.array([self.prior().get(i, 0.0) for i in ids], dtype=np.float32),
            matched=matched,
        )

    # --- fusion -----------------------------------------------------------------------
    def generate(self, prefs: Preferences, query_text: str = "", k: int = 20) -> list[Candidate]:
        """The top ``k`` allowed candidates, best first, with a variety limit per franchise."""
        s = self.signals(prefs, query_text)
        if not s.ids:
            return []
        w = self.weights
        cf = s.collab / max(float(s.collab.max()), 1e-9) if len(s.collab) and s.collab.max() > 0 \
            else s.collab
        # thin profiles (few liked items) lean on what most people like
        pop_w = w.popularity * (1.0 + w.thin_boost / (1.0 + len(prefs.liked_items)))
        fused = (w.dense * _minmax(s.dense) + w.collab * cf + w.attrs * s.attrs
                 + pop_w * s.popularity)
        order = np.argsort(-fused, kind="stable")
        out: list[Candidate] = []
        per_series: Counter[str] = Counter()
        liked_series = {series_key(self.catalog.items[i].title) for i in prefs.liked_items
                        if i in self.catalog.items}
        for j in order:
            iid = s.ids[j]
            item = self.catalog.items[iid]
            key = series_key(item.title)
            if per_series[key] >= w.max_per_series:
                continue
            per_series[key] += 1
            sig = {"dense": float(s.dense[j]), "collab": float(s.collab[j]),
                   "attrs": float(s.attrs[j]), "popularity": float(s.popularity[j]),
                   "same_series": float(key in liked_series)}
            out.append(Candidate(item=item, score=float(fused[j]), signals=sig,
                                 matched=list(s.matched.get(iid, []))))
            if len(out) >= k:
                break
        self._explain_similarity(out, prefs)
        return out

    def _explain_similarity(self, cands: list[Candidate], prefs: Preferences) -> None:
        """Record, per candidate, the liked item it is closest to (for reasons)."""
        seeds = list(prefs.liked_items) + ([prefs.anchor] if prefs.anchor else [])
        seeds = list(dict.fromkeys(s for s in seeds if s in self.catalog.items))
        if not seeds or not cands:
            return
        best = np.full(len(cands), -1.0)
        arg = np.zeros(len(cands), dtype=int)
        if self.collab is not None:
            sims = self.collab.similarities(seeds)
            if len(sims):
                cols = [self.collab.index.get(c.item.id, -1) for c in cands]
                for n, j in enumerate(cols):
                    if j >= 0:
                        arg[n] = int(np.argmax(sims[:, j]))
                        best[n] = float(sims[arg[n], j])
        found, sv = self.index.vectors(seeds)
        cid, cv = self.index.vectors([c.item.id for c in cands])
        if len(sv) and len(cv):
            dense = cv @ sv.T  # candidates x seeds
            pos = {i: n for n, i in enumerate(cid)}
            for n, c in enumerate(cands):
                if best[n] <= 0.05 and c.item.id in pos:
                    row = dense[pos[c.item.id]]
                    c.because = found[int(np.argmax(row))]
                elif best[n] > 0.05:
                    c.because = seeds[arg[n]]
