"""Answers about one item and the reasons of a reply, on small in-memory catalogs with fields
unlike the shipped ones (books: authors, a rating with its count, a language code), and on the
shipped movies catalog (no model is loaded: the answers read the catalog's data)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatrec.catalog import Catalog
from chatrec.catalog.manifest import Manifest
from chatrec.profile import Preferences
from chatrec.rank.answers import MAX_ANSWER_CHARS, Answerer
from chatrec.rank.facts import ItemFacts
from chatrec.rank.grounding import Grounding
from chatrec.rank.reasons import ReasonWriter, item_facts, profile_titles
from chatrec.types import Candidate, Item
from chatrec.understand.intent import Question, question_of
from chatrec.understand.model import Understanding
from chatrec.understand.references import named_pick

CATALOGS = Path(__file__).resolve().parents[2] / "catalogs"
BOOKS = {
    "b1": ("The Hobbit", {"authors": "J.R.R. Tolkien", "average_rating": 4.25,
                          "ratings_count": 2071616, "language_code": "eng", "year": 1937,
                          "pages": 366, "tags": ["fantasy", "dragons", "quest", "classics"]},
           "The Hobbit. Bilbo Baggins is swept into a quest to reclaim the lost Dwarf Kingdom "
           "of Erebor from the fearsome dragon Smaug. Tags: fantasy, dragons, quest."),
    "b2": ("The Silmarillion", {"authors": "J.R.R. Tolkien", "average_rating": 3.89,
                                "ratings_count": 163000, "language_code": "eng", "year": 1977,
                                "tags": ["fantasy", "mythology", "elves", "classics"]},
           "The Silmarillion. The ancient history of Middle-earth, from the making of the world "
           "to the end of the First Age."),
    "b3": ("It", {"authors": "Stephen King", "average_rating": 4.21, "ratings_count": 540000,
                  "language_code": "eng", "year": 1986,
                  "tags": ["horror", "clowns", "small town", "gore"]},
           "It. Seven children in a small Maine town face an evil that takes the shape of a "
           "clown. Tags: horror, clowns."),
    "b4": ("Eragon", {"authors": "Christopher Paolini", "average_rating": 3.9,
                      "ratings_count": 4, "language_code": "en-US", "year": 2002,
                      "tags": ["fantasy", "dragons", "young adult", "family"]},
           "Eragon. A farm boy finds a blue stone that hatches into a dragon. Tags: fantasy."),
}


def books() -> Catalog:
    manifest = Manifest.from_dict({
        "name": "books", "title": "Books", "noun": "book", "items": "items.jsonl",
        "fields": {"authors": {"type": "str", "label": "Authors", "role": "creator"},
                   "average_rating": {"type": "float", "label": "Average rating",
                                      "role": "rating", "unit": "/5"},
                   "ratings_count": {"type": "int", "label": "Ratings count"},
                   "language_code": {"type": "str", "label": "Language code"},
                   "year": {"type": "int", "label": "Year", "role": "year"},
                   "pages": {"type": "int", "label": "Pages", "unit": "pages"},
                   "tags": {"type": "list", "label": "Tags", "role": "attribute"}},
        "attribute_fields": ["tags", "language_code"], "display_fields": ["year"],
        "rating_field": "average_rating", "votes_field": "ratings_count"}, path="books")
    items = {i: Item(i, t, text, meta=dict(m)) for i, (t, m, text) in BOOKS.items()}  # type: ignore[arg-type]
    return Catalog(Path("books"), manifest, items, "test")


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return books()


def liking(*ids: str, attrs: tuple[str, ...] = ()) -> Preferences:
    p = Preferences()
    for i in ids:
        p.like_item(i, BOOKS[i][0], 1)
    for a in attrs:
        p.like_attr(a, 1)
    return p


# --- facts ----------------------------------------------------------------------------------
def test_facts_read_the_catalogs_own_fields(cat: Catalog) -> None:
    f = ItemFacts(cat)
    hobbit = cat.items["b1"]
    assert f.creator == "authors" and f.length == "pages"
    assert "language_code" not in f.term_fields  # a code is never a reason
    assert f.score(hobbit) is not None and f.score(hobbit).words() == "4.2/5 from 2,071,616 ratings"  # type: ignore[union-attr]
    assert f.score(cat.items["b4"]) is None  # 4 ratings are too few to cite
    assert f.hook(hobbit) == ("Bilbo Baggins is swept into a quest to reclaim the lost Dwarf "
                              "Kingdom of Erebor from the fearsome dragon Smaug")
    assert f.length_words(hobbit) == "366 pages"
    assert f.shared_terms(cat.items["b4"], hobbit) == ["dragons", "fantasy"]


@pytest.mark.parametrize(("text", "kind", "subject"), [
    ("would I like Alien?", "fit", "Alien"), ("is Alien scary?", "scary", "Alien"),
    ("is Toy Story good for kids?", "kids", "Toy Story"), ("how long is Heat?", "length", "Heat"),
    ("tell me about The Hobbit", "about", "The Hobbit"), ("why the second one?", "why",
                                                          "the second one"),
    ("why Arrival?", "why", "Arrival"), ("is it any good?", "good", "it"),
    ("do you think I would like Her?", "fit", "Her"), ("what is Up about?", "about", "Up"),
])
def test_question_of(text: str, kind: str, subject: str) -> None:
    assert question_of(text) == Question(kind, subject)


def test_an_attribute_question_keeps_the_word() -> None:
    assert question_of("is Liar Liar violent?") == Question("attr", "Liar Liar", "violent")
    assert question_of("is it free?") is None  # a price, not an attribute


def test_attribute_answers(cat: Catalog) -> None:
    a, p = Answerer(cat, None), Preferences()
    assert ask(a, "is Eragon young-adult?", p, "b4").startswith(
        "Yes, Eragon is young-adult: it's tagged young adult")
    assert ask(a, "is It funny?", p, "b3").startswith("Not that I can tell: nothing in the "
                                                      "genres or tags of It says funny")


def test_no_question_in_a_request() -> None:
    assert question_of("I loved Alien, more like it") is None


def test_named_pick_prefers_the_title_as_said() -> None:
    shown = {"1": "Toy Story", "748": "The Arrival", "164179": "Arrival"}
    assert named_pick("Arrival", shown) == "164179"
    assert named_pick("The Arrival", shown) == "748"
    assert named_pick("something else", shown) is None


# --- answers --------------------------------------------------------------------------------
def ask(a: Answerer, text: str, prefs: Preferences, item: str | None = None,
        intent: str = "item_question") -> str:
    u = Understanding(intent=intent, question_item=item)
    out = a.respond(u, question_of(text), prefs)
    assert out is not None
    assert len(out.text) < MAX_ANSWER_CHARS and " | " not in out.text
    return out.text


def test_would_i_like_puts_the_verdict_first_with_reasons_from_the_profile(cat: Catalog) -> None:
    a = Answerer(cat, None)
    text = ask(a, "would I like The Silmarillion?", liking("b1"), "b2")
    assert text.startswith(("Probably yes: The Silmarillion", "Maybe: The Silmarillion"))
    assert "J.R.R. Tolkien" in text and "The Hobbit" in text  # same author as a liked book
    no = ask(a, "would I like It?", liking("b1").__class__(), "b3")
    assert no.split(":")[0] in ("Probably yes", "Maybe", "Probably not")
    p = liking("b1")
    p.dislike_attr("horror", 1)
    assert ask(a, "would I like It?", p, "b3").startswith("Probably not: It has horror")


def test_kind_answers(cat: Catalog) -> None:
    a, p = Answerer(cat, None), liking("b1")
    assert ask(a, "is It scary?", p, "b3").startswith("Yes, It is scary: it's tagged horror")
    assert ask(a, "is The Hobbit scary?", p, "b1").startswith("Not really")
    assert ask(a, "is Eragon good for kids?", p, "b4").startswith("Yes, Eragon is made for")
    assert ask(a, "is It good for kids?", p, "b3").startswith("Probably not for kids")
    assert ask(a, "how long is The Hobbit?", p, "b1").startswith("It is 366 pages")
    assert ask(a, "how long is It?", p, "b3").startswith("I don't know how long It is")
    assert ask(a, "is The Hobbit any good?", p, "b1").startswith(
        "Yes, it's well liked: The Hobbit is rated 4.2/5 from 2,071,616 ratings.")
    about = ask(a, "tell me about Eragon", Preferences(), "b4")
    assert about.startswith("Maybe, ") and "hatches into a dragon" in about


def test_why_explains_the_item_asked_about_from_any_earlier_reply(cat: Catalog) -> None:
    a, p = Answerer(cat, None), liking("b1")
    p.note_recommended(["b2", "b4"])
    p.note_recommended(["b3"])  # a later reply: "why Eragon?" is about the first reply's pick
    text = ask(a, "why Eragon?", p, None, intent="why")
    assert text.startswith("Because Eragon shares dragons")
    assert ask(a, "why?", p, None, intent="why").startswith("Because It is by Stephen King")


def test_an_unknown_title_gets_the_closest_ones(cat: Catalog) -> None:
    a = Answerer(cat, None)
    out = a.respond(Understanding(intent="recommend"), question_of("would I like The Hobbitt?"),
                    Preferences())
    assert out is not None and out.item_id is None
    assert out.text == "I don't have The Hobbitt in this catalog; did you mean The Hobbit (1937)?"
    assert a.respond(Understanding(intent="recommend"), question_of("would I like something "
                                                                    "scary?"), Preferences()) is None


def test_it_after_an_answer_is_the_item_answered_about(cat: Catalog) -> None:
    a, p = Answerer(cat, None), liking("b1")
    p.note_recommended(["b2"])
    out = a.respond(Understanding(intent="item_question", question_item="b2"),
                    question_of("is it scary?"), p, topic="b3")
    assert out is not None and out.item_id == "b3"


# --- reasons --------------------------------------------------------------------------------
def test_reasons_of_one_reply_are_specific_grounded_and_differ_in_shape(cat: Catalog) -> None:
    p = liking("b1", attrs=("fantasy",))
    w, g = ReasonWriter(cat, p), Grounding(cat)
    reasons = []
    for i in ("b2", "b4", "b3"):
        item = cat.items[i]
        matched = sorted({"fantasy"} & cat.attributes(item))
        reasons.append(w.reason(Candidate(item, 0.5, {"collab": 0.2}, matched, because="b1")))
        assert g.grounded(reasons[-1], item, profile_titles(p, cat), item_facts(item, cat))
        assert "eng" not in reasons[-1].lower().split()  # never the language code
    assert reasons[0].startswith("By J.R.R. Tolkien, like The Hobbit")
    assert reasons[1].startswith("Like The Hobbit: dragons")
    assert len(w.shapes) == 3


@pytest.mark.slow
def test_answers_on_the_shipped_catalogs() -> None:
    movies = Catalog.from_folder(CATALOGS / "movies")
    a = Answerer(movies, None)
    p = Preferences()
    p.like_item("109487", "Interstellar (2014)", 1)
    p.dislike_attr("horror", 1)
    alien = ask(a, "would I like Alien?", p, "1214")
    assert alien.startswith("Probably not: Alien has horror, which you ruled out")
    assert "Nostromo" in alien and "…" not in alien.split(".")[0]
    assert ask(a, "how long is Alien?", p, "1214").startswith("It runs 1 h 57 min")
    games = Catalog.from_folder(CATALOGS / "games")
    portal = next(i for i in games if i.title == "Portal 2")
    g = Answerer(games, None)
    text = ask(g, "tell me about Portal 2", Preferences(), portal.id)
    assert text.startswith("A safe bet: Portal 2 (2011) is an action and adventure game by Valve")


def test_meta_tags_are_no_facts() -> None:
    from chatrec.rank.facts import META_TAG

    for tag in ("in netflix queue", "NSFW", "Moddable", "Gamepad", "Great Soundtrack", "dvd",
                "Steam Achievements", "masterpiece", "10/10"):
        assert META_TAG.search(tag), tag
    for tag in ("Great Depression", "tower defense", "black hole", "Co-op", "Dark Humor"):
        assert not META_TAG.search(tag), tag
