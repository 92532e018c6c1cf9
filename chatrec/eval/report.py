"""One command for the evaluation suites: run them and write ``reports/latest.md`` with tables and
PNG plots (success by turn, recall curves, latency distributions).

    python -m chatrec.eval.report                 # quick subset (minutes): CI smoke
    python -m chatrec.eval.report --full          # simulate 200 users, offline all users, ReDial
    python -m chatrec.eval.report --reuse         # rebuild latest.md from the suites' JSON

Quick: simulate 20 users, offline 50 users, ReDial replay of 30 dialogues (``--redial-dialogues``,
default the sample shipped with the tests; fused weights only). Each suite's JSON and Markdown
section go to ``--out-dir`` (``simulate.json``/``.md``, ``offline.json``/``.md``,
``redial_replay.json``); plots to ``<out-dir>/figures``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chatrec.eval import beyond, offline, simulate
from chatrec.eval.common import run_main
from chatrec.eval.offline import REPORTS_DIR, default_data_dir, make_recommender

if TYPE_CHECKING:
    from chatrec.recommender import Recommender

REPO = Path(__file__).resolve().parents[2]
QUICK = {"simulate": 20, "offline": 50, "redial": 30}
FULL: dict[str, int | None] = {"simulate": 200, "offline": None, "redial": None}
REDIAL_PUBLISHED = ("CRS baselines on ReDial (e.g. KBRD/UniCRS) report Recall@1/10/50 around "
                    "0.03-0.05 / 0.17-0.22 / 0.37-0.43 on their own test split with their own "
                    "entity linking; ours replays the public API on another subset.")


def run_redial(rec: Recommender, dialogues: Path, mentions: Path, limit: int | None,
               progress: bool) -> dict[str, Any]:
    """The ReDial replay of :mod:`chatrec.eval.redial` (fused weights), or why it was skipped."""
    try:
        from chatrec.eval import redial
    except ImportError as e:  # pragma: no cover - owned by another module
        return {"skipped": f"chatrec.eval.redial not importable: {e}"}
    if not dialogues.exists() or not mentions.exists():
        return {"skipped": f"no dialogues at {dialogues} / {mentions}"}
    try:
        dl = redial.load_dialogues(dialogues)
        if limit is not None:
            dl = dl[:limit]
        names = redial.load_mentions(mentions)
        presets = {"fused": redial.weight_presets()["fused"]}
        t0 = time.perf_counter()
        res = redial.replay(rec, dl, names, presets, progress=progress)
        res["elapsed_s"] = round(time.perf_counter() - t0, 1)
        res["source"] = str(dialogues)
        res["table"] = redial.format_table(res)
        return res
    except Exception as e:  # the other suites still report
        return {"skipped": f"ReDial replay failed: {type(e).__name__}: {e}"}


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


def latest_md(sim: dict[str, Any] | None, off: dict[str, Any] | None,
              red: dict[str, Any] | None, figures: list[Path], out_dir: Path, mode: str) -> str:
    parts = ["# chatrec evaluation report", "",
             f"Mode: {mode}. Written {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on "
             f"{beyond.machine_info()}.", "",
             "Figures measured by `python -m chatrec.eval.report`; see each section for the "
             "protocol and the published figures it is compared with. Known residual leak: the "
             "catalog's popularity / average-rating fields are computed from all MovieLens "
             "ratings (the collaborative model is refit on the training part only).", ""]
    for f in figures:
        parts.append(f"![{f.stem}]({f.relative_to(out_dir).as_posix()})")
    parts.append("")
    if sim:
        parts.append(simulate.markdown(sim))
    if off:
        parts.append(offline.markdown(off))
    if red is not None:
        parts += ["## ReDial replay (public API, `session.rank(50)`)", ""]
        if "skipped" in red:
            parts.append(f"Skipped: {red['skipped']}")
        else:
            parts += [f"{red['dialogues']} dialogues from `{Path(red['source']).name}`, "
                      f"{red['rank_points']} rank points, {red['targets']} targets, linkable "
                      f"{red['linkable_share']:.1%}; took {red['elapsed_s']} s.", "",
                      f"Compared with: {REDIAL_PUBLISHED}", "", red["table"]]
        parts.append("")
    return "\n".join(parts)


def _load(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--full", action="store_true", help="the full suite (long)")
    p.add_argument("--reuse", action="store_true",
                   help="do not run anything: rebuild latest.md and plots from the JSON files")
    p.add_argument("--backend", default="fake", help="backend of the simulated conversations")
    p.add_argument("--sim-users", type=int, default=None)
    p.add_argument("--offline-users", type=int, default=None)
    p.add_argument("--redial-limit", type=int, default=None)
    p.add_argument("--limit", type=int, default=None, help="cap every suite at N users/dialogues")
    p.add_argument("--skip", default="", help="comma list of suites not to run (their last "
                                              "JSON is shown): simulate,offline,redial")
    p.add_argument("--redial-dialogues", default=str(REPO / "tests" / "data" / "redial_sample.jsonl"))
    p.add_argument("--redial-mentions",
                   default=str(REPO / "tests" / "data" / "redial_sample_mentions.csv"))
    p.add_argument("--data-dir", default=default_data_dir(), help="where the index is (reused)")
    p.add_argument("--out-dir", default=str(REPORTS_DIR))
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sizes = dict(FULL if args.full else QUICK)
    for key, given in (("simulate", args.sim_users), ("offline", args.offline_users),
                       ("redial", args.redial_limit)):
        if given is not None:
            sizes[key] = given
        if args.limit is not None:
            sizes[key] = min(sizes[key] or args.limit, args.limit)
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    sim = off = red = None
    if args.reuse:
        sim, off, red = (_load(out / "simulate.json"), _load(out / "offline.json"),
                         _load(out / "redial_replay.json"))
        mode = "rebuilt from the suites' JSON"
    else:
        rec = make_recommender("movies", args.backend, args.data_dir)
        if "simulate" not in skip:
            sim = simulate.evaluate(rec, limit=sizes["simulate"], progress=not args.quiet)
            simulate.write_outputs(sim, out)
        if "offline" not in skip:
            off = offline.evaluate(rec, limit=sizes["offline"], progress=not args.quiet)
            offline.write_outputs(off, out)
        if "redial" not in skip:
            red = run_redial(rec, Path(args.redial_dialogues), Path(args.redial_mentions),
                             sizes["redial"], progress=not args.quiet)
            (out / "redial_replay.json").write_text(json.dumps(red, indent=1) + "\n",
                                                    encoding="utf-8")
        # a skipped suite keeps its last figures (from its JSON in out-dir), if any
        sim = sim if "simulate" not in skip else _load(out / "simulate.json")
        off = off if "offline" not in skip else _load(out / "offline.json")
        red = red if "redial" not in skip else _load(out / "redial_replay.json")
        skipped = ", ".join(sorted(skip)) or "none"
        mode = ("full" if args.full else "quick") + f" {sizes}; skipped (last JSON shown): {skipped}"
    figures = plots(sim, off, out)
    text = latest_md(sim, off, red, figures, out, mode)
    (out / "latest.md").write_text(text, encoding="utf-8")
    print(text)
    print(f"wrote {out / 'latest.md'}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    return run_main("python -m chatrec.eval.report", __doc__, add_arguments, argv)


if __name__ == "__main__":
    sys.exit(main())
