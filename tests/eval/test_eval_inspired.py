"""The INSPIRED replay: parsing dev.tsv rows into turns, and a real replay of the 4 dialogues in
tests/data/inspired_sample.tsv (copied unmodified from INSPIRED dev.tsv, Hayati et al., EMNLP
2020; see tests/data/README.md)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from chatrec.eval import inspired, redial

SAMPLE = Path(__file__).parents[1] / "data" / "inspired_sample.tsv"


def _row(utt: int, speaker: str, text: str, placeholder: str = "", movies: str = "",
         movie_dict: str = "{}") -> dict[str, str]:
    return {"dialog_id": "d1", "utt_id": str(utt), "speaker": speaker, "text": text,
            "text_with_placeholder": placeholder or text, "movies": movies,
            "movie_dict": movie_dict}


MOVIE_DICT = "{'Shazam! (2019)': 0, 'The Lion King (1994)': 1, 'Dark Phoenix (2019)': 2}"


def test_split_and_index() -> None:
    assert inspired.split_movies("Braveheart (1995);  Saving Private Ryan (1998); ") == [
        "Braveheart (1995)", "Saving Private Ryan (1998)"]
    assert inspired.movie_index(MOVIE_DICT)[1] == "The Lion King (1994)"
    assert inspired.movie_index("not a dict {") == {}
    assert inspired.clean_text("the QUOTATION_MARKfutureQUOTATION_MARK I\ufffd\ufffdm  here") == \
        'the "future" I\'m here'


@pytest.mark.parametrize(("text", "placeholder", "movies", "want"), [
    ("last night I saw Shazam!", "last night I saw [MOVIE_TITLE_0]", "Shazam! (2019)",
     "last night I saw Shazam! (2019)"),
    ("Lion King was my first VHS", "[MOVIE_TITLE_1] was my first VHS", "The Lion King (1994)",
     "The Lion King (1994) was my first VHS"),  # found without its leading article
    ("see the dark phonix trailer", "see the [MOVIE_TITLE_2] trailer", "Dark Phoenix (2019)",
     "see the Dark Phoenix (2019) trailer"),  # found by fuzzy alignment
    ("Hi there!", "Hi there!", "", "Hi there!"),
])
def test_render_row(text: str, placeholder: str, movies: str, want: str) -> None:
    got, found, marked = inspired.render_row(_row(1, "SEEKER", text, placeholder, movies,
                                                  MOVIE_DICT))
    assert got == want
    assert found == marked == (1 if movies else 0)


def test_turns_merge_speakers_and_take_recommender_targets() -> None:
    rows = [
        _row(2, "SEEKER", "I like superheroes."),
        _row(1, "RECOMMENDER", "Hello!"),
        _row(3, "SEEKER", "Last night I saw Shazam!", "Last night I saw [MOVIE_TITLE_0]",
             "Shazam! (2019)", MOVIE_DICT),
        _row(4, "RECOMMENDER", "Try Dark Phoenix.", "Try [MOVIE_TITLE_2].",
             "Dark Phoenix (2019)", MOVIE_DICT),
        _row(5, "RECOMMENDER", "Or Lion King, or Dark Phoenix again",
             "Or [MOVIE_TITLE_1], or [MOVIE_TITLE_2] again",
             "The Lion King (1994); Dark Phoenix (2019)", MOVIE_DICT),
    ]
    (conv,) = inspired.conversations_of(rows)
    assert [t.role for t in conv.turns] == ["assistant", "user", "assistant"]  # by utt_id
    assert conv.turns[1].text == "I like superheroes. Last night I saw Shazam! (2019)"
    assert conv.turns[1].targets == []  # a seeker's movies are context, not targets
    assert conv.turns[2].text == ("Try Dark Phoenix (2019). Or The Lion King (1994), or "
                                  "Dark Phoenix (2019) again")
    assert conv.turns[2].targets == ["Dark Phoenix (2019)", "The Lion King (1994)"]
    assert conv.turns[2].mentions == []
    assert (conv.titles_marked, conv.titles_rendered) == (4, 4)


def test_sample_file_parses() -> None:
    rows = inspired.load_rows(SAMPLE)
    convs = inspired.load_conversations(SAMPLE)
    assert len(convs) == 4 and inspired.load_conversations(SAMPLE, limit=2) == convs[:2]
    for c in convs:
        roles = [t.role for t in c.turns]
        assert all(a != b for a, b in itertools.pairwise(roles))  # merged
        assert all(t.text and "QUOTATION_MARK" not in t.text for t in c.turns)
    want = {m for r in rows if r["speaker"] == "RECOMMENDER"
            for m in inspired.split_movies(r["movies"])}
    got = {m for c in convs for t in c.turns for m in t.targets}
    assert got == want and "Knives Out (2019)" in got
    assert any("Knives Out (2019)" in t.text for c in convs for t in c.turns)


@pytest.mark.slow
def test_replay_sample(movies_rec: Any, tmp_path: Path, network_attempts: Any) -> None:
    out, md = tmp_path / "i.json", tmp_path / "i.md"
    code = inspired.main(["--dialogues", str(SAMPLE), "--presets", "fused", "--json", str(out),
                          "--markdown", str(md), "--quiet",
                          "--data-dir", str(movies_rec.settings.data_dir)])
    assert code == 0
    res = json.loads(out.read_text())
    convs = inspired.load_conversations(SAMPLE)
    points = [t for c in convs for t in c.turns if t.role == "assistant" and t.targets]
    assert res["dialogues"] == 4 and res["rank_points"] == len(points) == 18
    assert res["targets"] == sum(len(t.targets) for t in points) == 20
    assert 0.0 < res["linkable_share"] <= 1.0
    assert 0.8 < res["rendered_share"] <= 1.0
    s = res["presets"]["fused"]
    assert s["targets"] == res["targets"] and s["picks"] == redial.RANK_K * res["rank_points"]
    assert 0.0 <= s["recall@1"] <= s["recall@10"] <= s["recall@50"] <= res["linkable_share"]
    assert s["off_catalog_rate"] == 0.0 and s["violation_rate"] == 0.0
    text = md.read_text()
    assert "INSPIRED replay" in text and "| fused | " in text and "Compared with" in text
    assert movies_rec.generator.weights == redial.weight_presets()["fused"]  # restored
