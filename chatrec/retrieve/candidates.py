"""Candidate generation: separate scorers (dense, collaborative, attribute match, popularity),
fused by a weighted sum of normalised scores, after the profile's hard filters.
"""

from __future__ import annotations

import re
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from chatrec.profile import Preferences
from chatrec.retrieve.filters import build_where, by_creator, violations
from chatrec.retrieve.requested import RequestIndex, request_of, request_order
from chatrec.types import Candidate

if TYPE_CHECKING:
    from chatrec.catalog import Catalog
    from chatrec.retrieve.attrsim import AttributeSimilarity
    from chatrec.retrieve.collab import CollaborativeModel
    from chatrec.retrieve.conversations import ConversationModel
    from chatrec.retrieve.index import VectorIndex
    from chatrec.retrieve.learned import LearnedRanker


FEATURES = ("dense", "talk", "collab", "similar", "attrs", "popularity", "popularity_thin",
            "votes", "attrs_popularity", "conv_popularity", "conv_popularity_thin", "comention",
            "conv_context", "dense_deep", "collab_deep", "conv_popularity_deep")
DEEP_AT = 20  # liked items at which a profile counts as a full history (depth 1)

POPULARITY_FEATURES = ("popularity", "popularity_thin", "votes", "attrs_popularity",
                       "conv_popularity", "conv_popularity_thin")


def novelty_factor(novelty: float) -> float:
    """``1 - 2 * novelty`` for the profile's knob (0..1): 1 by default, neutral (0) at 0.5,
    counting against popularity at 1."""
    return 1.0 - 2.0 * min(1.0, max(0.0, novelty))


def for_novelty(weights: np.ndarray, novelty: float) -> np.ndarray:
    """A copy of ``weights`` (``FEATURES`` order) with the popularity features scaled by
    :func:`novelty_factor`."""
    v = np.array(weights, dtype=np.float32)
    for f in POPULARITY_FEATURES:
        v[FEATURES.index(f)] *= novelty_factor(novelty)
    return v


@dataclass(frozen=True)
class Weights:
    """How much each feature counts in the fused (linear) score.

    Features, each 0..1 over the candidate pool: ``dense`` (the profile's items and words,
    min-max scaled), ``talk`` (everything the user said, min-max scaled), ``collab`` (item-item
    from ratings), ``similar`` (TF-IDF attribute similarity to the liked items), ``attrs``
    (share of liked attributes the item has), ``popularity`` (the prior), ``popularity_thin``
    (prior / (1 + liked items): thin profiles lean on what most people like), ``votes`` (how
    widely rated elsewhere, log scale, from the manifest's ``votes_field``; 0 without one),
    ``attrs_popularity`` (attrs x prior), and from a catalog's conversation log
    (:mod:`chatrec.retrieve.conversations`): ``conv_popularity`` (+ ``_thin``), ``comention`` and
    ``conv_context``; ``*_deep`` are dense, collab and conv_popularity times the profile's depth
    (liked items / 20, at most 1: a long rating history, not a few named titles). The defaults
    were fitted by ``scripts/fit_weights.py --hidden 0`` (listwise softmax over the pool) on the
    ReDial tune half and MovieLens train-part histories; features a catalog lacks are simply 0.

    A catalog may ship a learned ranker over the same features (:mod:`chatrec.retrieve.learned`: its own
    fitted weights plus an interaction term); with ``learned`` (the default) it replaces these
    linear weights. ``learned=False`` ranks with exactly the weights given.
    """

    dense: float = 2.2
    talk: float = 1.81
    collab: float = 1.27
    similar: float = 0.52
    attrs: float = 1.46
    popularity: float = 3.02
    popularity_thin: float = -1.63
    votes: float = 0.78
    attrs_popularity: float = 0.78
    conv_popularity: float = 1.53
    conv_popularity_thin: float = 2.18
    comention: float = 1.01
    conv_context: float = 1.48
    dense_deep: float = -0.46
    collab_deep: float = 1.73
    conv_popularity_deep: float = -1.01
    learned: bool = True  # use the catalog's learned ranker when it ships one (chatrec.retrieve.learned)
    max_per_series: int = 1  # variety: items of one franchise allowed in one list
    popular_pool: int = 300  # the most popular items always join the candidate pool

    def vector(self, novelty: float = 0.0) -> np.ndarray:
        """The weights in ``FEATURES`` order, with the novelty knob applied (:func:`for_novelty`)."""
        return for_novelty(np.array([getattr(self, f) for f in FEATURES], dtype=np.float32),
                           novelty)

    @classmethod
    def only(cls, *names: str) -> Weights:
        """Every feature off but ``names`` (at 1.0), no learned ranker: one scorer alone, for
        ablations."""
        kw: dict[str, Any] = {f: (1.0 if f in names else 0.0) for f in FEATURES}
        return cls(learned=False, **kw)


@dataclass
class Signals:
    """Per-feature scores for a pool of item ids: ``X[n, f]`` for ``ids[n]``, ``FEATURES[f]``."""

    ids: list[str]
    X: np.ndarray
    matched: dict[str, list[str]] = field(default_factory=dict)
    dense_raw: np.ndarray | None = None  # cosine similarity to the profile (not rescaled)

    def column(self, name: str) -> np.ndarray:
        return self.X[:, FEATURES.index(name)]


COUNT_SHARE = 0.2  # share of log(rating count) in the popularity prior (rest: catalog popularity)

ADDON_WORDS = re.compile(r"\b(?:dlcs?|downloadable content|expansions?|add-?ons?|soundtracks?|"
                         r"season pass|osts?)\b", re.I)

_SERIES_TAIL = re.compile(r"(\s*(part\s+)?([0-9]+|[ivx]+)\s*)$", re.I)


def series_key(title: str) -> str:
    """A rough franchise key: "Toy Story 3" and "Toy Story" share "toy story"."""
    t = title.lower().split(":")[0].strip()
    t = _SERIES_TAIL.sub("", t).strip()
    return t or title.lower()


_TEXT_CACHE: OrderedDict[tuple[str, ...], np.ndarray] = OrderedDict()
_TEXT_LOCK = threading.Lock()
TEXT_CACHE_SIZE = 512


def encode_cached(embedder: Any, text: str) -> np.ndarray:
    """One text's embedding, remembered (LRU): a turn embeds the same talk for the dense query,
    the talk feature and every ablation preset, and a session re-ranks without new words."""
    key = (type(embedder).__name__, str(getattr(embedder, "name", "")),
           str(getattr(embedder, "dim", "")), str(getattr(embedder, "model_path", "")), text)
    with _TEXT_LOCK:
        hit = _TEXT_CACHE.get(key)
        if hit is not None:
            _TEXT_CACHE.move_to_end(key)
            return hit
    vec = np.asarray(embedder.encode([text])[0], dtype=np.float32)
    with _TEXT_LOCK:
        _TEXT_CACHE[key] = vec
        while len(_TEXT_CACHE) > TEXT_CACHE_SIZE:
            _TEXT_CACHE.popitem(last=False)
    return vec


def _scaled(scores: np.ndarray | None, ids: list[str], sim: AttributeSimilarity | None) -> np.ndarray:
    """``scores`` (over the catalog) for ``ids``, divided by their max (zeros without scores)."""
    if scores is None or sim is None or not ids:
        return np.zeros(len(ids), dtype=np.float32)
    v = np.maximum(scores[[sim.index[i] for i in ids]], 0.0)
    top = float(v.max())
    return (v / top if top > 0 else v).astype(np.float32)


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
                 retrieve_k: int = 200, conversations: ConversationModel | None = None) -> None:
        self.catalog = catalog
        self.index = index
        self.collab = collab
        self.conversations = conversations
        self.similarity: AttributeSimilarity | None = None  # built on first use
        self._requested: RequestIndex | None = None
        self.weights = weights or Weights()
        self.retrieve_k = retrieve_k
        self._prior: dict[str, float] | None = None
        self._votes: dict[str, float] | None = None
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

    def votes(self) -> dict[str, float]:
        """Per item, 0..1: ``log(1 + votes elsewhere)`` over the catalog's largest (empty when
        the catalog declares no ``votes_field``)."""
        if self._votes is None:
            if self.catalog.manifest.votes_field is None:
                self._votes = {}
            else:
                raw = {i: self.catalog.votes(i) for i in self.catalog.items}
                top = np.log1p(max(raw.values(), default=0.0))
                self._votes = {i: float(np.log1p(v) / top) if top > 0 else 0.0
                               for i, v in raw.items()}
        return self._votes

    def learned(self) -> LearnedRanker | None:
        """The catalog's learned ranker (:mod:`chatrec.retrieve.learned`) when the weights allow it."""
        if not self.weights.learned:
            return None
        from chatrec.retrieve.learned import for_catalog

        return for_catalog(self.catalog, FEATURES)

    def requested(self) -> RequestIndex:
        """Items by attribute term, most popular first (:mod:`chatrec.retrieve.requested`)."""
        if self._requested is None:
            self._requested = RequestIndex(self.catalog, self.prior())
        return self._requested

    def attribute_similarity(self) -> AttributeSimilarity:
        """The catalog's attribute similarity table (built on first use)."""
        if self.similarity is None:
            from chatrec.retrieve.attrsim import AttributeSimilarity

            self.similarity = AttributeSimilarity.from_catalog(self.catalog)
        return self.similarity

    def warm(self) -> None:
        """Compute now what the first turn would: the popularity prior and ranking, the votes,
        the learned ranker, the attribute similarity table and the request index."""
        self.prior()
        self.votes()
        self.learned()
        self.attribute_similarity()
        self.requested()

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
            vecs.append(encode_cached(self.index.embedder, text))
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

    def similar_scores(self, prefs: Preferences) -> np.ndarray | None:
        """Attribute similarity of every catalog item to the liked items (None without any)."""
        liked = list(prefs.liked_items) + ([prefs.anchor] if prefs.anchor else [])
        if not liked:
            return None
        return self.attribute_similarity().scores(liked, list(prefs.disliked_items))

    def conversation_scores(self, prefs: Preferences, talk_vec: np.ndarray | None
                            ) -> dict[str, np.ndarray]:
        """The conversation log's signals over the whole catalog (empty without a log)."""
        cm = self.conversations
        if cm is None:
            return {}
        seeds = list(prefs.liked_items) + list(prefs.seen_items) + list(prefs.recommended)
        if prefs.anchor:
            seeds.append(prefs.anchor)
        return {"conv_popularity": cm.popularity, "comention": cm.comention(seeds),
                "conv_context": cm.context(talk_vec)}

    def signals(self, prefs: Preferences, query_text: str, talk: str = "") -> Signals:
        """Every feature over the pool (dense and collaborative neighbours, the popular items,
        the conversation log's picks), hard filters applied."""
        qv = self.query_vectors(prefs, query_text)
        tv = encode_cached(self.index.embedder, talk) if talk.strip() else None
        where = build_where(prefs, self.catalog)
        dense: dict[str, float] = {}
        talk_sim: dict[str, float] = {}
        if len(qv):
            for h in self.index.query(qv, self.retrieve_k, where):
                dense[h.item_id] = h.similarity
        if tv is not None:
            for h in self.index.query(tv[None, :], self.retrieve_k, where):
                talk_sim[h.item_id] = h.similarity
        cf = self.collab_scores(prefs)
        conv = self.conversation_scores(prefs, tv)
        sim = self.similar_scores(prefs)
        pool = list(dict.fromkeys(list(dense) + list(talk_sim) + list(cf)
                                  + by_creator(prefs, self.catalog)))
        if sim is not None and self.similarity is not None:
            top = np.argsort(-sim)[: self.retrieve_k]
            pool += [self.similarity.item_ids[j] for j in top if sim[j] > 0]
        if conv:
            cm = self.conversations
            assert cm is not None
            for name in ("comention", "conv_context", "conv_popularity"):
                top = np.argsort(-conv[name])[: self.retrieve_k]
                pool += [cm.item_ids[j] for j in top if conv[name][j] > 0]
            pool = list(dict.fromkeys(pool))
        req = request_of(prefs)
        if req is not None:  # what was asked for is always in the pool
            pool = list(dict.fromkeys(pool + self.requested().pool(
                req, lambda it: not violations(it, prefs, self.catalog))))
        if not pool:  # nothing to go on but constraints: the most popular allowed items
            pool = self.popular(2000)
        elif self.weights.popular_pool > 0:
            pool = list(dict.fromkeys(pool + self.popular(self.weights.popular_pool)))
        items = [self.catalog.items[i] for i in pool if i in self.catalog.items]
        items = [it for it in items if not violations(it, prefs, self.catalog)]
        if self.catalog.manifest.addons is not None and not ADDON_WORDS.search(
                f"{talk} {query_text}"):  # DLC and soundtracks only when asked for
            items = [it for it in items if not self.catalog.is_addon(it)]
        ids = [it.id for it in items]
        if ids and (len(qv) or tv is not None):
            present, mv = self.index.vectors(ids)
            if len(mv):
                if len(qv):
                    for i, v in zip(present, (mv @ qv.T).max(axis=1), strict=True):
                        dense.setdefault(i, float(v))
                if tv is not None:
                    for i, v in zip(present, mv @ tv, strict=True):
                        talk_sim.setdefault(i, float(v))
        liked_attrs = set(prefs.liked_attrs)
        attrs = np.zeros(len(ids), dtype=np.float32)
        matched: dict[str, list[str]] = {}
        for n, it in enumerate(items):
            have = self.catalog.attributes(it) & liked_attrs
            if liked_attrs:
                attrs[n] = len(have) / len(liked_attrs)
            matched[it.id] = sorted(have)
        prior, votes = self.prior(), self.votes()
        pop = np.array([prior.get(i, 0.0) for i in ids], dtype=np.float32)
        cfv = np.array([cf.get(i, 0.0) for i in ids], dtype=np.float32)
        top_cf = float(cfv.max()) if len(cfv) else 0.0
        thin = 1.0 / (1.0 + len(prefs.liked_items))
        depth = min(1.0, len(prefs.liked_items) / DEEP_AT)
        dense_raw = np.array([dense.get(i, 0.0) for i in ids], dtype=np.float32)
        cols: dict[str, np.ndarray] = {
            "dense": _minmax(dense_raw) if len(qv) else np.zeros(len(ids), dtype=np.float32),
            "talk": _minmax(np.array([talk_sim.get(i, 0.0) for i in ids], dtype=np.float32))
            if tv is not None else np.zeros(len(ids), dtype=np.float32),
            "collab": cfv / top_cf if top_cf > 0 else cfv,
            "similar": _scaled(sim, ids, self.similarity),
            "attrs": attrs, "popularity": pop, "popularity_thin": pop * thin,
            "votes": np.array([votes.get(i, 0.0) for i in ids], dtype=np.float32),
            "attrs_popularity": attrs * pop,
        }
        if conv:
            cm = self.conversations
            assert cm is not None
            rows = np.array([cm.index[i] for i in ids], dtype=np.int64)
            for name, arr in conv.items():
                cols[name] = arr[rows] if len(rows) else np.zeros(0, dtype=np.float32)
            cols["conv_popularity_thin"] = cols["conv_popularity"] * thin
            cols["conv_popularity_deep"] = cols["conv_popularity"] * depth
        cols["dense_deep"] = cols["dense"] * depth
        cols["collab_deep"] = cols["collab"] * depth
        X = np.zeros((len(ids), len(FEATURES)), dtype=np.float32)
        for f, name in enumerate(FEATURES):
            if name in cols:
                X[:, f] = cols[name]
        return Signals(ids=ids, X=X, matched=matched, dense_raw=dense_raw)

    # --- fusion -----------------------------------------------------------------------
    def generate(self, prefs: Preferences, query_text: str = "", k: int = 20,
                 talk: str = "") -> list[Candidate]:
        """The top ``k`` allowed candidates, best first, with a variety limit per franchise.

        ``query_text``: this turn's words; ``talk``: everything the user said so far."""
        s = self.signals(prefs, query_text, talk)
        if not s.ids:
            return []
        w = self.weights
        ranker = self.learned()
        if ranker is not None:
            # the knob scales the ranker's popularity weights; its term, fitted at the
            # default, fades by the same factor (off from 0.5)
            fade = max(0.0, novelty_factor(prefs.novelty))
            fused = s.X @ for_novelty(ranker.weights, prefs.novelty) + fade * ranker.term(s.X)
        else:
            wv = w.vector(prefs.novelty)
            if self.collab is None:  # no ratings: attribute similarity is the item-item view
                wv[FEATURES.index("similar")] += wv[FEATURES.index("collab")]
            fused = s.X @ wv
        order = request_order(s.ids, fused, self.catalog, request_of(prefs))  # asked-for first
        out: list[Candidate] = []
        per_series: Counter[str] = Counter()
        liked_series = {series_key(self.catalog.items[i].title) for i in prefs.liked_items
                        if i in self.catalog.items}
        shown = ("dense", "talk", "collab", "similar", "attrs", "popularity", "conv_popularity",
                 "comention", "conv_context")
        for j in order:
            iid = s.ids[j]
            item = self.catalog.items[iid]
            key = series_key(item.title)
            if per_series[key] >= w.max_per_series:
                continue
            per_series[key] += 1
            sig = {name: float(s.X[j, FEATURES.index(name)]) for name in shown}
            if s.dense_raw is not None:
                sig["dense"] = float(s.dense_raw[j])  # a cosine: rank.py words "similar" by it
            sig["same_series"] = float(key in liked_series)
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
