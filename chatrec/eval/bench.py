"""Speed and memory benchmarks. Each measurement runs in a fresh subprocess so that start-up
times and peak RSS are real; figures are medians of repeated runs.

    python -m chatrec.eval bench                 # everything
    python -m chatrec.eval bench --only turn --repeat 5
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from chatrec.settings import REPO_DIR

TURNS = [
    "I loved Interstellar and The Martian, but no horror please",
    "something funny from the 90s",
    "a mind-bending thriller like Inception",
    "I like animated films for the whole family",
    "war movies, nothing before 1970",
    "a romantic comedy, under two hours",
]

_CHILD = r"""
import json, os, resource, sys, time
t0 = time.perf_counter()
job = json.loads(sys.argv[1])
os.environ["CHATREC_DATA_DIR"] = job["data_dir"]
out = {}
if job["kind"] == "index":
    from chatrec.catalog import load_catalog
    from chatrec.retrieve.embed import MiniLMEmbedder
    from chatrec.retrieve.index import VectorIndex
    from chatrec.settings import Settings
    s = Settings.load()
    cat = load_catalog(job["catalog"], s)
    emb = MiniLMEmbedder(); emb.encode(["warm up"])
    t = time.perf_counter()
    VectorIndex.open(cat, emb, s)
    out["build_s"] = time.perf_counter() - t
    out["items"] = len(cat)
elif job["kind"] == "turn":
    from chatrec.recommender import Recommender
    rec = Recommender(catalog=job["catalog"], backend=job["backend"])
    out["init_s"] = time.perf_counter() - t0
    lat, first = [], None
    for n, msg in enumerate(job["turns"]):
        s = rec.session()
        t = time.perf_counter()
        reply = s.send(msg)
        dt = time.perf_counter() - t
        if first is None:
            first = time.perf_counter() - t0
        lat.append(dt)
        out.setdefault("fallback_notes", []).extend(reply.notes)
        out.setdefault("n_picks", []).append(len(reply.picks))
    out["cold_to_first_reply_s"] = first
    out["turn_s"] = lat
out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print("BENCH" + json.dumps(out))
"""


def _child(job: dict[str, Any], timeout: float = 1800) -> dict[str, Any]:
    env = dict(os.environ, HF_HUB_OFFLINE="1", ANONYMIZED_TELEMETRY="False",
               GRADIO_ANALYTICS_ENABLED="False", PYTHONPATH=str(REPO_DIR))
    r = subprocess.run([sys.executable, "-c", _CHILD, json.dumps(job)], capture_output=True,
                       text=True, timeout=timeout, env=env, cwd=REPO_DIR)
    for line in r.stdout.splitlines():
        if line.startswith("BENCH"):
            return dict(json.loads(line[5:]))
    raise RuntimeError(f"benchmark child failed ({r.returncode}):\n{r.stderr[-3000:]}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def page_ready(data_dir: str, timeout: float = 300) -> float:
    """Seconds from starting ``app.py`` to the page answering (index already built)."""
    port = _free_port()
    env = dict(os.environ, CHATREC_DATA_DIR=data_dir, CHATREC_PORT=str(port),
               GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1")
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=REPO_DIR, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - t0 < timeout:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
                    if r.status == 200:
                        return time.perf_counter() - t0
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("app.py did not answer in time")
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def run(args: argparse.Namespace) -> int:
    only = set(args.only or ["index", "start", "turn"])
    data_dir = args.data_dir or os.environ.get("CHATREC_DATA_DIR") or tempfile.mkdtemp(
        prefix="chatrec-bench-")
    results: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0],
                                           "platform": platform.platform()},
                               "repeat": args.repeat}
    rss: list[float] = []
    print(f"chatrec bench · {os.cpu_count()} cores · data dir {data_dir}")
    if "index" in only:
        for cat in args.catalogs:
            times = []
            for _ in range(args.index_repeat):
                fresh = tempfile.mkdtemp(prefix="chatrec-bench-index-")
                r = _child({"kind": "index", "catalog": cat, "data_dir": fresh})
                times.append(r["build_s"])
                rss.append(r["peak_rss_mb"])
            results[f"index_build_s_{cat}"] = statistics.median(times)
            print(f"index build {cat:7s}: median {statistics.median(times):6.1f} s "
                  f"({len(times)} runs: {', '.join(f'{t:.1f}' for t in times)})")
        for cat in args.catalogs:  # the warm data dir for the next steps
            _child({"kind": "index", "catalog": cat, "data_dir": data_dir})
    if "start" in only:
        _child({"kind": "index", "catalog": "movies", "data_dir": data_dir})
        ready = [page_ready(data_dir) for _ in range(args.repeat)]
        results["page_ready_s"] = statistics.median(ready)
        print(f"warm start to page ready: median {statistics.median(ready):.1f} s "
              f"({', '.join(f'{t:.1f}' for t in ready)})")
    if "turn" in only:
        firsts, turns = [], []
        for _ in range(args.repeat):
            r = _child({"kind": "turn", "catalog": "movies", "backend": args.backend,
                        "turns": TURNS, "data_dir": data_dir})
            firsts.append(r["cold_to_first_reply_s"])
            turns.extend(r["turn_s"][1:])  # the first turn pays for loading the model
            rss.append(r["peak_rss_mb"])
            results.setdefault("fallback_notes", []).extend(r.get("fallback_notes", []))
        results["cold_to_first_reply_s"] = statistics.median(firsts)
        results["turn_p50_s"] = _pct(turns, 0.5)
        results["turn_p95_s"] = _pct(turns, 0.95)
        print(f"cold start to first reply ({args.backend}): median "
              f"{statistics.median(firsts):.1f} s")
        print(f"turn latency ({args.backend}, {len(turns)} turns): p50 {_pct(turns, .5):.2f} s, "
              f"p95 {_pct(turns, .95):.2f} s")
        notes = results.get("fallback_notes", [])
        print(f"turns with a fallback note: {len(notes)}")
    if rss:
        results["peak_rss_mb"] = max(rss)
        print(f"peak RSS (largest child): {max(rss):.0f} MB")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
        print(f"wrote {args.json}")
    return 0


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--only", action="append", choices=["index", "start", "turn"])
    p.add_argument("--catalogs", nargs="+", default=["movies", "games"])
    p.add_argument("--backend", default="local")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--index-repeat", type=int, default=3)
    p.add_argument("--data-dir", help="a data dir to reuse (default: a fresh temporary one)")
    p.add_argument("--json", help="also write the figures here")
    p.set_defaults(func=run)
