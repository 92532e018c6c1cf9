"""A bounded load test on loopback: N simulated users chat with a running app at once.

    python -m chatrec.eval.loadtest --users 20 --seconds 180          # starts app.py itself
    python -m chatrec.eval.loadtest --url http://127.0.0.1:7860 ...    # or an app you started

Every user is a thread with its own session and its own scripted messages; afterwards each
session's stored history is read back and checked: every message there, in order, nothing from
another user. Prints requests served, errors, latency p50/p95. Only loopback addresses are used.

``python -m chatrec.eval bench`` runs it too, on the app whose cold start it measured
(:class:`App`, :func:`run_load`).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from chatrec.eval.bench_deploy import free_port, start_app, stop
from chatrec.eval.bench_report import percentile
from chatrec.settings import Settings

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
    model_turns: int = 0  # replies whose picks use the model's order
    busy_turns: int = 0  # replies the model was too busy for
    late_turns: int = 0  # replies whose model call passed its deadline


def chat(url: str, message: str, session_id: str | None = None,
         timeout: float = 300) -> dict[str, Any]:
    """One ``POST /api/chat`` to the app at ``url``: the JSON answer."""
    body: dict[str, object] = {"message": message}
    if session_id:
        body["session_id"] = session_id
    req = urllib.request.Request(url + "/api/chat", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return dict(json.loads(r.read()))


def _user(url: str, n: int, deadline: float, max_turns: int, log: UserLog) -> None:
    rnd = random.Random(n)
    msgs = [rnd.choice(OPENERS).format(t=rnd.choice(TITLES))]
    while time.time() < deadline and len(log.sent) < max_turns:
        msg = msgs.pop() if msgs else f"{rnd.choice(FOLLOWUPS)} (user {n})"
        t = time.perf_counter()
        try:
            out = chat(url, msg, log.session_id, timeout=max(5.0, deadline - time.time() + 60))
            log.latencies.append(time.perf_counter() - t)
            log.session_id = out["session_id"]
            log.sent.append(msg)
            meta = out["reply"].get("meta", {})
            log.model_turns += bool(meta.get("llm_valid"))
            log.busy_turns += bool(meta.get("busy"))
            log.late_turns += bool(meta.get("late"))
        except (urllib.error.URLError, OSError, ValueError, KeyError) as e:
            log.errors.append(f"{type(e).__name__}: {e}")


def history_problems(logs: list[UserLog], stored: list[list[dict[str, Any]] | None]) -> list[str]:
    """What is wrong with each user's stored turns (``stored[n]``: the session's turns, None
    when the user never got a session): every message there in order, one reply each, nothing
    from another user."""
    problems = []
    for n, (log, turns) in enumerate(zip(logs, stored, strict=True)):
        if turns is None:
            continue
        users = [t["text"] for t in turns if t["role"] == "user"]
        if users != log.sent:
            problems.append(f"user {n}: stored {len(users)} messages, sent {len(log.sent)}")
        if any(f"(user {m})" in u for u in users for m in range(len(logs)) if m != n):
            problems.append(f"user {n}: another user's message is in this session")
        replies = [t for t in turns if t["role"] == "assistant"]
        if len(replies) != len(users):
            problems.append(f"user {n}: {len(users)} messages but {len(replies)} replies")
    return problems


def _stored_turns(url: str, session_id: str | None) -> list[dict[str, Any]] | None:
    if not session_id:
        return None
    with urllib.request.urlopen(f"{url}/api/sessions/{session_id}", timeout=60) as r:
        return list(json.loads(r.read())["turns"])


@dataclass
class LoadResult:
    """What a load run measured; ``history_problems`` empty means every history is intact."""

    users: int
    seconds: float
    requests: int
    errors: int
    p50_s: float
    p95_s: float
    throughput_per_s: float
    model_turns: int  # turns whose picks use the model's order (the others: code's ranking)
    busy_turns: int  # turns the model was busy for (another user's turn had it)
    late_turns: int  # turns whose model call passed the deadline
    history_problems: list[str]
    error_samples: list[str]

    @property
    def histories_intact(self) -> bool:
        return not self.history_problems


def run_load(url: str, users: int = 20, seconds: float = 180, max_turns: int = 8) -> LoadResult:
    """``users`` threads chat with the app at ``url`` at once for up to ``seconds`` (at most
    ``max_turns`` turns each); then every stored history is read back and checked."""
    logs = [UserLog() for _ in range(users)]
    deadline = time.time() + seconds
    threads = [threading.Thread(target=_user, args=(url, n, deadline, max_turns, log))
               for n, log in enumerate(logs)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 600)
    wall = time.perf_counter() - t0
    lat = [x for log in logs for x in log.latencies]
    errors = [e for log in logs for e in log.errors]
    problems = history_problems(logs, [_stored_turns(url, log.session_id) for log in logs])
    return LoadResult(users=users, seconds=round(wall, 1), requests=len(lat), errors=len(errors),
                      p50_s=round(percentile(lat, 0.5), 2), p95_s=round(percentile(lat, 0.95), 2),
                      throughput_per_s=round(len(lat) / wall, 2),
                      model_turns=sum(log.model_turns for log in logs),
                      busy_turns=sum(log.busy_turns for log in logs),
                      late_turns=sum(log.late_turns for log in logs), history_problems=problems,
                      error_samples=errors[:5])


# --- the app process -------------------------------------------------------------------------------
@dataclass
class App:
    """An ``app.py`` process serving on loopback (its output goes to ``log_path``)."""

    proc: subprocess.Popen[bytes]
    url: str
    data_dir: Path
    log_path: Path
    spawned: float  # time.perf_counter() when it was started

    @classmethod
    def start(cls, data_dir: Path, backend: str = "local", catalog: str = "movies") -> App:
        """Start ``app.py`` on a free loopback port with ``data_dir`` (its index built, its
        sessions in SQLite there), not waited for: see :meth:`wait_ready`."""
        port = free_port()
        log_path = Path(data_dir) / "app.log"
        spawned = time.perf_counter()
        proc = start_app(port, Path(data_dir), log_path, database_url=None, chroma_url=None,
                         catalog=catalog, backend=backend)
        return cls(proc, f"http://127.0.0.1:{port}", Path(data_dir), log_path, spawned)

    def wait_ready(self, timeout: float = 600) -> float:
        """Seconds from the spawn until ``/healthz`` answers and says ready (a ``ready``
        field, when the app reports one, must be true). Raises RuntimeError when it does not."""
        while time.perf_counter() - self.spawned < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"app.py exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as r:
                    if json.loads(r.read()).get("ready", True) is True:
                        return time.perf_counter() - self.spawned
            except (OSError, ValueError):
                pass
            time.sleep(0.05)
        raise RuntimeError(f"app.py was not ready after {timeout:.0f} s:\n{self.log_tail()}")

    def peak_rss_mb(self) -> float:
        """The process's peak resident memory so far (Linux /proc; NaN elsewhere)."""
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        except (OSError, ValueError, IndexError):
            pass
        return float("nan")

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self) -> None:
        stop(self.proc)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", help="a running app (loopback only); default: start app.py")
    p.add_argument("--users", type=int, default=20)
    p.add_argument("--seconds", type=float, default=180)
    p.add_argument("--max-turns", type=int, default=8, help="per user")
    p.add_argument("--backend", default="local")
    p.add_argument("--json")
    args = p.parse_args(argv)
    app = None
    if args.url:
        host = urlparse(args.url).hostname or ""
        if not (host.startswith("127.") or host in ("localhost", "::1")):
            raise SystemExit("the load test only targets loopback addresses")
        url = args.url.rstrip("/")
    else:
        data = Path(tempfile.mkdtemp(prefix="chatrec-load-"))
        src = Settings.load().index_dir
        if src.exists():
            os.symlink(src, data / "index")
        app = App.start(data, args.backend)
        url = app.url
    try:
        if app is not None:
            app.wait_ready()
        out = run_load(url, args.users, args.seconds, args.max_turns)
        text = json.dumps(asdict(out), indent=2)
        print(text)
        if args.json:
            Path(args.json).write_text(text)
        return 0 if not out.errors and out.histories_intact else 1
    finally:
        if app is not None:
            app.stop()
            shutil.rmtree(app.data_dir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
