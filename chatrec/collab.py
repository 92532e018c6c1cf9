"""Collaborative signals from real ratings: item-item similarity and a 1-5 fit prediction.

Built with scipy sparse matrices from the catalog's shipped ratings (MovieLens for movies).
Catalogs without ratings get no collaborative signal (``CollaborativeModel.from_catalog`` -> None).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    from chatrec.catalog import Catalog

_CACHE: dict[str, CollaborativeModel] = {}
_LOCK = threading.Lock()

LIKED_THRESHOLD = 3.5  # a rating at or above this counts as "liked"


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
                   gmean)

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

    def scores(self, liked: list[str], disliked: list[str] | None = None) -> np.ndarray:
        """One score per catalog item: mean similarity to liked items minus half that to dislikes."""
        out = np.zeros(len(self.item_ids), dtype=np.float32)
        pos = self.similarities(liked)
        if len(pos):
            out += pos.mean(axis=0)
        if disliked:
            neg = self.similarities(disliked)
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
