"""The README's Python example, run as written with the real local model on the shipped movies
catalog, in a fresh process on an empty data dir (what a new user has)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
FENCE = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)

# run after the README's own lines, on the names they define
CHECKS = '''
assert reply.text.strip(), "the reply has no text"
assert reply.picks and all(p.reason.strip() for p in reply.picks), reply.picks
assert "horror" not in s.preferences.disliked_attrs, "remove_preference did not remove it"
assert type(event).__name__ == "Done", f"the stream ended with {event!r}"
assert rec.session(s.session_id).session_id == s.session_id
print("README example ran:", [p.title for p in reply.picks])
'''


def python_blocks(markdown: str) -> str:
    """Every ```python block, in order, padded with blank lines so that a traceback's line
    numbers are the README's."""
    code = ""
    for m in FENCE.finditer(markdown):
        first_line = markdown.count("\n", 0, m.start(1))
        code += "\n" * (first_line - code.count("\n")) + m.group(1)
    return code


def test_readme_has_a_python_example() -> None:
    code = python_blocks(README.read_text(encoding="utf-8"))
    assert "from chatrec import Recommender" in code
    compile(code, str(README), "exec")


@pytest.mark.slow
def test_the_readme_python_example_runs(tmp_path: Path) -> None:
    code = python_blocks(README.read_text(encoding="utf-8")) + CHECKS
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHATREC_", "OPENAI_"))}
    env.update(CHATREC_DATA_DIR=str(tmp_path / "data"), HF_HUB_OFFLINE="1",
               TRANSFORMERS_OFFLINE="1", ANONYMIZED_TELEMETRY="False")
    # `python -c` in the repo, as a user types it there (line numbers in a traceback are the README's)
    run = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True,
                         text=True, timeout=800)
    assert run.returncode == 0, f"the README's Python block failed:\n{run.stdout}\n{run.stderr[-4000:]}"
    assert "README example ran:" in run.stdout
