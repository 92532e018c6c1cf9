"""Collaborative signals from real ratings: item-item similarity and a 1-5 fit prediction.

Two item-item views of the catalog's shipped ratings (MovieLens for movies):

* ``neighbours``: `implicit`'s BM25 item-item model (top-``K`` neighbours per item) over who
  rated what; it ranks candidates in :meth:`CollaborativeModel.scores`. Co-rating with BM25
  weighting keeps popular, widely co-watched films near the top, which is what people ask for.
* ``norm_items``: cosine over mean-centred ratings (scipy sparse), shrunk for rarely rated items;
  it explains picks and predicts a 1-5 fit (:meth:`similarities`, :meth:`predict_rating`).

Catalogs without ratings get no collaborative signal (``CollaborativeModel.from_catalog`` -> None).
"""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    from chatrec.catalog import Catalog

_CACHE: dict[str, CollaborativeModel] = {}
_LOCK = threading.Lock()

LIKED_THRESHOLD = 3.5  # a rating at or above this counts as "liked"
NEIGHBOURS_K = 100  # BM25 neighbours kept per item
RECENCY = 0.8  # weight of a liked item relative to the one liked after it


def bm25_neighbours(rows: np.ndarray, users: np.ndarray, n_items: int,
                    n_users: int) -> sp.csr_matrix | None:
    """BM25-weighted item-item neighbours (``implicit``) from who rated what; None if unavailable."""
    if len(rows) == 0:
        return None
    try:
        from implicit.nearest_neighbours import BM25Recommender
    except ImportError:  # pragma: no cover - implicit is a declared dependency
        return None
    user_items = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (users, rows)),
                               shape=(n_users, n_items))
    user_items.sum_duplicates()
    model = BM25Recommender(K=NEIGHBOURS_K, K1=1.2, B=0.75, num_threads=1)
    with warnings.catch_warnings():  # implicit transposes internally and warns about its own COO
        warnings.simplefilter("ignore")
        model.fit(user_items, show_progress=False)
    return sp.csr_matrix(model.similarity, dtype=np.float32)


@dataclass
class CollaborativeModel:
    """Item-item cosine similarity over mean-centred user ratings, with shrinkage."""

    item_ids: list[str]
    index: dict[str, int]
    norm_items: sp.csr_matrix  # items x users, rows L2-normalised (centred ratings)
    counts: np.ndarray  # ratings per item
    item_mean: np.ndarray
    global_mean: float
    shrink: float = 10.0
    neighbours: sp.csr_matrix | None = None  # items x items, BM25 item-item (top-K per item)

    @classmethod
    def from_catalog(cls, catalog: Catalog) -> CollaborativeModel | None:
        with _LOCK:
            key = f"{catalog.name}:{catalog.content_hash}"
            if key in _CACHE:
                return _CACHE[key]
            ratings = catalog.ratings()
            if ratings is None or len(ratings.ratings) == 0:
                return None
            model = cls.fit(list(catalog.items), ratings.user_ids, ratings.item_ids,
                            ratings.ratings)
            _CACHE[key] = model
            return model

    @classmethod
    def fit(cls, catalog_ids: list[str], user_ids: np.ndarray, item_ids: np.ndarray,
            ratings: np.ndarray) -> CollaborativeModel:
        index = {iid: n for n, iid in enumerate(catalog_ids)}
        keep = np.array([str(i) in index for i in item_ids], dtype=bool)
        rows = np.array([index[str(i)] for i in item_ids[keep]], dtype=np.int64)
        users, ucols = np.unique(user_ids[keep], return_inverse=True)
        r = ratings[keep].astype(np.float32)
        # centre by each user's mean so that "liked" means above that user's habit
        user_sum = np.bincount(ucols, weights=r, minlength=len(users))
        user_cnt = np.bincount(ucols, minlength=len(users)).astype(np.float32)
        user_mean = user_sum / np.maximum(user_cnt, 1)
        centred = r - user_mean[ucols]
        m = sp.csr_matrix((centred, (rows, ucols)), shape=(len(catalog_ids), len(users)))
        norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
        inv = np.where(norms > 0, 1.0 / np.maximum(norms, 1e-12), 0.0)
        norm_items = sp.diags(inv.astype(np.float32)) @ m
        counts = np.bincount(rows, minlength=len(catalog_ids)).astype(np.float32)
        sums = np.bincount(rows, weights=r, minlength=len(catalog_ids))
        gmean = float(r.mean()) if len(r) else 3.5
        item_mean = np.where(counts > 0, (sums + 5 * gmean) / (counts + 5), gmean)
        return cls(list(catalog_ids), index, norm_items.tocsr(), counts, item_mean.astype(np.float32),
                   gmean, neighbours=bm25_neighbours(rows, ucols, len(catalog_ids), len(users)))

    def similarities(self, seed_ids: list[str]) -> np.ndarray:
        """Cosine similarity of every item to each seed: shape (len(seeds), n_items).

        Shrunk toward 0 for items with few ratings so that obscure items don't win by noise.
        """
        rows = [self.index[s] for s in seed_ids if s in self.index]
        if not rows:
            return np.zeros((0, len(self.item_ids)), dtype=np.float32)
        sims = (self.norm_items[rows] @ self.norm_items.T).toarray().astype(np.float32)
        shrink = self.counts / (self.counts + self.shrink)
        sims *= shrink[None, :]
        for n, r in enumerate(rows):
            sims[n, r] = 0.0
        return sims

    def neighbour_rows(self, seed_ids: list[str]) -> np.ndarray:
        """Each seed's BM25 neighbour scores, each row scaled to max 1: (len(seeds), n_items).

        Falls back to :meth:`similarities` when the model has no neighbour matrix."""
        rows = [self.index[s] for s in seed_ids if s in self.index]
        if not rows:
            return np.zeros((0, len(self.item_ids)), dtype=np.float32)
        if self.neighbours is None:
            return self.similarities([self.item_ids[r] for r in rows])
        m = self.neighbours[rows].toarray().astype(np.float32)
        for n, r in enumerate(rows):
            m[n, r] = 0.0
        top = m.max(axis=1, keepdims=True)
        return np.asarray(m / np.where(top > 0, top, 1.0), dtype=np.float32)

    def scores(self, liked: list[str], disliked: list[str] | None = None) -> np.ndarray:
        """One score per catalog item: a recency-weighted mean of its neighbour scores to the
        liked items (``liked`` oldest first: later ones weigh more) minus half that to dislikes."""
        out = np.zeros(len(self.item_ids), dtype=np.float32)
        pos = self.neighbour_rows(liked)
        if len(pos):
            w = RECENCY ** np.arange(len(pos) - 1, -1, -1, dtype=np.float32)
            out += (w[:, None] * pos).sum(axis=0) / float(w.sum())
        if disliked:
            neg = self.neighbour_rows(disliked)
            if len(neg):
                out -= 0.5 * neg.mean(axis=0)
        return out

    def predict_rating(self, item_id: str, liked: list[str], disliked: list[str]) -> float | None:
        """A 1-5 fit estimate: the item's (shrunk) mean, moved by its similarity to the profile."""
        j = self.index.get(item_id)
        if j is None:
            return None
        base = float(self.item_mean[j])
        s = 0.0
        if liked:
            s += float(self.similarities(liked)[:, j].mean())
        if disliked:
            s -= float(self.similarities(disliked)[:, j].mean())
        return float(np.clip(base + 2.5 * s, 1.0, 5.0))
