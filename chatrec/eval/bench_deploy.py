"""Deployment figures: retrieval through a Chroma server vs the embedded index, and turn
throughput with two app processes (sessions in PostgreSQL) vs one.

    python -m chatrec.eval.bench_deploy                       # movies, both parts
    python -m chatrec.eval.bench_deploy --only retrieval --queries 200
    python -m chatrec.eval.bench_deploy --database-url postgresql://u:p@127.0.0.1/chatrec

Everything runs on this machine, on loopback: a ``chroma run`` server (started here, its data
under ``<data dir>/chroma-server`` so the index is built once), and ``app.py`` processes with
``CHATREC_BACKEND=fake`` (the scripted LLM: the figures measure chatrec + Chroma + the store,
not a model). The PostgreSQL URL comes from ``--database-url``, ``CHATREC_DATABASE_URL`` or
``CHATREC_TEST_DATABASE_URL`` (``scripts/ci_services.sh`` starts one); without it the
throughput part is skipped. There is no load balancer here: the clients spread requests over
the processes' ports themselves, and each conversation's second turn goes to another process.

The movies catalog is the default: it ships precomputed vectors, so its Chroma-server index
builds in ~15 s. ``--catalog games`` works too but embeds all 32k games with MiniLM on both
sides first (tens of minutes on 2 cores).

The helpers (``free_port``, ``start_chroma``, ``start_app``, ``wait_http``, ``stop``) are also
used by ``tests/test_deploy.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO, Any

from chatrec.settings import REPO_DIR, Settings

QUERIES = [
    "space exploration and survival", "a funny heist with a clever crew",
    "animated film for the whole family", "dark psychological thriller",
    "romantic comedy in New York", "war drama based on a true story",
    "superhero team saves the world", "quiet coming-of-age story",
    "time travel paradox", "samurai and sword fights",
]
CHATS = [
    ("I loved Interstellar and The Martian, but no horror please", "something from the 90s"),
    ("a mind-bending thriller like Inception", "shorter, under two hours"),
    ("animated films for the whole family", "more like the first one"),
    ("war movies, nothing before 1970", "something lighter"),
]


# --- process helpers (shared with the tests) ----------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def chroma_executable() -> str:
    """The ``chroma`` CLI installed next to this Python (chromadb ships it)."""
    exe = Path(sys.executable).parent / "chroma"
    if exe.exists():
        return str(exe)
    found = shutil.which("chroma")
    if not found:
        raise FileNotFoundError("the `chroma` CLI was not found next to this Python or on PATH "
                                "(pip install chromadb)")
    return found


def _tail(path: Path | None, n: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-n:] if path else ""
    except OSError:
        return ""


def wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float, what: str,
              log: Path | None = None) -> float:
    """Poll ``url`` until it answers 200 (seconds waited); fail early if ``proc`` exits."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode}:\n{_tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return time.perf_counter() - t0
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{what} did not answer {url} within {timeout:.0f} s:\n{_tail(log)}")


def start_chroma(path: Path, port: int, log: Path, timeout: float = 90) -> subprocess.Popen[bytes]:
    """``chroma run --path PATH --host 127.0.0.1 --port PORT``, waited for (heartbeat)."""
    path.mkdir(parents=True, exist_ok=True)
    fh: IO[bytes] = open(log, "wb")  # noqa: SIM115 - owned by the child for its lifetime
    env = dict(os.environ, ANONYMIZED_TELEMETRY="False")
    proc = subprocess.Popen([chroma_executable(), "run", "--path", str(path), "--host",
                             "127.0.0.1", "--port", str(port)],
                            stdout=fh, stderr=subprocess.STDOUT, env=env)
    fh.close()
    try:
        wait_http(f"http://127.0.0.1:{port}/api/v2/heartbeat", proc, timeout, "chroma run", log)
    except BaseException:
        stop(proc)
        raise
    return proc


def start_app(port: int, data_dir: Path, log: Path, *, database_url: str | None,
              chroma_url: str | None, catalog: str = "movies", backend: str = "fake",
              extra_env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """``python app.py`` on 127.0.0.1:port (not waited for: see :func:`wait_http`)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, CHATREC_DATA_DIR=str(data_dir), CHATREC_PORT=str(port),
               CHATREC_HOST="127.0.0.1", CHATREC_CATALOG=catalog, CHATREC_BACKEND=backend,
               GRADIO_ANALYTICS_ENABLED="False", ANONYMIZED_TELEMETRY="False",
               HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    for k, v in (("CHATREC_DATABASE_URL", database_url), ("CHATREC_CHROMA_URL", chroma_url)):
        if v:
            env[k] = v
        else:
            env.pop(k, None)
    env.update(extra_env or {})
    fh: IO[bytes] = open(log, "wb")  # noqa: SIM115 - owned by the child for its lifetime
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=REPO_DIR, env=env, stdout=fh,
                            stderr=subprocess.STDOUT)
    fh.close()
    return proc


def stop(proc: subprocess.Popen[bytes] | None, timeout: float = 20) -> None:
    """Terminate one child we started, then kill it if it does not exit in time."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def post_json(url: str, body: dict[str, Any], timeout: float = 300) -> tuple[int, dict[str, Any]]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return int(r.status), json.loads(r.read())
    except urllib.error.HTTPError as e:
        raw = e.read() or b"{}"
        try:
            return int(e.code), json.loads(raw)
        except json.JSONDecodeError:
            return int(e.code), {"detail": raw.decode(errors="replace")[:500]}


def get_json(url: str, timeout: float = 60) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return int(r.status), json.loads(r.read())
    except urllib.error.HTTPError as e:
        return int(e.code), {"detail": (e.read() or b"").decode(errors="replace")[:500]}


# --- measurements ------------------------------------------------------------------------
def _pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(q * len(s)))] if s else float("nan")


def retrieval(catalog_name: str, data_dir: Path, chroma_url: str, n_queries: int,
              k: int) -> dict[str, Any]:
    """Median / p95 query latency (ms) of the same vectors and filters, embedded vs server."""
    from chatrec.catalog import load_catalog
    from chatrec.retrieve.embed import MiniLMEmbedder
    from chatrec.retrieve.filters import ATTRS_KEY
    from chatrec.retrieve.index import VectorIndex

    embedded = Settings.load(env={}, data_dir=str(data_dir))
    served = embedded.replace(chroma_url=chroma_url)
    cat = load_catalog(catalog_name, embedded)
    emb = MiniLMEmbedder()
    vecs = emb.encode(QUERIES)
    year = next((f for f in ("year", "release_year") if f in cat.manifest.fields), None)
    wheres: list[dict[str, Any] | None] = [None, {ATTRS_KEY: {"$not_contains": "horror"}}]
    if year:
        wheres.append({"$and": [{year: {"$gte": 2000}}, {ATTRS_KEY: {"$not_contains": "horror"}}]})
    out: dict[str, Any] = {"catalog": catalog_name, "items": len(cat), "k": k}
    for label, s in (("embedded", embedded), ("server", served)):
        t = time.perf_counter()
        ix = VectorIndex.open(cat, emb, s)
        out[f"{label}_open_s"] = round(time.perf_counter() - t, 1)
        for n in range(3):  # warm up: first queries load the HNSW segment
            ix.query(vecs[n:n + 1], k, wheres[n % len(wheres)])
        lat: list[float] = []
        for n in range(n_queries):
            q = vecs[n % len(vecs):n % len(vecs) + 1]
            t = time.perf_counter()
            ix.query(q, k, wheres[n % len(wheres)])
            lat.append((time.perf_counter() - t) * 1000)
        out[label] = {"p50_ms": round(statistics.median(lat), 2),
                      "p95_ms": round(_pct(lat, 0.95), 2), "n": len(lat)}
    return out


def throughput(database_url: str, chroma_url: str, catalog: str, work: Path, n_chats: int,
               clients: int, processes: int) -> dict[str, Any]:
    """Turns per second with ``processes`` app processes sharing one PostgreSQL + Chroma."""
    ports = [free_port() for _ in range(processes)]
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for n, p in enumerate(ports):
            procs.append(start_app(p, work / f"app{processes}-{n}", work / f"app{processes}-{n}.log",
                                   database_url=database_url, chroma_url=chroma_url,
                                   catalog=catalog))
        for n, (p, proc) in enumerate(zip(ports, procs, strict=True)):
            wait_http(f"http://127.0.0.1:{p}/healthz", proc, 300, f"app.py #{n}",
                      work / f"app{processes}-{n}.log")
        for p in ports:  # every process: load the catalog and models, run each script once
            for chat in CHATS:
                sid = None
                for msg in chat:
                    status, body = post_json(f"http://127.0.0.1:{p}/api/chat",
                                             {"message": msg, **({"session_id": sid} if sid else {})})
                    if status != 200:
                        raise RuntimeError(f"warm-up turn failed on port {p}: {body}")
                    sid = body["session_id"]
        lat: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        todo = list(range(n_chats))

        def client() -> None:
            while True:
                with lock:
                    if not todo:
                        return
                    c = todo.pop()
                sid: str | None = None
                for turn, msg in enumerate(CHATS[c % len(CHATS)]):
                    port = ports[(c + turn) % len(ports)]  # turn 2 on another process
                    body: dict[str, Any] = {"message": msg}
                    if sid:
                        body["session_id"] = sid
                    t = time.perf_counter()
                    status, out = post_json(f"http://127.0.0.1:{port}/api/chat", body)
                    dt = time.perf_counter() - t
                    with lock:
                        if status == 200:
                            lat.append(dt)
                            sid = out["session_id"]
                        else:
                            errors.append(f"{status}: {str(out.get('detail'))[:200]}")
                    if status != 200:
                        break

        t0 = time.perf_counter()
        threads = [threading.Thread(target=client) for _ in range(clients)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        wall = time.perf_counter() - t0
        return {"processes": processes, "clients": clients, "turns": len(lat),
                "errors": len(errors), "first_error": errors[0] if errors else None,
                "turns_per_s": round(len(lat) / wall, 2) if wall else 0.0,
                "p50_s": round(statistics.median(lat), 3) if lat else None,
                "p95_s": round(_pct(lat, 0.95), 3) if lat else None}
    finally:
        for proc in procs:
            stop(proc)


def run(args: argparse.Namespace) -> int:
    data_dir = Path(args.data_dir or Settings.load().data_dir).expanduser()
    work = Path(tempfile.mkdtemp(prefix="chatrec-bench-deploy-"))
    port = free_port()
    chroma_url = f"http://127.0.0.1:{port}"
    print(f"chatrec deploy bench · {os.cpu_count()} cores · load {os.getloadavg()[0]:.1f} · "
          f"catalog {args.catalog} · data dir {data_dir}", flush=True)
    results: dict[str, Any] = {}
    chroma = start_chroma(data_dir / "chroma-server", port, work / "chroma.log")
    try:
        if args.only in (None, "retrieval"):
            r = retrieval(args.catalog, data_dir, chroma_url, args.queries, args.k)
            results["retrieval"] = r
            print(f"retrieval ({r['catalog']}, {r['items']} items, k={r['k']}, {args.queries} "
                  f"queries, a third unfiltered / attribute filter / year+attribute filter):")
            for label in ("embedded", "server"):
                print(f"  {label:8s}: p50 {r[label]['p50_ms']:7.2f} ms   p95 "
                      f"{r[label]['p95_ms']:7.2f} ms   (open/build {r[label + '_open_s']} s)")
        if args.only in (None, "throughput"):
            db = (args.database_url or os.environ.get("CHATREC_DATABASE_URL")
                  or os.environ.get("CHATREC_TEST_DATABASE_URL"))
            if not db:
                print("throughput: skipped (no --database-url / CHATREC_DATABASE_URL; "
                      "scripts/ci_services.sh starts a local PostgreSQL)")
            else:
                results["throughput"] = []
                for n in (1, 2):
                    t = throughput(db, chroma_url, args.catalog, work, args.chats, args.clients, n)
                    results["throughput"].append(t)
                    print(f"throughput, {n} app process{'es' if n > 1 else ''} ({t['clients']} "
                          f"clients, load {os.getloadavg()[0]:.1f}, "
                          f"fake LLM): {t['turns_per_s']:.2f} turns/s   p50 {t['p50_s']} s"
                          f"   p95 {t['p95_s']} s   ({t['turns']} turns, {t['errors']} errors)",
                          flush=True)
                    if t["first_error"]:
                        print(f"  first error: {t['first_error']}")
    finally:
        stop(chroma)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
        print(f"wrote {args.json}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m chatrec.eval.bench_deploy",
                                description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--catalog", default="movies")
    p.add_argument("--only", choices=["retrieval", "throughput"])
    p.add_argument("--queries", type=int, default=120, help="timed queries per side")
    p.add_argument("--k", type=int, default=200, help="neighbours per query (retrieve_k)")
    p.add_argument("--chats", type=int, default=40, help="two-turn conversations per run")
    p.add_argument("--clients", type=int, default=4, help="concurrent HTTP clients")
    p.add_argument("--database-url")
    p.add_argument("--data-dir", help="where the indexes are (default: CHATREC_DATA_DIR)")
    p.add_argument("--json", help="also write the figures to this file")
    p.add_argument("--keep", action="store_true", help="keep the logs of the app processes")
    return run(p.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
