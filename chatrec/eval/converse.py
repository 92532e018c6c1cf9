"""The conversation suite: what a person chatting with chatrec meets, measured against the data.

    python -m chatrec.eval converse                       # movies, games, the imported user catalog
    python -m chatrec.eval converse --catalogs movies --per-kind 3 --json /tmp/c.json
    python -m chatrec.eval converse --backend local       # the local model orders and words

Scripted conversations (:mod:`chatrec.eval.converse_script`, generated from each catalog's own
data with a seeded RNG) over the shipped ``movies`` and ``games`` and a **user catalog**: the
TMDB rows of ``tests/data/catalogs/tmdb_movies.csv.gz`` (TMDB's own columns: genres and keywords
as JSON arrays of objects, a release date instead of a year, a 0-10 vote average), imported with
:func:`chatrec.importer.add` into a temporary data dir as a user following docs/own-catalog.md
would. The checks (:mod:`chatrec.eval.converse_checks`) read the source data, never chatrec's
wording. Figures per catalog and per kind:

* request precision: the share of picks carrying the requested attribute, on the first reply
  (``attribute``, ``only``, ``more``) and after "more" (``more``);
* violations: picks that break the profile as it stood when they were shown (must be 0);
* answers (item and why-questions): about the right item (names it or its data), a verdict in
  the first sentence, under 400 characters, no raw index text; ``ok`` = all four;
* unknown titles: the answer says the title is not in the catalog;
* reasons (every pick of every recommending reply): specificity (cites an item-specific fact
  beyond genre and year) and variety (distinct shapes in one reply, item words masked).

Default backend ``none``: the code ranks and words everything (deterministic, no model);
``--backend fake|local|<spec>`` for another. Each check reads only these fields of a
:class:`~chatrec.types.Reply`: ``kind`` ("recommend" | "answer" | ...), ``text`` (the answer),
``picks`` (``item_id``, ``title``, ``reason`` of each :class:`~chatrec.types.Pick`), plus
``Session.preferences`` after the turn.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import itertools
import json
import tempfile
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chatrec.eval import converse_checks as ck
from chatrec.eval.common import default_data_dir, run_main
from chatrec.eval.converse_script import ANSWER_KINDS, KINDS, PER_KIND, Conversation, conversations
from chatrec.eval.offline import REPORTS_DIR

if TYPE_CHECKING:
    from chatrec.catalog import Catalog
    from chatrec.recommender import Recommender

USER_CSV = Path(__file__).resolve().parents[2] / "tests" / "data" / "catalogs" / "tmdb_movies.csv.gz"
USER_CATALOG = "tmdbfilms"
#: how a user maps TMDB's columns (docs/own-catalog.md); the year comes from release_date
USER_MAPPING: dict[str, Any] = {
    "id": "id", "title": "title", "text": ["overview", "tagline", "genres", "keywords"],
    "lists": ["genres", "keywords"], "rating": "vote_average", "votes": "vote_count",
    "filters": {"runtime": "int:min", "vote_average": "float:/10", "vote_count": "int"},
    "noun": "film", "label": "TMDB films"}
TARGETS = {"precision_first": 0.9, "precision_more": 0.85, "violations": 0, "answers_ok": 0.95,
           "specific": 0.8, "variety": 0.6}


@dataclass
class Result:
    """One conversation's outcome: per-check values (None: not applicable)."""

    catalog: str
    kind: str
    turns: list[str]
    precision_first: float | None = None
    precision_more: float | None = None
    violations: list[str] = field(default_factory=list)
    answer: dict[str, bool] = field(default_factory=dict)
    unknown_ok: bool | None = None
    specific: list[str] = field(default_factory=list)  # per pick: the fact kind, "" for none
    variety: list[float] = field(default_factory=list)  # per recommending reply
    replies: list[str] = field(default_factory=list)
    error: str = ""


def import_user_catalog(data_dir: Path, rows: int | None = None) -> str:
    """Import the TMDB CSV (its first ``rows`` rows when given) into ``data_dir``; its name."""
    from chatrec.importer import add
    from chatrec.settings import Settings

    source = USER_CSV
    if rows is not None:  # the header and the first ``rows`` rows, cut at row boundaries
        with gzip.open(USER_CSV, "rt", encoding="utf-8", newline="") as f:
            head = list(itertools.islice(csv.reader(f), rows + 1))
        source = data_dir / "tmdb_subset.csv"
        with open(source, "w", encoding="utf-8", newline="") as out:
            csv.writer(out, lineterminator="\n").writerows(head)
    add(USER_CATALOG, source, settings=Settings.load(env={}, data_dir=str(data_dir)),
        replace=True, **USER_MAPPING)
    return USER_CATALOG


def make(catalog: str, backend: str, data_dir: str | Path) -> Recommender:
    """A Recommender for the suite: sessions in memory; ``none``: no LLM at all."""
    from chatrec.recommender import Recommender
    from chatrec.settings import Settings
    from chatrec.store import MemoryStore

    settings = Settings.load(env={}, data_dir=str(data_dir), use_llm=backend != "none")
    llm = None
    if backend == "fake":
        from chatrec.llm.fake import FakeLLM

        llm = FakeLLM()
    return Recommender(catalog=catalog, backend=None if backend in ("none", "fake") else backend,
                       settings=settings, store=MemoryStore(), llm=llm)


def run_conversation(rec: Recommender, conv: Conversation) -> Result:
    """Play one conversation and check every reply."""
    cat = rec.catalog
    res = Result(conv.catalog, conv.kind, list(conv.turns))
    s = rec.session()
    shown: list[str] = []
    firsts: list[list[Any]] = []
    for n, said in enumerate(conv.turns):
        if "{pick}" in said:
            picks = firsts[conv.ask_pick[0]] if firsts else []
            if not picks:
                res.error = "no pick to ask about"
                return res
            asked = picks[min(conv.ask_pick[1], len(picks) - 1)]
            said = said.format(pick=cat.items[asked.item_id].title)
            res.turns[n] = said
        reply = s.send(said)
        res.replies.append(reply.text)
        if reply.picks:
            firsts.append(list(reply.picks))
            res.violations += ck.pick_violations(reply.picks, s.preferences, shown, cat)
            shown += [p.item_id for p in reply.picks]
            said_terms = [*s.preferences.liked_attrs,
                          *(f.label for f in s.preferences.liked_attrs.values())]
            res.specific += [ck.specific_fact(p.reason, cat.items[p.item_id], cat, said_terms)
                             for p in reply.picks]
            v = ck.variety(reply.picks, cat)
            if v is not None:
                res.variety.append(v)
        if conv.term and conv.kind in ("attribute", "only", "more"):
            p = ck.precision(reply.picks, conv.term, cat)
            if n == 0:
                res.precision_first = p if p is not None else 0.0
            elif said == "more":
                res.precision_more = p if p is not None else 0.0
        if n == len(conv.turns) - 1:
            _check_last(res, conv, reply, firsts, cat)
    return res


def _check_last(res: Result, conv: Conversation, reply: Any, firsts: list[list[Any]],
                cat: Catalog) -> None:
    if conv.kind == "unknown":
        res.unknown_ok = reply.kind == "answer" and ck.says_unknown(reply.text)
    if conv.kind not in ANSWER_KINDS:
        return
    iid = conv.item_id
    if not iid and firsts:
        picks = firsts[conv.ask_pick[0]]
        iid = picks[min(conv.ask_pick[1], len(picks) - 1)].item_id
    if not iid:
        res.error = "no item to ask about"
        return
    item = cat.items[iid]
    text = reply.text if reply.kind == "answer" else ""
    res.answer = {"about": ck.about_item(text, item, cat),
                  "verdict": ck.has_verdict(text, conv.kind, item.title),
                  "short": 0 < len(text) < ck.ANSWER_MAX,
                  "clean": bool(text) and not ck.raw_index_text(text, item, cat)}
    res.answer["ok"] = all(res.answer.values())


def _mean(xs: list[float]) -> float | None:
    return round(sum(xs) / len(xs), 3) if xs else None


def summarize(results: list[Result]) -> dict[str, Any]:
    """Figures per catalog and kind, per catalog, and overall."""
    def figures(rs: list[Result]) -> dict[str, Any]:
        first = [r.precision_first for r in rs if r.precision_first is not None]
        more = [r.precision_more for r in rs if r.precision_more is not None]
        ans = [r.answer for r in rs if r.answer]
        spec = [x for r in rs for x in r.specific]
        return {
            "conversations": len(rs),
            "precision_first": _mean(first), "precision_more": _mean(more),
            "violations": sum(len(r.violations) for r in rs),
            "answers": len(ans),
            **{f"answers_{k}": _mean([float(a[k]) for a in ans])
               for k in ("about", "verdict", "short", "clean", "ok")},
            "unknown_ok": _mean([float(r.unknown_ok) for r in rs if r.unknown_ok is not None]),
            "reasons": len(spec), "specific": _mean([float(bool(x)) for x in spec]),
            "variety": _mean([v for r in rs for v in r.variety]),
            "errors": sum(bool(r.error) for r in rs),
        }

    by: dict[str, dict[str, list[Result]]] = defaultdict(lambda: defaultdict(list))
    for r in results:
        by[r.catalog][r.kind].append(r)
    out: dict[str, Any] = {"overall": figures(results), "catalogs": {}}
    for cat, kinds in by.items():
        rs = [r for k in kinds.values() for r in k]
        out["catalogs"][cat] = {"all": figures(rs),
                                "kinds": {k: figures(kinds[k]) for k in KINDS if k in kinds}}
    return out


def _f(v: Any) -> str:
    return "-" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v))


def markdown(summary: dict[str, Any], meta: dict[str, Any]) -> str:
    cols = ("conversations", "precision_first", "precision_more", "violations", "answers_ok",
            "unknown_ok", "specific", "variety")
    head = "| catalog | kind | " + " | ".join(cols) + " |\n|" + " --- |" * (len(cols) + 2) + "\n"
    rows = []
    for cat, d in summary["catalogs"].items():
        rows.append(f"| **{cat}** | all | " + " | ".join(_f(d["all"][c]) for c in cols) + " |")
        for k, f in d["kinds"].items():
            rows.append(f"| {cat} | {k} | " + " | ".join(_f(f[c]) for c in cols) + " |")
    o = summary["overall"]
    rows.append("| **all** | all | " + " | ".join(_f(o[c]) for c in cols) + " |")
    targets = ", ".join(f"{k} {'<=' if k == 'violations' else '>='} {v}" for k, v in TARGETS.items())
    user = (f" The user catalog `{USER_CATALOG}` is imported from "
            f"`tests/data/catalogs/tmdb_movies.csv.gz` (TMDB's columns) with the importer."
            if USER_CATALOG in summary["catalogs"] else "")
    return (f"## Conversation suite (`python -m chatrec.eval converse`)\n\n"
            f"{meta['conversations']} scripted conversations generated from the catalogs' own "
            f"data (seeded), backend `{meta['backend']}`, {meta['seconds']:.0f} s.{user} "
            f"Targets (issue 15): {targets}. Answers: "
            f"about {_f(o['answers_about'])}, verdict {_f(o['answers_verdict'])}, "
            f"< {ck.ANSWER_MAX} chars {_f(o['answers_short'])}, no raw index text "
            f"{_f(o['answers_clean'])}.\n\n" + head + "\n".join(rows) + "\n")


def run(catalogs: list[str], backend: str = "none", per_kind: int = PER_KIND,
        data_dir: str | Path | None = None, user_rows: int | None = None,
        progress: bool = False) -> tuple[list[Result], dict[str, Any]]:
    """Play the suite over ``catalogs`` (``user`` = the imported TMDB catalog)."""
    from chatrec.understand import Understander

    t0 = time.perf_counter()
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="chatrec-converse-") as tmp:
        for name in catalogs:
            where: str | Path = data_dir or default_data_dir()
            if name == "user":
                where = Path(tmp)
                name = import_user_catalog(where, user_rows)
            rec = make(name, backend, where)
            convs = conversations(rec.catalog, Understander(rec.catalog), per_kind)
            for n, conv in enumerate(convs, 1):
                results.append(run_conversation(rec, conv))
                if progress:
                    print(f"\r{name}: {n}/{len(convs)}", end="", flush=True)
            if progress:
                print()
    meta = {"backend": backend, "conversations": len(results),
            "seconds": round(time.perf_counter() - t0, 1), "per_kind": per_kind}
    return results, {"meta": meta, **summarize(results)}


def main_run(args: argparse.Namespace) -> int:
    cats = [c.strip() for c in args.catalogs.split(",") if c.strip()]
    results, summary = run(cats, args.backend, args.per_kind, args.data_dir,
                           progress=not args.quiet)
    md = markdown(summary, summary["meta"])
    print(md)
    if args.json:
        Path(args.json).write_text(json.dumps(
            {**summary, "results": [asdict(r) for r in results]}, indent=1), encoding="utf-8")
    if args.report:
        Path(args.report).write_text("# Conversation suite (issue 15)\n\n" + md, encoding="utf-8")
        print(f"wrote {args.report}")
    return 0


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--catalogs", default="movies,games,user",
                   help="comma-separated; 'user' imports the TMDB CSV into a temp data dir")
    p.add_argument("--backend", default="none", help="none (code only), fake, local, or a spec")
    p.add_argument("--per-kind", type=int, default=PER_KIND, help="conversations per kind")
    p.add_argument("--data-dir", default=None, help="where the shipped catalogs' index is")
    p.add_argument("--json", default=None, help="write figures and every conversation here")
    p.add_argument("--report", default=str(REPORTS_DIR / "converse.md"),
                   help="the Markdown report ('' for none)")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=main_run)


def main(argv: list[str] | None = None) -> int:
    return run_main("python -m chatrec.eval.converse", __doc__, add_arguments, argv)


if __name__ == "__main__":
    raise SystemExit(main())
