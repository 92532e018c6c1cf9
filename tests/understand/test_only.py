""""Only X" is a hard constraint, visible and revisable (chatrec.understand.only), on the
shipped catalogs' vocabularies (no model)."""

from __future__ import annotations

import pytest

from chatrec.catalog import load_catalog
from chatrec.profile import Preferences
from chatrec.retrieve.filters import violations
from chatrec.understand import Understander, apply


@pytest.fixture(scope="module")
def movies() -> Understander:
    return Understander(load_catalog("movies"))


@pytest.fixture(scope="module")
def games() -> Understander:
    return Understander(load_catalog("games"))


@pytest.mark.parametrize("text", ["only documentaries please", "just documentaries",
                                  "documentaries only", "nothing but documentaries",
                                  "I want only documentaries"])
def test_only_x_is_a_constraint_and_a_like(movies: Understander, text: str) -> None:
    u = movies.parse(text, Preferences(), 1)
    assert [(c.field, c.op, c.value) for c in u.constraints] == [("genres", "has", "documentary")]
    assert u.liked_attrs == ["documentary"] and not u.disliked_attrs


@pytest.mark.parametrize("text", ["a documentary", "I just want to laugh", "I just love comedies",
                                  "just a comedy tonight",
                                  "documentaries are not the only thing I like"])
def test_plain_requests_are_not_limits(movies: Understander, text: str) -> None:
    assert not [c for c in movies.parse(text, Preferences(), 1).constraints if c.op == "has"]


def test_nothing_but_is_not_a_negation(movies: Understander) -> None:
    u = movies.parse("nothing but horror", Preferences(), 1)
    assert u.liked_attrs == ["horror"] and u.disliked_attrs == []


def test_only_filters_and_another_attribute_being_fine_lifts_it(movies: Understander) -> None:
    cat = movies.catalog
    p = Preferences()
    apply(movies.parse("only documentaries please", p, 1), p, 1)
    assert p.describe_limits() == ["genres: documentary"]
    not_doc = next(it for it in cat if "Documentary" not in it.values("genres"))
    doc = next(it for it in cat if "Documentary" in it.values("genres"))
    assert violations(not_doc, p, cat) and not violations(doc, p, cat)
    notes = apply(movies.parse("actually, comedies are fine too", p, 2), p, 2)
    assert p.constraints == {} and any("documentary" in n for n in notes)
    assert "documentary" in p.liked_attrs  # still what they asked for, no longer a limit


def test_ok_on_a_disliked_attribute_keeps_the_only_limit(movies: Understander) -> None:
    p = Preferences()
    apply(movies.parse("only documentaries, no war", p, 1), p, 1)
    apply(movies.parse("ok war is fine", p, 2), p, 2)
    assert "genres:has" in p.constraints and "war" not in p.disliked_attrs


def test_games_only_uses_the_field_that_carries_the_term(games: Understander) -> None:
    u = games.parse("only puzzle games", Preferences(), 1)
    assert [(c.op, c.value) for c in u.constraints] == [("has", "puzzle")]
    assert u.constraints[0].field in games.catalog.manifest.attribute_fields
    spec = games.parse("co-op only", Preferences(), 1)  # features keep their own rule
    assert [(c.field, c.value) for c in spec.constraints] == [("specs", "co-op")]
