"""A bounded load test on loopback: N simulated users chat with a running app at once.

    python -m chatrec.eval.loadtest --users 20 --seconds 180          # starts app.py itself
    python -m chatrec.eval.loadtest --url http://127.0.0.1:7860 ...    # or an app you started

Every user is a thread with its own session and its own scripted messages; afterwards each
session's stored history is read back and checked: every message there, in order, nothing from
another user. Prints requests served, errors, latency p50/p95. Only loopback addresses are used.
"""

from __future__ import annotations

import argparse
import json
import os
import random
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
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from chatrec.settings import REPO_DIR, Settings

OPENERS = ["I loved {t}, but no horror please", "something like {t}", "I enjoyed {t} a lot",
           "recommend me films like {t}", "{t} was great, what else?"]
TITLES = ["Interstellar", "The Matrix", "Toy Story", "Heat", "Alien", "Amelie", "Fargo",
          "The Godfather", "Jurassic Park", "Inception", "Up", "Casablanca"]
FOLLOWUPS = ["something from the 90s", "more please", "no romance", "under two hours",
             "something funny", "older films are fine", "more like the second one"]


@dataclass
class UserLog:
    session_id: str | None = None
    sent: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _post(url: str, body: dict[str, object], timeout: float) -> dict:
    req = urllib.request.Request(url, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return dict(json.loads(r.read()))


def _user(url: str, n: int, deadline: float, max_turns: int, log: UserLog) -> None:
    rnd = random.Random(n)
    msgs = [rnd.choice(OPENERS).format(t=rnd.choice(TITLES))]
    while time.time() < deadline and len(log.sent) < max_turns:
        msg = msgs.pop() if msgs else f"{rnd.choice(FOLLOWUPS)} (user {n})"
        body: dict[str, object] = {"message": msg}
        if log.session_id:
            body["session_id"] = log.session_id
        t = time.perf_counter()
        try:
            out = _post(url + "/api/chat", body, timeout=max(5.0, deadline - time.time() + 60))
            log.latencies.append(time.perf_counter() - t)
            log.session_id = out["session_id"]
            log.sent.append(msg)
        except (urllib.error.URLError, OSError, ValueError, KeyError) as e:
            log.errors.append(f"{type(e).__name__}: {e}")


def _check(url: str, logs: list[UserLog]) -> list[str]:
    problems = []
    for n, log in enumerate(logs):
        if not log.session_id:
            continue
        with urllib.request.urlopen(f"{url}/api/sessions/{log.session_id}", timeout=60) as r:
            hist = json.loads(r.read())
        users = [t["text"] for t in hist["turns"] if t["role"] == "user"]
        if users != log.sent:
            problems.append(f"user {n}: stored {len(users)} messages, sent {len(log.sent)}")
        if any(f"(user {m})" in u for u in users for m in range(len(logs)) if m != n):
            problems.append(f"user {n}: another user's message is in this session")
        replies = [t for t in hist["turns"] if t["role"] == "assistant"]
        if len(replies) != len(users):
            problems.append(f"user {n}: {len(users)} messages but {len(replies)} replies")
    return problems


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_app(backend: str) -> tuple[subprocess.Popen[bytes], str, str]:
    data = tempfile.mkdtemp(prefix="chatrec-load-")
    src = Settings.load().index_dir
    if src.exists():
        os.symlink(src, Path(data) / "index")
    port = _free_port()
    env = dict(os.environ, CHATREC_DATA_DIR=data, CHATREC_PORT=str(port),
               CHATREC_BACKEND=backend, GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1")
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=REPO_DIR, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    t0 = time.time()
    while time.time() - t0 < 600:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):
                return proc, url, data
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("app.py did not start")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", help="a running app (loopback only); default: start app.py")
    p.add_argument("--users", type=int, default=20)
    p.add_argument("--seconds", type=float, default=180)
    p.add_argument("--max-turns", type=int, default=8, help="per user")
    p.add_argument("--backend", default="local")
    p.add_argument("--json")
    args = p.parse_args(argv)
    proc = data = None
    if args.url:
        host = urlparse(args.url).hostname or ""
        if not (host.startswith("127.") or host in ("localhost", "::1")):
            raise SystemExit("the load test only targets loopback addresses")
        url = args.url.rstrip("/")
    else:
        proc, url, data = _start_app(args.backend)
    try:
        logs = [UserLog() for _ in range(args.users)]
        deadline = time.time() + args.seconds
        threads = [threading.Thread(target=_user, args=(url, n, deadline, args.max_turns, log))
                   for n, log in enumerate(logs)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join(args.seconds + 600)
        wall = time.perf_counter() - t0
        lat = sorted(x for log in logs for x in log.latencies)
        errors = [e for log in logs for e in log.errors]
        problems = _check(url, logs)
        q = statistics.quantiles(lat, n=20) if len(lat) >= 2 else [float("nan")] * 19
        out = {"users": args.users, "seconds": round(wall, 1), "requests": len(lat),
               "errors": len(errors), "p50_s": round(statistics.median(lat), 2) if lat else None,
               "p95_s": round(q[18], 2), "throughput_per_s": round(len(lat) / wall, 2),
               "history_problems": problems, "error_samples": errors[:5]}
        print(json.dumps(out, indent=2))
        if args.json:
            Path(args.json).write_text(json.dumps(out, indent=2))
        return 0 if not errors and not problems else 1
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(30)
        if data:
            shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
