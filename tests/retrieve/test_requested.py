"""The user's words win: the latest attribute request orders every list, priors order within it
(chatrec.retrieve.requested), on a tiny synthetic catalog with no model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from chatrec.catalog import Catalog
from chatrec.profile import Constraint, Preferences
from chatrec.retrieve.requested import (
    RequestIndex,
    request_of,
    request_order,
    satisfying,
    shortfall_note,
)
from chatrec.types import Candidate

# id, title, genres, popularity: the westerns are the least popular
ITEMS = [("1", "Big Blockbuster", ["Action"], 0.99), ("2", "Crowd Pleaser", ["Comedy"], 0.9),
         ("3", "Dusty Trail", ["Western"], 0.2), ("4", "High Noon Again", ["Western", "Drama"], 0.1),
         ("5", "Funny Frontier", ["Western", "Comedy"], 0.05), ("6", "Quiet Drama", ["Drama"], 0.5)]


@pytest.fixture(scope="module")
def cat(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    folder: Path = tmp_path_factory.mktemp("req") / "reqmovies"
    folder.mkdir()
    manifest = {"name": "reqmovies", "title": "Req", "noun": "movie", "plural": "movies",
                "items": "items.jsonl",
                "fields": {"genres": {"type": "list", "label": "Genres", "role": "attribute"},
                           "score": {"type": "float", "label": "Score", "role": "popularity"}},
                "attribute_fields": ["genres"], "display_fields": ["genres"],
                "popularity_field": "score", "rating_field": None, "link_field": None,
                "attribution": "test data"}
    (folder / "catalog.json").write_text(json.dumps(manifest), encoding="utf-8")
    rows = [{"id": i, "title": t, "aliases": [], "text": t, "meta": {"genres": g, "score": p}}
            for i, t, g, p in ITEMS]
    (folder / "items.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows),
                                        encoding="utf-8")
    return Catalog.from_folder(folder)


def prior(cat: Catalog) -> dict[str, float]:
    return {i: cat.popularity(i) for i in cat.items}


def test_request_is_the_newest_turns_attributes_grouped_by_words() -> None:
    p = Preferences()
    assert request_of(p) is None
    p.like_attr("comedy", 1, label="funny")
    p.like_attr("western", 2, label="western")
    p.like_attr("drama", 2, label="drama")
    req = request_of(p)
    assert req is not None and req.turn == 2
    assert dict(req.groups) == {"western": frozenset({"western"}), "drama": frozenset({"drama"})}
    assert req.satisfied(frozenset({"western", "comedy"})) == 1
    assert req.label == "western drama"


def test_requested_items_come_first_and_the_prior_orders_within(cat: Catalog) -> None:
    p = Preferences()
    p.like_attr("western", 1)
    ids = list(cat.items)
    fused = np.array([prior(cat)[i] for i in ids], dtype=np.float32)  # popularity alone
    order = [ids[j] for j in request_order(ids, fused, cat, request_of(p))]
    assert order[:3] == ["3", "4", "5"]  # every western before any other, by their score
    assert order[3:] == ["1", "2", "6"]
    assert ids[int(request_order(ids, fused, cat, None)[0])] == "1"


def test_pool_holds_allowed_carriers_most_groups_first(cat: Catalog) -> None:
    index = RequestIndex(cat, prior(cat))
    p = Preferences()
    p.like_attr("western", 1)
    p.like_attr("comedy", 1)
    req = request_of(p)
    assert req is not None
    assert index.carriers(req)[0] == "5"  # the only comedy western
    allowed = index.pool(req, lambda it: it.id != "5", limit=3)
    assert "5" not in allowed and len(allowed) == 3


def test_shortfall_note_says_how_few_there_are(cat: Catalog) -> None:
    p = Preferences()
    p.like_attr("western", 1, label="western")
    cands = [Candidate(item=cat.items[i], score=0.0) for i in ("3", "4", "1", "2")]
    assert satisfying(cands, request_of(p), cat) == 2  # type: ignore[arg-type]
    note = shortfall_note(cands, p, cat, 4)
    assert note.startswith("I have only 2 western movies") and "then the closest" in note
    assert shortfall_note(cands, p, cat, 2) == ""
    p.note_recommended(["3"])
    assert "only 2 more western" in shortfall_note(cands, p, cat, 4)
    none = [Candidate(item=cat.items[i], score=0.0) for i in ("1", "2")]
    assert shortfall_note(none, p, cat, 4).startswith("I have no more western movies")


def test_only_constraint_filters_on_the_attribute_field(cat: Catalog) -> None:
    c = Constraint("genres", "has", "western", 1, "westerns")
    assert c.allows(cat.items["3"]) and not c.allows(cat.items["1"])


def test_titles_named_later_end_the_request_but_card_likes_do_not() -> None:
    p = Preferences()
    p.like_attr("western", 1)
    p.like_item("9", "Some Film", 2, source="feedback")
    assert request_of(p) is not None
    p.like_item("8", "Other Film", 2)
    assert request_of(p) is None
    p.like_attr("comedy", 3)
    req = request_of(p)
    assert req is not None and req.turn == 3


def test_only_the_head_of_a_long_list_is_reserved_for_the_request(cat: Catalog) -> None:
    p = Preferences()
    p.like_attr("western", 1)
    ids = list(cat.items)
    fused = np.array([prior(cat)[i] for i in ids], dtype=np.float32)
    order = [ids[j] for j in request_order(ids, fused, cat, request_of(p), head=2)]
    assert order == ["3", "4", "1", "2", "6", "5"]  # two westerns, then the fused order
    p2 = Preferences()
    p2.like_attr("horror", 1)  # nothing carries it: the fused order
    assert [ids[j] for j in request_order(ids, fused, cat, request_of(p2))] == \
        ["1", "2", "6", "3", "4", "5"]
