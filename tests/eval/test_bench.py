"""The bench's pure parts: statistics, targets, the table and report file, the figures it derives
from raw results, the recording backend, the load test's history check."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

import pytest

from chatrec.eval.bench import COUNTS, add_arguments, figures, notes, resolve_counts
from chatrec.eval.bench_report import (
    BEGIN,
    END,
    Figure,
    Target,
    markdown,
    percentile,
    ratio,
    summary,
    write_section,
)
from chatrec.eval.bench_turn import RecordingBackend
from chatrec.eval.loadtest import UserLog, history_problems
from chatrec.llm.base import Capabilities, Generation, Message
from chatrec.llm.fake import FakeLLM


def test_percentile_interpolates_between_ranks() -> None:
    xs = [4.0, 1.0, 3.0, 2.0, 5.0]
    assert percentile(xs, 0.5) == 3.0
    assert percentile(xs, 0.0) == 1.0 and percentile(xs, 1.0) == 5.0
    assert percentile(xs, 0.95) == pytest.approx(4.8)
    assert percentile([2.0], 0.95) == 2.0
    assert math.isnan(percentile([], 0.5))


def test_ratio_is_nan_when_a_side_is_missing() -> None:
    assert ratio(3.0, 2.0) == 1.5
    assert math.isnan(ratio(1.0, 0.0))
    assert math.isnan(ratio(float("nan"), 1.0))


def test_targets_and_verdicts() -> None:
    assert Target("<=", 1.0).met(1.0) and not Target("<=", 1.0).met(1.01)
    assert Target(">=", 0.8).met(0.8) and not Target(">=", 0.8).met(0.79)
    assert Target("==", 0).met(0) and not Target("==", 0).met(2)
    assert Target("<=", 1.0).met(float("nan")) is None
    assert Figure("warm", 0.9, "s", Target("<=", 1.0)).verdict() == "met"
    assert Figure("warm", 1.2, "s", Target("<=", 1.0)).verdict() == "**not met**"
    missing = Figure("warm", float("nan"), "s", Target("<=", 1.0))
    assert missing.verdict() == "n/a" and missing.shown() == "not measured"
    assert Figure("info", 2.0, "s").verdict() == ""


def test_figures_are_shown_with_their_unit_and_target() -> None:
    assert Figure("t", 0.25, "s", detail="9 turns").shown() == "0.250 s (9 turns)"
    assert Figure("t", 12.345, "s").shown() == "12.35 s"
    assert Figure("r", 1.234, "x", Target("<=", 1.3)).target_text() == "<= 1.3x"
    assert Figure("m", 1050.4, "MB", Target("<=", 1024)).shown() == "1,050 MB"
    assert Figure("m", 1050.4, "MB", Target("<=", 1024)).target_text() == "<= 1024 MB"
    assert Figure("e", 0, "", Target("==", 0)).target_text() == "== 0"


def test_summary_names_what_is_not_met() -> None:
    figs = [Figure("a", 1.0, "s", Target("<=", 2)), Figure("b", 3.0, "s", Target("<=", 2)),
            Figure("c", float("nan"), "s", Target("<=", 2)), Figure("d", 5.0, "s")]
    assert summary(figs) == "1 of 3 targets met; not met or not measured: b; c"


def test_markdown_has_command_machine_and_table() -> None:
    text = markdown([Figure("warm turn p50", 0.8, "s", Target("<=", 1.0))],
                    "python -m chatrec.eval bench", "2 cores", ["a note"])
    assert "Command: `python -m chatrec.eval bench`" in text and "Machine: 2 cores" in text
    assert "| warm turn p50 | 0.800 s | <= 1 s | met |" in text
    assert "- a note" in text


def test_write_section_keeps_the_rest_of_the_report(tmp_path: Path) -> None:
    path = tmp_path / "bench.md"
    write_section(path, "first")
    assert path.read_text() == f"{BEGIN}\nfirst\n{END}\n"
    path.write_text(path.read_text() + "\n## Older figures\nkept\n")
    write_section(path, "second")
    text = path.read_text()
    assert "first" not in text and "second" in text and text.endswith("## Older figures\nkept\n")
    other = tmp_path / "other.md"
    other.write_text("# Hand-written\n")
    write_section(other, "new")
    assert other.read_text() == f"{BEGIN}\nnew\n{END}\n\n# Hand-written\n"


def _raw() -> dict[str, Any]:
    turns = [{"turn_s": s, "first_text_s": 0.1, "model_order": True, "error": None, "bare_s": b}
             for s, b in ((0.6, 0.5), (0.8, 0.8), (0.9, 1.0))]
    turns.append({"turn_s": 1.5, "first_text_s": 0.1, "model_order": False, "late": True,
                  "error": None, "bare_s": 2.0})
    return {
        "catalog": "movies", "index_build_s": 6.0, "failures": [],
        "app": {"ready_s": 4.0, "first_reply_s": 1.5, "http_turn_s": [1.0, 1.1],
                "rss_before_load_mb": 850.0, "peak_rss_mb": 900.0,
                "load": {"users": 20, "seconds": 60, "requests": 100, "errors": 0, "p50_s": 2.0,
                         "p95_s": 4.0, "model_turns": 40, "busy_turns": 50,
                         "late_turns": 10, "history_problems": [],
                         "error_samples": []}},
        "turn": {"turns": turns, "default_asks_model": False,
                 "default_turns": [{"turn_s": s, "first_text_s": s / 2, "model_order": False}
                                   for s in (0.05, 0.07, 0.2)], "default_peak_rss_mb": 700.0,
                 "rank_s": [0.04, 0.05],
                 "chroma_s": [0.01, 0.01], "chatrec_peak_rss_mb": 800.0,
                 "bare_peak_rss_mb": 950.0, "llm_calls_per_turn": [1, 1, 1], "backend": "x"},
        "import": {"rows": 10000, "repeat": 3, "items_per_s": 900.0, "encode_items_per_s": 1000.0,
                   "peak_rss_mb": 700.0},
    }


def test_figures_from_raw_results() -> None:
    by_name = {f.name: f for f in figures(_raw())}
    assert by_name["warm turn p50, as configured (the model is not asked)"].value == 0.07
    assert by_name["first text p50, as configured"].value == 0.035
    assert by_name["peak RSS, turn process, as configured"].value == 700.0
    assert by_name["warm turn p50, the model asked every turn (CHATREC_LLM_ORDER=on)"].value == \
        pytest.approx(0.85)
    assert by_name["chatrec turn (model asked) / bare llama.cpp call (medians, interleaved)"
                   ].value == pytest.approx(0.85 / 0.9)
    assert by_name["the same ratio on the turns the model answered in time"].value == 1.0
    assert by_name["turns whose picks use the model's order (model asked)"].value == 3
    assert by_name["rank(50) / bare Chroma query"].value == pytest.approx(4.5)
    assert by_name["import / bare encode (items/s)"].value == pytest.approx(0.9)
    assert by_name["loadtest 20 users: p95"].target == Target("<=", 5)
    every = " ".join(by_name)
    for phrase in ("cold start", "warm turn p95", "first text p50", "peak RSS, app.py",
                   "sessions with a broken history", "bare SentenceTransformer.encode",
                   "index build, movies"):
        assert phrase in every
    assert all(f.verdict() == "met" for f in by_name.values() if f.target is not None)


def test_a_default_that_asks_the_model_is_measured_once() -> None:
    """With a model that is asked by default (a large GGUF), the configured turns are the
    model-asked ones."""
    raw = _raw()
    for key in ("default_turns", "default_peak_rss_mb"):
        del raw["turn"][key]
    raw["turn"]["default_asks_model"] = True
    by_name = {f.name: f for f in figures(raw)}
    assert by_name["warm turn p50, as configured"].value == pytest.approx(0.85)
    assert by_name["peak RSS, turn process, as configured"].value == 800.0


def test_sections_that_did_not_run_leave_no_rows() -> None:
    raw = _raw()
    del raw["app"], raw["import"]
    names = [f.name for f in figures(raw)]
    assert names and not any("loadtest" in n or "import" in n for n in names)


def test_notes_name_failures_and_how_turns_were_measured() -> None:
    raw = _raw()
    raw["failures"] = ["Section import failed: RuntimeError: boom"]
    raw["turn"]["turns"][0] |= {"error": "deadline"}
    text = "\n".join(notes(raw))
    assert text.startswith("Section import failed")
    assert "Warm turns past the LLM deadline: 1; model busy: 0." in text
    assert "Model errors in warm turns: deadline." in text and "Warm turns: each" in text
    assert "20 users at once" in text


def test_quick_counts_unless_given() -> None:
    p = argparse.ArgumentParser()
    add_arguments(p)
    quick = p.parse_args(["--quick", "--users", "7"])
    resolve_counts(quick)
    assert quick.users == 7 and quick.rounds == COUNTS["rounds"][1]
    full = p.parse_args([])
    resolve_counts(full)
    assert full.users == 20 and full.import_rows == 10_000


def test_recording_backend_passes_calls_on_and_keeps_them() -> None:
    inner = FakeLLM(capabilities=Capabilities(writes_reasons=False))
    rec = RecordingBackend(inner)
    msgs = [Message("user", "rank these")]
    schema = {"type": "object", "properties": {"picks": {"type": "array", "items": {
        "type": "string", "enum": ["a", "b"]}}}, "required": ["picks"]}
    gen = Generation(max_tokens=40)
    text = "".join(rec.stream_json(msgs, schema, gen=gen))
    assert '"picks"' in text
    assert rec.capabilities == inner.capabilities and rec.name == inner.name
    assert len(rec.calls) == 1 and rec.calls[0].schema == schema and rec.calls[0].gen == gen
    assert rec.calls[0].messages == msgs and len(inner.calls) == 1
    "".join(rec.stream_text(msgs))
    assert rec.calls[1].schema is None


def test_history_problems() -> None:
    def turns(*said: str, replies: int | None = None) -> list[dict[str, Any]]:
        out = []
        for n, s in enumerate(said):
            out.append({"role": "user", "text": s})
            if replies is None or n < replies:
                out.append({"role": "assistant", "text": "ok"})
        return out

    logs = [UserLog("s0", ["hi", "more (user 0)"]), UserLog("s1", ["hey"]), UserLog()]
    assert history_problems(logs, [turns("hi", "more (user 0)"), turns("hey"), None]) == []
    problems = history_problems(logs, [turns("hi"), turns("hey", "more (user 0)", replies=1),
                                       None])
    assert problems == ["user 0: stored 1 messages, sent 2",
                        "user 1: stored 2 messages, sent 1",
                        "user 1: another user's message is in this session",
                        "user 1: 2 messages but 1 replies"]
