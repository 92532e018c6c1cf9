"""The ReDial replay: metrics, parsing, the split, and a real replay of 10 dialogues
(tests/data/redial_sample.jsonl, copied from ReDial, CC BY 4.0, Li et al. 2018)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from chatrec.eval import redial
from chatrec.eval.metrics import hit_at_k, percentile, rate, recall_at_k
from chatrec.retrieve.candidates import Weights

DATA = Path(__file__).parents[1] / "data"
SAMPLE = DATA / "redial_sample.jsonl"
MENTIONS = DATA / "redial_sample_mentions.csv"


# --- metrics ----------------------------------------------------------------------------
@pytest.mark.parametrize(("ranked", "targets", "k", "want"), [
    (["a", "b", "c"], ["a"], 1, 1.0),
    (["a", "b", "c"], ["b"], 1, 0.0),
    (["a", "b", "c"], ["b", "c"], 2, 0.5),
    (["a", "b", "c"], ["c", None], 3, 0.5),  # an unlinkable target is a miss
    (["a", "b", "c"], ["a", "a"], 1, 1.0),  # every target counts
    ([], ["a"], 10, 0.0),
    (["a"], [], 10, 0.0),
])
def test_recall_at_k(ranked: list[str], targets: list[str | None], k: int, want: float) -> None:
    assert recall_at_k(ranked, targets, k) == pytest.approx(want)


def test_hit_percentile_rate() -> None:
    assert hit_at_k(["x"], None, 5) == 0.0 and hit_at_k(["x"], "x", 0) == 0.0
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 95) == pytest.approx(3.85)
    assert percentile([7.0], 95) == 7.0 and math.isnan(percentile([], 50))
    assert rate(1, 4) == 0.25 and rate(1, 0) == 0.0


# --- parsing ----------------------------------------------------------------------------
def test_render_and_turns() -> None:
    dlg: dict[str, Any] = {
        "conversationId": "1", "initiatorWorkerId": 1, "respondentWorkerId": 2,
        "movieMentions": {"11": "Only In Dialogue (2001)"},
        "messages": [
            {"senderWorkerId": 1, "text": "hi"},
            {"senderWorkerId": 1, "text": "I liked @10"},
            {"senderWorkerId": 2, "text": "try @11"},
            {"senderWorkerId": 2, "text": "or @10 and @11 and @99"},
        ],
    }
    names = {"10": "Some  Film  (1999)"}
    assert redial.render("I liked @10 and @11", names, dlg) == \
        "I liked Some Film (1999) and Only In Dialogue (2001)"
    turns = redial.turns_of(dlg, redial.load_mentions(MENTIONS) | names)
    assert [(t.role, t.mentions) for t in turns] == [("user", ["10"]),
                                                    ("assistant", ["11", "10", "99"])]
    assert turns[0].text == "hi I liked Some Film (1999)"
    assert "@99" in turns[1].text  # an unknown id stays as it was


def test_split_is_stable_and_about_half() -> None:
    ids = [str(i) for i in range(2000)]
    halves = [redial.split_of(i) for i in ids]
    assert halves == [redial.split_of(i) for i in ids]
    assert 900 < halves.count("tune") < 1100
    assert [redial.split_of(i, "other") for i in ids] != halves
    dl = [{"conversationId": i} for i in ids[:50]]
    tune, test = redial.select(dl, "tune", "chatrec"), redial.select(dl, "test", "chatrec")
    assert len(tune) + len(test) == 50 and not {d["conversationId"] for d in tune} & {
        d["conversationId"] for d in test}
    assert redial.select(dl, "all", "chatrec") == dl


def test_parse_weights_and_presets() -> None:
    w = redial.parse_weights("dense=0.5, popularity=2, max_per_series=3")
    assert (w.dense, w.popularity, w.collab) == (0.5, 2.0, Weights().collab)
    assert w.max_per_series == 3 and isinstance(w.max_per_series, int)
    with pytest.raises(ValueError):
        redial.parse_weights("bogus=1")
    p = redial.weight_presets()
    assert p["dense"].collab == 0 and p["collab"].dense == 0 and p["fused"].dense > 0
    assert p["conversations"].comention == 1 and p["conversations"].dense == 0
    assert p["fused"].learned and not p["linear"].learned and not p["dense"].learned
    assert redial.parse_weights("learned=0").learned is False
    assert redial.parse_weights("learned=true").learned is True


def test_sample_fixture_is_self_contained() -> None:
    dialogues = redial.load_dialogues(SAMPLE)
    names = redial.load_mentions(MENTIONS)
    assert len(dialogues) == 10
    for d in dialogues:
        for t in redial.turns_of(d, names):
            assert all(m in names for m in t.mentions)
    assert redial.load_dialogues(SAMPLE, limit=3) == dialogues[:3]


# --- the real replay (shared MiniLM index, fake LLM, no network) ----------------------------
@pytest.mark.slow
def test_linker_on_the_movies_catalog(movies_rec: Any) -> None:
    link = redial.Linker(movies_rec)
    iid = link("Interstellar (2014)")
    assert iid is not None and movies_rec.catalog.items[iid].year == 2014
    assert link("The Matrix (1999)") is not None
    assert link("Interstellar (1950)") is None  # same name, far-off year: another film
    assert link("Zzqx Not A Film (2017)") is None and link("") is None


@pytest.mark.slow
def test_replay_sample(movies_rec: Any, tmp_path: Path, network_attempts: Any) -> None:
    out = tmp_path / "r.json"
    code = redial.main(["--dialogues", str(SAMPLE), "--mentions", str(MENTIONS), "--split",
                        "all", "--presets", "fused", "--json", str(out), "--quiet",
                        "--data-dir", str(movies_rec.settings.data_dir)])
    assert code == 0
    res = json.loads(out.read_text())
    names = redial.load_mentions(MENTIONS)
    dialogues = redial.load_dialogues(SAMPLE)
    # the rank points and targets are exactly the recommender turns with mentions
    points = [t for d in dialogues for t in redial.turns_of(d, names)
              if t.role == "assistant" and t.mentions]
    assert res["dialogues"] == 10 and res["rank_points"] == len(points)
    assert res["targets"] == sum(len(t.mentions) for t in points)
    assert 0.5 < res["linkable_share"] <= 1.0
    for name in ("fused",):
        s = res["presets"][name]
        assert s["targets"] == res["targets"]
        assert 0.0 <= s["recall@1"] <= s["recall@10"] <= s["recall@50"] <= res["linkable_share"]
        assert s["off_catalog_rate"] == 0.0
        assert s["violation_rate"] == 0.0
        assert s["picks"] == 50 * res["rank_points"]
        assert s["latency_p50_ms"] <= s["latency_p95_ms"]
    assert movies_rec.generator.weights == redial.weight_presets()["fused"]  # restored


@pytest.mark.slow
def test_replay_scores_what_rank_returns(movies_rec: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Recall is computed on exactly the ranked ids: a rank() that returns the targets scores 1."""
    from chatrec.session import Session
    from chatrec.types import Pick

    dialogues = redial.load_dialogues(SAMPLE, limit=3)
    names = redial.load_mentions(MENTIONS)
    link = redial.Linker(movies_rec)
    linked = [link(redial.movie_name(m, names, d)) for d in dialogues
              for t in redial.turns_of(d, names) if t.role == "assistant" for m in t.mentions]
    wanted = [i for i in dict.fromkeys(linked) if i is not None]

    def fake_rank(self: Session, k: int = 10, rerank: int = 0) -> list[Pick]:
        return [Pick(i, i, "", 1.0) for i in wanted[:k]]

    monkeypatch.setattr(Session, "rank", fake_rank)
    monkeypatch.setattr(Session, "add_turn", lambda self, role, text: None)
    res = redial.replay(movies_rec, dialogues, names, {"fused": redial.weight_presets()["fused"]})
    s = res["presets"]["fused"]
    assert len(wanted) <= 50
    assert s["recall@50"] == pytest.approx(res["linkable_share"], abs=1e-3)
    assert s["off_catalog_rate"] == 0.0


@pytest.mark.slow
def test_replay_never_learns_from_the_scored_dialogue(movies_rec) -> None:  # type: ignore[no-untyped-def]
    base = movies_rec.conversations
    assert base is not None
    cid = sorted(base.sources)[0]
    loo = redial.conversation_model_for(movies_rec, cid, {cid, "x"}, "others")
    assert loo is not None and cid not in loo.sources and len(loo.sources) == len(base.sources) - 1
    assert redial.conversation_model_for(movies_rec, "unknown", set(), "others") is base
    split = redial.conversation_model_for(movies_rec, None, set(sorted(base.sources)[:10]), "split")
    assert split is not None and len(split.sources) == len(base.sources) - 10
    assert redial.conversation_model_for(movies_rec, cid, {cid}, "none") is None
    with pytest.raises(ValueError):
        redial.replay_turns(movies_rec, [], {}, learn_from="bogus")


@pytest.mark.slow
def test_replay_scores_the_llm_rerank_row(movies_rec: Any) -> None:
    dialogues = redial.load_dialogues(SAMPLE, limit=3)
    names = redial.load_mentions(MENTIONS)
    calls = len(movies_rec.llm.calls)
    res = redial.replay(movies_rec, dialogues, names, {"fused": redial.weight_presets()["fused"]},
                        rerank=6)
    rows = res["presets"]
    assert set(rows) == {"fused", redial.RERANKED}
    assert rows[redial.RERANKED]["targets"] == rows["fused"]["targets"] > 0
    assert rows[redial.RERANKED]["off_catalog_rate"] == 0.0
    assert len(movies_rec.llm.calls) - calls == res["rank_points"]  # one LLM call per point
