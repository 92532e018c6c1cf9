"""Does an imported watch history make the picks better? Held-out users of the catalog's ratings.

    python -m chatrec.eval history --limit 30           # quick
    python -m chatrec.eval history                      # 150 held-out users (reports/history.md)

Protocol
--------
* Held-out users: ``--users`` users drawn (seeded) from those with >= 20 ratings and >= 8 rated
  >= 4. The collaborative model is refitted on every *other* user's ratings and swapped in
  (``Recommender.override(collab=...)``), so no held-out rating is in it. The catalog's
  ``popularity``/``num_ratings`` fields still count all users (a residual leak, the same for
  every arm).
* Per user, ratings in time order: the latest ``--hide`` films they rated >= 4 are hidden; the
  history is every rating made before the first hidden one. It is imported through the public
  API (``User.import_rows``, the path ``user import`` takes for a MovieLens ratings file):
  rating >= 4 -> like, <= 2 -> dislike, every film -> seen.
* One plain request, the same for every arm: ``session.add_turn("user", REQUEST)``, then
  ``session.rank(10)`` (the code's ranking; no LLM).
* Arms: *no history* (an anonymous conversation), *history* (the user's conversation), and
  *history, no collaborative model* (``collab=None``: content signals only).
* Metrics: hit rate@10 (a hidden film among the ten) and binary NDCG@10 against the hidden films.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from chatrec.eval.common import default_data_dir, make_recommender, run_main
from chatrec.eval.offline import RatingRows, ndcg_at_k, ratings_of
from chatrec.users import History, HistoryRow

if TYPE_CHECKING:
    from chatrec.recommender import Recommender

REQUEST = "Recommend me a good movie to watch tonight."
REPORTS_DIR = Path(__file__).resolve().parents[2] / "reports"
LIKED = 4.0
K = 10
ARMS = ("no history", "history", "history, no collaborative model")


def held_out_users(rows: RatingRows, n: int, seed: int, hide: int) -> list[int]:
    counts: dict[int, int] = {}
    liked: dict[int, int] = {}
    for u, r in zip(rows.users.tolist(), rows.ratings.tolist(), strict=True):
        counts[u] = counts.get(u, 0) + 1
        liked[u] = liked.get(u, 0) + (r >= LIKED)
    ok = sorted(u for u in counts if counts[u] >= 20 and liked[u] >= hide + 3)
    return sorted(random.Random(seed).sample(ok, min(n, len(ok))))


def split_user(rows: RatingRows, user: int, hide: int) -> tuple[list[HistoryRow], set[str]]:
    """The user's history (every rating before the first hidden film) and the hidden films
    (their latest ``hide`` rated >= 4)."""
    mask = rows.users == user
    items, ratings, stamps = rows.items[mask], rows.ratings[mask], rows.stamps[mask]
    order = np.lexsort((items.astype(str), stamps))
    seq = [(str(items[j]), float(ratings[j]), int(stamps[j])) for j in order]
    liked = [n for n, (_, r, _) in enumerate(seq) if r >= LIKED]
    first_hidden = liked[-hide]
    hidden = {seq[n][0] for n in liked[-hide:]}
    history = [HistoryRow(f"ratings:{user}:{n}", item_id=i, rating=r, when=f"{t:012d}")
               for n, (i, r, t) in enumerate(seq[:first_hidden]) if i not in hidden]
    return history, hidden


def evaluate(rec: Recommender, users: int = 150, hide: int = 5, seed: int = 0,
             progress: bool = True) -> dict[str, Any]:
    from chatrec.retrieve.collab import CollaborativeModel

    rows = ratings_of(rec)
    held = held_out_users(rows, users, seed, hide)
    train = rows.take(~np.isin(rows.users, np.array(held)))
    collab = CollaborativeModel.fit(list(rec.catalog.items), train.users, train.items,
                                    train.ratings)
    scores: dict[str, dict[str, list[float]]] = {a: {"hit": [], "ndcg": []} for a in ARMS}
    sizes: list[int] = []
    t0 = time.perf_counter()
    for n, user in enumerate(held, 1):
        history, hidden = split_user(rows, user, hide)
        sizes.append(len(history))
        me = rec.user(f"eval-history-{user}")
        me.forget()
        me.import_rows(History("movielens", history, []), f"ratings of user {user}",
                       like_at=LIKED)
        for arm in ARMS:
            with rec.override(collab=None if arm.endswith("no collaborative model") else collab):
                s = me.session() if arm != "no history" else rec.session()
                s.add_turn("user", REQUEST)
                ranked = [p.item_id for p in s.rank(K)]
            scores[arm]["hit"].append(float(bool(hidden & set(ranked))))
            scores[arm]["ndcg"].append(ndcg_at_k(ranked, hidden, K))
        me.forget()
        if progress:
            h = {a: np.mean(scores[a]["hit"]) for a in ARMS}
            print(f"\r{n}/{len(held)} users  hit@10 " + "  ".join(
                f"{a}: {v:.3f}" for a, v in h.items()), end="", file=sys.stderr, flush=True)
    if progress:
        print(file=sys.stderr)
    return {
        "catalog": rec.catalog.name, "users": len(held), "hidden_per_user": hide, "k": K,
        "request": REQUEST, "seed": seed, "history_sizes": {
            "median": float(np.median(sizes)) if sizes else 0.0,
            "min": int(min(sizes, default=0)), "max": int(max(sizes, default=0))},
        "arms": {a: {"hit_rate": float(np.mean(v["hit"])) if v["hit"] else 0.0,
                     "ndcg": float(np.mean(v["ndcg"])) if v["ndcg"] else 0.0}
                 for a, v in scores.items()},
        "seconds": round(time.perf_counter() - t0, 1),
    }


def markdown(res: dict[str, Any]) -> str:
    lines = ["# Imported history: held-out users", "",
             f"Catalog `{res['catalog']}`; {res['users']} held-out users (not in the "
             f"collaborative model's fit); the latest {res['hidden_per_user']} films each rated "
             f">= 4 hidden, the ratings before them imported (median "
             f"{res['history_sizes']['median']:.0f} films, {res['history_sizes']['min']}-"
             f"{res['history_sizes']['max']}); one request: \"{res['request']}\"; "
             f"`session.rank({res['k']})` (no LLM). Seed {res['seed']}, {res['seconds']} s.",
             "", f"| arm | hit rate@{res['k']} | NDCG@{res['k']} |", "| --- | --- | --- |"]
    for arm, v in res["arms"].items():
        lines.append(f"| {arm} | {v['hit_rate']:.3f} | {v['ndcg']:.3f} |")
    lines += ["", "*no history*: an anonymous conversation with the same request (the same ten "
              "films for everyone); *history*: the user's conversation after the import "
              "(collaborative and content signals from the liked films, seen films excluded); "
              "*history, no collaborative model*: the same without the collaborative model "
              "(content signals only). The catalog's popularity fields count every user, "
              "held-out ones too (the same for every arm).", "",
              "Made by `python -m chatrec.eval history` (protocol: `chatrec/eval/history.py`).",
              ""]
    return "\n".join(lines)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--catalog", default="movies", help="a catalog with ratings")
    p.add_argument("--users", "--limit", dest="users", type=int, default=150,
                   help="held-out users (default 150)")
    p.add_argument("--hide", type=int, default=5, help="latest liked films hidden per user")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data-dir", default=default_data_dir(), help="where the index is (reused)")
    p.add_argument("--out-dir", default=str(REPORTS_DIR))
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    rec = make_recommender(args.catalog, "fake", args.data_dir)
    res = evaluate(rec, users=args.users, hide=args.hide, seed=args.seed,
                   progress=not args.quiet)
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "history.json").write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    (out / "history.md").write_text(markdown(res), encoding="utf-8")
    print(markdown(res))
    print(f"wrote {out / 'history.json'} and {out / 'history.md'}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    return run_main("python -m chatrec.eval.history", __doc__, add_arguments, argv)


if __name__ == "__main__":
    sys.exit(main())
