"""Creators, years by role, and linking to the work people mean (issue 17), on the test
catalogs of tests/data/catalogs imported without an index."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatrec.catalog import Catalog, load_catalog
from chatrec.importer import add
from chatrec.profile import Preferences
from chatrec.retrieve.filters import build_where, by_creator, violations
from chatrec.settings import Settings
from chatrec.understand import Understander
from chatrec.understand.model import apply
from chatrec.understand.title_rank import COMPANION, bare_title

DATA = Path(__file__).resolve().parents[1] / "data" / "catalogs"


@pytest.fixture(scope="module")
def steam(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    s = Settings.load(env={}, data_dir=str(tmp_path_factory.mktemp("steamp")))
    add("steamp", DATA / "steam_products.jsonl.gz", text=["tags"], noun="game", settings=s,
        build_index=False)
    return load_catalog("steamp", s)


@pytest.fixture(scope="module")
def films(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    s = Settings.load(env={}, data_dir=str(tmp_path_factory.mktemp("films")))
    add("films", DATA / "films.csv.gz", id="movieId", text=["overview", "genres"], noun="film",
        settings=s, build_index=False)
    return load_catalog("films", s)


def constraints(und: Understander, text: str, prefs: Preferences | None = None
                ) -> dict[str, object]:
    u = und.parse(text, prefs or Preferences(), 1)
    return {c.key: c.value for c in u.constraints}


def test_by_and_not_by_a_creator(steam: Catalog) -> None:
    und = Understander(steam)
    assert steam.role_field("creator") == "developer"
    assert constraints(und, "a game by Valve") == {"developer:has": "Valve"}
    assert constraints(und, "anything by the developer of Portal 2") == {"developer:has": "Valve"}
    assert constraints(und, "same developer as Broken Age") == \
        {"developer:has": "Double Fine Productions"}
    assert constraints(und, "something from space") == {}
    prefs = Preferences()
    apply(und.parse("a shooter, nothing by Valve", prefs, 1), prefs, 1)
    apply(und.parse("and not by Croteam either", prefs, 2), prefs, 2)
    c = prefs.constraints["developer:not_has"]
    assert c.value == ["Valve", "Croteam"]
    valve = [it for it in steam if "Valve" in steam.creators(it)]
    assert valve and all(violations(it, prefs, steam) for it in valve)
    assert build_where(prefs, steam) is None  # creators are checked in code, not in the index


def test_by_creator_brings_the_creators_items(steam: Catalog) -> None:
    und = Understander(steam)
    prefs = Preferences()
    apply(und.parse("something by Klei Entertainment", prefs, 1), prefs, 1)
    ids = by_creator(prefs, steam)
    assert ids and all(steam.creators(i) == ["Klei Entertainment"] for i in ids)
    assert by_creator(Preferences(), steam) == []


def test_year_role_drives_year_words(films: Catalog) -> None:
    und = Understander(films)
    assert films.role_field("year") == "year" and films.year_of("1") == 1995
    assert constraints(und, "a thriller from the 90s") == {"year:min": 1990, "year:max": 1999}
    assert constraints(und, "a comedy made before 1980") == {"year:max": 1979}


def test_linking_prefers_the_most_rated_and_the_main_work(films: Catalog, steam: Catalog) -> None:
    for cat, text, title, year in ((films, "I loved Titanic", "Titanic", 1997),
                                   (films, "something like King Kong", "King Kong", 2005),
                                   (films, "I loved Les Misérables", "Misérables, Les", 2012),
                                   (steam, "I loved Stellaris", "Stellaris", None),
                                   (steam, "I really enjoyed Broken Age", "Broken Age", None)):
        u = Understander(cat).parse(text, Preferences(), 1)
        assert u.liked_items, text
        it = cat[u.liked_items[0].item_id]
        assert (it.title, year or it.year) == (title, it.year if year is None else year), text


def test_companions_and_series_notes() -> None:
    assert bare_title("The Hunger Games (The Hunger Games, #1)") == "The Hunger Games"
    assert bare_title("Blade Runner (1982)") == "Blade Runner (1982)"
    for t in ("The Hunger Games: Official Illustrated Movie Companion", "Harry Potter Box Set",
              "The Making of Star Wars", "Dune Study Guide"):
        assert COMPANION.search(t), t
    assert not COMPANION.search("The Hunger Games")
