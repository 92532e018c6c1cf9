"""``python -m chatrec.eval bench --quick`` end to end (real app.py, local model, MiniLM, Chroma):
every figure of issue 16 is printed with a value, and the report is written. Nothing is timed
against a target here: the bench prints its targets, it does not assert them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from chatrec.settings import REPO_DIR

pytestmark = [pytest.mark.slow, pytest.mark.server]

FIGURES = [
    "start: spawn app.py to /healthz ready",
    "cold start: ready to the first /api/chat reply",
    "warm turn p50, as configured", "warm turn p95, as configured",
    "first text p50, as configured", "warm turn p50, the model asked every turn",
    "bare llama.cpp chat completion p50",
    "chatrec turn (model asked) / bare llama.cpp call",
    "rank(50) p50", "bare Chroma query, 50 results, p50",
    "import 200 short rows", "bare SentenceTransformer.encode, same texts",
    "import / bare encode",
    "loadtest 2 users: errors", "loadtest 2 users: p95",
    "loadtest 2 users: sessions with a broken history",
    "peak RSS, app.py", "peak RSS, turn process", "peak RSS, import process",
]


def test_quick_bench_prints_every_figure(movies_rec: Any, shared_data_dir: Path,
                                         tmp_path: Path) -> None:
    # movies_rec: the shared data dir's movies index is built, so the bench copies it
    report, raw = tmp_path / "bench.md", tmp_path / "bench.json"
    r = subprocess.run(
        [sys.executable, "-m", "chatrec.eval", "bench", "--quick", "--index-from",
         str(shared_data_dir), "--users", "2", "--load-seconds", "10", "--http-turns", "1",
         "--import-rows", "200", "--out", str(report), "--json", str(raw)],
        cwd=REPO_DIR, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    table = [line for line in r.stdout.splitlines() if line.startswith("| ")]
    for name in FIGURES:
        rows = [line for line in table if name in line]
        assert rows, f"{name!r} is not in the table:\n" + "\n".join(table)
        assert "not measured" not in rows[0], rows[0]
    text = report.read_text()
    assert "Command: `python -m chatrec.eval bench --quick" in text and "Machine: " in text
    assert "targets met" in text
    assert not json.loads(raw.read_text())["failures"]
