"""What a user carries between conversations, and how one conversation's change reaches them."""

from __future__ import annotations

import pytest

from chatrec.errors import InputError
from chatrec.profile import Constraint, Preferences
from chatrec.users import carried, check_user_id, merge_into, start_from
from chatrec.users.carry import apply_change


def _prefs() -> Preferences:
    p = Preferences()
    p.like_item("1", "Toy Story (1995)", 3)
    p.mark_seen("2", "Jumanji (1995)", 3)
    p.dislike_attr("horror", 2)
    p.like_attr("space", 2)  # said in the conversation: its request, not carried
    p.like_attr("heist", 2, source="edit")  # set in the profile panel: carried
    p.set_constraint(Constraint("year", "min", 1990, 2, "90s"))
    p.set_constraint(Constraint("runtime", "max", 120, 2, source="edit"))
    p.note_recommended(["5", "6"])
    return p


def test_carried_keeps_items_dislikes_and_standing_limits() -> None:
    c = carried(_prefs())
    assert set(c["liked_items"]) == {"1"} and set(c["seen_items"]) == {"2"}
    assert set(c["disliked_attrs"]) == {"horror"} and set(c["liked_attrs"]) == {"heist"}
    assert set(c["constraints"]) == {"runtime:max"}
    assert "recommended" not in c


def test_apply_change_adds_removes_and_flips() -> None:
    user = carried(_prefs())
    user["disliked_items"]["9"] = {"value": "9", "turn": 0, "source": "user", "label": "x",
                                   "confidence": 1.0}
    p = start_from(user)
    before = carried(p)
    p.like_item("9", "x", 1, "feedback")  # was disliked
    p.seen_items.pop("2")
    p.dislike_item("1", "Toy Story (1995)", 1, "feedback")
    out = apply_change(user, before, carried(p))
    assert set(out["liked_items"]) == {"9"} and set(out["disliked_items"]) == {"1"}
    assert out["seen_items"] == {}


def test_apply_change_keeps_what_another_conversation_added() -> None:
    user = carried(_prefs())
    p = start_from(user)
    before = carried(p)
    user["liked_items"]["7"] = {"value": "7", "turn": 0, "source": "feedback", "label": "y",
                                "confidence": 1.0}  # meanwhile, elsewhere
    p.mark_seen("8", "z", 1)
    out = apply_change(user, before, carried(p))
    assert set(out["liked_items"]) == {"1", "7"} and set(out["seen_items"]) == {"2", "8"}


def test_start_from_and_merge_into() -> None:
    user = carried(_prefs())
    p = start_from(user)
    assert all(f.turn == 0 for f in p.liked_items.values())
    resumed = Preferences()
    resumed.dislike_item("1", "Toy Story (1995)", 1)  # the conversation's own word wins
    assert merge_into(resumed, user)
    assert "1" not in resumed.liked_items and "2" in resumed.seen_items
    assert not merge_into(resumed, user)


@pytest.mark.parametrize("bad", ["", "   ", "a\x00b", "x" * 129, None, 5])
def test_user_ids_are_checked(bad: object) -> None:
    with pytest.raises(InputError, match="user id"):
        check_user_id(bad)
    assert check_user_id("  alice ") == "alice"
