"""The evaluation suites (simulate, offline, beyond, report): metric arithmetic on toy inputs, and
each suite end to end on a handful of users with the fake LLM."""

from __future__ import annotations

import json
import math
import random
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from chatrec.eval import beyond, offline, report, simulate


# --- pure metrics -----------------------------------------------------------------------------
@pytest.mark.parametrize(("ranked", "relevant", "k", "p", "ndcg"), [
    (["a", "b", "c"], {"a"}, 1, 1.0, 1.0),
    (["a", "b", "c"], {"b"}, 2, 0.5, 1 / math.log2(3)),
    (["x", "y"], {"a"}, 2, 0.0, 0.0),
    (["a", "b"], {"a", "b", "c"}, 2, 1.0, 1.0),
    (["x", "a"], {"a", "b"}, 2, 0.5, (1 / math.log2(3)) / (1 + 1 / math.log2(3))),
    (["a"], set(), 5, 0.0, 0.0),
])
def test_precision_and_ndcg(ranked: list[str], relevant: set[str], k: int, p: float,
                            ndcg: float) -> None:
    assert offline.precision_at_k(ranked, relevant, k) == pytest.approx(p)
    assert offline.ndcg_at_k(ranked, relevant, k) == pytest.approx(ndcg)


@pytest.mark.parametrize(("pred", "true", "rmse", "mae"), [
    ([3, 4], [3, 4], 0.0, 0.0),
    ([2, 4], [3, 3], 1.0, 1.0),
    ([1, 3], [3, 3], math.sqrt(2), 1.0),
])
def test_rmse_mae(pred: list[float], true: list[float], rmse: float, mae: float) -> None:
    assert offline.rmse(pred, true) == pytest.approx(rmse)
    assert offline.mae(pred, true) == pytest.approx(mae)


@pytest.mark.parametrize(("counts", "want"), [
    ([1, 1, 1, 1], 0.0),
    ([0, 0, 0, 4], 0.75),
    ([0, 0], 0.0),
    ([], 0.0),
])
def test_gini(counts: list[float], want: float) -> None:
    assert beyond.gini(counts) == pytest.approx(want)


@pytest.mark.parametrize(("lists", "size", "want"), [
    ([["a", "b"], ["b", "c"]], 10, 0.3),
    ([], 10, 0.0),
    ([["a"]], 0, 0.0),
])
def test_coverage(lists: list[list[str]], size: int, want: float) -> None:
    assert beyond.coverage(lists, size) == pytest.approx(want)


def test_diversity_and_percentiles() -> None:
    assert beyond.intra_list_diversity(np.eye(3)) == pytest.approx(1.0)
    assert beyond.intra_list_diversity(np.ones((3, 4))) == pytest.approx(0.0)
    assert math.isnan(beyond.intra_list_diversity(np.ones((1, 4))))
    assert beyond.jaccard_diversity([{"a"}, {"a"}]) == pytest.approx(0.0)
    assert beyond.jaccard_diversity([{"a", "b"}, {"b", "c"}]) == pytest.approx(1 - 1 / 3)
    pct = beyond.popularity_percentiles({"a": 0, "b": 5, "c": 10, "d": 10})
    assert pct["a"] == 0.0 and pct["b"] == pytest.approx(100 / 3)
    assert pct["c"] == pct["d"] == pytest.approx(250 / 3)
    assert beyond.mean_percentile(["a", "b", "zz"], pct) == pytest.approx(50 / 3)
    check = lambda reason, item: (item in reason, "")  # noqa: E731
    assert beyond.grounding_rate([("x y", "x"), ("y", "x")], check) == 0.5


def test_time_split_is_per_user_and_by_time() -> None:
    rows = offline.RatingRows(
        users=np.array([1, 1, 1, 1, 1, 2, 2], dtype=np.int64),
        items=np.array(["a", "b", "c", "d", "e", "a", "b"], dtype=object),
        ratings=np.ones(7, dtype=np.float32),
        stamps=np.array([5, 1, 4, 2, 3, 9, 8], dtype=np.int64))
    mask = offline.time_split(rows)
    # user 1: by time b(1) d(2) e(3) c(4) | a(5); user 2: b(8) | a(9)
    assert sorted(rows.items[mask & (rows.users == 1)]) == ["b", "c", "d", "e"]
    assert list(rows.items[mask & (rows.users == 2)]) == ["b"]


def test_target_attributes_never_name_the_title() -> None:
    from chatrec.types import Item

    item = Item("1", "Star Wars", "", meta={"genres": ["Sci-Fi", "Adventure"], "year": 1977,
                                             "tags": ["star wars", "space opera", "wars"],
                                             "keywords": ["rebellion"]})
    attrs = simulate.target_attributes(item, random.Random(0))
    assert ("decade", "1970s") in attrs
    assert {v for k, v in attrs if k == "tag"} == {"space opera", "rebellion"}
    assert {v for k, v in attrs if k == "genre"} == {"Sci-Fi", "Adventure"}
    assert attrs == simulate.target_attributes(item, random.Random(0))  # seeded


# --- suites end to end -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def eval_rec(shared_data_dir: Path) -> Any:
    return offline.make_recommender("movies", "fake", shared_data_dir)


@pytest.mark.slow
def test_chatrec_ratings_equal_predict_fit(eval_rec: Any) -> None:
    from chatrec.profile import Preferences

    prefs = Preferences()
    liked = ["1", "260", "1196"]
    for n, i in enumerate(liked):
        prefs.like_item(i, i, n)
    ids = ["2571", "1210", "2", "318"]
    bulk = offline.chatrec_ratings(eval_rec.collab, liked, ids)
    one = [eval_rec.predict_fit(i, prefs) for i in ids]
    assert bulk == pytest.approx(one, abs=1e-5)


@pytest.mark.slow
def test_simulate_runs_and_refits_without_the_target(eval_rec: Any, tmp_path: Path,
                                                     network_attempts: Any) -> None:
    original = eval_rec.collab
    rows = offline.ratings_of(eval_rec)
    users, train = simulate.build_users(eval_rec, rows, limit=5)
    assert len(users) == 5 and (~train).sum() == 5
    for u in users:
        held = (rows.users == u.user_id) & (rows.items == u.target)
        assert not train[held].any() and u.target not in u.seeds
    res = simulate.evaluate(eval_rec, limit=5, k=10, max_turns=3, progress=False)
    assert eval_rec.collab is original and eval_rec.generator.collab is original
    assert res["users"] == 5 and 0.0 <= res["success"] <= 1.0
    assert res["success_by_turn"] == sorted(res["success_by_turn"])
    assert res["success_picks_only"] <= res["success"]
    assert 1.0 <= res["avg_turns"] <= 4.0
    assert res["violation_rate"] == 0.0 and res["errors"] == 0
    for ex in res["examples"]:
        title = ex["target"].rsplit(" (", 1)[0].lower()
        assert all(title not in m.lower() for m in ex["messages"][1:])
    jp, mp = simulate.write_outputs(res, tmp_path)
    assert json.loads(jp.read_text())["users"] == 5
    assert "success@3 turns" in mp.read_text()


@pytest.mark.slow
def test_offline_runs_with_baselines(eval_rec: Any, tmp_path: Path) -> None:
    res = offline.evaluate(eval_rec, limit=5, progress=False)
    assert set(res["topn"]) == set(offline.METHODS)
    assert set(res["rating"]) == set(offline.RATING_METHODS)
    for m in offline.METHODS:
        assert 0.0 <= res["topn"][m]["ndcg@5"] <= 1.0
        assert len(res["recall_curve"][m]) == offline.CURVE_K
        assert res["recall_curve"][m] == sorted(res["recall_curve"][m])
    assert res["rating"]["item-kNN"]["rmse"] < res["rating"]["global mean"]["rmse"] + 0.5
    assert 0.0 <= res["beyond"]["chatrec"]["grounding_rate"] <= 1.0
    jp, mp = offline.write_outputs(res, tmp_path)
    assert json.loads(jp.read_text())["users"] == 5 and "NDCG@5" in mp.read_text()


DATA = Path(__file__).parents[1] / "data"


@pytest.mark.slow
def test_report_quick_writes_latest(shared_data_dir: Path, tmp_path: Path,
                                    network_attempts: Any) -> None:
    """The quick report as CI runs it: every suite, small limits, into a tmp dir (the repo's
    reports/ is never written)."""
    latest = report.REPORTS_DIR / "latest.md"
    before = latest.read_bytes() if latest.exists() else None
    code = report.main([
        "--limit", "3", "--inspired-limit", "2", "--data-dir", str(shared_data_dir),
        "--out-dir", str(tmp_path), "--quiet",
        "--redial-dialogues", str(DATA / "redial_sample.jsonl"),
        "--redial-mentions", str(DATA / "redial_sample_mentions.csv"),
        "--inspired-dialogues", str(DATA / "inspired_sample.tsv")])
    assert code == 0
    assert (latest.read_bytes() if latest.exists() else None) == before
    text = (tmp_path / "latest.md").read_text()
    num = r"\d+\.\d{3,4}"
    tables = {  # a table row with numbers, per suite
        "Simulated users": rf"\| 3 \| {num} \| {num} \| \d\.\d\d \| {num} \|",
        "Offline": rf"\| chatrec \| {num} \| {num} \| {num} \|",
        "ReDial replay": rf"\| fused \| {num} \| {num} \| {num} \| 0\.000 \|",
        "INSPIRED replay": rf"\| fused \| {num} \| {num} \| {num} \| 0\.000 \|",
    }
    sections = re.split(r"^## ", text, flags=re.M)[1:]
    for heading, row in tables.items():
        (body,) = [b for b in sections if b.startswith(heading)]
        assert re.search(row, body), (heading, body)
        assert "Compared with: " in body and "Machine: " in body, heading
    # the published figures are those of SOURCES.md, verbatim
    assert "UniCRS .050/.215/.413" in text and "GPT-4 .045/.135/.194/.262" in text
    # the mode lines say what each section ran, and when
    mode = text.split("Figures measured", 1)[0]
    assert "quick run" in mode
    for line in ("Simulated users: 3 users, recommender backend `fake`, template user",
                 "Offline: 3 users", "ReDial replay: 3 dialogues of `redial_sample.jsonl`",
                 "INSPIRED replay: 2 dialogues of `inspired_sample.tsv`"):
        assert line in mode, line
    assert mode.count(" UTC") >= 5
    for f in ("simulate.json", "offline.json", "redial_replay.json", "inspired_replay.json",
              "inspired_replay.md"):
        assert (tmp_path / f).stat().st_size > 0, f
    for f in ("latency.png", "success_by_turn.png", "recall_curve.png"):
        png = (tmp_path / "figures" / f).read_bytes()
        assert png.startswith(b"\x89PNG") and len(png) > 1000, f
    inspired_res = json.loads((tmp_path / "inspired_replay.json").read_text())
    assert inspired_res["dialogues"] == 2 and inspired_res["targets"] > 0
    # --reuse rebuilds from the JSON and says so; --skip keeps a suite's last JSON
    assert report.main(["--reuse", "--out-dir", str(tmp_path), "--quiet"]) == 0
    assert "rebuilt from the suites' JSON" in (tmp_path / "latest.md").read_text()
    assert "INSPIRED replay" in (tmp_path / "latest.md").read_text()


def test_report_mode_line_for_old_json(tmp_path: Path) -> None:
    """A suite's JSON without a recorded date shows the file's date; a skipped suite says so."""
    (tmp_path / "redial_replay.json").write_text(json.dumps({"skipped": "no dialogues"}))
    res = {"users": 200, "backend": "fake", "suite": "simulate"}
    line = report.section_mode("simulate", res, fresh=False)
    assert line.startswith("Simulated users: 200 users") and "not rerun" in line
    loaded = report._load(tmp_path / "redial_replay.json")
    assert loaded is not None and "file is dated" in loaded["written_at"]
    assert report.section_mode("redial", loaded, fresh=False) == \
        "ReDial replay: skipped (no dialogues)"
    assert report.section_mode("inspired", None, fresh=False) == \
        "INSPIRED replay: not run, no JSON"
