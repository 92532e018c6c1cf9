"""Fit the candidate generator's fusion weights (chatrec.retrieve.candidates.Weights) and the movies'
learned ranker (chatrec.retrieve.learned) on ReDial and MovieLens histories.

    python scripts/fit_weights.py --dialogues ../shared/data/redial-dev/valid_data.jsonl \\
        --mentions ../shared/data/redial-dev/movies_with_mentions.csv --split tune \\
        --json reports/fit_weights.json --ranker catalogs/movies/ranker.json

Replays the chosen half of the dialogues through the public API (``add_turn``), and at every
recommender turn that names movies records the generator's feature matrix over its candidate
pool (``CandidateGenerator.signals``) and where the named movies sit in it. The score, linear
weights plus a small tanh interaction term (``--hidden`` units), is fitted by maximising the
listwise softmax likelihood of the named movies (L2 1e-3, Adam), the learning-to-rank form of
"learned weights". The linear weights are copied into ``Weights``' defaults by hand; the term
is written to the catalog folder and named in its manifest (``"ranker"``). Conversation-log
features are computed without the dialogue being replayed and without any dialogue of the
other half, so the other half stays unseen: report on it with
``python -m chatrec.eval redial --split test``. MovieLens points come from the offline suite's
train part only (``collect_movielens``): short named-title profiles (ReDial) and long rating
histories (MovieLens) fit one model whose ``*_deep`` features let it weigh the two regimes
differently.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def collect(args: argparse.Namespace) -> tuple[list[np.ndarray], list[list[int]]]:
    from chatrec.eval import redial
    from chatrec.eval.common import make_recommender

    rec = make_recommender("movies", "fake", args.data_dir)
    names = redial.load_mentions(args.mentions)
    every = redial.load_dialogues(args.dialogues)
    mine = redial.select(every, args.split, args.seed)[: args.limit]
    others = {str(d["conversationId"]) for d in every} - {str(d["conversationId"]) for d in mine}
    link = redial.Linker(rec)
    gen = rec.generator
    base = rec.conversations
    X: list[np.ndarray] = []
    T: list[list[int]] = []
    t0 = time.perf_counter()
    for n, d in enumerate(mine):
        cid = str(d["conversationId"])
        gen.conversations = base.without(others | {cid}) if base is not None else None
        session = rec.session()
        for turn in redial.rank_points(session, redial.turns_of(d, names)):
            sig = gen.signals(session.preferences, "", talk=session.talk())
            pos = {i: j for j, i in enumerate(sig.ids)}
            hit = [pos[t] for t in (link(x) for x in turn.targets) if t in pos]
            if hit:
                X.append(sig.X.copy())
                T.append(hit)
        if (n + 1) % 50 == 0:
            print(f"[{n + 1}/{len(mine)}] {time.perf_counter() - t0:.0f}s, {len(X)} points",
                  file=sys.stderr, flush=True)
    gen.conversations = base
    return X, T


def collect_movielens(args: argparse.Namespace) -> tuple[list[np.ndarray], list[list[int]]]:
    """Rank points from MovieLens histories, inside the offline suite's TRAIN part only.

    The offline suite (chatrec.eval.offline) keeps each user's last 20% of ratings (by time) as
    its test; here the first 80% is split again the same way: the earlier part is given as
    feedback (like / seen), the later liked items are the targets, and the collaborative model
    is refit on the earlier parts only. Nothing of the offline test part is read."""
    from chatrec.eval import offline
    from chatrec.eval.common import make_recommender

    rec = make_recommender("movies", "fake", args.data_dir)
    rows = offline.ratings_of(rec)
    train = rows.take(offline.time_split(rows))
    inner = offline.time_split(train)
    hist, later = train.take(inner), train.take(~inner)
    by_hist, by_later = offline.group_by_user(hist), offline.group_by_user(later)
    rec = make_recommender("movies", "fake", args.data_dir, collab=offline.fit_collab(rec, hist))
    gen = rec.generator
    X: list[np.ndarray] = []
    T: list[list[int]] = []
    users = sorted(by_hist)[: args.ml_users]
    for user in users:
        targets = {i for i, r in by_later.get(user, []) if r >= offline.LIKED}
        if not targets:
            continue
        session = rec.session()
        for i, r in by_hist[user]:
            session.feedback(i, "like" if r >= offline.LIKED else "seen")
        sig = gen.signals(session.preferences, "", talk=session.talk())
        hit = [j for j, i in enumerate(sig.ids) if i in targets]
        if hit:
            X.append(sig.X.copy())
            T.append(hit)
    print(f"MovieLens: {len(users)} users, {len(X)} with a later liked item in the pool",
          file=sys.stderr, flush=True)
    return X, T


def fit(X: list[np.ndarray], T: list[list[int]], epochs: int, l2: float, hidden: int = 0,
        seed: int = 0) -> tuple[np.ndarray, dict[str, np.ndarray] | None]:
    """Linear weights, and with ``hidden`` > 0 the interaction term
    (:mod:`chatrec.retrieve.learned`) fitted jointly: ``X @ w + v . tanh(X @ A.T + b)``."""
    import torch

    torch.manual_seed(seed)
    w = torch.zeros(X[0].shape[1], requires_grad=True)
    params = [w]
    if hidden:  # torch's default (Kaiming-uniform) initialisation of two linear layers
        inner, outer = torch.nn.Linear(X[0].shape[1], hidden), torch.nn.Linear(hidden, 1)
        A, b, v = inner.weight, inner.bias, outer.weight[0]
        params += [A, b, outer.weight]
    opt = torch.optim.Adam(params, lr=0.03 if hidden else 0.05)
    xs = [torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)) for x in X]
    for _ in range(epochs):
        opt.zero_grad()
        loss = torch.zeros(())
        for x, t in zip(xs, T, strict=True):
            s = x @ w
            if hidden:
                s = s + torch.tanh(x @ A.T + b) @ v
            loss = loss - (s[t] - torch.logsumexp(s, 0)).mean()
        loss = loss / len(xs) + l2 * sum(((p ** 2).sum() for p in params), torch.zeros(()))
        loss.backward()
        opt.step()
    linear = np.asarray(w.detach().numpy(), dtype=np.float64)
    if not hidden:
        return linear, None
    return linear, {"A": A.detach().numpy(), "b": b.detach().numpy(),
                    "v": v.detach().numpy().copy()}


def collect_all(args: argparse.Namespace) -> tuple[list[np.ndarray], list[list[int]], int]:
    """ReDial then MovieLens rank points (from the ``--points`` cache when it exists)."""
    import pickle

    cache = Path(args.points) if args.points else None
    if cache is not None and cache.exists():
        with cache.open("rb") as f:
            got: tuple[list[np.ndarray], list[list[int]], int] = pickle.load(f)
        print(f"rank points from {cache}", file=sys.stderr)
        return got
    X, T = collect(args)
    n_redial = len(X)
    if args.ml_users:
        mx, mt = collect_movielens(args)
        X, T = X + mx, T + mt
    if cache is not None:
        with cache.open("wb") as f:
            pickle.dump((X, T, n_redial), f)
    return X, T, n_redial


def declare_ranker(path: Path, term: dict[str, object]) -> None:
    """Write the interaction term; inside a catalog folder, also name it in the manifest."""
    path.write_text(json.dumps(term) + "\n", encoding="utf-8")
    manifest_path = path.parent / "catalog.json"
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if manifest.get("ranker") != path.name:
            manifest["ranker"] = path.name
            manifest_path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False,
                                                sort_keys=True) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    from chatrec.eval.common import default_data_dir
    from chatrec.retrieve.candidates import FEATURES

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dialogues", required=True)
    ap.add_argument("--mentions", required=True)
    ap.add_argument("--split", default="tune", choices=("tune", "test"))
    ap.add_argument("--seed", default="chatrec")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--ml-users", type=int, default=610,
                    help="MovieLens users whose train-part histories join the fit (0: none)")
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--l2", type=float, default=1e-3)
    ap.add_argument("--hidden", type=int, default=8,
                    help="hidden units of the interaction term (0: linear weights only)")
    ap.add_argument("--data-dir", default=default_data_dir())
    ap.add_argument("--json", default=None, help="write the fit (weights, term, counts) here")
    ap.add_argument("--ranker", default=None,
                    help="write the ranker (its linear weights + the term) here, e.g. "
                    "catalogs/movies/ranker.json, and name it in that catalog's manifest")
    ap.add_argument("--points", default=None,
                    help="cache of the collected rank points (.pkl): read if it exists, else "
                    "written; refits with other options skip the replay")
    args = ap.parse_args(argv)
    X, T, n_redial = collect_all(args)
    w, term = fit(X, T, args.epochs, args.l2, hidden=args.hidden)
    weights = {f: round(float(v), 2) for f, v in zip(FEATURES, w, strict=True)}
    print(f"{len(X)} rank points with a target in the pool ({n_redial} ReDial, "
          f"{len(X) - n_redial} MovieLens)")
    print(json.dumps(weights, indent=2))
    inter = None
    if term is not None:
        from chatrec.retrieve.learned import LearnedRanker

        inter = LearnedRanker(features=FEATURES, weights=w.astype(np.float32), **term).to_dict()
        if args.ranker:
            declare_ranker(Path(args.ranker), inter)
    if args.json:
        Path(args.json).write_text(json.dumps({
            "weights": weights, "ranker": inter, "points": len(X),
            "redial_points": n_redial, "split": args.split, "ml_users": args.ml_users,
            "hidden": args.hidden, "epochs": args.epochs, "l2": args.l2}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
