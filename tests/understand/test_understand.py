"""The deterministic understanding layer: titles, attributes, negation, constraints, revisions,
references, intents, apply(), and the labeled suite's targets.

One Understander per catalog per module (building the games index takes a second or two).
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

import pytest

from chatrec.catalog import load_catalog
from chatrec.errors import CatalogError
from chatrec.eval.understanding import DEFAULT_SUITE, run_suite
from chatrec.profile import Constraint, Preferences
from chatrec.understand import Understander, Understanding, apply
from chatrec.understand.text import fold, title_key, tokenize

# picks shown "before" a reference turn
MOVIE_PICKS = ["2571", "541", "1214", "1653"]  # The Matrix, Blade Runner, Alien, Gattaca
GAME_PICKS = ["620", "413150", "374320", "105600"]  # Portal 2, Stardew Valley, Dark Souls III, Terraria


def _und(name: str) -> Understander:
    try:
        return Understander(load_catalog(name))
    except CatalogError as e:  # pragma: no cover - catalogs are shipped
        pytest.skip(f"catalog {name!r} unavailable: {e}")


@pytest.fixture(scope="module")
def movies() -> Understander:
    return _und("movies")


@pytest.fixture(scope="module")
def games() -> Understander:
    return _und("games")


@pytest.fixture(scope="module")
def und(movies: Understander, games: Understander) -> dict[str, Understander]:
    return {"movies": movies, "games": games}


def parse(u: Understander, text: str, picks: list[str] | None = None,
          prefs: Preferences | None = None) -> Understanding:
    p = prefs or Preferences()
    if picks:
        p.note_recommended(picks)
    return u.parse(text, p, 1)


def ids(ms: list) -> set[str]:
    return {m.item_id for m in ms}


# ----------------------------------------------------------------------------------------
# text helpers
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("a,b", [
    ("The Matrix (1999)", "the matrix"),
    ("Matrix, The (1999)", "matrix"),
    ("Léon: The Professional", "leon the professional"),
    ("DARK SOULS™ II", "dark souls 2"),
    ("Ocean's Eleven", "ocean's 11"),
    ("Sid Meier's Civilization® V", "sid meiers civilization 5"),
])
def test_title_key_folds_articles_accents_numerals(a: str, b: str) -> None:
    assert title_key(a) == title_key(b)


def test_fold_keeps_offsets() -> None:
    s = "Amélie™ – “great”"
    assert len(fold(s)) == len(s)
    toks = tokenize(s)
    assert toks[0].norm == "amelie" and s[toks[0].start:toks[0].end] == "Amélie"


# ----------------------------------------------------------------------------------------
# titles
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,expected", [
    ("I loved The Matrix", {"2571"}),
    ("the matrix is one of my favorites", {"2571"}),
    ("got anything like LOTR?", {"4993"}),
    ("huge fan of the lord of the rings movies", {"4993"}),
    ("Interstellar (2014) blew my mind", {"109487"}),
    ("Intersteller was amazing", {"109487"}),
    ("The Shawshank Redemtion is the best film ever", {"318"}),
    ("i liked dune", {"2021"}),  # Dune (1984) is far more popular than Dune (2000)
    ('"The Grand Budapest Hotel" is my kind of movie', {"109374"}),
    ("I adored Up and Toy Story", {"68954", "1"}),
    ("I loved It (2017), the clown one", {"175303"}),
    ("The Dark Knigth and Inception are my favorites", {"58559", "79132"}),
    ("I really liked Forest Gump", {"356"}),
    ("we watched back to the future yesterday, loved it", {"1270"}),
    ("Alien and Aliens are two of my favorite movies", {"1214", "1200"}),
    ("Titanic", {"1721"}),
])
def test_movie_titles(movies: Understander, text: str, expected: set[str]) -> None:
    u = parse(movies, text)
    assert ids(u.liked_items) == expected


@pytest.mark.parametrize("text,expected", [
    ("I loved Portal 2 and Stardew Valley", {"620", "413150"}),
    ("Dark Souls is my favorite game ever", {"211420"}),
    ("I've put a thousand hours into CS:GO", {"730"}),
    ("i play csgo a lot", {"730"}),
    ("Hollow Knigt was incredible", {"367520"}),
    ("Stardew Vally is so chill", {"413150"}),
    ("GTA V with mods", {"271590"}),
    ("l4d2 with friends", {"550"}),
    ("Civ 5 ate my summer", {"8930"}),
    ("The Binding of Isaac", {"113200"}),
    ("Undertail made me cry", {"391540"}),
])
def test_game_titles(games: Understander, text: str, expected: set[str]) -> None:
    assert ids(parse(games, text).liked_items) == expected


@pytest.mark.parametrize("text", [
    "I love movies with time travel, set it up for me",
    "it was a long week, I need something to cheer me up",
    "Go big: explosions, car chases, lots of action",
    "Up for anything funny tonight",
    "I had a great time last night, love a good heist",
    "So, It seems we have similar tastes.",
    "Perfect!",
    "I love Steve Carell and Paul Rudd",
    "Man to Animal fighting movie is very like me",
    "Her sister recommended something but I forgot the name",
    "It was a dark and stormy night, perfect for a scary movie",
])
def test_no_title_false_positives(movies: Understander, games: Understander, text: str) -> None:
    for u in (parse(movies, text), parse(games, text)):
        assert not (u.liked_items or u.disliked_items or u.seen_items), text


def test_seen_and_unknown_and_ambiguous(movies: Understander) -> None:
    u = parse(movies, "I've already seen The Avengers and Iron Man")
    assert ids(u.seen_items) == {"89745", "59315"} and not u.liked_items
    u = parse(movies, 'My favorite is "The Cat Who Flew to Mars"')
    assert u.unknown_titles == ["The Cat Who Flew to Mars"] and not u.liked_items
    u = parse(movies, "I loved Planet of the Apes")
    assert [m for m, _ in u.ambiguous] == ["Planet of the Apes"]
    assert set(u.ambiguous[0][1]) == {"2529", "4643"}
    u = parse(movies, "Planet of the Apes (1968) is a classic")
    assert ids(u.liked_items) == {"2529"} and not u.ambiguous


def test_context_disambiguates(movies: Understander) -> None:
    prefs = Preferences()
    prefs.note_recommended(["4643"])  # Planet of the Apes (2001) was shown
    u = movies.parse("Planet of the Apes looks fun", prefs, 2)
    assert ids(u.liked_items) == {"4643"}


# ----------------------------------------------------------------------------------------
# attributes
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,liked", [
    ("something dark and gritty about the mafia", {"dark", "gritty", "mafia"}),
    ("I'm in the mood for a feel-good comedy", {"feel-good", "comedy"}),
    ("an animated movie I can watch with my kids", {"animation", "family"}),
    ("spy thrillers", {"spy", "thriller"}),
    ("something that makes you think", {"thought-provoking"}),
    ("Tom Hanks movies", {"tom hanks"}),
    ("dystopian sci fi", {"dystopia", "science fiction"}),
    ("something light for the kids", {"comedy", "family"}),
])
def test_movie_attributes(movies: Understander, text: str, liked: set[str]) -> None:
    assert set(parse(movies, text).liked_attrs) == liked


@pytest.mark.parametrize("text,liked", [
    ("relaxing farming games", {"relaxing", "casual", "agriculture"}),
    ("co-op shooters to play with my brother", {"co-op", "shooter"}),
    ("roguelikes and open world RPGs", {"roguelike", "open world", "rpg"}),
    ("pixel art metroidvanias", {"pixel graphics", "metroidvania"}),
    ("a point and click adventure", {"point & click", "adventure"}),
    ("story rich games with a female protagonist", {"story rich", "female protagonist"}),
])
def test_game_attributes(games: Understander, text: str, liked: set[str]) -> None:
    u = parse(games, text)
    assert set(u.liked_attrs) == liked and not u.liked_items


def test_attributes_only_from_this_catalog(movies: Understander, games: Understander) -> None:
    assert "relaxing" not in parse(movies, "something relaxing").liked_attrs
    assert "relaxing" in parse(games, "something relaxing").liked_attrs
    assert "love" not in parse(movies, "I love movies").liked_attrs  # generic words are not attributes


# ----------------------------------------------------------------------------------------
# negation
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,liked,disliked", [
    ("no horror", set(), {"horror"}),
    ("nothing with horror in it", set(), {"horror"}),
    ("I hate musicals", set(), {"musical"}),
    ("anything but romance", set(), {"romance"}),
    ("a crime drama, not too violent", {"crime", "drama"}, {"violence"}),
    ("no romance or musicals", set(), {"romance", "musical"}),
    ("I love comedies but not romantic ones", {"comedy"}, {"romance"}),
    ("Musicals aren't really my thing", set(), {"musical"}),
    ("I'm not a fan of westerns or war movies", set(), {"western", "war"}),
    ("no horror, gore or jump scares", set(), {"horror", "gore"}),
    ("no horror, comedy please", {"comedy"}, {"horror"}),
    ("less romance, more action", {"action"}, {"romance"}),
    ("comedy yes, slapstick no", {"comedy"}, {"slapstick"}),
    ("I like sci-fi as long as it isn't too scary", {"science fiction"}, {"horror"}),
    ("a not too long comedy", {"comedy"}, set()),
])
def test_negation_scope(movies: Understander, text: str, liked: set[str], disliked: set[str]) -> None:
    u = parse(movies, text)
    assert set(u.liked_attrs) == liked and set(u.disliked_attrs) == disliked


def test_negated_items(movies: Understander) -> None:
    u = parse(movies, "I loved Interstellar and The Martian, but no horror please")
    assert ids(u.liked_items) == {"109487", "134130"} and u.disliked_attrs == ["horror"]
    assert ids(parse(movies, "I didn't like Titanic").disliked_items) == {"1721"}
    assert ids(parse(movies, "I saw Titanic and hated it").disliked_items) == {"1721"}
    assert ids(parse(movies, "The Notebook was way too sappy for me").disliked_items) == {"8533"}
    u = parse(movies, "I liked Get Out but Paranormal Activity was trash")
    assert ids(u.liked_items) == {"168250"} and ids(u.disliked_items) == {"71379"}
    u = parse(movies, "never seen Titanic")
    assert not (u.liked_items or u.seen_items or u.disliked_items)


# ----------------------------------------------------------------------------------------
# constraints
# ----------------------------------------------------------------------------------------
def cons(u: Understanding) -> set[tuple[str, str, object]]:
    return {(c.field, c.op, c.value) for c in u.constraints}


@pytest.mark.parametrize("text,expected", [
    ("something from the 90s", {("year", "min", 1990), ("year", "max", 1999)}),
    ("movies from the 80s or 90s", {("year", "min", 1980), ("year", "max", 1999)}),
    ("something recent please", {("year", "min", 2013)}),  # catalog's max year (2018) - 5
    ("made before 1980", {("year", "max", 1979)}),
    ("only after 2000", {("year", "min", 2001)}),
    ("anything since 2010", {("year", "min", 2010)}),
    ("I want to watch some classics", {("year", "max", 1979)}),
    ("between 1990 and 2005", {("year", "min", 1990), ("year", "max", 2005)}),
    ("nothing made before 1980", {("year", "min", 1980)}),
    ("late 90s action", {("year", "min", 1995), ("year", "max", 1999)}),
    ("under two hours", {("runtime", "max", 120)}),
    ("less than 90 minutes long", {("runtime", "max", 90)}),
    ("I only have an hour and a half", {("runtime", "max", 90)}),
    ("well rated only", {("avg_rating", "min", 3.8)}),
    ("at least 4 stars", {("avg_rating", "min", 4.0)}),
])
def test_movie_constraints(movies: Understander, text: str, expected: set) -> None:
    assert cons(parse(movies, text)) == expected


@pytest.mark.parametrize("text,expected", [
    ("under $10", {("price", "max", 10.0)}),
    ("free to play shooters", {("price", "max", 0.0)}),
    ("something cheap", {("price", "max", 5.0)}),
    ("under twenty dollars", {("price", "max", 20.0)}),
    ("it must be co-op", {("specs", "has", "co-op")}),
    ("needs controller support", {("specs", "has", "full controller support")}),
    ("single-player only", {("specs", "has", "single-player")}),
    ("no early access", {("early_access", "eq", False)}),
    ("older games", {("year", "max", 2009)}),
    ("90s classics", {("year", "min", 1990), ("year", "max", 1999)}),
    ("with very positive reviews", {("rating", "min", 4.4)}),
    ("feel free to suggest anything", set()),
])
def test_game_constraints(games: Understander, text: str, expected: set) -> None:
    assert cons(parse(games, text)) == expected


def test_coop_is_an_attribute_unless_required(games: Understander) -> None:
    u = parse(games, "co-op games with friends")
    assert "co-op" in u.liked_attrs and not u.constraints


def test_fields_the_catalog_lacks_give_notes(movies: Understander, games: Understander) -> None:
    u = parse(games, "under two hours")
    assert not u.constraints and any("runtime" in n for n in u.notes)
    u = parse(movies, "under $10 to rent")
    assert not u.constraints and any("price" in n for n in u.notes)
    assert any("runtime" in n for n in apply(parse(games, "less than 90 minutes"), Preferences(), 1))


# ----------------------------------------------------------------------------------------
# revisions (through apply)
# ----------------------------------------------------------------------------------------
def test_revisions_update_the_profile(movies: Understander) -> None:
    prefs = Preferences()
    turns = ["no horror, something from the 90s under two hours", "I didn't like Titanic"]
    for n, text in enumerate(turns, 1):
        apply(movies.parse(text, prefs, n), prefs, n)
    assert "horror" in prefs.disliked_attrs and "1721" in prefs.disliked_items
    assert {"year:min", "year:max", "runtime:max"} <= set(prefs.constraints)
    u = movies.parse("actually horror is fine", prefs, 3)
    assert u.dropped_attrs == ["horror"]
    notes = apply(u, prefs, 3)
    assert "horror" not in prefs.disliked_attrs and notes
    apply(movies.parse("forget the year limit", prefs, 4), prefs, 4)
    assert not any(k.startswith("year") for k in prefs.constraints)
    apply(movies.parse("any length is fine", prefs, 5), prefs, 5)
    assert "runtime:max" not in prefs.constraints
    apply(movies.parse("I changed my mind about Titanic", prefs, 6), prefs, 6)
    assert "1721" not in prefs.disliked_items


def test_lifting_one_bound(movies: Understander) -> None:
    prefs = Preferences()
    apply(movies.parse("from the 2000s", prefs, 1), prefs, 1)
    u = movies.parse("older films are fine too", prefs, 2)
    assert u.dropped_constraints == ["year:min"]
    apply(u, prefs, 2)
    assert set(prefs.constraints) == {"year:max"}


def test_new_bound_replaces_a_contradicting_one(movies: Understander) -> None:
    prefs = Preferences()
    apply(movies.parse("something from the 90s", prefs, 1), prefs, 1)
    notes = apply(movies.parse("after 2005 actually", prefs, 2), prefs, 2)
    assert prefs.constraints["year:min"].value == 2006 and "year:max" not in prefs.constraints
    assert any("Replaced" in n for n in notes)


@pytest.mark.parametrize("text,dropped", [
    ("early access is fine actually", ["early_access"]),
    ("price doesn't matter", ["price"]),
    ("it doesn't have to be free", ["price"]),
    ("forget the year filter", ["year"]),
])
def test_game_lifts(games: Understander, text: str, dropped: list[str]) -> None:
    assert parse(games, text).dropped_constraints == dropped


# ----------------------------------------------------------------------------------------
# references
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,liked,disliked,seen,anchor", [
    ("more like the second one", {"541"}, set(), set(), "541"),
    ("not that one", set(), {"2571"}, set(), None),
    ("I've seen #1", set(), set(), {"2571"}, None),
    ("seen the first two already", set(), set(), {"2571", "541"}, None),
    ("the third one sounds great", {"1214"}, set(), set(), None),
    ("I've watched all of them", set(), set(), set(MOVIE_PICKS), None),
    ("Not the first one, but the third looks good", {"1214"}, {"2571"}, set(), None),
    ("the 2nd and 4th look good", {"541", "1653"}, set(), set(), None),
])
def test_references(movies: Understander, text: str, liked: set, disliked: set, seen: set,
                    anchor: str | None) -> None:
    u = parse(movies, text, MOVIE_PICKS)
    assert ids(u.liked_items) == liked and ids(u.disliked_items) == disliked
    assert ids(u.seen_items) == seen and u.anchor == anchor
    assert all(m.via == "reference" for m in u.liked_items + u.disliked_items + u.seen_items)


def test_comparative_references(games: Understander, movies: Understander) -> None:
    assert cons(parse(games, "something cheaper than that", GAME_PICKS)) == {("price", "max", 19.98)}
    assert cons(parse(games, "older than the first one", GAME_PICKS)) == {("year", "max", 2010)}
    u = parse(games, "more like the third one but cheaper", GAME_PICKS)
    assert u.anchor == "374320" and cons(u) == {("price", "max", 59.98)}
    assert cons(parse(movies, "something older than that", ["6"])) == {("year", "max", 1994)}


def test_anchor_by_title(movies: Understander, games: Understander) -> None:
    u = parse(movies, "something like Alien but less gory")
    assert u.anchor == "1214" and "1214" in ids(u.liked_items) and u.disliked_attrs == ["gore"]
    assert parse(games, "I want a game like Skyrim").anchor == "489830"
    assert parse(movies, "I like Alien").anchor is None  # "like" as a verb is not "something like"


# ----------------------------------------------------------------------------------------
# intents
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,intent,question", [
    ("hi", "greeting", None),
    ("Hello there!", "greeting", None),
    ("can you help me?", "greeting", None),
    ("show me more", "more", None),
    ("any other options?", "more", None),
    ("what else have you got?", "more", None),
    ("thanks!", "other", None),
    ("would I like Blade Runner?", "item_question", "541"),
    ("is Alien any good for me?", "item_question", "1214"),
    ("what is #2 about?", "item_question", "541"),
    ("tell me more about the first one", "item_question", "2571"),
    ("why did you pick the last one?", "why", "1653"),
    ("why #3?", "why", "1214"),
    ("never seen Titanic, is it worth it?", "item_question", "1721"),
    ("something funny", "recommend", None),
])
def test_intents(movies: Understander, text: str, intent: str, question: str | None) -> None:
    u = parse(movies, text, MOVIE_PICKS)
    assert (u.intent, u.question_item) == (intent, question)
    if intent == "item_question":
        assert not u.liked_items  # asking about an item is not liking it


def test_greeting_extracts_nothing(movies: Understander) -> None:
    u = parse(movies, "hi")
    assert not u.has_content and u.positive_text == ""


# ----------------------------------------------------------------------------------------
# positive text and apply notes
# ----------------------------------------------------------------------------------------
def test_positive_text_drops_negations_constraints_and_filler(movies: Understander) -> None:
    u = parse(movies, "I'm looking for a heist movie with a clever twist, nothing too violent, under 2 hours")
    assert "violent" not in u.positive_text and "hours" not in u.positive_text
    assert "heist" in u.positive_text and "clever" in u.positive_text and "looking" not in u.positive_text
    assert parse(movies, "I loved Interstellar").positive_text == ""


def test_apply_notes(movies: Understander) -> None:
    prefs = Preferences()
    notes = apply(parse(movies, 'I loved Planet of the Apes and "Moonlight Over Saturn"'), prefs, 1)
    assert any(n.startswith("Which 'Planet of the Apes'") and "(1968)" in n and "(2001)" in n for n in notes)
    assert any("Moonlight Over Saturn" in n for n in notes)
    notes = apply(parse(movies, "Intersteller was great"), prefs, 2)
    assert "109487" in prefs.liked_items and any("Interstellar (2014)" in n for n in notes)


def test_apply_sets_everything(games: Understander) -> None:
    prefs = Preferences()
    text = ("I'm after a relaxing co-op game under $15 that isn't in early access, something like "
            "Stardew Valley, but no horror")
    u = games.parse(text, prefs, 1)
    apply(u, prefs, 1)
    assert prefs.anchor == "413150" and "413150" in prefs.liked_items
    assert {"relaxing", "co-op"} <= set(prefs.liked_attrs) and "horror" in prefs.disliked_attrs
    price = prefs.constraints["price:max"]
    assert price == Constraint("price", "max", 15.0, 1, price.text)
    assert prefs.constraints["early_access:eq"].value is False


# ----------------------------------------------------------------------------------------
# the labeled suite, speed
# ----------------------------------------------------------------------------------------
def test_suite_meets_targets(und: dict[str, Understander]) -> None:
    res = run_suite(DEFAULT_SUITE, und)
    assert res.turns >= 200
    s = res.scores
    assert s["titles"].precision >= 0.95 and s["titles"].recall >= 0.95
    assert s["attributes"].f1 >= 0.9 and s["constraints"].f1 >= 0.9
    for c in ("negation", "revisions", "references"):
        assert s[c].f1 >= 0.9, c
    assert res.intent_accuracy >= 0.9
    assert statistics.median(res.parse_ms) < 50


BATCH2 = Path(__file__).parents[1] / "data" / "understanding_batch2.jsonl"


def test_batch2_meets_targets(und: dict[str, Understander]) -> None:
    """The second batch (written before the fixes for issue 3; also appended to the suite)."""
    res = run_suite(BATCH2, und)
    assert res.turns >= 100
    s = res.scores
    assert s["titles"].precision >= 0.95 and s["titles"].recall >= 0.95
    assert s["attributes"].f1 >= 0.9 and s["constraints"].f1 >= 0.9 and s["negation"].f1 >= 0.9


# ----------------------------------------------------------------------------------------
# generalisation of issue 3's known misses (phrasings in neither labeled file)
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,item", [
    ("Up made me cry", "68954"),
    ("Big still makes me laugh", "2797"),
    ("Heat blew my mind", "6"),
    ("Her broke my heart", "106920"),
    ("Moon bored me to death", "68237"),
    ("Seven was disturbing", "47"),
    ("I think Seven is Fincher's best", "47"),
    ("The ending of Seven wrecked me", "47"),
    ("my favourite movie is Her", "106920"),
    ("showing the kids Up tonight", "68954"),
    ("have you seen 'Up'?", "68954"),
    ("Titanic made me cry, I want another tearjerker", "1721"),
    ("Crash (2004) was total oscar bait", "33166"),
])
def test_common_word_titles_link_by_structure(movies: Understander, text: str, item: str) -> None:
    u = parse(movies, text)
    got = ids(u.liked_items) | ids(u.disliked_items) | ids(u.seen_items) | {u.question_item}
    assert item in got, text


@pytest.mark.parametrize("text", [
    "I'm up for anything tonight, surprise me",
    "I want to see her smile",
    "Her birthday is tomorrow and she loves romantic movies",
    "I'm a Big fan of horror",
    "Seven of us are watching, something for a group",
    "Signs of a good thriller: twists",
    "It reminded me of something else",
    "I would say It",
    "something for Friday night",
    "It was called Like a Boss.",
])
def test_common_words_stay_words(movies: Understander, text: str) -> None:
    u = parse(movies, text)
    assert not (u.liked_items or u.disliked_items or u.seen_items or u.question_item), text


def test_everyday_pronoun_titles_need_a_cue(games: Understander) -> None:
    assert not parse(games, "Everything is too expensive these days, cheap games please").disliked_items
    assert ids(parse(games, "I loved Everything").liked_items) == {"582270"}


@pytest.mark.parametrize("text,disliked", [
    ("nothing with war please", {"war"}),
    ("no war stuff, my dad's had enough of that", {"war"}),
    ("skip anything about zombies and vampires", {"zombies", "vampire"}),
    ("date night, so nothing too scary", {"horror"}),
    ("skip anything with clowns or spiders", {"clown", "spider"}),
])
def test_context_dependent_genre_negation(movies: Understander, text: str, disliked: set[str]) -> None:
    u = parse(movies, text)
    assert set(u.disliked_attrs) == disliked and not u.liked_attrs, text


def test_context_genre_lifted_when_in_profile(movies: Understander) -> None:
    prefs = Preferences()
    apply(parse(movies, "nothing with war though"), prefs, 1)
    u = movies.parse("ok war is fine actually", prefs, 2)
    assert u.dropped_attrs == ["war"]
    assert not parse(movies, "I'm at war with my landlord, need a comedy").disliked_attrs


@pytest.mark.parametrize("text,term", [
    ("a movie about a time loop", "time loop"),
    ("something with a prison escape", "prison escape"),
    ("any good wuxia films?", "wuxia"),
    ("I love stories with an unreliable narrator", "unreliable narrator"),
    ("movies set in antarctica", "antarctica"),
])
def test_rare_keywords_when_named_whole(movies: Understander, text: str, term: str) -> None:
    assert parse(movies, text).liked_attrs == [term]


@pytest.mark.parametrize("text", [
    "a scary movie for halloween night",  # "for": an occasion, not the topic
    "I didn't really enjoy Interstellar, too long and confusing",  # an adjective judges
    "The Revenant bored me to tears",  # an evaluation of the title
    "I loved It (2017), the clown one",  # a description picking out an item
])
def test_rare_keywords_not_from_everyday_language(movies: Understander, text: str) -> None:
    u = parse(movies, text)
    assert not {"halloween night", "confusing", "tears", "clown"} & set(u.liked_attrs + u.disliked_attrs)


@pytest.mark.parametrize("text,item,attrs", [
    ("Limbo was too depressing for me", "48000", set()),
    ("hollow knigth is brutal but fair", "367520", set()),
    ("Thief made me love stealth games", "239160", {"stealth"}),
])
def test_evaluations_of_a_title_stay_with_the_title(games: Understander, text: str, item: str,
                                                    attrs: set[str]) -> None:
    u = parse(games, text)
    assert item in ids(u.liked_items) | ids(u.disliked_items)
    assert set(u.liked_attrs + u.disliked_attrs) == attrs, text


def test_seen_not_disliked_after_not_that_one(movies: Understander) -> None:
    for text in ("not the last one, seen it", "nah not that one, I already own it"):
        u = parse(movies, text, MOVIE_PICKS)
        assert ids(u.seen_items) and not u.disliked_items, text
    assert ids(parse(movies, "not the first, hated it", MOVIE_PICKS).disliked_items) == {"2571"}


def test_audience_and_difficulty_words(movies: Understander, games: Understander) -> None:
    assert parse(movies, "nothing animated this time, the kids are asleep").liked_attrs == []
    assert "family" in parse(movies, "the kids are obsessed with dinosaurs").liked_attrs
    hard = parse(games, "hard platformers like Super Meat Boy")
    assert set(hard.liked_attrs) == {"platformer", "difficult"}
    assert "family friendly" in parse(games, "a game to play with my kid, nothing violent").liked_attrs


def test_suite_file_is_well_formed() -> None:
    import json

    cases = [json.loads(line) for line in Path(DEFAULT_SUITE).read_text().splitlines() if line.strip()]
    assert {c["catalog"] for c in cases} == {"movies", "games"}
    for c in cases:
        assert c["turns"] and all("user" in t and "expect" in t for t in c["turns"]), c["id"]


def test_parse_is_fast(games: Understander) -> None:
    prefs = Preferences()
    msg = "I loved Portal 2 and Hollow Knigt, want something co-op under $20 but no horror"
    games.parse(msg, prefs, 1)
    t0 = time.perf_counter()
    for _ in range(20):
        games.parse(msg, prefs, 1)
    assert (time.perf_counter() - t0) / 20 < 0.05


@pytest.mark.skipif(not os.environ.get("CHATREC_INSPIRED"), reason="set CHATREC_INSPIRED=/path/dev.tsv")
def test_inspired_dev_figures() -> None:  # pragma: no cover - optional data
    from chatrec.eval.understanding import run_inspired

    res = run_inspired(Path(os.environ["CHATREC_INSPIRED"]))
    assert res["genre_recall"] >= 0.85 and res["movie_recall_in_catalog"] >= 0.65


# ----------------------------------------------------------------------------------------
# any catalog: only the fields it declares
# ----------------------------------------------------------------------------------------
def test_minimal_user_catalog(tmp_path: Path) -> None:
    import json

    folder = tmp_path / "books"
    folder.mkdir()
    manifest = {"name": "books", "title": "Books", "noun": "book", "plural": "books",
                "items": "items.jsonl", "fields": {
                    "year": {"type": "int", "label": "Year", "role": "year"},
                    "genres": {"type": "list", "label": "Genres", "role": "attribute"}},
                "attribute_fields": ["genres"], "display_fields": ["year"]}
    (folder / "catalog.json").write_text(json.dumps(manifest))
    rows = [
        {"id": "b1", "title": "Dune", "text": "Dune. Desert planet.",
         "meta": {"year": 1965, "genres": ["Science Fiction"]}},
        {"id": "b2", "title": "The Hobbit", "text": "The Hobbit. A small adventure.",
         "meta": {"year": 1937, "genres": ["Fantasy", "Adventure"]}},
        {"id": "b3", "title": "Gone Girl", "text": "Gone Girl. A thriller.",
         "meta": {"genres": ["Thriller"]}},
    ]
    (folder / "items.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    und = Understander(load_catalog(folder))
    u = parse(und, "I loved Dune and The Hobbit, nothing from before 1950, under $10 and well rated")
    assert ids(u.liked_items) == {"b1", "b2"}
    assert cons(u) == {("year", "min", 1950)}
    assert any("price" in n for n in u.notes)
    u = parse(und, "fantasy but no thrillers")
    assert u.liked_attrs == ["fantasy"] and u.disliked_attrs == ["thriller"]
