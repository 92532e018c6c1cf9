"""What a reason may say: cleaning, the prose check, grounding in the item's own attributes, and
the template reasons chatrec writes itself (always grounded)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatrec.catalog import Catalog
from chatrec.profile import Preferences
from chatrec.rank.grounding import Grounding, clean_reason, looks_like_prose
from chatrec.rank.reasons import describe_item, item_facts, profile_titles, template_reason
from chatrec.types import Candidate

CATALOGS = Path(__file__).resolve().parents[2] / "catalogs"


@pytest.fixture(scope="module")
def movies() -> Catalog:
    return Catalog.from_folder(CATALOGS / "movies")


@pytest.mark.parametrize(("raw", "want"), [
    ("  A <b>bold</b> pick  ", "A bold pick"),
    ("see https://evil.example/x now", "see now"),
    ("[click](http://x.y) here", "click here"),
    ("line\x00one\nline two", "line one line two"),
])
def test_clean_reason(raw: str, want: str) -> None:
    assert clean_reason(raw) == want


def test_clean_reason_caps_length() -> None:
    assert len(clean_reason("word " * 200)) <= 200


@pytest.mark.parametrize(("text", "prose"), [
    ("A tense sci-fi thriller about a crew in deep space.", True),
    ("1.1.1.1.1.1", False), ("space space space space space space", False),
    ("Too short", False), ("abababababab is a word here", False),
])
def test_looks_like_prose(text: str, prose: bool) -> None:
    assert looks_like_prose(text) is prose


def test_grounding_ignores_the_users_own_titles(movies: Catalog) -> None:
    g = Grounding(movies)
    children = next(i for i, it in movies.items.items() if it.title == "Children of Men")
    taken = next(i for i, it in movies.items.items() if it.title == "Taken")
    reason = "Action, Crime from 2008: people who liked Children of Men rate it highly."
    assert not g.grounded(reason, movies.items[taken])  # "children" reads as a family claim
    p = Preferences()
    p.like_item(children, movies.items[children].display_title, 1)
    assert g.grounded(reason, movies.items[taken], profile_titles(p, movies))
    assert not g.grounded("A family film: people who liked Children of Men rate it highly.",
                          movies.items[taken], profile_titles(p, movies))


def test_grounding_accepts_a_term_inside_one_the_item_has() -> None:
    cat = Catalog.from_folder(CATALOGS / "games")
    g = Grounding(cat)
    local = next(it for it in cat if "local co-op" in cat.attributes(it)
                 and "co-op" not in cat.attributes(it))
    online = next(it for it in cat if "co-op" not in " ".join(cat.attributes(it))
                  and "action" in cat.attributes(it))
    reason = "Action: matches what you asked for (couch co op)."
    assert g.grounded(reason, local)  # "co-op" is true of a local co-op game
    ok, why = g.check(reason, online)
    assert not ok and "co-op" in why  # ... and still false of a game with no co-op at all


def test_grounding_needs_one_of_the_items_attributes(movies: Catalog) -> None:
    g = Grounding(movies)
    ok, why = g.check("You will really enjoy watching this one tonight.", movies.items["2571"])
    assert not ok and why == "names none of the item's attributes"


def test_template_reasons_are_grounded(movies: Catalog) -> None:
    g = Grounding(movies)
    prefs = Preferences()
    prefs.like_item("109487", "Interstellar (2014)", 1)
    prefs.like_attr("sci-fi", 1, "Sci-Fi")
    titles = profile_titles(prefs, movies)
    assert {"Interstellar (2014)", "Interstellar"} <= set(titles)
    for iid in ["2571", "1196", "1200", "79132", "858", "1"]:
        item = movies.items[iid]
        matched = sorted({"sci-fi"} & movies.attributes(item))
        cand = Candidate(item, 0.5, {"collab": 0.3}, matched, because="109487")
        reason = template_reason(cand, prefs, movies)
        assert g.grounded(reason, cand.item, titles, item_facts(item, movies)), reason
    prefs.like_attr("cyberpunk", 2, "Cyberpunk")
    matrix = template_reason(Candidate(movies.items["2571"], 0.5, {"collab": 0.3},
                                       ["cyberpunk"], because="109487"), prefs, movies)
    assert matrix.startswith("Like Interstellar: ")  # the themes it shares with a liked film


def test_a_reason_may_cite_the_items_facts_but_no_number_it_lacks(movies: Catalog) -> None:
    g = Grounding(movies)
    toy = movies.items["1"]
    facts = item_facts(toy, movies)
    assert g.grounded("Rated 7.7/10 from 5,269 TMDB votes.", toy, (), facts)
    ok, why = g.check("Rated 9.1/10 from 5,269 TMDB votes.", toy, (), facts)
    assert not ok and "number" in why
    assert g.grounded("Andy's toys live happily until Buzz Lightyear arrives.", toy, (), facts)
    assert not g.grounded("A slow, moving story set in a courtroom.", toy, (), facts)
    assert g.supports(toy, "Buzz Lightyear") and not g.supports(toy, "Darth Vader")


def test_describe_item(movies: Catalog) -> None:
    line = describe_item(movies.items["2571"], movies, max_terms=3)
    assert line.startswith("The Matrix (1999) | Action, Sci-Fi, Thriller | ")
    assert line.count(",") >= 4 and "min" in line
