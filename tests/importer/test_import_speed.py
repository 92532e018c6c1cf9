"""The import-speed harness (``python -m chatrec.eval.bench_import``) and what keeps importing at
the encoder's speed. No timing is asserted here: the bench prints the figures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from chatrec.eval.bench_import import main, short_import

REPO = Path(__file__).resolve().parents[2]


def test_short_rows_bench_compares_the_import_with_the_bare_encoder(tmp_path: Path) -> None:
    r = short_import(rows=300, repeat=2, embedder_name="hashing", data_dir=tmp_path)
    assert r["rows"] == 300 and len(r["encode_s"]) == len(r["import_s"]) == 2
    assert r["ratio"] == r["import_items_per_s"] / r["encode_items_per_s"]
    assert r["peak_rss_mb"] > 0


def test_bench_cli_writes_its_figures(tmp_path: Path) -> None:
    out = tmp_path / "import.json"
    main(["--only", "short", "--rows", "200", "--repeat", "1", "--embedder", "hashing",
          "--data-dir", str(tmp_path / "d"), "--json", str(out)])
    r = json.loads(out.read_text())
    assert set(r) == {"short", "peak_rss_mb"} and r["short"]["rows"] == 200


def test_the_encoder_threads_wait_passively() -> None:
    """Spinning OpenMP threads cost more than the encoding on a busy machine (see
    chatrec.retrieve.embed): the importer sets the passive policy before torch loads."""
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    got = subprocess.run([sys.executable, "-c", "import os, chatrec.importer; "
                          "print(os.environ.get('OMP_WAIT_POLICY'))"],
                         cwd=REPO, env=env, capture_output=True, text=True, check=True)
    assert got.stdout.strip() == "PASSIVE"
