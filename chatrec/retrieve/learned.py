"""A catalog's learned ranker: fitted linear weights plus a small interaction term.

The default score is linear in the candidate features (:class:`chatrec.retrieve.candidates.Weights`),
easy to read and to steer, but blind to interactions, e.g. that conversation popularity counts
most when the talk says little, or that similarity to the user's items counts once they named
several. A catalog with data to learn from can ship a ranker that adds them:

    score = X @ w + v . tanh(X @ A.T + b)

with ``H`` hidden units (8 in the movies' fit), ``w`` and the term fitted jointly by
``scripts/fit_weights.py`` (listwise softmax over the candidate pool) on that catalog's data.
The manifest's ``"ranker"`` key names the file (``catalogs/movies/ranker.json``); a catalog
without one ranks with the linear :class:`~chatrec.retrieve.candidates.Weights`. A file fitted for other
features than :data:`chatrec.retrieve.candidates.FEATURES` is refused with the fix (refit it).

The novelty knob acts as on the linear weights (the popularity features scaled by
``1 - 2 * novelty``); the term, fitted at the default, fades by the same factor (off from 0.5).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from chatrec.errors import CatalogError

if TYPE_CHECKING:
    from chatrec.catalog import Catalog

REFIT = "refit it with scripts/fit_weights.py"


@dataclass(frozen=True, eq=False)
class LearnedRanker:
    """``X @ w + v . tanh(X @ A.T + b)`` over named features (``X``'s columns, in order)."""

    features: tuple[str, ...]
    weights: np.ndarray  # features
    A: np.ndarray  # hidden x features
    b: np.ndarray  # hidden
    v: np.ndarray  # hidden

    def term(self, X: np.ndarray) -> np.ndarray:
        """The interaction term alone."""
        if X.shape[0] == 0:
            return np.zeros(0, dtype=np.float32)
        return (np.tanh(X @ self.A.T + self.b) @ self.v).astype(np.float32)

    def score(self, X: np.ndarray) -> np.ndarray:
        """The fitted score (the generator applies the novelty knob, see
        ``CandidateGenerator.generate``)."""
        return (X @ self.weights).astype(np.float32) + self.term(X)

    def to_dict(self) -> dict[str, Any]:
        return {"features": list(self.features),
                "weights": np.round(self.weights, 4).tolist(),
                "A": np.round(self.A, 4).tolist(), "b": np.round(self.b, 4).tolist(),
                "v": np.round(self.v, 4).tolist()}

    @classmethod
    def from_dict(cls, d: Any, *, source: str, features: tuple[str, ...]) -> LearnedRanker:
        """Validate a decoded file: its features must be ``features``, its shapes must agree."""
        try:
            names = tuple(d["features"])
            arrays = [np.asarray(d[k], dtype=np.float32) for k in ("weights", "A", "b", "v")]
        except (KeyError, TypeError, ValueError) as e:
            raise CatalogError(f"{source}: not a ranker file ({e}); {REFIT}") from None
        w, A, b, v = arrays
        if names != features:
            raise CatalogError(f"{source}: fitted for features {list(names)}, but the generator "
                               f"has {list(features)}; {REFIT}")
        if (A.ndim != 2 or A.shape[1] != len(names) or w.shape != (len(names),)
                or b.shape != (A.shape[0],) or v.shape != (A.shape[0],)
                or not all(np.isfinite(a).all() for a in arrays)):
            raise CatalogError(f"{source}: shapes weights {w.shape}, A {A.shape}, b {b.shape}, "
                               f"v {v.shape} do not fit {len(names)} features; {REFIT}")
        return cls(features=names, weights=w, A=A, b=b, v=v)

    @classmethod
    def load(cls, path: str | Path, features: tuple[str, ...]) -> LearnedRanker:
        try:
            d = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise CatalogError(f"{path}: cannot read the ranker: {e}") from None
        return cls.from_dict(d, source=str(path), features=features)


@functools.lru_cache(maxsize=16)
def _load(path: str, mtime: float, features: tuple[str, ...]) -> LearnedRanker:
    return LearnedRanker.load(path, features)


def for_catalog(catalog: Catalog, features: tuple[str, ...]) -> LearnedRanker | None:
    """The catalog's ranker (read once per file version), or None when it ships none."""
    name = catalog.manifest.ranker_file
    if not name:
        return None
    path = catalog.path / name
    try:
        mtime = path.stat().st_mtime
    except OSError as e:
        raise CatalogError(f"{path}: the catalog's manifest names this ranker file, but it "
                           f"cannot be read ({e}); restore it or drop the \"ranker\" key") from None
    return _load(str(path), mtime, features)
