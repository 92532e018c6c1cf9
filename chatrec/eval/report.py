"""One command for the evaluation suites: run them and write ``reports/latest.md`` with tables and
PNG plots (success by turn, recall curves, latency distributions).

    python -m chatrec.eval.report                 # quick subset (minutes): CI smoke
    python -m chatrec.eval.report --full          # simulate 200 users, offline all users, replays
    python -m chatrec.eval.report --reuse         # rebuild latest.md from the suites' JSON
    python -m chatrec.eval.report --limit 3 --out-dir /tmp/report   # a smoke run, repo untouched

Quick: simulate 20 users, offline 50 users, ReDial replay of 30 dialogues, INSPIRED replay of 10
(fused weights only). The replays read ``../shared/data/redial-dev`` (its "test" half) and
``../shared/data/inspired-dev/dev.tsv`` when they exist, else the samples shipped with the tests
(``--redial-dialogues`` / ``--inspired-dialogues`` choose). Each suite's JSON and Markdown section
go to ``--out-dir`` (``simulate.json``/``.md``, ``offline.json``/``.md``, ``redial_replay.json``,
``inspired_replay.json``/``.md``); plots to ``<out-dir>/figures``. The "Mode" lines say what each
section ran (users or dialogues, backend) and when: a suite left out with ``--skip`` shows its
last JSON, with that JSON's date.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chatrec.eval import beyond, inspired, offline, simulate
from chatrec.eval.common import run_main
from chatrec.eval.offline import REPORTS_DIR, default_data_dir, make_recommender

if TYPE_CHECKING:
    from chatrec.recommender import Recommender

REPO = Path(__file__).resolve().parents[2]
SUITES = ("simulate", "offline", "redial", "inspired")
QUICK: dict[str, int | None] = {"simulate": 20, "offline": 50, "redial": 30, "inspired": 10}
FULL: dict[str, int | None] = {"simulate": 200, "offline": None, "redial": None, "inspired": None}
SHARED = REPO.parent / "shared" / "data"
REDIAL_SHARED = (SHARED / "redial-dev" / "valid_data.jsonl",
                 SHARED / "redial-dev" / "movies_with_mentions.csv")
REDIAL_SAMPLE = (REPO / "tests" / "data" / "redial_sample.jsonl",
                 REPO / "tests" / "data" / "redial_sample_mentions.csv")
# verbatim from ../shared/data/SOURCES.md, "Published figures on these sets"
REDIAL_PUBLISHED = (
    "ReDial, Recall@1/10/50, original protocol (iEvaLM, Wang et al. 2023, Table 2): KBRD "
    ".028/.169/.366, BARCOR .031/.170/.372, UniCRS .050/.215/.413, ChatGPT .037/.174/-. "
    "ReDial, zero-shot Recall@1/5/10/20 (He et al., CIKM 2023): GPT-4 .045/.135/.194/.262, "
    "GPT-3.5 .039/.117/.168/.211, Vicuna-13B .031/.118/.164/.195. 38-49% of free-generated "
    "titles were not in the catalog. (Source: `../shared/data/SOURCES.md`. Those systems rank "
    "against their own entity-linked item sets; ours ranks the MovieLens catalog, and a target "
    "not linkable to it counts as a miss.)")


def now_utc() -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())


def default_redial() -> tuple[Path, Path]:
    """The shared ReDial dev files when they exist, else the sample shipped with the tests."""
    return REDIAL_SHARED if all(p.exists() for p in REDIAL_SHARED) else REDIAL_SAMPLE


def run_redial(rec: Recommender, dialogues: Path, mentions: Path, limit: int | None,
               progress: bool) -> dict[str, Any]:
    """The ReDial replay of :mod:`chatrec.eval.redial` (fused weights), or why it was skipped.
    The shared dev file is replayed on its "test" half (the other half tuned the weights)."""
    try:
        from chatrec.eval import redial
    except ImportError as e:  # pragma: no cover - owned by another module
        return {"skipped": f"chatrec.eval.redial not importable: {e}"}
    if not dialogues.exists() or not mentions.exists():
        return {"skipped": f"no dialogues at {dialogues} / {mentions}"}
    try:
        split = "test" if dialogues.resolve() == REDIAL_SHARED[0].resolve() else "all"
        dl = redial.select(redial.load_dialogues(dialogues), split, "chatrec")
        if limit is not None:
            dl = dl[:limit]
        names = redial.load_mentions(mentions)
        presets = {"fused": redial.weight_presets()["fused"]}
        t0 = time.perf_counter()
        res = redial.replay(rec, dl, names, presets, progress=progress)
        res["elapsed_s"] = round(time.perf_counter() - t0, 1)
        res.update({"source": str(dialogues), "split": split, "backend": rec.settings.backend,
                    "machine": beyond.machine_info(), "written_at": now_utc(),
                    "table": redial.format_table(res)})
        return res
    except Exception as e:  # the other suites still report
        return {"skipped": f"ReDial replay failed: {type(e).__name__}: {e}"}


def run_inspired(rec: Recommender, dialogues: Path, limit: int | None,
                 progress: bool) -> dict[str, Any]:
    """The INSPIRED replay of :mod:`chatrec.eval.inspired` (fused weights), or why not."""
    if not dialogues.exists():
        return {"skipped": f"no dialogues at {dialogues}"}
    try:
        convs = inspired.load_conversations(dialogues, limit)
        res = inspired.evaluate(rec, convs, inspired.presets_of("fused"), progress=progress)
    except Exception as e:  # the other suites still report
        return {"skipped": f"INSPIRED replay failed: {type(e).__name__}: {e}"}
    res["source"] = str(dialogues)
    return res


def plots(sim: dict[str, Any] | None, off: dict[str, Any] | None, out_dir: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig_dir = out_dir / "figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    made: list[Path] = []
    if sim:
        fig, ax = plt.subplots(figsize=(5, 3.2))
        t = list(range(1, len(sim["success_by_turn"]) + 1))
        ax.plot(t, sim["success_by_turn"], marker="o", label=f"top-{sim['k']}")
        ax.plot(t, sim["success_by_turn_picks_only"], marker="s", label="reply picks only")
        ax.axhline(0.35, ls="--", c="grey", lw=0.8, label="target 0.35")
        ax.set(xlabel="turn", ylabel="cumulative success", ylim=(0, 1),
               title=f"Simulated users ({sim['users']}, {sim['backend']})")
        ax.legend(fontsize=8)
        fig.tight_layout()
        made.append(fig_dir / "success_by_turn.png")
        fig.savefig(made[-1], dpi=110)
        plt.close(fig)
    if off:
        fig, ax = plt.subplots(figsize=(5, 3.2))
        for m, c in off["recall_curve"].items():
            ax.plot(range(1, len(c) + 1), c, marker=".", label=m)
        ax.set(xlabel="k", ylabel="Recall@k", title=f"Offline top-N ({off['users']} users)")
        ax.legend(fontsize=8)
        fig.tight_layout()
        made.append(fig_dir / "recall_curve.png")
        fig.savefig(made[-1], dpi=110)
        plt.close(fig)
    lat = {name: [1000 * x for x in r["latencies_s"]] for name, r in
           (("simulate: session.send", sim), ("offline: session.rank(10)", off))
           if r and r.get("latencies_s")}
    if lat:
        fig, ax = plt.subplots(figsize=(5, 3.2))
        for name, xs in lat.items():
            ax.hist(xs, bins=40, alpha=0.6, label=name)
        ax.set(xlabel="ms", ylabel="count", title="Latency distribution", xscale="linear")
        ax.legend(fontsize=8)
        fig.tight_layout()
        made.append(fig_dir / "latency.png")
        fig.savefig(made[-1], dpi=110)
        plt.close(fig)
    return made


JSON_NAMES = {"simulate": "simulate.json", "offline": "offline.json",
              "redial": "redial_replay.json", "inspired": "inspired_replay.json"}


SECTION_NAMES = {"simulate": "Simulated users", "offline": "Offline",
                 "redial": "ReDial replay", "inspired": "INSPIRED replay"}


def _when(res: dict[str, Any], fresh: bool) -> str:
    return (f"run {res.get('written_at', 'at a date not recorded')}"
            + ("" if fresh else "; last JSON, not rerun"))


def section_mode(suite: str, res: dict[str, Any] | None, fresh: bool) -> str:
    """One line: what the section of ``suite`` ran (users or dialogues, backend) and when."""
    name = SECTION_NAMES[suite]
    if res is None:
        return f"{name}: not run, no JSON"
    if "skipped" in res:
        return f"{name}: skipped ({res['skipped']})"
    if suite == "simulate":
        user = res.get("user", "template")
        return (f"{name}: {res['users']} users, recommender backend `{res['backend']}`, "
                f"{'template' if user == 'template' else user} user; {_when(res, fresh)}")
    if suite == "offline":
        return (f"{name}: {res['users']} users, `session.rank` (code ranking, no LLM); "
                f"{_when(res, fresh)}")
    split = f", {res['split']} half" if res.get("split") == "test" else ""
    return (f"{name}: {res['dialogues']} dialogues of `{Path(res.get('source', '?')).name}`"
            f"{split}, backend `{res.get('backend', 'not recorded')}`, fused weights; "
            f"{_when(res, fresh)}")


def mode_lines(kind: str, results: dict[str, dict[str, Any] | None],
               fresh: set[str]) -> list[str]:
    lines = [f"Mode: {kind}. Written {now_utc()} on {beyond.machine_info()}. What each section "
             "below ran, and when:", ""]
    lines += [f"- {section_mode(s, results.get(s), s in fresh)}" for s in SUITES]
    return [*lines, ""]


def redial_md(red: dict[str, Any]) -> str:
    parts = ["## ReDial replay (public API, `session.rank(50)`)", ""]
    if "skipped" in red:
        return "\n".join([*parts, f"Skipped: {red['skipped']}", ""])
    split = f" ({red['split']} half)" if red.get("split") == "test" else ""
    machine = red.get("machine", "not recorded")
    parts += [f"{red['dialogues']} dialogues from `{Path(red['source']).name}`{split}, "
              f"{red['rank_points']} rank points, {red['targets']} targets, linkable "
              f"{red['linkable_share']:.1%}; backend `{red.get('backend', 'not recorded')}`; "
              f"took {red['elapsed_s']} s. Machine: {machine}.", "",
              f"Compared with: {REDIAL_PUBLISHED}", "", red["table"], ""]
    return "\n".join(parts)


def latest_md(results: dict[str, dict[str, Any] | None], figures: list[Path], out_dir: Path,
              mode: list[str]) -> str:
    parts = ["# chatrec evaluation report", "", *mode,
             "Figures measured by `python -m chatrec.eval.report`; see each section for the "
             "protocol and the published figures it is compared with. Known residual leak: the "
             "catalog's popularity / average-rating fields are computed from all MovieLens "
             "ratings (the collaborative model is refit on the training part only).", ""]
    for f in figures:
        parts.append(f"![{f.stem}]({f.relative_to(out_dir).as_posix()})")
    parts.append("")
    sim, off, red, ins = (results.get(s) for s in SUITES)
    if sim:
        parts.append(simulate.markdown(sim))
    if off:
        parts.append(offline.markdown(off))
    if red is not None:
        parts.append(redial_md(red))
    if ins is not None:
        parts.append(inspired.markdown(ins))
    return "\n".join(parts)


def _load(path: Path) -> dict[str, Any] | None:
    """A suite's last JSON; without a recorded date, the file's own date stands in."""
    if not path.exists():
        return None
    res: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if "written_at" not in res:
        stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(path.stat().st_mtime))
        res["written_at"] = f"at a date not recorded (the JSON file is dated {stamp})"
    return res


def add_arguments(p: argparse.ArgumentParser) -> None:
    red_dialogues, red_mentions = default_redial()
    p.add_argument("--full", action="store_true", help="the full suite (long)")
    p.add_argument("--reuse", action="store_true",
                   help="do not run anything: rebuild latest.md and plots from the JSON files")
    p.add_argument("--backend", default="fake", help="backend of the simulated conversations")
    p.add_argument("--sim-users", type=int, default=None)
    p.add_argument("--offline-users", type=int, default=None)
    p.add_argument("--redial-limit", type=int, default=None)
    p.add_argument("--inspired-limit", type=int, default=None)
    p.add_argument("--limit", type=int, default=None, help="cap every suite at N users/dialogues")
    p.add_argument("--skip", default="", help="comma list of suites not to run (their last "
                                              "JSON is shown): " + ",".join(SUITES))
    p.add_argument("--redial-dialogues", default=str(red_dialogues),
                   help="default: ../shared/data/redial-dev (test half), else the test sample")
    p.add_argument("--redial-mentions", default=str(red_mentions))
    p.add_argument("--inspired-dialogues", default=str(inspired.default_dialogues()),
                   help="default: ../shared/data/inspired-dev/dev.tsv, else the test sample")
    p.add_argument("--data-dir", default=default_data_dir(), help="where the index is (reused)")
    p.add_argument("--out-dir", default=str(REPORTS_DIR),
                   help="where latest.md, the JSON and figures go (default: reports/)")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=run)


def suite_sizes(args: argparse.Namespace) -> dict[str, int | None]:
    """Users / dialogues per suite: quick or full, then the per-suite options, then --limit."""
    sizes = dict(FULL if args.full else QUICK)
    for key, given in (("simulate", args.sim_users), ("offline", args.offline_users),
                       ("redial", args.redial_limit), ("inspired", args.inspired_limit)):
        if given is not None:
            sizes[key] = given
        if args.limit is not None:
            sizes[key] = min(sizes[key] or args.limit, args.limit)
    return sizes


def run_suite(suite: str, rec: Recommender, args: argparse.Namespace, limit: int | None,
              out: Path) -> dict[str, Any]:
    """Run one suite and write its JSON (and Markdown section) into ``out``."""
    progress = not args.quiet
    res: dict[str, Any]
    if suite == "simulate":
        res = simulate.evaluate(rec, limit=limit, progress=progress)
        simulate.write_outputs(res, out)
    elif suite == "offline":
        res = offline.evaluate(rec, limit=limit, progress=progress)
        res.setdefault("written_at", now_utc())
        offline.write_outputs(res, out)
    elif suite == "redial":
        res = run_redial(rec, Path(args.redial_dialogues), Path(args.redial_mentions), limit,
                         progress=progress)
    else:
        res = run_inspired(rec, Path(args.inspired_dialogues), limit, progress=progress)
        (out / "inspired_replay.md").write_text(inspired.markdown(res), encoding="utf-8")
    if suite in ("redial", "inspired"):
        (out / JSON_NAMES[suite]).write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    return res


def run(args: argparse.Namespace) -> int:
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sizes = suite_sizes(args)
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    if skip - set(SUITES):
        raise SystemExit(f"--skip: unknown suite(s) {sorted(skip - set(SUITES))}; "
                         f"known: {', '.join(SUITES)}")
    results: dict[str, dict[str, Any] | None] = {}
    fresh: set[str] = set()
    if args.reuse:
        results = {s: _load(out / JSON_NAMES[s]) for s in SUITES}
        kind = "rebuilt from the suites' JSON (nothing rerun)"
    else:
        rec = make_recommender("movies", args.backend, args.data_dir)
        for suite in SUITES:
            if suite in skip:  # a skipped suite keeps its last figures, if any
                results[suite] = _load(out / JSON_NAMES[suite])
            else:
                results[suite] = run_suite(suite, rec, args, sizes[suite], out)
                fresh.add(suite)
        limits = ", ".join(f"{s} {'all' if n is None else n}" for s, n in sizes.items()
                           if s not in skip)
        argv = [a for a in sys.argv[1:] if a != "report"] if sys.argv[1:2] == ["report"] \
            else sys.argv[1:]
        kind = (f"{'full' if args.full else 'quick'} run (limits: {limits or 'none run'}); "
                f"command: `python -m chatrec.eval report {' '.join(argv)}`".rstrip())
    figures = plots(results.get("simulate"), results.get("offline"), out)
    text = latest_md(results, figures, out, mode_lines(kind, results, fresh))
    (out / "latest.md").write_text(text, encoding="utf-8")
    print(text)
    print(f"wrote {out / 'latest.md'}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    return run_main("python -m chatrec.eval.report", __doc__, add_arguments, argv)


if __name__ == "__main__":
    sys.exit(main())
