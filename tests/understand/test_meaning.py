"""Meaning matching with the real MiniLM (issue 17): words outside a catalog's vocabulary reach
the term they mean; unrelated words reach nothing; the vocabulary's vectors are cached."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatrec.catalog import load_catalog
from chatrec.importer import add
from chatrec.profile import Preferences
from chatrec.retrieve.embed import HashingEmbedder, MiniLMEmbedder
from chatrec.settings import Settings
from chatrec.understand import Understander
from chatrec.understand.meaning import MeaningMatcher, meaning_matcher

DATA = Path(__file__).resolve().parents[1] / "data" / "catalogs"


@pytest.mark.slow
def test_words_reach_the_terms_they_mean(tmp_path: Path) -> None:
    s = Settings.load(env={}, data_dir=str(tmp_path / "data"))
    add("films", DATA / "films.csv.gz", id="movieId", text=["overview"], noun="film",
        tags=DATA / "film_keywords.csv.gz", tag_names=DATA / "keywords.csv.gz", settings=s,
        build_index=False)
    films = load_catalog("films", s)
    emb = MiniLMEmbedder()
    m = meaning_matcher(films, emb, cache_dir=tmp_path / "cache")
    assert m is not None and meaning_matcher(films, HashingEmbedder()) is None
    assert m.match("teens") == "teenager" and m.match("spaceships") == "spaceship"
    assert m.match("tonight") is None and m.match("girlfriend") is None
    assert len(list((tmp_path / "cache").glob("meaning-films-*.npy"))) == 1
    again = MeaningMatcher(films, emb, cache_dir=tmp_path / "cache")
    assert again.match("superheroes") == "superhero"
    u = Understander(films, m).parse("a fantasy film for teens", Preferences(), 1)
    assert {"fantasy", "teenager"} <= set(u.liked_attrs)
