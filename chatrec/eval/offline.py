"""Offline top-N and rating-prediction evaluation on MovieLens (the Chat-REC protocol).

    python -m chatrec.eval.offline --limit 50            # quick
    python -m chatrec.eval.offline                       # all 610 users of ml-latest-small

Protocol
--------
* Split: per user, ratings in time order (ties by item id); the first 80% train, the last 20%
  test. Every model (chatrec's collaborative model, popularity, item-kNN, ALS) is fit on the
  train part of *all* users only; the catalog's own ``popularity``/``avg_rating``/``num_ratings``
  fields still come from the full data set (a residual leak for the fused popularity prior, named
  in the report).
* chatrec sees the user's train history through the public API, one ``session.feedback`` per
  item in time order: rating >= 4 -> ``"like"``, any other train rating -> ``"seen"`` (so it is
  never recommended again, as the baselines filter everything already rated). Then
  ``session.rank(10)`` (the code's ranking; no LLM) gives the list.
* Top-N: Precision/Recall/NDCG@5 against the user's test items rated >= 4 (users with none are
  skipped), and Recall@1..10 for the curve. Baselines get the same filter (all train items).
* Rating prediction: RMSE/MAE on every test rating of the evaluated users. chatrec's prediction
  is ``Recommender.predict_fit`` with the train-only collaborative model and the profile above
  (computed in bulk with the same formula; a test checks it equals ``predict_fit``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import sys
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from chatrec.eval import beyond
from chatrec.eval.common import default_data_dir, make_recommender, run_main
from chatrec.eval.metrics import percentile, recall_at_k

if TYPE_CHECKING:
    from chatrec.recommender import Recommender
    from chatrec.retrieve.collab import CollaborativeModel

LIKED = 4.0
TOP_N = 5
CURVE_K = 10
REPORTS_DIR = Path(__file__).resolve().parents[2] / "reports"
PUBLISHED = ("`../shared/data/SOURCES.md` lists no published figures for this protocol. "
             "For context only, from the paper, not checked against that file: "
             "Chat-REC (Gao et al. 2023), ML-100K, rating prediction RMSE/MAE: MF 0.988/0.771, "
             "Item-KNN 0.933/0.734, gpt-3.5-turbo 0.969/0.756; top-5 P/R/NDCG on ML-100K: "
             "see the paper. Different data (ML-100K, random split) from ours (ml-latest-small, "
             "per-user time split): compare orders of magnitude, not digits.")


# --- metrics (pure) ---------------------------------------------------------------------------
def precision_at_k(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    if k <= 0:
        return 0.0
    return sum(1 for i in ranked[:k] if i in relevant) / k


def ndcg_at_k(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    """Binary-relevance NDCG@k (ideal: all relevant items first)."""
    if not relevant or k <= 0:
        return 0.0
    dcg = sum(1.0 / math.log2(n + 2) for n, i in enumerate(ranked[:k]) if i in relevant)
    idcg = sum(1.0 / math.log2(n + 2) for n in range(min(len(relevant), k)))
    return dcg / idcg


def rmse(pred: Sequence[float] | np.ndarray, true: Sequence[float] | np.ndarray) -> float:
    p, t = np.asarray(pred, dtype=np.float64), np.asarray(true, dtype=np.float64)
    return float(np.sqrt(np.mean((p - t) ** 2))) if len(p) else float("nan")


def mae(pred: Sequence[float] | np.ndarray, true: Sequence[float] | np.ndarray) -> float:
    p, t = np.asarray(pred, dtype=np.float64), np.asarray(true, dtype=np.float64)
    return float(np.mean(np.abs(p - t))) if len(p) else float("nan")


# --- data -------------------------------------------------------------------------------------
@dataclass
class RatingRows:
    users: np.ndarray  # int64
    items: np.ndarray  # object (str ids)
    ratings: np.ndarray  # float32
    stamps: np.ndarray  # int64

    def take(self, mask: np.ndarray) -> RatingRows:
        return RatingRows(self.users[mask], self.items[mask], self.ratings[mask], self.stamps[mask])

    def __len__(self) -> int:
        return len(self.ratings)


def ratings_of(rec: Recommender) -> RatingRows:
    r = rec.catalog.ratings()
    if r is None:
        raise SystemExit(f"catalog {rec.catalog.name!r} has no ratings")
    return RatingRows(r.user_ids, r.item_ids, r.ratings, r.timestamps)


def time_split(rows: RatingRows, train_share: float = 0.8) -> np.ndarray:
    """A mask of train rows: each user's first ``train_share`` ratings by time (at least one)."""
    order = np.lexsort((rows.items.astype(str), rows.stamps, rows.users))
    mask = np.zeros(len(rows), dtype=bool)
    users = rows.users[order]
    starts = np.flatnonzero(np.r_[True, users[1:] != users[:-1]])
    ends = np.r_[starts[1:], len(users)]
    for s, e in zip(starts, ends, strict=True):
        n_train = max(1, math.floor(train_share * (e - s)))
        mask[order[s:s + n_train]] = True
    return mask


def fit_collab(rec: Recommender, train: RatingRows) -> CollaborativeModel:
    from chatrec.retrieve.collab import CollaborativeModel

    return CollaborativeModel.fit(list(rec.catalog.items), train.users, train.items, train.ratings)


def with_collab(rec: Recommender, model: CollaborativeModel | None
                ) -> contextlib.AbstractContextManager[Recommender]:
    """The recommender with another collaborative model (candidates, popularity prior and
    predicted fit all use it) for the duration of a ``with`` block."""
    return rec.override(collab=model)


# --- baselines --------------------------------------------------------------------------------
class Baselines:
    """Popularity, item-kNN (cosine) and ALS (``implicit``) top-N; global/item mean, item-kNN and
    biased MF rating prediction; all fit on ``train`` only."""

    def __init__(self, catalog_ids: list[str], train: RatingRows, seed: int = 0) -> None:
        self.ids = catalog_ids
        self.col = {i: n for n, i in enumerate(catalog_ids)}
        self.uids, ucol = np.unique(train.users, return_inverse=True)
        self.urow = {int(u): n for n, u in enumerate(self.uids)}
        icol = np.array([self.col[str(i)] for i in train.items], dtype=np.int64)
        self.user_items = sp.csr_matrix((np.ones(len(icol), dtype=np.float32), (ucol, icol)),
                                        shape=(len(self.uids), len(catalog_ids)))
        self.user_items.sum_duplicates()
        self.user_items.data[:] = 1.0
        counts = np.asarray(self.user_items.sum(axis=0)).ravel()
        self.pop_order = np.argsort(-counts, kind="stable")
        from implicit.als import AlternatingLeastSquares
        from implicit.nearest_neighbours import CosineRecommender

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.knn = CosineRecommender(K=100, num_threads=1)
            self.knn.fit(self.user_items, show_progress=False)
            self.als = AlternatingLeastSquares(factors=64, regularization=0.05, iterations=15,
                                               random_state=seed, num_threads=1)
            self.als.fit(self.user_items, show_progress=False)
        # rating prediction
        r = train.ratings.astype(np.float64)
        self.mu = float(r.mean())
        self.mf = _biased_als(ucol, icol, r, len(self.uids), len(catalog_ids), seed=seed)

    def top_n(self, method: str, user: int, n: int) -> list[str]:
        u = self.urow.get(user)
        if method == "popularity":
            have = set(self.user_items[u].indices) if u is not None else set()
            return [self.ids[j] for j in self.pop_order[: n + len(have)] if j not in have][:n]
        if u is None:
            return []
        model = self.knn if method == "item-kNN" else self.als
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            idx, _ = model.recommend(u, self.user_items[u], N=n, filter_already_liked_items=True)
        return [self.ids[int(j)] for j in idx]

    def predict_mf(self, user: int, item_cols: np.ndarray) -> np.ndarray:
        mu, bu, bi, p, q = self.mf
        u = self.urow.get(user)
        out = mu + bi[item_cols]
        if u is not None:
            out = out + bu[u] + q[item_cols] @ p[u]
        return np.clip(out, 0.5, 5.0)


def _biased_als(u: np.ndarray, i: np.ndarray, r: np.ndarray, n_u: int, n_i: int, k: int = 20,
                lam: float = 0.08, lam_b: float = 5.0, iters: int = 10, seed: int = 0,
                ) -> tuple[float, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Biased matrix factorisation, ALS with weighted-lambda regularisation (numpy)."""
    mu = float(r.mean())
    bi = np.zeros(n_i)
    bu = np.zeros(n_u)
    for _ in range(3):  # damped biases
        bi = np.bincount(i, weights=r - mu - bu[u], minlength=n_i) / (
            np.bincount(i, minlength=n_i) + lam_b)
        bu = np.bincount(u, weights=r - mu - bi[i], minlength=n_u) / (
            np.bincount(u, minlength=n_u) + lam_b)
    res = r - mu - bu[u] - bi[i]
    rng = np.random.default_rng(seed)
    p = rng.normal(0, 0.1, (n_u, k))
    q = rng.normal(0, 0.1, (n_i, k))
    by_u = sp.csr_matrix((res, (u, i)), shape=(n_u, n_i))
    by_i = by_u.T.tocsr()
    eye = np.eye(k)

    def solve(m: sp.csr_matrix, fixed: np.ndarray, out: np.ndarray) -> None:
        for row in range(m.shape[0]):
            s, e = m.indptr[row], m.indptr[row + 1]
            if s == e:
                out[row] = 0.0
                continue
            f = fixed[m.indices[s:e]]
            out[row] = np.linalg.solve(f.T @ f + lam * (e - s) * eye, f.T @ m.data[s:e])

    for _ in range(iters):
        solve(by_u, q, p)
        solve(by_i, p, q)
    return mu, bu, bi, p, q


def knn_ratings(norm_items: sp.csr_matrix, item_mean: np.ndarray, train_cols: np.ndarray,
                train_r: np.ndarray, test_cols: np.ndarray, k: int = 30) -> np.ndarray:
    """Item-kNN rating prediction: the item's mean plus the similarity-weighted deviations of
    the user's ``k`` most similar (positively) rated items (adjusted cosine)."""
    if len(test_cols) == 0:
        return np.zeros(0)
    base = item_mean[test_cols].astype(np.float64)
    if len(train_cols) == 0:
        return base
    sims = (norm_items[test_cols] @ norm_items[train_cols].T).toarray()
    dev = train_r - item_mean[train_cols]
    out = base.copy()
    for n in range(len(test_cols)):
        s = sims[n]
        top = np.argsort(-s)[:k]
        top = top[s[top] > 0]
        if len(top):
            out[n] += float((s[top] * dev[top]).sum() / s[top].sum())
    return np.clip(out, 0.5, 5.0)


def chatrec_ratings(collab: CollaborativeModel, liked: list[str], test_ids: list[str]) -> np.ndarray:
    """``Recommender.predict_fit`` for a profile of liked items only (no attributes, no
    dislikes), in bulk: clip(item_mean + 2.5 * mean similarity to the liked items, 1, 5)."""
    cols = [collab.index.get(i) for i in test_ids]
    sims = collab.similarities(liked) if liked else np.zeros((0, len(collab.item_ids)))
    out = []
    for j in cols:
        if j is None:
            out.append(3.0)
            continue
        s = float(sims[:, j].mean()) if len(sims) else 0.0
        out.append(float(np.clip(float(collab.item_mean[j]) + 2.5 * s, 1.0, 5.0)))
    return np.asarray(out)


# --- the run ----------------------------------------------------------------------------------
METHODS = ("chatrec", "popularity", "item-kNN", "ALS")
RATING_METHODS = ("chatrec", "global mean", "item mean", "item-kNN", "MF (biased ALS)")


def evaluate(rec: Recommender, limit: int | None = None, progress: bool = True,
             seed: int = 0) -> dict[str, Any]:
    from tqdm import tqdm

    t_start = time.perf_counter()
    rows = ratings_of(rec)
    mask = time_split(rows)
    train, test = rows.take(mask), rows.take(~mask)
    collab = fit_collab(rec, train)
    swapped = contextlib.ExitStack()
    swapped.enter_context(with_collab(rec, collab))
    try:
        base = Baselines(list(rec.catalog.items), train, seed=seed)
        pct = beyond.popularity_percentiles(
            beyond.rating_counts(train.users, train.items, list(rec.catalog.items)))
        users = sorted({int(u) for u in rows.users})
        if limit is not None:
            users = users[:limit]
        tr_by_u = group_by_user(train)
        te_by_u = group_by_user(test)
        sums = {m: {"precision": 0.0, "recall": 0.0, "ndcg": 0.0} for m in METHODS}
        curves = {m: np.zeros(CURVE_K) for m in METHODS}
        lists: dict[str, list[list[str]]] = {m: [] for m in METHODS}
        histories: list[list[str]] = []
        reasons: list[tuple[str, str]] = []
        latencies: list[float] = []
        preds: dict[str, list[float]] = {m: [] for m in RATING_METHODS}
        truth: list[float] = []
        n_eval = skipped = 0
        for user in tqdm(users, desc="offline users", disable=not progress):
            tr = tr_by_u.get(user, [])
            te = te_by_u.get(user, [])
            liked = [i for i, r in tr if r >= LIKED]
            # --- rating prediction (every test rating)
            if te:
                te_ids = [i for i, _ in te]
                te_r = np.array([r for _, r in te])
                cols = np.array([base.col[i] for i in te_ids])
                tr_cols = np.array([base.col[i] for i, _ in tr], dtype=np.int64)
                tr_r = np.array([r for _, r in tr], dtype=np.float64)
                truth.extend(te_r.tolist())
                preds["chatrec"].extend(chatrec_ratings(collab, liked, te_ids).tolist())
                preds["global mean"].extend([base.mu] * len(te_ids))
                preds["item mean"].extend(collab.item_mean[cols].tolist())
                preds["item-kNN"].extend(knn_ratings(collab.norm_items, collab.item_mean,
                                                     tr_cols, tr_r, cols).tolist())
                preds["MF (biased ALS)"].extend(base.predict_mf(user, cols).tolist())
            relevant = {i for i, r in te if r >= LIKED}
            if not relevant:
                skipped += 1
                continue
            n_eval += 1
            # --- chatrec through the public API
            session = rec.session()
            for i, r in tr:
                session.feedback(i, "like" if r >= LIKED else "seen")
            t0 = time.perf_counter()
            picks = session.rank(CURVE_K)
            latencies.append(time.perf_counter() - t0)
            ranked = {"chatrec": [p.item_id for p in picks]}
            reasons.extend((p.reason, p.item_id) for p in picks[:TOP_N])
            for m in METHODS[1:]:
                ranked[m] = base.top_n(m, user, CURVE_K)
            histories.append([i for i, _ in tr])
            targets = sorted(relevant)
            for m in METHODS:
                lst = ranked[m]
                lists[m].append(lst[:TOP_N])
                sums[m]["precision"] += precision_at_k(lst, relevant, TOP_N)
                sums[m]["recall"] += recall_at_k(lst, targets, TOP_N)
                sums[m]["ndcg"] += ndcg_at_k(lst, relevant, TOP_N)
                for k in range(1, CURVE_K + 1):
                    curves[m][k - 1] += recall_at_k(lst, targets, k)
        topn = {m: {f"{k}@{TOP_N}": round(v / max(n_eval, 1), 4) for k, v in s.items()}
                for m, s in sums.items()}
        t = np.asarray(truth)
        rating = {m: {"rmse": round(rmse(p, t), 4), "mae": round(mae(p, t), 4)}
                  for m, p in preds.items()}
        return {
            "suite": "offline", "catalog": rec.catalog.name, "users": len(users),
            "users_evaluated_topn": n_eval, "users_without_test_likes": skipped,
            "train_ratings": len(train), "test_ratings_scored": len(truth),
            "protocol": "per-user time split 80/20; liked = rating >= 4; history via "
                        "session.feedback (like / seen); chatrec list = session.rank(10)",
            "topn": topn,
            "recall_curve": {m: [round(float(x) / max(n_eval, 1), 4) for x in c]
                             for m, c in curves.items()},
            "rating": rating,
            "chatrec_rank_latency_ms": {
                "p50": round(1000 * percentile(latencies, 50), 1),
                "p95": round(1000 * percentile(latencies, 95), 1)},
            "latencies_s": [round(x, 4) for x in latencies],
            "beyond": {m: beyond.summarize(rec, lists[m], histories, pct,
                                           reasons if m == "chatrec" else None)
                       for m in METHODS},
            "machine": beyond.machine_info(),
            "elapsed_s": round(time.perf_counter() - t_start, 1),
        }
    finally:
        swapped.close()


def group_by_user(rows: RatingRows) -> dict[int, list[tuple[str, float]]]:
    """user -> [(item, rating)] in time order."""
    order = np.lexsort((rows.items.astype(str), rows.stamps, rows.users))
    out: dict[int, list[tuple[str, float]]] = {}
    for j in order:
        out.setdefault(int(rows.users[j]), []).append((str(rows.items[j]), float(rows.ratings[j])))
    return out


def markdown(res: dict[str, Any]) -> str:
    best = max((m for m in METHODS if m != "chatrec"),
               key=lambda m: res["topn"][m][f"ndcg@{TOP_N}"])
    ours = res["topn"]["chatrec"][f"ndcg@{TOP_N}"]
    theirs = res["topn"][best][f"ndcg@{TOP_N}"]
    verdict = ("met" if ours >= theirs else
               f"missed by {theirs - ours:.4f} ({(theirs - ours) / max(theirs, 1e-9):.0%} below)")
    lines = [
        "## Offline: MovieLens top-5 and rating prediction (Chat-REC protocol)", "",
        f"{res['users']} users ({res['users_evaluated_topn']} with test items rated >= 4), "
        f"{res['train_ratings']} train ratings, {res['test_ratings_scored']} test ratings scored. "
        f"Protocol: {res['protocol']}. Machine: {res['machine']}. Took {res['elapsed_s']} s.", "",
        f"Compared with: {PUBLISHED}", "",
        "| method | P@5 | R@5 | NDCG@5 |", "| --- | --- | --- | --- |"]
    for m, s in res["topn"].items():
        lines.append(f"| {m} | {s['precision@5']:.4f} | {s['recall@5']:.4f} | {s['ndcg@5']:.4f} |")
    lines += ["", f"Target (chatrec NDCG@5 >= best baseline, here {best} {theirs:.4f}): "
              f"chatrec {ours:.4f}, {verdict}.", "",
              "| rating predictor | RMSE | MAE |", "| --- | --- | --- |"]
    for m, s in res["rating"].items():
        lines.append(f"| {m} | {s['rmse']:.4f} | {s['mae']:.4f} |")
    lat = res["chatrec_rank_latency_ms"]
    lines += ["", f"chatrec `session.rank(10)` latency: p50 {lat['p50']:.0f} ms, "
              f"p95 {lat['p95']:.0f} ms.", "",
              "Beyond accuracy (top-5 lists; popularity percentile from train rating counts):", "",
              beyond.beyond_rows(res["beyond"]), ""]
    return "\n".join(lines)


def write_outputs(res: dict[str, Any], out_dir: Path, name: str = "offline") -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    jp, mp = out_dir / f"{name}.json", out_dir / f"{name}.md"
    jp.write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    mp.write_text(markdown(res), encoding="utf-8")
    return jp, mp


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--catalog", default="movies")
    p.add_argument("--limit", type=int, default=None, help="evaluate the first N users (by id)")
    p.add_argument("--data-dir", default=default_data_dir(), help="where the index is (reused)")
    p.add_argument("--out-dir", default=str(REPORTS_DIR))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    rec = make_recommender(args.catalog, "fake", args.data_dir)
    res = evaluate(rec, limit=args.limit, progress=not args.quiet, seed=args.seed)
    jp, mp = write_outputs(res, Path(args.out_dir))
    print(markdown(res))
    print(f"wrote {jp} and {mp}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    return run_main("python -m chatrec.eval.offline", __doc__, add_arguments, argv)


if __name__ == "__main__":
    sys.exit(main())
