"""Speed and memory: every figure of issue 16 in one run, each next to its target.

    python -m chatrec.eval bench              # the full run; writes reports/bench.md
    python -m chatrec.eval bench --quick      # a short smoke run (prints only, unless --out)
    python -m chatrec.eval bench --only turn  # one section: app | turn | import

Sections, each in a process of its own so its start-up and peak RSS are real:

* ``app``: ``app.py`` started on a fresh data dir whose index is built: spawn to ``/healthz``
  ready, ready to the first ``/api/chat`` reply, a few single-user HTTP turns, then the load test
  (20 users) on the same process, and that process's peak RSS.
* ``turn`` (:mod:`chatrec.eval.bench_turn`): warm turns and first text through
  ``Session.stream``, interleaved with the same ranking requests sent to a bare llama.cpp model;
  ``rank(50)`` vs a bare Chroma query.
* ``import`` (:mod:`chatrec.eval.bench_import`): importing short rows vs bare
  ``SentenceTransformer.encode`` on the same texts.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from chatrec.eval.bench_report import (
    Figure,
    Target,
    machine_line,
    markdown,
    median,
    percentile,
    ratio,
    write_section,
)
from chatrec.eval.bench_turn import TURNS
from chatrec.eval.loadtest import App, chat, run_load
from chatrec.settings import REPO_DIR

SECTIONS = ("app", "turn", "import")
#: the count options: (full run default, --quick default, what it counts)
COUNTS: dict[str, tuple[int, int, str]] = {
    "rounds": (5, 1, "warm turns (and bare calls) per message"),
    "messages": (len(TURNS), 2, "how many of the scripted messages"),
    "rank_repeat": (5, 2, "rank(50) and Chroma queries per profile"),
    "http_turns": (5, 2, "single-user /api/chat turns after the first reply"),
    "users": (20, 3, "load test users"),
    "load_seconds": (180, 20, "load test duration (users stop starting turns after it)"),
    "max_turns": (6, 2, "load test turns per user"),
    "import_rows": (10_000, 500, "short rows imported"),
    "import_repeat": (3, 1, "rounds of bare encode + import"),
}
NAN = float("nan")
GB_MB = 1024.0


def child_env(data_dir: Path | None = None) -> dict[str, str]:
    env = dict(os.environ, HF_HUB_OFFLINE="1", ANONYMIZED_TELEMETRY="False",
               GRADIO_ANALYTICS_ENABLED="False", PYTHONPATH=str(REPO_DIR))
    if data_dir is not None:
        env["CHATREC_DATA_DIR"] = str(data_dir)
    return env


def prepare_data_dir(catalog: str, index_from: str | None) -> tuple[Path, float]:
    """A new data dir whose index is built (copied from ``index_from``'s, or built by
    ``python -m chatrec index``), and the seconds the build took (NaN when copied)."""
    base = Path(tempfile.mkdtemp(prefix="chatrec-bench-"))
    if index_from:
        src = Path(index_from) / "index"
        if not src.is_dir():
            raise SystemExit(f"--index-from {index_from}: no index/ folder there; give a data dir "
                             "whose index is built (e.g. ~/.local/share/chatrec)")
        shutil.copytree(src, base / "index")
        return base, NAN
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "chatrec", "index", catalog], cwd=REPO_DIR,
                   env=child_env(base), check=True, stdout=subprocess.DEVNULL)
    return base, time.perf_counter() - t


# --- sections --------------------------------------------------------------------------------------
def measure_app(base: Path, catalog: str, backend: str, http_turns: int, users: int,
                load_seconds: float, max_turns: int) -> dict[str, Any]:
    """Cold start, single-user HTTP turns and the load test, on one ``app.py`` process."""
    fresh = Path(tempfile.mkdtemp(prefix="chatrec-bench-app-"))
    shutil.copytree(base / "index", fresh / "index")
    app = App.start(fresh, backend, catalog)
    try:
        out: dict[str, Any] = {"ready_s": app.wait_ready()}
        print(f"app ready {out['ready_s']:.1f} s after spawn", flush=True)
        t = time.perf_counter()
        chat(app.url, TURNS[0])
        out["first_reply_s"] = time.perf_counter() - t
        http = []
        for n in range(http_turns):
            t = time.perf_counter()
            chat(app.url, TURNS[(n + 1) % len(TURNS)])
            http.append(time.perf_counter() - t)
        out["http_turn_s"] = http
        print(f"first reply {out['first_reply_s']:.2f} s after ready; load test: {users} users, "
              f"up to {load_seconds:.0f} s", flush=True)
        out["rss_before_load_mb"] = app.peak_rss_mb()
        out["load"] = asdict(run_load(app.url, users, load_seconds, max_turns))
        out["peak_rss_mb"] = app.peak_rss_mb()
        return out
    finally:
        app.stop()
        shutil.rmtree(fresh, ignore_errors=True)


def measure_turn(base: Path, catalog: str, backend: str, rounds: int, messages: int,
                 rank_repeat: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="chatrec-bench-turn-") as tmp:
        path = Path(tmp) / "turn.json"
        r = subprocess.run([sys.executable, "-m", "chatrec.eval.bench_turn", "--data-dir",
                            str(base), "--catalog", catalog, "--backend", backend, "--rounds",
                            str(rounds), "--messages", str(messages), "--rank-repeat",
                            str(rank_repeat), "--json", str(path)],
                           cwd=REPO_DIR, env=child_env(base))
        if r.returncode != 0:
            raise RuntimeError(f"chatrec.eval.bench_turn exited with {r.returncode} (its errors "
                               "are above)")
        return dict(json.loads(path.read_text()))


def measure_import(rows: int, repeat: int) -> dict[str, Any]:
    """``python -m chatrec.eval.bench_import --only short``: importing short rows vs bare
    ``SentenceTransformer.encode`` on the same texts, and that process's peak RSS."""
    with tempfile.TemporaryDirectory(prefix="chatrec-bench-import-") as tmp:
        path = Path(tmp) / "import.json"
        r = subprocess.run([sys.executable, "-m", "chatrec.eval.bench_import", "--only", "short",
                            "--rows", str(rows), "--repeat", str(repeat), "--data-dir",
                            str(Path(tmp) / "data"), "--json", str(path)],
                           cwd=REPO_DIR, env=child_env())
        if not path.exists():  # its exit code only says whether its targets were met
            raise RuntimeError(f"chatrec.eval.bench_import exited with {r.returncode} and wrote "
                               "no figures (its errors are above)")
        raw = json.loads(path.read_text())
    short = raw["short"]
    return {"rows": short["rows"], "repeat": repeat, "items_per_s": short["import_items_per_s"],
            "encode_items_per_s": short["encode_items_per_s"], "peak_rss_mb": raw["peak_rss_mb"]}


# --- figures ---------------------------------------------------------------------------------------
def figures(r: dict[str, Any]) -> list[Figure]:
    """The table rows from the raw results of the sections that ran."""
    out: list[Figure] = []
    if "index_build_s" in r:
        out.append(Figure(f"index build, {r['catalog']} (fresh data dir, whole process)",
                          r["index_build_s"], "s"))
    app = r.get("app")
    if app is not None:
        http = app["http_turn_s"]
        load = app["load"]
        out += [
            Figure("start: spawn app.py to /healthz ready", app["ready_s"], "s"),
            Figure("cold start: ready to the first /api/chat reply", app["first_reply_s"], "s",
                   Target("<=", 5)),
            Figure("HTTP turn, one user, p50", median(http), "s", detail=f"{len(http)} turns"),
            Figure(f"loadtest {load['users']} users: errors", load["errors"], "",
                   Target("==", 0), f"{load['requests']} requests in {load['seconds']:.0f} s"),
            Figure(f"loadtest {load['users']} users: p50", load["p50_s"], "s"),
            Figure(f"loadtest {load['users']} users: p95", load["p95_s"], "s", Target("<=", 5)),
            Figure(f"loadtest {load['users']} users: sessions with a broken history",
                   len(load["history_problems"]), "", Target("==", 0)),
            Figure(f"loadtest {load['users']} users: turns whose picks use the model's order",
                   load["model_turns"], "", detail=f"of {load['requests']}; model busy "
                                                   f"{load['busy_turns']}, late "
                                                   f"{load['late_turns']}"),
            Figure("peak RSS, app.py (before the load test)", app["rss_before_load_mb"], "MB"),
            Figure("peak RSS, app.py (after the load test)", app["peak_rss_mb"], "MB",
                   Target("<=", GB_MB)),
        ]
    turn = r.get("turn")
    if turn is not None:
        default = turn.get("default_turns", turn["turns"])
        ds = [t["turn_s"] for t in default]
        how = "" if turn.get("default_asks_model", True) else " (the model is not asked)"
        turns = turn["turns"]
        ts = [t["turn_s"] for t in turns]
        bare = [t["bare_s"] for t in turns if t.get("bare_s") is not None]
        in_time = [t for t in turns if t["model_order"] and not t.get("late")
                   and t.get("bare_s") is not None]
        n = f"{len(ts)} turns"
        out += [
            Figure(f"warm turn p50, as configured{how}", median(ds), "s", Target("<=", 1.0),
                   f"{len(ds)} turns"),
            Figure("warm turn p95, as configured", percentile(ds, 0.95), "s", Target("<=", 2.0),
                   f"{len(ds)} turns"),
            Figure("first text p50, as configured", median([t["first_text_s"] for t in default]),
                   "s", Target("<=", 0.3), f"{len(ds)} turns"),
            Figure("warm turn p50, the model asked every turn (CHATREC_LLM_ORDER=on)",
                   median(ts), "s", detail=n),
            Figure("warm turn p95, the model asked every turn", percentile(ts, 0.95), "s",
                   detail=n),
            Figure("first text p50, the model asked every turn",
                   median([t["first_text_s"] for t in turns]), "s", detail=n),
            Figure("turns whose picks use the model's order (model asked)",
                   sum(1 for t in turns if t["model_order"]), "", detail=f"of {len(ts)}"),
            Figure("bare llama.cpp chat completion p50 (same GGUF, same request)",
                   median(bare), "s", detail=f"{len(bare)} calls"),
            Figure("chatrec turn (model asked) / bare llama.cpp call (medians, interleaved)",
                   ratio(median(ts), median(bare)), "x", Target("<=", 1.3)),
            Figure("the same ratio on the turns the model answered in time",
                   ratio(median([t["turn_s"] for t in in_time]),
                         median([t["bare_s"] for t in in_time])), "x",
                   detail=f"{len(in_time)} pairs"),
            Figure("rank(50) p50", median(turn["rank_s"]), "s",
                   detail=f"{len(turn['rank_s'])} calls"),
            Figure("bare Chroma query, 50 results, p50", median(turn["chroma_s"]), "s"),
            Figure("rank(50) / bare Chroma query", ratio(median(turn["rank_s"]),
                                                         median(turn["chroma_s"])), "x"),
            Figure("peak RSS, turn process, as configured",
                   turn.get("default_peak_rss_mb", turn["chatrec_peak_rss_mb"]), "MB",
                   Target("<=", GB_MB)),
            Figure("peak RSS, turn process, the model asked (before the bare model loads)",
                   turn["chatrec_peak_rss_mb"], "MB"),
        ]
    imp = r.get("import")
    if imp is not None:
        out += [
            Figure(f"import {imp['rows']:,} short rows", imp["items_per_s"], "items/s",
                   detail=f"median of {imp['repeat']}"),
            Figure("bare SentenceTransformer.encode, same texts", imp["encode_items_per_s"],
                   "items/s"),
            Figure("import / bare encode (items/s)", ratio(imp["items_per_s"],
                                                           imp["encode_items_per_s"]), "x",
                   Target(">=", 0.8)),
            Figure("peak RSS, import process", imp.get("peak_rss_mb", NAN), "MB",
                   Target("<=", GB_MB)),
        ]
    return out


def notes(r: dict[str, Any]) -> list[str]:
    """What a reader needs to read the table: how things were measured, what failed."""
    out = list(r.get("failures", []))
    turn = r.get("turn")
    if turn is not None:
        turns = turn["turns"]
        if turn.get("bare_skipped"):
            out.append(f"No bare llama.cpp figure: {turn['bare_skipped']}.")
        tokens = turn.get("bare_tokens") or []
        if tokens:
            out.append(f"Bare calls: median {median([float(t[0] or 0) for t in tokens]):.0f} "
                       f"prompt tokens, {median([float(t[1] or 0) for t in tokens]):.0f} "
                       "completion tokens (llama.cpp's own grammar for the turn's JSON schema; "
                       "chatrec's backend may constrain its output further).")
        late = sum(1 for t in turns if t.get("late"))
        busy = sum(1 for t in turns if t.get("busy"))
        if late or busy:
            out.append(f"Warm turns past the LLM deadline: {late}; model busy: {busy}.")
        errors = sorted({str(t["error"])[:100] for t in turns if t.get("error")})
        if errors:
            out.append("Model errors in warm turns: " + "; ".join(errors) + ".")
        out.append("Warm turns: each in a new session, after one warm-up turn per message; "
                   "first as configured, then with the model asked for an order every turn (a "
                   "Ranker with llm_order='on' through Recommender.override), when the bare call "
                   "replays the ranking request that turn sent (messages, JSON schema "
                   "as a llama.cpp grammar, max_tokens), alternating which runs first. rank(50) "
                   "times include embedding the profile; the Chroma query gets the vector.")
        out.append(f"Turn process: backend {turn.get('backend')}, LLM calls per turn "
                   f"{turn.get('llm_calls_per_turn')}, peak RSS with the bare model loaded too "
                   f"{turn.get('bare_peak_rss_mb', NAN):,.0f} MB.")
    app = r.get("app")
    if app is not None:
        load = app["load"]
        out.append(f"App: app.py on a fresh copy of the index, cold start timed from the spawn; "
                   f"then the load test on the same process: {load['users']} users at once, "
                   f"each up to its turn limit or the time limit ({load['requests']} turns in "
                   f"{load['seconds']:.0f} s).")
        out += [f"Load test history problem: {p}" for p in load["history_problems"][:5]]
        out += [f"Load test error: {e}" for e in load["error_samples"][:3]]
    return out


def run_section(name: str, args: argparse.Namespace, base: Path | None) -> dict[str, Any]:
    if name == "import":
        return measure_import(args.import_rows, args.import_repeat)
    assert base is not None  # prepared for these sections
    if name == "app":
        return measure_app(base, args.catalog, args.backend, args.http_turns, args.users, args.load_seconds,
                           args.max_turns)
    return measure_turn(base, args.catalog, args.backend, args.rounds, args.messages,
                        args.rank_repeat)


def resolve_counts(args: argparse.Namespace) -> None:
    for name, (full, quick, _) in COUNTS.items():
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)


def run(args: argparse.Namespace) -> int:
    resolve_counts(args)
    only = set(args.only or SECTIONS)
    command = shlex.join(["python", "-m", "chatrec.eval", *sys.argv[1:]])
    machine = machine_line()
    print(f"chatrec bench: {machine}", flush=True)
    results: dict[str, Any] = {"command": command, "machine": machine, "catalog": args.catalog,
                               "failures": []}
    base = None
    try:
        if only & {"app", "turn"}:
            base, build_s = prepare_data_dir(args.catalog, args.index_from)
            if not math.isnan(build_s):
                results["index_build_s"] = build_s
        for name in (n for n in SECTIONS if n in only):
            t = time.perf_counter()
            print(f"--- {name}", flush=True)
            try:
                results[name] = run_section(name, args, base)
            except Exception as e:  # one broken section must not cost the others' figures
                results["failures"].append(f"Section {name} failed: {type(e).__name__}: {e}")
                print(results["failures"][-1], file=sys.stderr, flush=True)
            print(f"--- {name}: {time.perf_counter() - t:.0f} s", flush=True)
    finally:
        if base is not None:
            shutil.rmtree(base, ignore_errors=True)
    text = markdown(figures(results), command, machine, notes(results))
    print()
    print(text)
    out = args.out or (None if args.quick else str(REPO_DIR / "reports" / "bench.md"))
    if out:
        write_section(Path(out), text)
        print(f"wrote {out}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=str))
        print(f"wrote {args.json}")
    return 1 if results["failures"] else 0


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quick", action="store_true", help="tiny counts: a smoke run")
    p.add_argument("--only", action="append", choices=SECTIONS, help="run only this section")
    p.add_argument("--catalog", default="movies")
    p.add_argument("--backend", default="local")
    p.add_argument("--index-from", metavar="DATA_DIR",
                   help="copy the built index of this data dir instead of building one")
    for name, (full, quick, what) in COUNTS.items():
        p.add_argument("--" + name.replace("_", "-"), type=int, default=None,
                       help=f"{what}: {full} ({quick} with --quick)")
    p.add_argument("--out", help="the report to write (default reports/bench.md; none with "
                                 "--quick)")
    p.add_argument("--json", help="also write the raw results here")
    p.set_defaults(func=run)
