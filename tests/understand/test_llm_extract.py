"""The LLM extractor: its reply is catalog-checked, and merged under the deterministic result.

Scripted FakeLLM replies drive the table-driven tests (no model); one slow test runs the local
SmolLM2 backend end to end and checks only that what comes back is catalog-checked.
"""

from __future__ import annotations

from typing import Any

import pytest

from chatrec.catalog import Catalog, load_catalog
from chatrec.errors import BackendReplyError, BackendUnavailable, CatalogError, PromptError
from chatrec.llm.base import Capabilities
from chatrec.llm.fake import FakeLLM
from chatrec.profile import Constraint, Preferences
from chatrec.understand import Understander, Understanding, apply
from chatrec.understand.llm_extract import (
    GENERATION,
    PROMPTS,
    constraint_fields,
    extract,
    load_extract_prompts,
    merge,
    refine,
    schema_for,
    should_extract,
)
from chatrec.vocab import normalize_term

MATRIX, INTERSTELLAR, TOY_STORY = "2571", "109487", "1"


@pytest.fixture(scope="module")
def und() -> Understander:
    try:
        return Understander(load_catalog("movies"))
    except CatalogError as e:  # pragma: no cover - catalogs are shipped
        pytest.skip(f"movies catalog unavailable: {e}")


@pytest.fixture(scope="module")
def cat(und: Understander) -> Catalog:
    return und.catalog


def reply(**kw: Any) -> dict[str, Any]:
    """A schema-shaped reply: every list present, empty unless given."""
    base: dict[str, Any] = {k: [] for k in ("liked_titles", "disliked_titles", "seen_titles",
                                             "liked_attributes", "disliked_attributes",
                                             "constraints", "dropped_constraints")}
    base.update(kw)
    return base


def run(und: Understander, text: str, llm_reply: Any, prefs: Preferences | None = None
        ) -> tuple[Understanding, Understanding | None, Understanding]:
    """(deterministic, checked LLM result, merged) for one message."""
    p = prefs or Preferences()
    det = und.parse(text, p, 1)
    got = extract(FakeLLM([llm_reply]), text, p, und.catalog, titles=und.titles, turn=1)
    return det, got, merge(det, got)


def ids(ms: list[Any]) -> set[str]:
    return {m.item_id for m in ms}


def assert_catalog_checked(u: Understanding, cat: Catalog) -> None:
    vocab = cat.vocabulary()
    fields = constraint_fields(cat)
    for m in u.liked_items + u.disliked_items + u.seen_items:
        assert m.item_id in cat.items, m
    assert not ids(u.liked_items) & ids(u.disliked_items)
    for t in u.liked_attrs + u.disliked_attrs:
        assert t in vocab and normalize_term(t) == t, t
    assert not set(u.liked_attrs) & set(u.disliked_attrs)
    for c in u.constraints:
        assert c.field in fields and c.op in ("min", "max", "eq") and c.source == "llm", c
        if fields[c.field] == "bool":
            assert isinstance(c.value, bool)
        else:
            vals = [v for it in cat if isinstance(v := it.meta.get(c.field), (int, float))]
            assert min(vals) <= c.value <= max(vals), c
    assert set(u.dropped_constraints) <= set(fields)


# --- what the LLM adds, and what it can't -------------------------------------------------------
def test_catalog_checked_additions_are_kept(und: Understander, cat: Catalog) -> None:
    text = "honestly anything in the vein of a mind-bending heist flick, not too long"
    _, got, merged = run(und, text, reply(
        liked_titles=["Inception (2010)"], liked_attributes=["Sci-Fi", "heist"],
        constraints=[{"field": "runtime", "op": "max", "value": 130}]))
    assert got is not None
    inception = next(m.item_id for m in got.liked_items)
    assert cat.items[inception].title.startswith("Inception")
    assert {"science fiction", "heist"} <= set(got.liked_attrs)
    assert [(c.field, c.op, c.value, c.source) for c in got.constraints] == \
        [("runtime", "max", 130, "llm")]
    assert inception in ids(merged.liked_items)
    assert "science fiction" in merged.liked_attrs
    assert any(c.field == "runtime" for c in merged.constraints)
    assert_catalog_checked(got, cat)


# text, LLM reply, what the merged result must (not) hold
CASES: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = [
    ("can't flip a disliked title or attribute",
     "I hated The Matrix, and no horror please",
     reply(liked_titles=["The Matrix"], liked_attributes=["horror"]),
     {"disliked_items": {MATRIX}, "not_liked_items": {MATRIX}, "disliked_attrs": {"horror"},
      "not_liked_attrs": {"horror"}}),
    ("can't flip a liked title into a dislike",
     "I loved Interstellar",
     reply(disliked_titles=["Interstellar"], seen_titles=["Interstellar"]),
     {"liked_items": {INTERSTELLAR}, "not_disliked_items": {INTERSTELLAR},
      "not_seen_items": {INTERSTELLAR}}),
    ("can't re-read a title the deterministic layer resolved as another item",
     "I liked dune",
     reply(liked_titles=["Dune (2000)"]),
     {"liked_items": {"2021"}}),
    ("can't invent a title the catalog lacks (and doesn't claim it was named)",
     "something cozy for a rainy day",
     reply(liked_titles=["Moonlight Over Saturn 3", "The Cozy Rainy Day Movie"]),
     {"liked_items": set(), "unknown_titles": set()}),
    ("a typed title the catalog lacks becomes an unknown title",
     "I adored Zorblax the Unending",
     reply(liked_titles=["Zorblax the Unending"]),
     {"liked_items": set(), "unknown_titles": {"Zorblax the Unending"}}),
    ("can't add attributes outside the vocabulary",
     "spaceships with lasers, nothing too zorbly",
     reply(liked_attributes=["spaceships with lasers", "zorblax", "space"],
           disliked_attributes=["zorbly", ""]),
     {"liked_attrs_subset": {"space"}, "not_liked_attrs": {"zorblax", "spaceships with lasers"},
      "not_disliked_attrs": {"zorbly"}}),
    ("bad constraint values are dropped",
     "a film please",
     reply(constraints=[
         {"field": "year", "op": "min", "value": 3000},        # out of the catalog's range
         {"field": "runtime", "op": "max", "value": -5},       # out of range
         {"field": "budget", "op": "max", "value": 10},        # not a field
         {"field": "genres", "op": "eq", "value": 1},          # not a numeric/bool field
         {"field": "year", "op": "between", "value": 1990},    # not an op
         {"field": "year", "op": "max", "value": "1999"},      # a string
         {"field": "runtime", "op": "max", "value": 120},      # fine
     ]),
     {"constraints": {("runtime", "max", 120)}}),
    ("more bad constraint values are dropped",
     "a film please",
     reply(constraints=[
         {"field": "year", "op": "eq", "value": True},         # a bool on a number
         {"field": "year", "op": "eq", "value": 1999.5},       # not an int
         {"field": "avg_rating", "op": "min", "value": float("nan")},
         "year >= 1990",                                       # not an object
         {"field": "avg_rating", "op": "min", "value": 3.5},   # fine
     ]),
     {"constraints": {("avg_rating", "min", 3.5)}}),
    ("a min above the max on one field: neither is kept",
     "a film please",
     reply(constraints=[{"field": "year", "op": "min", "value": 2010},
                        {"field": "year", "op": "max", "value": 1990}]),
     {"constraints": set()}),
    ("LLM constraints only fill fields the deterministic layer left empty",
     "something from the 90s",
     reply(constraints=[{"field": "year", "op": "min", "value": 2005},
                        {"field": "year", "op": "max", "value": 2010},
                        {"field": "runtime", "op": "max", "value": 100}],
           dropped_constraints=["year"]),
     {"constraints": {("year", "min", 1990), ("year", "max", 1999), ("runtime", "max", 100)},
      "dropped_constraints": set()}),
]


@pytest.mark.parametrize("text,llm_reply,want", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_merge_rules(und: Understander, cat: Catalog, text: str, llm_reply: dict[str, Any],
                     want: dict[str, Any]) -> None:
    det, got, merged = run(und, text, llm_reply)
    assert got is not None
    assert_catalog_checked(got, cat)
    checks = {
        "liked_items": lambda: ids(merged.liked_items) == want["liked_items"],
        "disliked_items": lambda: want["disliked_items"] <= ids(merged.disliked_items),
        "not_liked_items": lambda: not want["not_liked_items"] & ids(merged.liked_items),
        "not_disliked_items": lambda: not want["not_disliked_items"] & ids(merged.disliked_items),
        "not_seen_items": lambda: not want["not_seen_items"] & ids(merged.seen_items),
        "disliked_attrs": lambda: want["disliked_attrs"] <= set(merged.disliked_attrs),
        "not_liked_attrs": lambda: not want["not_liked_attrs"] & set(merged.liked_attrs),
        "not_disliked_attrs": lambda: not want["not_disliked_attrs"] & set(merged.disliked_attrs),
        "liked_attrs_subset": lambda: want["liked_attrs_subset"] <= set(merged.liked_attrs),
        "unknown_titles": lambda: set(merged.unknown_titles) == want["unknown_titles"],
        "constraints": lambda: {(c.field, c.op, c.value) for c in merged.constraints}
        == want["constraints"],
        "dropped_constraints": lambda: set(merged.dropped_constraints) == want["dropped_constraints"],
    }
    for key in want:
        assert checks[key](), f"{key}: want {want[key]}; det={det}; llm={got}; merged={merged}"
    # merging never removes anything the deterministic layer found
    assert ids(det.liked_items) <= ids(merged.liked_items)
    assert ids(det.disliked_items) <= ids(merged.disliked_items)
    assert set(det.disliked_attrs) <= set(merged.disliked_attrs)
    assert {c.key for c in det.constraints} <= {c.key for c in merged.constraints}


def test_the_profile_is_never_flipped_by_the_llm(und: Understander) -> None:
    prefs = Preferences()
    prefs.dislike_item(MATRIX, "The Matrix (1999)", 1)
    prefs.like_item(TOY_STORY, "Toy Story (1995)", 1)
    prefs.dislike_attr("horror", 1)
    prefs.set_constraint(Constraint("year", "min", 1990, 1))
    _, got, merged = run(und, "ok what else", reply(
        liked_titles=["The Matrix"], disliked_titles=["Toy Story"], liked_attributes=["horror"],
        constraints=[{"field": "year", "op": "min", "value": 1950},
                     {"field": "year", "op": "max", "value": 1960}]), prefs)
    assert got is not None
    assert not got.liked_items and not got.disliked_items and not got.liked_attrs
    assert not got.constraints  # the profile already limits the year
    apply(merged, prefs, 2)
    assert MATRIX in prefs.disliked_items and TOY_STORY in prefs.liked_items
    assert "horror" in prefs.disliked_attrs
    assert {k: c.value for k, c in prefs.constraints.items()} == {"year:min": 1990}


def test_llm_lifts_a_limit_only_when_the_profile_has_it(und: Understander) -> None:
    prefs = Preferences()
    prefs.set_constraint(Constraint("runtime", "max", 100, 1))
    _, got, merged = run(und, "length doesn't matter anymore",
                         reply(dropped_constraints=["runtime", "year", "budget"]), prefs)
    assert got is not None and got.dropped_constraints == ["runtime"]
    apply(merged, prefs, 2)
    assert not prefs.constraints


@pytest.mark.parametrize("bad", [
    "this is not JSON at all",
    "{\"liked_titles\": [\"The Matrix\"",
    "[\"The Matrix\"]",
    "42",
    BackendUnavailable("down"),
    BackendReplyError("garbled"),
    TimeoutError,
], ids=["prose", "truncated", "array", "number", "unavailable", "reply-error", "timeout"])
def test_garbage_or_errors_give_none(und: Understander, bad: Any) -> None:
    det = und.parse("I loved Interstellar", Preferences(), 1)
    got = extract(FakeLLM([bad]), "I loved Interstellar", Preferences(), und.catalog,
                  titles=und.titles)
    assert got is None
    merged = merge(det, got)
    assert ids(merged.liked_items) == ids(det.liked_items) == {INTERSTELLAR}


def test_wrongly_typed_fields_are_ignored(und: Understander, cat: Catalog) -> None:
    got = extract(FakeLLM([{"liked_titles": "The Matrix", "liked_attributes": [3, None, "comedy"],
                            "constraints": {"field": "year"}, "dropped_constraints": 7}]),
                  "a comedy", Preferences(), cat, titles=und.titles)
    assert got is not None
    assert not got.liked_items and got.liked_attrs == ["comedy"] and not got.constraints
    assert_catalog_checked(got, cat)


def test_call_uses_the_schema_and_prompt_files(und: Understander, cat: Catalog) -> None:
    fake = FakeLLM()  # no script: a generic valid value for the schema
    got = extract(fake, "I loved Interstellar", Preferences(), cat, titles=und.titles)
    assert got is not None  # "fake text" titles and attributes are all dropped
    assert_catalog_checked(got, cat)
    (call,) = fake.calls
    assert call.kind == "json" and call.gen == GENERATION and GENERATION.temperature == 0.0
    assert call.schema == schema_for(cat)
    props = call.schema["properties"]
    enum = props["constraints"]["items"]["properties"]["field"]["enum"]
    assert set(enum) == set(props["dropped_constraints"]["items"]["enum"]) == set(constraint_fields(cat))
    assert {"year", "runtime"} <= set(enum) and "genres" not in enum
    assert [m.role for m in call.messages] == ["system", "user"]
    assert "I loved Interstellar" in call.messages[1].content
    assert "runtime" in call.messages[0].content
    prompts = load_extract_prompts()
    assert set(prompts) == set(PROMPTS)
    assert prompts["extract_user"].variables == frozenset({"message"})


def test_prompt_variables_are_checked(tmp_path: Any) -> None:
    (tmp_path / "extract_system.txt").write_text("You help with {noun}. {oops}\n")
    (tmp_path / "extract_user.txt").write_text("Message: {message}\n")
    with pytest.raises(PromptError):
        load_extract_prompts(tmp_path)


def test_refine_skips_intents_with_nothing_to_extract(und: Understander) -> None:
    for text in ("show me more", "hi there"):
        fake = FakeLLM([reply(liked_attributes=["horror"])])
        det = und.parse(text, Preferences(), 1)
        assert refine(det, fake, text, Preferences(), und.catalog, titles=und.titles) is det
        assert fake.calls == []
    fake = FakeLLM([reply(liked_attributes=["space"])])
    text = "something for my dad, he is picky"
    det = und.parse(text, Preferences(), 1)
    out = refine(det, fake, text, Preferences(), und.catalog, titles=und.titles)
    assert "space" in out.liked_attrs and "space" in out.positive_text and len(fake.calls) == 1


def test_should_extract_only_for_capable_backends() -> None:
    capable = FakeLLM(capabilities=Capabilities(extracts_preferences=True))
    small = FakeLLM(capabilities=Capabilities(writes_reasons=False, extracts_preferences=False))
    assert should_extract(capable) and should_extract(capable, "auto")
    assert not should_extract(FakeLLM())  # the test double: never in auto
    assert not should_extract(small)
    assert should_extract(small, "on") and not should_extract(capable, "off")
    assert not should_extract(None, "on")


# --- the local model, end to end --------------------------------------------------------------
@pytest.mark.slow
def test_local_backend_end_to_end(und: Understander, cat: Catalog) -> None:
    from chatrec.errors import BackendError
    from chatrec.llm import create_backend
    from chatrec.settings import Settings

    try:
        backend = create_backend("local", Settings.load(env={}))
    except BackendError as e:  # pragma: no cover - the model ships with the environment
        pytest.skip(f"local backend unavailable: {e}")
    text = "I loved The Matrix and Interstellar, but no horror, and nothing before 1990"
    prefs = Preferences()
    det = und.parse(text, prefs, 1)
    got = extract(backend, text, prefs, cat, titles=und.titles, turn=1)
    print(f"\nlocal extractor: {got}")
    if got is None:  # a garbled reply is allowed; the caller keeps the deterministic result
        return
    assert_catalog_checked(got, cat)
    merged = merge(det, got)
    assert ids(det.liked_items) <= ids(merged.liked_items)
    assert set(det.disliked_attrs) <= set(merged.disliked_attrs)
    assert not set(merged.liked_attrs) & set(merged.disliked_attrs)
    assert not ids(merged.liked_items) & ids(merged.disliked_items)
