"""Item-item similarity from the catalog's own attributes (genres, tags, keywords, specs).

The collaborative signal of catalogs without ratings (the Steam games: "tag/spec similarity"),
and a second view for catalogs with them: TF-IDF weighted attribute sets, cosine similarity,
seeded by the items the user liked (:meth:`AttributeSimilarity.scores`).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    from chatrec.catalog import Catalog

_CACHE: dict[str, AttributeSimilarity] = {}
_LOCK = threading.Lock()
RECENCY = 0.8  # weight of a liked item relative to the one liked after it (as in collab.py)


class AttributeSimilarity:
    """Rows: items as L2-normalised TF-IDF vectors over their normalised attribute terms."""

    def __init__(self, catalog: Catalog) -> None:
        self.item_ids = list(catalog.items)
        self.index = {i: n for n, i in enumerate(self.item_ids)}
        vocab: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        for n, it in enumerate(catalog.items.values()):
            for t in catalog.attributes(it):
                rows.append(n)
                cols.append(vocab.setdefault(t, len(vocab)))
        x = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)),
                          shape=(len(self.item_ids), max(len(vocab), 1)))
        df = np.asarray((x > 0).sum(axis=0), dtype=np.float32).ravel()
        idf = np.log((1.0 + len(self.item_ids)) / (1.0 + df)).astype(np.float32)
        x = x @ sp.diags(idf)
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1), dtype=np.float32).ravel())
        self.x = sp.csr_matrix(sp.diags(np.where(norms > 0, 1.0 / np.maximum(norms, 1e-12), 0.0))
                               @ x, dtype=np.float32)

    @classmethod
    def from_catalog(cls, catalog: Catalog) -> AttributeSimilarity:
        key = f"{catalog.name}:{catalog.content_hash}"
        with _LOCK:
            if key not in _CACHE:
                _CACHE[key] = cls(catalog)
            return _CACHE[key]

    def scores(self, liked: list[str], disliked: list[str] | None = None) -> np.ndarray:
        """Per item: recency-weighted mean cosine to the liked items (oldest first), minus half
        the mean to the disliked ones; the seeds themselves score 0."""
        out = np.zeros(len(self.item_ids), dtype=np.float32)
        rows = [self.index[i] for i in liked if i in self.index]
        if rows:
            sims = np.asarray((self.x[rows] @ self.x.T).todense(), dtype=np.float32)
            w = RECENCY ** np.arange(len(rows) - 1, -1, -1, dtype=np.float32)
            out += (w[:, None] * sims).sum(axis=0) / float(w.sum())
        neg = [self.index[i] for i in (disliked or []) if i in self.index]
        if neg:
            out -= 0.5 * np.asarray((self.x[neg] @ self.x.T).mean(axis=0), dtype=np.float32).ravel()
        out[rows] = 0.0
        return out
