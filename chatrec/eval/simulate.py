"""Simulated users (InteRecAgent / iEvaLM style), one per MovieLens user.

    python -m chatrec.eval.simulate --limit 20                   # quick, fake LLM
    python -m chatrec.eval.simulate --limit 200 --backend local  # the target run
    python -m chatrec.eval.simulate --limit 20 --user-backend local --out-dir /tmp/sim  # LLM user

Protocol
--------
* Target: the user's latest movie (by timestamp) rated >= 4, held out. The collaborative model
  is refit on every rating except the held-out targets of the simulated users and plugged into
  the Recommender (``rec.collab`` and ``rec.generator.collab``), so the target's own rating
  cannot leak into the ranking. (The catalog's ``popularity``/``avg_rating`` fields are still
  computed from the full data set: a small residual leak, named in the report.)
* Opening: up to ``--seeds`` (3) of the user's other liked movies (rating >= 4, the most recent
  before the target) by "Title (Year)", and one true attribute of the target.
* Each later turn rejects the picks (no title of the target, ever) and reveals one more true
  attribute of the target: its genres, its decade, its user tags / keywords (tags that share a
  word with the title are never used). Phrasing: templates, several per intent, chosen by a
  seeded RNG per user (deterministic).
* Stops at a hit or after ``--turns`` (5) turns. A turn is a hit when the target is in the
  top ``k`` (default 10): the reply's picks (what the user sees, ``session.send``) followed by
  ``session.rank(k - len(picks))`` (the items the system would show next: ``rank`` leaves out
  what was already shown). ``hit@picks`` counts the reply's picks only.
* ``--user-backend NAME`` (e.g. ``local``, ``openai:gpt-4o-mini``): an LLM rewords each
  template turn (same facts: liked titles, the revealed attribute, the rejection); a wording that
  names the target, drops a fact, is empty or fails is replaced by the template turn and counted
  (:mod:`chatrec.eval.llm_user`). Without it (the default) the template user is deterministic.

Metrics: success within the turn budget (top-k and picks-only), mean turns to success (a miss
counts ``turns + 1``), success by turn, constraint violations among shown picks (a pick that breaks
the profile at the time it was shown), repeated recommendations (a pick already shown earlier in the
same conversation), turn latency, and the beyond-accuracy figures of :mod:`chatrec.eval.beyond`.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from chatrec.eval import beyond
from chatrec.eval.common import run_main
from chatrec.eval.llm_user import Intent, LLMUser
from chatrec.eval.metrics import percentile, rate
from chatrec.eval.offline import (
    REPORTS_DIR,
    RatingRows,
    default_data_dir,
    fit_collab,
    make_recommender,
    ratings_of,
    with_collab,
)

if TYPE_CHECKING:
    from chatrec.llm.base import LLMBackend
    from chatrec.recommender import Recommender
    from chatrec.types import Item

LIKED = 4.0
PUBLISHED = ("`../shared/data/SOURCES.md` lists no published figures for this protocol. "
             "For context only, from the papers, not checked against that file: "
             "InteRecAgent (Huang et al. 2023), simulated users on ML-1M/Steam/Amazon games with "
             "GPT-4 as the user: success@5 turns roughly 0.5-0.9 and ~3 turns to success; iEvaLM "
             "(Wang et al. 2023) reports ChatGPT recall@10 ~0.2-0.4 with interaction on ReDial/"
             "OpenDialKG. Different data, users and (LLM) simulators: not directly comparable.")

OPEN = ("I loved {seeds}. {attr} Any ideas?",
        "Some movies I really liked: {seeds}. {attr}",
        "Recommend me a movie. I enjoyed {seeds}. {attr}",
        "My favourites lately were {seeds}. {attr} What should I watch?")
OPEN_NO_SEEDS = ("Recommend me a movie. {attr}", "I'm looking for a movie. {attr}")
REJECT = ("No, not those.", "None of those are what I have in mind.",
          "Hmm, not quite.", "Those aren't it.")
ATTR = {
    "genre": ("I'd like a {v} film.", "It should be a {v} movie.", "I'm in the mood for {v}."),
    "decade": ("It should be from the {v}.", "Something from the {v}.",
               "I'm thinking of a film from the {v}."),
    "tag": ("Something with {v}.", "I want a movie about {v}.", "Ideally with {v} in it."),
}
_WORD = re.compile(r"[a-z0-9]+")
_STOP = {"the", "a", "an", "of", "and", "in", "on", "to", "for", "with", "part", "movie"}


@dataclass
class SimUser:
    user_id: int
    target: str
    seeds: list[str]
    attributes: list[tuple[str, str]]  # (kind, value), revealed in order


@dataclass
class Outcome:
    user_id: int
    target: str
    hit_turn: int | None  # top-k
    hit_turn_picks: int | None  # reply picks only
    turns: int
    shown: list[list[str]] = field(default_factory=list)
    reasons: list[tuple[str, str]] = field(default_factory=list)
    violations: int = 0
    repeats: int = 0
    latencies: list[float] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    templates: list[str] = field(default_factory=list)  # the template turns (LLM user)
    error: str | None = None


def title_words(title: str) -> set[str]:
    return {w for w in _WORD.findall(title.lower()) if w not in _STOP and len(w) >= 3}


def target_attributes(item: Item, rng: random.Random, max_tags: int = 6) -> list[tuple[str, str]]:
    """True attributes of ``item`` in reveal order: a genre, the decade, tags, other genres."""
    genres = [g for g in item.values("genres") if g and g != "(no genres listed)"]
    rng.shuffle(genres)
    tw = title_words(item.title)
    taken = {g.lower() for g in genres}
    tags: list[str] = []
    for t in item.values("tags") + item.values("keywords"):
        t = t.strip()
        words = set(_WORD.findall(t.lower()))
        if (not t or len(t) > 40 or words & tw or t.lower() in item.title.lower()
                or t.lower() in taken):
            continue
        tags.append(t)
        taken.add(t.lower())
    tags = tags[:max_tags]
    out: list[tuple[str, str]] = []
    if genres:
        out.append(("genre", genres[0]))
    if item.year:
        out.append(("decade", f"{item.year // 10 * 10}s"))
    out += [("tag", t) for t in tags[:2]]
    out += [("genre", g) for g in genres[1:]]
    out += [("tag", t) for t in tags[2:]]
    return out


def say_attr(kind: str, value: str, rng: random.Random) -> str:
    v = value.lower() if kind == "genre" else value
    return rng.choice(ATTR[kind]).format(v=v)


def build_users(rec: Recommender, rows: RatingRows, limit: int | None, n_seeds: int = 3,
                seed: int = 0) -> tuple[list[SimUser], np.ndarray]:
    """One simulated user per rater with a liked movie (first ``limit`` by user id), and the mask
    of the training rows (every row except the held-out targets)."""
    order = np.lexsort((rows.items.astype(str), rows.stamps, rows.users))
    by_user: dict[int, list[int]] = {}
    for j in order:
        by_user.setdefault(int(rows.users[j]), []).append(int(j))
    users: list[SimUser] = []
    train = np.ones(len(rows), dtype=bool)
    for uid in sorted(by_user):
        if limit is not None and len(users) >= limit:
            break
        idx = by_user[uid]
        liked = [j for j in idx if rows.ratings[j] >= LIKED]
        if not liked:
            continue
        tj = liked[-1]
        target = str(rows.items[tj])
        item = rec.catalog.items.get(target)
        if item is None:
            continue
        rng = random.Random(f"{seed}:{uid}")
        attrs = target_attributes(item, rng)
        if not attrs:
            continue
        tw = title_words(item.title)
        others = [str(rows.items[j]) for j in liked[:-1] if str(rows.items[j]) != target]
        seeds = [i for i in reversed(others)
                 if i in rec.catalog.items and not (title_words(rec.catalog.items[i].title) & tw
                                                    and tw)][:n_seeds]
        users.append(SimUser(uid, target, seeds, attrs))
        train[tj] = False
    return users, train


def template_turn(rec: Recommender, user: SimUser, turn: int, rng: random.Random) -> Intent:
    """What the user says at ``turn`` (1-based), worded by the seeded templates."""
    attribute = user.attributes[turn - 1] if turn - 1 < len(user.attributes) else None
    if attribute is not None:
        attr = say_attr(attribute[0], attribute[1], rng)
    else:
        attr = rng.choice(("Something else, please.", "Show me other options."))
    if turn > 1:
        return Intent(f"{rng.choice(REJECT)} {attr}", [], attribute, reject=True)
    names = [rec.catalog.items[i].display_title for i in user.seeds]
    if not names:
        return Intent(rng.choice(OPEN_NO_SEEDS).format(attr=attr), [], attribute)
    joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return Intent(rng.choice(OPEN).format(seeds=joined, attr=attr), names, attribute)


def simulate_one(rec: Recommender, user: SimUser, k: int, max_turns: int, seed: int = 0,
                 llm_user: LLMUser | None = None) -> Outcome:
    """One conversation; ``llm_user`` (optional) rewords each template turn."""
    from chatrec.retrieve.filters import violations

    rng = random.Random(f"{seed}:{user.user_id}:talk")
    session = rec.session()
    out = Outcome(user.user_id, user.target, None, None, 0)
    seen: set[str] = set()
    target = rec.catalog.items[user.target]
    for turn in range(1, max_turns + 1):
        intent = template_turn(rec, user, turn, rng)
        msg = intent.template
        if llm_user is not None:
            msg = llm_user.say(intent, [target.title, target.display_title])
            out.templates.append(intent.template)
        out.messages.append(msg)
        t0 = time.perf_counter()
        try:
            reply = session.send(msg)
        except Exception as e:  # a failed turn is a recorded miss
            out.error = f"{type(e).__name__}: {e}"
            out.turns = turn
            break
        out.latencies.append(time.perf_counter() - t0)
        out.turns = turn
        picks = [p.item_id for p in reply.picks]
        prefs = session.preferences
        for p in reply.picks:
            item = rec.catalog.items.get(p.item_id)
            if item is None:
                continue
            bad = [v for v in violations(item, prefs, rec.catalog)
                   if v != "was already recommended"]
            out.violations += bool(bad)
            out.repeats += p.item_id in seen
            out.reasons.append((p.reason, p.item_id))
        seen.update(picks)
        out.shown.append(picks)
        if out.hit_turn_picks is None and user.target in picks[:k]:
            out.hit_turn_picks = turn
        top = picks[:k]
        if len(top) < k:
            top += [p.item_id for p in session.rank(min(100, k - len(top)))]
        if user.target in top[:k]:
            out.hit_turn = turn
            break
    return out


def evaluate(rec: Recommender, limit: int | None = 20, k: int = 10, max_turns: int = 5,
             n_seeds: int = 3, seed: int = 0, progress: bool = True,
             user_backend: LLMBackend | None = None) -> dict[str, Any]:
    """Simulate ``limit`` users; ``user_backend`` (optional) words their turns (LLM user)."""
    from tqdm import tqdm

    t_start = time.perf_counter()
    rows = ratings_of(rec)
    users, train_mask = build_users(rec, rows, limit, n_seeds=n_seeds, seed=seed)
    train = rows.take(train_mask)
    llm_user = LLMUser(user_backend) if user_backend is not None else None
    with with_collab(rec, fit_collab(rec, train)):
        outcomes = [simulate_one(rec, u, k, max_turns, seed, llm_user)
                    for u in tqdm(users, desc="simulated users", disable=not progress)]
    n = len(outcomes)
    hits = [o.hit_turn for o in outcomes]
    by_turn = [round(rate(sum(1 for h in hits if h is not None and h <= t), n), 4)
               for t in range(1, max_turns + 1)]
    by_turn_picks = [round(rate(sum(1 for o in outcomes if o.hit_turn_picks is not None
                                    and o.hit_turn_picks <= t), n), 4)
                     for t in range(1, max_turns + 1)]
    lat = [x for o in outcomes for x in o.latencies]
    shown = [lst for o in outcomes for lst in o.shown]
    n_picks = sum(len(lst) for lst in shown)
    counts = beyond.rating_counts(train.users, train.items, list(rec.catalog.items))
    pct = beyond.popularity_percentiles(counts)
    hist: dict[int, list[str]] = {}
    for u, i in zip(train.users, train.items, strict=True):
        hist.setdefault(int(u), []).append(str(i))
    histories = [hist.get(o.user_id, []) for o in outcomes]
    reasons = [r for o in outcomes for r in o.reasons]
    return {
        "suite": "simulate", "catalog": rec.catalog.name, "backend": rec.settings.backend,
        "users": n, "k": k, "max_turns": max_turns, "seeds_per_user": n_seeds, "seed": seed,
        "user": "template" if llm_user is None else f"llm:{llm_user.backend.name}",
        "user_llm": llm_user.summary() if llm_user is not None else None,
        "n_picks": rec.settings.n_picks,
        "success": by_turn[-1] if by_turn else 0.0,
        "success_picks_only": by_turn_picks[-1] if by_turn_picks else 0.0,
        "avg_turns": round(float(np.mean([h if h is not None else max_turns + 1 for h in hits]))
                           if n else 0.0, 3),
        "success_by_turn": by_turn, "success_by_turn_picks_only": by_turn_picks,
        "picks_shown": n_picks,
        "violation_rate": round(rate(sum(o.violations for o in outcomes), n_picks), 4),
        "repeat_rate": round(rate(sum(o.repeats for o in outcomes), n_picks), 4),
        "errors": sum(o.error is not None for o in outcomes),
        "turn_latency_ms": {"p50": round(1000 * percentile(lat, 50), 1),
                            "p95": round(1000 * percentile(lat, 95), 1)},
        "latencies_s": [round(x, 4) for x in lat],
        "beyond": {"chatrec": beyond.summarize(rec, shown, histories, pct, reasons)},
        "machine": beyond.machine_info(),
        "written_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "elapsed_s": round(time.perf_counter() - t_start, 1),
        "examples": [{"user": o.user_id, "target": rec.catalog.items[o.target].display_title,
                      "hit_turn": o.hit_turn, "messages": o.messages,
                      **({"templates": o.templates} if o.templates else {}), "error": o.error}
                     for o in outcomes[:5]],
        "outcomes": [{"user": o.user_id, "target": o.target, "hit_turn": o.hit_turn,
                      "hit_turn_picks": o.hit_turn_picks, "turns": o.turns, "error": o.error}
                     for o in outcomes],
    }


def markdown(res: dict[str, Any], target: float = 0.35) -> str:
    s = res["success"]
    verdict = "met" if s >= target else f"missed by {target - s:.3f}"
    lines = [
        f"## Simulated users ({user_label(res)}, {res['users']} MovieLens users, backend "
        f"`{res['backend']}`)", "",
        *user_lines(res),
        f"Target held out: latest movie rated >= 4; collaborative model refit without it. "
        f"Up to {res['max_turns']} turns, hit = target in top-{res['k']} (the reply's "
        f"{res['n_picks']} picks + `session.rank` for the rest). Machine: {res['machine']}. "
        f"Took {res['elapsed_s']} s.", "",
        f"Compared with: {PUBLISHED}", "",
        f"| users | success@{res['max_turns']} turns (top-{res['k']}) | success (picks only) | "
        "avg turns (miss = turns+1) | violations / pick | repeats / pick | errors | "
        "p50 turn ms | p95 turn ms |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        f"| {res['users']} | {s:.3f} | {res['success_picks_only']:.3f} | {res['avg_turns']:.2f} | "
        f"{res['violation_rate']:.4f} | {res['repeat_rate']:.4f} | {res['errors']} | "
        f"{res['turn_latency_ms']['p50']:.0f} | {res['turn_latency_ms']['p95']:.0f} |", "",
        "Success by turn (cumulative, top-k): "
        + ", ".join(f"{t + 1}: {v:.3f}" for t, v in enumerate(res["success_by_turn"])), "",
        f"Target (success >= {target} on 200 users with the local backend): {verdict} "
        f"(this run: {res['users']} users, backend `{res['backend']}`).", "",
        "Beyond accuracy (every shown pick):", "", beyond.beyond_rows(res["beyond"]), ""]
    return "\n".join(lines)


def user_label(res: dict[str, Any]) -> str:
    user = res.get("user", "template")
    return "template user" if user == "template" else f"LLM user `{user[len('llm:'):]}`"


def user_lines(res: dict[str, Any]) -> list[str]:
    """For an LLM user: how many turns it worded, and why the others fell back."""
    u = res.get("user_llm")
    if not u:
        return []
    why = ", ".join(f"{r.replace('_', ' ')} {n}" for r, n in u["fallbacks"].items())
    return [f"The LLM user rewords each template turn (same facts); {u['rephrased']} of "
            f"{u['turns']} turns sent in its words, the template turn sent instead for the "
            f"others ({why}; fallback rate {u['fallback_rate']:.3f}).", ""]


def write_outputs(res: dict[str, Any], out_dir: Path, name: str = "simulate") -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    jp, mp = out_dir / f"{name}.json", out_dir / f"{name}.md"
    jp.write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    mp.write_text(markdown(res), encoding="utf-8")
    return jp, mp


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--catalog", default="movies")
    p.add_argument("--backend", default="fake",
                   help="'fake' (code order, no model), 'local' (SmolLM2), or any chatrec backend")
    p.add_argument("--limit", type=int, default=20, help="simulated users (first N by user id)")
    p.add_argument("--k", type=int, default=10, help="a hit is the target in the top k")
    p.add_argument("--turns", type=int, default=5)
    p.add_argument("--seeds", type=int, default=3, help="liked movies named in the opening")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--user-backend", default=None, metavar="NAME",
                   help="an LLM words the simulated user's turns ('local', 'openai:<model>', a "
                        ".gguf path; default: the deterministic template user)")
    p.add_argument("--data-dir", default=default_data_dir(), help="where the index is (reused)")
    p.add_argument("--out-dir", default=str(REPORTS_DIR))
    p.add_argument("--name", default="simulate", help="output files <out-dir>/<name>.json|.md")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from chatrec.llm import create_backend

    rec = make_recommender(args.catalog, args.backend, args.data_dir)
    user_backend = (create_backend(args.user_backend, rec.settings)
                    if args.user_backend else None)
    res = evaluate(rec, limit=args.limit, k=args.k, max_turns=args.turns, n_seeds=args.seeds,
                   seed=args.seed, progress=not args.quiet, user_backend=user_backend)
    jp, mp = write_outputs(res, Path(args.out_dir), args.name)
    print(markdown(res))
    print(f"wrote {jp} and {mp}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    return run_main("python -m chatrec.eval.simulate", __doc__, add_arguments, argv)


if __name__ == "__main__":
    sys.exit(main())
