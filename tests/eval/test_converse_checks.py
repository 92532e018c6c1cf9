"""The conversation suite's check functions (chatrec.eval.converse_checks), one test each, on a
tiny synthetic catalog (no model)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chatrec.catalog import Catalog
from chatrec.eval import converse_checks as ck
from chatrec.profile import Preferences
from chatrec.types import Item, Pick

ITEMS = [
    {"id": "1", "title": "Dusty Trail", "text": "Dusty Trail | Western | 104 min | A lone rider",
     "meta": {"year": 1966, "genres": ["Western"], "keywords": ["bounty hunter", "desert"],
              "director": "Sergio Leone", "runtime": 104,
              "overview": "A lone rider crosses the desert to settle an old debt with a gang."}},
    {"id": "2", "title": "Laugh Riot: The Sequel", "text": "Laugh Riot: The Sequel. Comedy.",
     "meta": {"year": 2001, "genres": ["Comedy", "Romance"], "keywords": ["wedding"],
              "runtime": 95, "overview": "Two best friends crash every wedding in town."}},
]


@pytest.fixture(scope="module")
def cat(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    folder: Path = tmp_path_factory.mktemp("ck") / "ckmovies"
    folder.mkdir()
    fields = {"year": {"type": "int", "role": "year"},
              "genres": {"type": "list", "role": "attribute"},
              "keywords": {"type": "list", "role": "attribute"},
              "director": {"type": "str"}, "runtime": {"type": "int"},
              "overview": {"type": "str", "role": "description"}}
    manifest = {"name": "ckmovies", "title": "Ck", "noun": "movie", "plural": "movies",
                "items": "items.jsonl", "fields": fields,
                "attribute_fields": ["genres", "keywords"], "display_fields": ["year"],
                "popularity_field": None, "rating_field": None, "link_field": None,
                "attribution": "test data"}
    (folder / "catalog.json").write_text(json.dumps(manifest), encoding="utf-8")
    (folder / "items.jsonl").write_text("".join(json.dumps({**r, "aliases": []}) + "\n"
                                                for r in ITEMS), encoding="utf-8")
    return Catalog.from_folder(folder)


def pick(cat: Catalog, iid: str, reason: str = "") -> Pick:
    return Pick(iid, cat.items[iid].display_title, reason, 1.0)


def test_precision_counts_picks_carrying_the_term(cat: Catalog) -> None:
    assert ck.precision([pick(cat, "1"), pick(cat, "2")], "Western", cat) == 0.5
    assert ck.precision([], "western", cat) is None


def test_pick_violations_use_the_profile_and_what_was_shown_before(cat: Catalog) -> None:
    p = Preferences()
    p.dislike_attr("comedy", 1)
    p.note_recommended(["1", "2"])  # the profile after the turn counts this turn's picks
    assert ck.pick_violations([pick(cat, "1")], p, [], cat) == []
    bad = ck.pick_violations([pick(cat, "2")], p, ["2"], cat)
    assert len(bad) == 2 and any("comedy" in b for b in bad)


def test_first_sentence_and_verdict() -> None:
    assert ck.first_sentence("Probably yes: it is 4.1/5. More here.") == "Probably yes: it is 4.1/5."
    assert ck.has_verdict("Probably yes: it fits your taste. It is long.", "would_like")
    assert not ck.has_verdict("Dusty Trail (1966) is a western movie. You may like it.", "tell_me")
    assert ck.has_verdict("It runs 1 h 44 min.", "how_long")
    assert ck.has_verdict("I don't have its runtime.", "how_long")
    assert not ck.has_verdict("A western from 1966.", "how_long")
    title = "O Brother, Where Art Thou?"
    assert ck.has_verdict(f"{title} runs 1 h 46 min.", "how_long", title)
    assert not ck.has_verdict(f"{title} runs 1 h 46 min.", "how_long")


def test_about_item_by_title_data_or_runtime(cat: Catalog) -> None:
    dusty, laugh = cat.items["1"], cat.items["2"]
    assert ck.about_item("Dusty Trail is a western.", dusty, cat)
    assert ck.about_item("Yes: a bounty hunter story.", dusty, cat)
    assert ck.about_item("It runs 1 h 44 min.", dusty, cat)
    assert ck.about_item("Laugh Riot is a comedy.", laugh, cat)  # the part before the colon
    assert not ck.about_item("It runs 1 h 44 min.", laugh, cat)
    assert not ck.about_item("Yes, you would like it.", dusty, cat)


def test_raw_index_text_and_unknown(cat: Catalog) -> None:
    dusty, laugh = cat.items["1"], cat.items["2"]
    assert ck.raw_index_text("Dusty Trail | Western | 104 min | A lone rider", dusty, cat)
    assert not ck.raw_index_text("Yes: Dusty Trail is a western about a lone rider.", dusty, cat)
    # an index text that is mostly the title is not a paste
    assert not ck.raw_index_text("Laugh Riot: The Sequel is 95 minutes long.", laugh, cat)
    movie = Item("9", "Toy Town", "Toy Town (1995). Adventure, Animation, Children, Comedy. "
                 "Toys come alive.", meta={"overview": "Toys come alive.", "genres": ["Comedy"]})
    assert ck.raw_index_text("Maybe. Toy Town (1995). Adventure, Animation, Children, Comedy. "
                             "Toys come alive.", movie, cat)
    quoted = Item("8", "Quiet Town", "Quiet Town. A sleepy village wakes up when a circus "
                  "arrives in the middle of winter.")  # no description field: the text is one
    assert not ck.raw_index_text("Maybe: A sleepy village wakes up when a circus arrives in "
                                 "the middle of winter.", quoted, cat)
    assert ck.says_unknown("I don't have The Velvet Harbor in this catalog; did you mean X?")
    assert not ck.says_unknown("Here are 4 movies for you")


@pytest.mark.parametrize(("reason", "kind"), [
    ("Directed by Sergio Leone.", "creator"),
    ("Rated 4.1/5 from 2,300 ratings.", "rating"),
    ("A bounty hunter story in the desert.", "tag"),
    ("A lone rider crosses the plains to settle a debt.", "description"),
    ("A Western from 1966.", ""),
    ("Rated 4.1/5.", ""),
])
def test_specific_fact_beyond_genre_and_year(cat: Catalog, reason: str, kind: str) -> None:
    assert ck.specific_fact(reason, cat.items["1"], cat) == kind


def test_echoing_the_request_is_not_specific(cat: Catalog) -> None:
    item = cat.items["1"]
    assert ck.specific_fact("Desert, as you asked.", item, cat, asked=["desert"]) == ""
    assert ck.specific_fact("Desert, as you asked. Think bounty hunter.", item, cat,
                            asked=["desert"]) == "tag"
    assert ck.specific_fact("Desert, as you asked.", item, cat) == "tag"


def test_shape_masks_item_words_and_variety_counts_distinct_shapes(cat: Catalog) -> None:
    a = ck.shape("Has the desert you asked for: Dusty Trail, 104 min.", cat.items["1"], cat)
    b = ck.shape("Has the wedding you asked for: Laugh Riot, 95 min.", cat.items["2"], cat)
    assert a == b == "has the X you asked for X min"
    same = [pick(cat, "1", "Has the desert you asked for."), pick(cat, "2", "Has the wedding you asked for.")]
    assert ck.variety(same, cat) == 0.5
    differ = [pick(cat, "1", "Directed by Sergio Leone."), pick(cat, "2", "Two friends crash weddings.")]
    assert ck.variety(differ, cat) == 1.0
    assert ck.variety(same[:1], cat) is None
