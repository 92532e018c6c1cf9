"""Meaning matching: a word that is not in the catalog's attribute vocabulary ("teenager",
"spooky") reaches the vocabulary term closest in meaning ("young adult", "horror") when the
embedding similarity clears a measured threshold.

The vocabulary's vectors (its :data:`MAX_TERMS` most used terms) are computed once per catalog
and embedder, on first use, and kept in memory and in ``<cache_dir>/meaning-<catalog>-<hash>.npy``.
:data:`THRESHOLD` was chosen on one half of ``tests/data/meaning_pairs.jsonl`` and is reported on
the other half by ``python -m chatrec.eval catalogs --meaning`` (see reports/catalogs.md). It
holds for all-MiniLM-L6-v2 only: another embedder gets no meaning matching
(:func:`meaning_matcher` returns None).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from chatrec.catalog import Catalog
    from chatrec.retrieve.embed import Embedder

log = logging.getLogger(__name__)
MEASURED_FOR = "all-MiniLM-L6-v2"
THRESHOLD = 0.76
MAX_TERMS = 3000
MIN_ITEMS = 3  # a term on fewer items is not a word the catalog understands
_LOCK = threading.Lock()
_VECTORS: dict[tuple[str, str], tuple[list[str], np.ndarray]] = {}


class MeaningMatcher:
    """Word -> the closest vocabulary term by embedding similarity (above ``threshold``)."""

    def __init__(self, catalog: Catalog, embedder: Embedder, *, threshold: float = THRESHOLD,
                 cache_dir: Path | None = None) -> None:
        self.catalog = catalog
        self.embedder = embedder
        self.threshold = threshold
        self.cache_dir = cache_dir
        self._memo: dict[str, tuple[str, float] | None] = {}

    def terms(self) -> tuple[list[str], np.ndarray]:
        """The vocabulary terms and their unit vectors (computed once, then cached)."""
        key = (self.catalog.content_hash, self.embedder.name)
        with _LOCK:
            hit = _VECTORS.get(key)
            if hit is None:
                vocab = self.catalog.vocabulary()
                terms = [t for t, n in vocab.items() if n >= MIN_ITEMS][:MAX_TERMS]
                hit = _VECTORS[key] = (terms, self._vectors(terms))
            return hit

    def _vectors(self, terms: list[str]) -> np.ndarray:
        digest = hashlib.sha256("\n".join([self.embedder.name, *terms]).encode()).hexdigest()[:16]
        path = (self.cache_dir / f"meaning-{self.catalog.name}-{digest}.npy"
                if self.cache_dir else None)
        if path is not None and path.is_file():
            try:
                v = np.load(path)
                if v.shape == (len(terms), self.embedder.dim):
                    return v
            except (OSError, ValueError) as e:
                log.info("meaning cache %s unreadable (%s); recomputing", path, e)
        v = (self.embedder.encode(terms) if terms
             else np.zeros((0, self.embedder.dim), dtype=np.float32))
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                np.save(path, v.astype(np.float32))
            except OSError as e:
                log.info("cannot write the meaning cache %s: %s", path, e)
        return v

    def warm(self) -> None:
        """Compute (or read from the cache) the vocabulary's vectors now, not in a user's turn."""
        self.terms()

    def best(self, word: str) -> tuple[str, float] | None:
        """The closest vocabulary term and its similarity (any similarity), or None."""
        w = word.strip().lower()
        if w in self._memo:
            return self._memo[w]
        terms, vecs = self.terms()
        out: tuple[str, float] | None = None
        if terms:
            sims = vecs @ self.embedder.encode([w])[0]
            j = int(np.argmax(sims))
            out = (terms[j], float(sims[j]))
        self._memo[w] = out
        return out

    def match(self, word: str) -> str | None:
        """The vocabulary term ``word`` means, when it is close enough; else None."""
        b = self.best(word)
        return b[0] if b is not None and b[1] >= self.threshold else None


def meaning_matcher(catalog: Catalog, embedder: Embedder,
                    cache_dir: Path | None = None) -> MeaningMatcher | None:
    """A matcher when the threshold was measured for this embedder, else None."""
    if embedder.name != MEASURED_FOR:
        return None
    return MeaningMatcher(catalog, embedder, cache_dir=cache_dir)
