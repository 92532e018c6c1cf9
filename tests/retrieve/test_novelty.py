"""The novelty knob (issue 4's "user-settable novelty vs popularity knob"): words, API, profile,
persistence, and its effect on real picks."""

from __future__ import annotations

import pytest

from chatrec.errors import InputError
from chatrec.profile import Preferences
from chatrec.understand.novelty import LESSER_KNOWN, novelty_of


@pytest.mark.parametrize(("text", "expect"), [
    ("any hidden gems like Alien?", LESSER_KNOWN),
    ("something lesser-known please", LESSER_KNOWN),
    ("I want underrated sci-fi", LESSER_KNOWN),
    ("nothing too mainstream", LESSER_KNOWN),
    ("not so popular ones, I've seen the big ones", LESSER_KNOWN),
    ("stuff I probably haven't heard of", LESSER_KNOWN),
    ("something popular tonight", 0.0),
    ("just give me blockbusters", 0.0),
    ("a crowd-pleaser for the family", 0.0),
    ("I loved Heat", None),
    ("a popular actor in a quiet drama", None),
])
def test_novelty_words(text: str, expect: float | None) -> None:
    assert novelty_of(text.lower()) == expect


def test_profile_roundtrip_and_description() -> None:
    p = Preferences()
    p.set_novelty(3)
    assert p.novelty == 1.0
    p.set_novelty(0.8)
    q = Preferences.from_dict(p.to_dict())
    assert q.novelty == 0.8 and "lesser-known picks (80%)" in q.describe()
    assert Preferences.from_dict({}).novelty == 0.0


@pytest.mark.slow
def test_knob_through_the_api_and_words(movies_rec) -> None:  # type: ignore[no-untyped-def]
    s = movies_rec.session()
    for bad in (-0.1, 1.5, "lots"):
        with pytest.raises(InputError, match="novelty"):
            s.set_preference("novelty", bad)
    s.set_preference("novelty", 0.7)
    assert movies_rec.session(s.session_id).preferences.novelty == 0.7  # stored
    assert s.remove_preference("novelty", "") and s.preferences.novelty == 0.0
    reply = s.send("sci-fi with robots, hidden gems please")
    assert s.preferences.novelty == LESSER_KNOWN
    assert any("lesser-known" in n for n in reply.notes) or "lesser-known" in reply.text
    s.send("actually just something popular")
    assert s.preferences.novelty == 0.0


@pytest.mark.slow
def test_knob_moves_picks_to_less_popular(movies_rec) -> None:  # type: ignore[no-untyped-def]
    prior = movies_rec.generator.prior()

    def mean_pop(novelty: float) -> float:
        s = movies_rec.session()
        s.set_preference("novelty", novelty)
        s.send("I like space adventures and time travel")
        picks = s.rank(20)
        return sum(prior[p.item_id] for p in picks) / len(picks)

    assert mean_pop(1.0) < mean_pop(0.0) - 0.1
