"""Replay ReDial dialogues through the public API and measure Recall@k of ``Session.rank``.

    python -m chatrec.eval.redial --dialogues valid_data.jsonl \
        --mentions movies_with_mentions.csv --catalog movies --backend fake --limit 200 \
        --split test --json out.json

Protocol: consecutive messages of one worker form one turn; ``@<movieId>`` tokens are rendered
as "Title (Year)" from the mentions file. At every recommender turn that mentions movies, the
earlier turns not yet replayed go through ``session.add_turn(role, text)`` (seeker -> "user",
recommender -> "assistant"), then ``session.rank(50)`` is scored against every movie that turn
mentions; a movie that cannot be linked to the catalog counts as a miss. The ablation swaps the
recommender's :class:`~chatrec.retrieve.candidates.CandidateGenerator` for one with other
:class:`~chatrec.retrieve.candidates.Weights` at the same point of the same replay (same profile).

Split: dialogues are halved by a salted SHA-256 of ``conversationId`` ("tune" / "test"); tune
on one half, report on the other.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from chatrec.eval.common import default_data_dir, make_recommender, run_main
from chatrec.eval.metrics import hit_at_k, percentile, rate

if TYPE_CHECKING:
    from chatrec.profile import Preferences
    from chatrec.recommender import Recommender
    from chatrec.retrieve.candidates import Weights
    from chatrec.retrieve.conversations import ConversationModel
    from chatrec.session import Session
    from chatrec.understand.titles import TitleIndex

KS = (1, 10, 50)
RANK_K = 50
_MENTION = re.compile(r"@(\d+)")
_SPACES = re.compile(r"\s+")
IGNORED_VIOLATIONS = ("was already recommended",)
RERANKED = "fused+llm"


def weight_presets() -> dict[str, Weights]:
    """The ablation: each scorer alone, the linear fusion, and the default (the catalog's
    learned ranker when it ships one, else the same as ``linear``)."""
    from chatrec.retrieve.candidates import Weights

    return {
        "dense": Weights.only("dense", "talk"),
        "collab": Weights.only("collab"),
        "popularity": Weights.only("popularity"),
        "conversations": Weights.only("conv_popularity", "comention", "conv_context"),
        "linear": Weights(learned=False),
        "fused": Weights(),
    }


def parse_weights(spec: str) -> Weights:
    """``"dense=1,collab=0.5"`` -> Weights (unnamed fields keep their defaults)."""
    from chatrec.retrieve.candidates import Weights

    kw: dict[str, float | int | bool] = {}
    for part in spec.split(","):
        if not part.strip():
            continue
        name, _, value = part.partition("=")
        name = name.strip()
        if name not in Weights.__dataclass_fields__:
            raise ValueError(f"unknown weight {name!r}")
        kind = Weights.__dataclass_fields__[name].type
        kw[name] = int(value) if kind in ("int", int) else \
            value.strip().lower() in ("1", "true", "yes") if kind in ("bool", bool) else float(value)
    return Weights(**kw)  # type: ignore[arg-type]


# --- data ---------------------------------------------------------------------------------
def load_dialogues(path: str | Path, limit: int | None = None) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                out.append(json.loads(line))
                if limit is not None and len(out) >= limit:
                    break
    return out


def load_mentions(path: str | Path) -> dict[str, str]:
    """movieId -> "Title (Year)" (whitespace collapsed)."""
    with open(path, encoding="utf-8", newline="") as f:
        return {row["movieId"]: _SPACES.sub(" ", row["movieName"]).strip()
                for row in csv.DictReader(f)}


def split_of(conversation_id: object, seed: str = "chatrec") -> str:
    """"tune" or "test", stable for a conversation id and a seed."""
    h = hashlib.sha256(f"{seed}:{conversation_id}".encode()).digest()
    return "tune" if h[0] % 2 == 0 else "test"


def select(dialogues: Iterable[dict[str, Any]], split: str, seed: str) -> list[dict[str, Any]]:
    if split == "all":
        return list(dialogues)
    return [d for d in dialogues if split_of(d["conversationId"], seed) == split]


def movie_name(mid: str, names: dict[str, str], dialogue: dict[str, Any]) -> str:
    got = names.get(mid) or (dialogue.get("movieMentions") or {}).get(mid) or ""
    return _SPACES.sub(" ", str(got)).strip()


def render(text: str, names: dict[str, str], dialogue: dict[str, Any]) -> str:
    """Replace ``@123`` tokens by the movie's "Title (Year)"."""
    return _MENTION.sub(lambda m: movie_name(m.group(1), names, dialogue) or m.group(0), text)


@dataclass
class Turn:
    role: str  # "user" | "assistant"
    text: str
    mentions: list[str] = field(default_factory=list)  # ReDial movie ids, in order, unique
    targets: list[str] = field(default_factory=list)  # the mentioned movies' "Title (Year)"


def turns_of(dialogue: dict[str, Any], names: dict[str, str]) -> list[Turn]:
    """Consecutive messages of one worker merged into one turn."""
    seeker = dialogue["initiatorWorkerId"]
    out: list[Turn] = []
    for m in dialogue["messages"]:
        role = "user" if m["senderWorkerId"] == seeker else "assistant"
        text = render(m.get("text", ""), names, dialogue).strip()
        ids = _MENTION.findall(m.get("text", ""))
        if out and out[-1].role == role:
            out[-1].text = f"{out[-1].text} {text}".strip()
            out[-1].mentions.extend(i for i in ids if i not in out[-1].mentions)
        else:
            out.append(Turn(role, text, list(dict.fromkeys(ids))))
    for t in out:
        t.targets = [movie_name(m, names, dialogue) for m in t.mentions]
    return out


def _variants(title: str) -> list[str]:
    """The title, then with an episode label dropped ("Star Wars: Episode VIII – The Last Jedi"
    -> "Star Wars: The Last Jedi"), then its last part after a dash."""
    t = title.replace("\u2013", " - ").replace("\u2014", " - ").strip()
    out = [title, t]
    parts = [p.strip() for p in re.split(r"\s+-\s+", t) if p.strip()]
    if len(parts) > 1:
        head = re.sub(r":?\s*Episode\s+[IVX0-9]+\s*$", "", parts[0], flags=re.I).strip()
        out += [f"{head}: {parts[-1]}", parts[-1]]
    return list(dict.fromkeys(out))


class Linker:
    """ReDial "Title (Year)" -> catalog item id, with the understander's title index."""

    def __init__(self, source: Recommender | TitleIndex) -> None:
        understander = getattr(source, "understander", None)
        self.titles: TitleIndex = understander.titles if understander is not None \
            else source  # type: ignore[assignment]
        self.cache: dict[str, str | None] = {}

    def __call__(self, name: str) -> str | None:
        if name not in self.cache:
            self.cache[name] = self._link(name)
        return self.cache[name]

    def _link(self, name: str) -> str | None:
        from chatrec.understand.text import strip_year, title_key

        if not name:
            return None
        title, year = strip_year(unquote(name))
        ids: dict[str, int] = {}
        for variant in _variants(title):
            ids = dict(self.titles.lookup(title_key(variant)))
            if ids:
                break
        if not ids:
            return None
        res = self.titles.resolve(ids, year=year)
        iid = res.item_id or (res.ambiguous[0] if res.ambiguous else None)
        if iid is None:
            return None
        got = self.titles.items[iid].year
        if year is not None and got is not None and abs(got - year) > 1:
            return None  # same name, another film (a remake, a sequel of the same name)
        return iid


# --- replay -------------------------------------------------------------------------------
@dataclass
class Tally:
    """Running counts for one weights preset."""

    hits: dict[int, float] = field(default_factory=lambda: {k: 0.0 for k in KS})
    targets: int = 0
    picks: int = 0
    off_catalog: int = 0
    violating: int = 0
    latencies: list[float] = field(default_factory=list)

    def add(self, ranked: list[str], targets: list[str | None], seconds: float,
            rec: Recommender, prefs: Preferences) -> None:
        """Score one ranked list against the turn's targets."""
        from chatrec.retrieve.filters import violations

        self.latencies.append(seconds)
        self.targets += len(targets)
        for k in KS:
            self.hits[k] += sum(hit_at_k(ranked, t, k) for t in targets)
        self.picks += len(ranked)
        for iid in ranked:
            item = rec.catalog.items.get(iid)
            if item is None:
                self.off_catalog += 1
                continue
            bad = [v for v in violations(item, prefs, rec.catalog) if v not in IGNORED_VIOLATIONS]
            self.violating += bool(bad)

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {f"recall@{k}": round(rate(self.hits[k], self.targets), 4)
                               for k in KS}
        out.update({
            "targets": self.targets, "picks": self.picks,
            "off_catalog_rate": round(rate(self.off_catalog, self.picks), 4),
            "violation_rate": round(rate(self.violating, self.picks), 4),
            "latency_p50_ms": round(1000 * percentile(self.latencies, 50), 1),
            "latency_p95_ms": round(1000 * percentile(self.latencies, 95), 1),
        })
        return out


def replay(rec: Recommender, dialogues: list[dict[str, Any]], names: dict[str, str],
           presets: dict[str, Weights], progress: bool = False,
           learn_from: str = "others", rerank: int = 0) -> dict[str, Any]:
    """Replay ReDial ``dialogues``; one tally per preset, all ranked at the same points."""
    return replay_turns(rec, [turns_of(d, names) for d in dialogues], presets, progress,
                        ids=[str(d["conversationId"]) for d in dialogues], learn_from=learn_from,
                        rerank=rerank)


LEARN_FROM = ("others", "split", "none")


def rank_points(session: Session, turns: list[Turn]) -> Iterator[Turn]:
    """Each assistant turn with targets, after feeding the turns before it to ``session``."""
    done = 0
    for ti, turn in enumerate(turns):
        if turn.role != "assistant" or not turn.targets:
            continue
        for prior in turns[done:ti]:
            if prior.text:
                session.add_turn(prior.role, prior.text)
        done = ti
        yield turn


def conversation_model_for(rec: Recommender, cid: str | None, evaluated: set[str],
                           learn_from: str) -> ConversationModel | None:
    """The catalog's conversation log as the replay may use it for conversation ``cid``:
    ``others`` drops that conversation (leave-one-out), ``split`` drops every evaluated one,
    ``none`` drops the log. A replay never learns from the dialogue it scores."""
    base = rec.conversations
    if base is None or learn_from == "none":
        return None
    if learn_from == "split":
        return base.without(evaluated)
    return base.without({cid}) if cid is not None and cid in base.sources else base


def replay_turns(rec: Recommender, conversations: list[list[Turn]], presets: dict[str, Weights],
                 progress: bool = False, ids: list[str] | None = None,
                 learn_from: str = "others", rerank: int = 0,
                 desc: str = "dialogues") -> dict[str, Any]:
    """Replay conversations already cut into turns (any dataset): at every assistant turn with
    ``targets``, feed the earlier turns with ``add_turn`` and score ``rank(50)`` per preset.

    ``ids``: the conversations' ids, so that a catalog whose conversation log holds them does
    not learn from the dialogue it is scored on (see :func:`conversation_model_for`).
    ``rerank``: also score "fused+llm", the LLM ordering the fused top ``rerank``
    (``session.rank(50, rerank=...)``; needs a backend)."""
    if learn_from not in LEARN_FROM:
        raise ValueError(f"learn_from must be one of {LEARN_FROM}")
    evaluated = set(ids or [])
    split_model = conversation_model_for(rec, None, evaluated, learn_from) \
        if learn_from != "others" else None
    default_gen = rec.generator
    gens = {n: rec.make_generator(weights=w, conversations=None) for n, w in presets.items()}
    link = Linker(rec)
    tallies = {n: Tally() for n in presets}
    if rerank:
        tallies[RERANKED] = Tally()
    n_targets = n_linked = n_points = 0
    from tqdm import tqdm

    bar = tqdm(conversations, desc=desc, unit="dialogue", disable=not progress)
    for dn, turns in enumerate(bar):
        cid = ids[dn] if ids is not None else None
        model = split_model if learn_from != "others" else \
            conversation_model_for(rec, cid, evaluated, learn_from)
        for gen in gens.values():
            gen.conversations = model
        session = rec.session()
        for turn in rank_points(session, turns):
            targets = [link(name) for name in turn.targets]
            n_points += 1
            n_targets += len(targets)
            n_linked += sum(t is not None for t in targets)
            prefs = session.preferences
            runs = [(name, gen, 0) for name, gen in gens.items()]
            if rerank:
                runs.append((RERANKED, gens.get("fused", default_gen), rerank))
            for name, gen, n_llm in runs:
                with rec.override(generator=gen):
                    t0 = time.perf_counter()
                    picks = session.rank(RANK_K, rerank=n_llm)
                tallies[name].add([p.item_id for p in picks], targets,
                                  time.perf_counter() - t0, rec, prefs)
        if progress and (dn + 1) % 10 == 0:
            bar.set_postfix_str("; ".join(
                f"{n} R@10 {t.summary()['recall@10']:.3f} R@50 {t.summary()['recall@50']:.3f}"
                for n, t in tallies.items()))
    return {
        "dialogues": len(conversations), "rank_points": n_points, "targets": n_targets,
        "linkable_share": round(rate(n_linked, n_targets), 4),
        "presets": {n: t.summary() for n, t in tallies.items()},
    }


def format_table(result: dict[str, Any]) -> str:
    lines = ["| weights | R@1 | R@10 | R@50 | off-catalog | violations | p50 ms | p95 ms |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for n, s in result["presets"].items():
        lines.append(f"| {n} | {s['recall@1']:.3f} | {s['recall@10']:.3f} | "
                     f"{s['recall@50']:.3f} | {s['off_catalog_rate']:.3f} | "
                     f"{s['violation_rate']:.3f} | {s['latency_p50_ms']:.0f} | "
                     f"{s['latency_p95_ms']:.0f} |")
    return "\n".join(lines)


# --- command line -------------------------------------------------------------------------
def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dialogues", required=True, help="ReDial JSONL (one dialogue a line)")
    p.add_argument("--mentions", required=True, help="movies_with_mentions.csv")
    p.add_argument("--catalog", default="movies")
    p.add_argument("--backend", default="fake", help="rank() uses no LLM; 'fake' skips loading one")
    p.add_argument("--limit", type=int, default=None, help="at most this many dialogues (after the split)")
    p.add_argument("--split", choices=("tune", "test", "all"), default="test")
    p.add_argument("--seed", default="chatrec", help="salt of the conversationId hash split")
    p.add_argument("--presets", default="dense,collab,fused",
                   help="comma list of: " + ", ".join(weight_presets()))
    p.add_argument("--weights", default=None,
                   help='extra preset "custom", e.g. "dense=1,collab=1,attrs=0.6,popularity=0.3"')
    p.add_argument("--learn-from", choices=LEARN_FROM, default="others",
                   help="the catalog's conversation log during the replay: 'others' leaves out "
                        "the dialogue being scored, 'split' every evaluated dialogue, 'none' "
                        "the whole log")
    p.add_argument("--rerank", type=int, default=0, metavar="N",
                   help="also score 'fused+llm': the --backend LLM orders the fused top N")
    p.add_argument("--data-dir", default=default_data_dir(), help="where the index is (reused)")
    p.add_argument("--json", default=None, help="write the result here")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from chatrec.retrieve.candidates import FEATURES

    names = load_mentions(args.mentions)
    dialogues = select(load_dialogues(args.dialogues), args.split, args.seed)
    if args.limit is not None:
        dialogues = dialogues[: args.limit]
    known = weight_presets()
    presets = {n: known[n] for n in (x.strip() for x in args.presets.split(",")) if n}
    if args.weights:
        presets["custom"] = parse_weights(args.weights)
    rec = make_recommender(args.catalog, args.backend, args.data_dir)
    t0 = time.perf_counter()
    if args.rerank and args.backend == "fake":
        print("note: --rerank with --backend fake measures the scripted test double",
              file=sys.stderr)
    result = replay(rec, dialogues, names, presets, progress=not args.quiet,
                    learn_from=args.learn_from, rerank=args.rerank)
    result.update({"split": args.split, "seed": args.seed, "catalog": args.catalog,
                   "learn_from": args.learn_from, "backend": args.backend,
                   "elapsed_s": round(time.perf_counter() - t0, 1),
                   "weights": {n: dict(zip(FEATURES, map(float, w.vector()), strict=True))
                               for n, w in presets.items()}})
    print(f"{result['dialogues']} dialogues ({args.split} half, seed {args.seed!r}), "
          f"{result['rank_points']} rank points, {result['targets']} targets, "
          f"linkable to the catalog: {result['linkable_share']:.1%}")
    print(format_table(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


def main(argv: list[str] | None = None) -> int:
    return run_main("python -m chatrec.eval.redial", __doc__, add_arguments, argv)


if __name__ == "__main__":
    sys.exit(main())
