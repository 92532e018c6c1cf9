"""Ranking metrics shared by the evaluation suites (pure functions, no chatrec imports)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def hit_at_k(ranked: Sequence[str], target: str | None, k: int) -> float:
    """1.0 when ``target`` is among the first ``k`` of ``ranked``; an unlinked target (None) is a miss."""
    if target is None or k <= 0:
        return 0.0
    return 1.0 if target in ranked[:k] else 0.0


def recall_at_k(ranked: Sequence[str], targets: Sequence[str | None], k: int) -> float:
    """Share of ``targets`` found in the first ``k`` of ``ranked`` (0.0 for no targets)."""
    if not targets:
        return 0.0
    return sum(hit_at_k(ranked, t, k) for t in targets) / len(targets)


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100) by linear interpolation; NaN for no values."""
    if not values:
        return math.nan
    xs = sorted(values)
    if len(xs) == 1:
        return float(xs[0])
    pos = (len(xs) - 1) * min(max(q, 0.0), 100.0) / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return float(xs[lo] + (xs[hi] - xs[lo]) * (pos - lo))


def rate(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, 0.0 when the denominator is 0."""
    return float(numerator) / denominator if denominator else 0.0
