"""Beyond-accuracy measures shared by every evaluation suite (simulate, offline, report).

* catalog coverage: share of the catalog that appears in at least one recommendation list;
* exposure Gini: concentration of all recommendation slots over the catalog (0 = even, 1 = one item);
* popularity bias: mean popularity percentile of the picks vs of the users' own history;
* intra-list diversity: 1 - mean pairwise cosine of the items' stored embeddings (or genre Jaccard);
* explanation grounding: share of reasons whose every claimed attribute the item has
  (``rec.ranker.grounding.check(reason, item)``).

The pure functions take plain lists and arrays; :func:`summarize` wires them to a Recommender.
"""

from __future__ import annotations

import os
import platform
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from chatrec.eval.metrics import rate

if TYPE_CHECKING:
    from chatrec.recommender import Recommender


def coverage(lists: Iterable[Sequence[str]], catalog_size: int) -> float:
    """Share of the catalog recommended at least once."""
    seen = {i for lst in lists for i in lst}
    return rate(len(seen), catalog_size)


def gini(counts: Sequence[float] | np.ndarray) -> float:
    """Gini coefficient of non-negative exposure counts (include the zeros of never-shown items)."""
    x = np.sort(np.asarray(counts, dtype=np.float64))
    n = len(x)
    if n == 0 or x.sum() <= 0:
        return 0.0
    cum = np.cumsum(x)
    return float((n + 1 - 2 * (cum / cum[-1]).sum()) / n)


def exposure_gini(lists: Iterable[Sequence[str]], catalog_ids: Sequence[str]) -> float:
    c = Counter(i for lst in lists for i in lst)
    return gini([c.get(i, 0) for i in catalog_ids])


def popularity_percentiles(counts: Mapping[str, float]) -> dict[str, float]:
    """Item -> percentile (0..100) of its popularity among all items (ties share the mean rank)."""
    ids = list(counts)
    if not ids:
        return {}
    v = np.array([counts[i] for i in ids], dtype=np.float64)
    order = np.argsort(v, kind="stable")
    ranks = np.empty(len(v), dtype=np.float64)
    ranks[order] = np.arange(len(v), dtype=np.float64)
    # average ranks of ties
    for val in np.unique(v):
        m = v == val
        if m.sum() > 1:
            ranks[m] = ranks[m].mean()
    pct = 100.0 * ranks / max(len(v) - 1, 1)
    return {i: float(p) for i, p in zip(ids, pct, strict=True)}


def mean_percentile(ids: Iterable[str], pct: Mapping[str, float]) -> float:
    vals = [pct[i] for i in ids if i in pct]
    return float(np.mean(vals)) if vals else float("nan")


def intra_list_diversity(vectors: np.ndarray) -> float:
    """1 - mean pairwise cosine of the rows (NaN for fewer than two rows)."""
    v = np.asarray(vectors, dtype=np.float64)
    if len(v) < 2:
        return float("nan")
    v = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    sims = v @ v.T
    n = len(v)
    mean = (sims.sum() - np.trace(sims)) / (n * (n - 1))
    return float(1.0 - mean)


def jaccard_diversity(attr_sets: Sequence[set[str] | frozenset[str]]) -> float:
    """1 - mean pairwise Jaccard similarity of attribute sets (NaN for fewer than two)."""
    n = len(attr_sets)
    if n < 2:
        return float("nan")
    sims = []
    for a in range(n):
        for b in range(a + 1, n):
            u = attr_sets[a] | attr_sets[b]
            sims.append(len(attr_sets[a] & attr_sets[b]) / len(u) if u else 1.0)
    return float(1.0 - np.mean(sims))


def grounding_rate(reasons: Sequence[tuple[str, Any]], check: Callable[[str, Any], tuple[bool, str]],
                   ) -> float:
    """Share of (reason, item) pairs that ``check`` accepts."""
    return rate(sum(bool(check(r, it)[0]) for r, it in reasons), len(reasons))


def rating_counts(user_ids: np.ndarray, item_ids: np.ndarray, catalog_ids: Sequence[str],
                  ) -> dict[str, float]:
    """Item -> number of ratings in the given (training) rows; unrated items get 0."""
    del user_ids
    c = Counter(str(i) for i in item_ids)
    return {i: float(c.get(i, 0)) for i in catalog_ids}


def summarize(rec: Recommender | None, lists: Sequence[Sequence[str]],
              histories: Sequence[Sequence[str]], pct: Mapping[str, float],
              reasons: Sequence[tuple[str, str]] | None = None) -> dict[str, Any]:
    """Every beyond-accuracy figure for one method's recommendation ``lists``.

    ``histories``: each user's own (training) items, for the popularity-bias comparison.
    ``reasons``: (reason, item id) pairs, when the method writes reasons.
    ``rec``: gives catalog size, item vectors and the grounding check (None: coverage over ``pct``).
    """
    catalog_ids = list(rec.catalog.items) if rec is not None else list(pct)
    out: dict[str, Any] = {
        "lists": len(lists),
        "coverage": round(coverage(lists, len(catalog_ids)), 4),
        "gini": round(exposure_gini(lists, catalog_ids), 4),
        "pop_pct_picks": round(mean_percentile((i for lst in lists for i in lst), pct), 2),
        "pop_pct_history": round(mean_percentile((i for h in histories for i in h), pct), 2),
    }
    if rec is not None:
        ild = []
        for lst in lists:
            _, v = rec.index.vectors(list(lst))
            d = intra_list_diversity(v)
            if not np.isnan(d):
                ild.append(d)
        out["ild_cosine"] = round(float(np.mean(ild)), 4) if ild else None
        if reasons is not None:
            items = [(r, rec.catalog.items[i]) for r, i in reasons if i in rec.catalog.items]
            out["grounding_rate"] = round(grounding_rate(items, rec.ranker.grounding.check), 4)
            out["reasons"] = len(items)
    return out


def machine_info() -> str:
    """One line naming the machine a figure was measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (f"{cpu}, {os.cpu_count()} CPUs visible, {platform.system()} {platform.release()}, "
            f"Python {sys.version.split()[0]}")


BEYOND_HEADER = ("| method | lists | coverage | exposure Gini | pop. pct picks | pop. pct history "
                 "| ILD (cosine) | grounded reasons |\n| --- | --- | --- | --- | --- | --- | --- | --- |")


def beyond_rows(by_method: Mapping[str, Mapping[str, Any]]) -> str:
    """Markdown rows (with header) for ``{method: summarize(...)}``."""
    def f(v: Any, fmt: str = "{:.3f}") -> str:
        return "n/a" if v is None or (isinstance(v, float) and np.isnan(v)) else fmt.format(v)

    lines = [BEYOND_HEADER]
    for name, s in by_method.items():
        lines.append(f"| {name} | {s['lists']} | {f(s['coverage'])} | {f(s['gini'])} | "
                     f"{f(s['pop_pct_picks'], '{:.1f}')} | {f(s['pop_pct_history'], '{:.1f}')} | "
                     f"{f(s.get('ild_cosine'))} | {f(s.get('grounding_rate'))} |")
    return "\n".join(lines)
