"""What a user carries from one conversation to the next, and how a conversation changes it.

Carried: liked, disliked and seen items, disliked attributes ("no horror" stands), the novelty
knob, and the liked attributes and limits the user set as standing ones (edited in the profile
panel or imported). Liked attributes and limits said in a conversation ("something from the
90s") belong to that conversation's request and stay there.

A user's stored state is ``{"prefs": <carried profile, Preferences.to_dict() layout>,
"imports": [<one summary per history import>]}``.
"""

from __future__ import annotations

import copy
import unicodedata
from collections.abc import Callable
from typing import Any

from chatrec.errors import InputError
from chatrec.profile import Preferences
from chatrec.store import SessionStore

ITEM_KINDS = ("liked_items", "disliked_items", "seen_items", "disliked_attrs")
STANDING_KINDS = ("liked_attrs", "constraints")  # carried only when set as standing
STANDING_SOURCES = ("edit", "import")
KINDS = ITEM_KINDS + STANDING_KINDS
OPPOSITE = {"liked_items": "disliked_items", "disliked_items": "liked_items",
            "liked_attrs": "disliked_attrs", "disliked_attrs": "liked_attrs"}


MAX_USER_ID = 128


def check_user_id(user_id: object) -> str:
    """A user id as stored: a name or key of 1-128 printable characters (spaces trimmed)."""
    u = user_id.strip() if isinstance(user_id, str) else ""
    if not u or len(u) > MAX_USER_ID or any(unicodedata.category(c)[0] == "C" for c in u):
        raise InputError(f"a user id is a name or key of 1-{MAX_USER_ID} printable characters, "
                         f"not {str(user_id)[:40]!r}")
    return u


def carried(prefs: Preferences) -> dict[str, Any]:
    """The part of a conversation's profile that outlives the conversation."""
    d = prefs.to_dict()
    out: dict[str, Any] = {k: d[k] for k in ITEM_KINDS}
    for k in STANDING_KINDS:
        out[k] = {key: v for key, v in d[k].items() if v.get("source") in STANDING_SOURCES}
    out["novelty"] = d["novelty"]
    return out


def empty() -> dict[str, Any]:
    return carried(Preferences())


def apply_change(user: dict[str, Any], before: dict[str, Any], after: dict[str, Any]
                 ) -> dict[str, Any]:
    """The user's carried profile with one conversation's change (``before`` -> ``after``, both
    :func:`carried`) applied: what the conversation added or changed is set, what it removed
    is removed, and a newly liked thing leaves the disliked side (and the reverse)."""
    out = {**empty(), **copy.deepcopy(user)}
    for kind in KINDS:
        b, a = before.get(kind, {}), after.get(kind, {})
        for key in b.keys() - a.keys():
            out[kind].pop(key, None)
        for key, fact in a.items():
            if b.get(key) != fact:
                out[kind][key] = fact
                if kind in OPPOSITE:
                    out[OPPOSITE[kind]].pop(key, None)
    if after.get("novelty") != before.get("novelty"):
        out["novelty"] = after.get("novelty", 0.0)
    return out


def start_from(user_prefs: dict[str, Any]) -> Preferences:
    """A new conversation's profile: the user's carried one, every fact at turn 0."""
    prefs = Preferences.from_dict(user_prefs)
    for kind in KINDS:
        for fact in getattr(prefs, kind).values():
            fact.turn = 0
    return prefs


def merge_into(prefs: Preferences, user_prefs: dict[str, Any]) -> bool:
    """Add to a resumed conversation's profile what the user gained since it was stored (the
    conversation's own facts win); True when something was added."""
    mine = start_from(user_prefs)
    added = False
    for kind in KINDS:
        have = getattr(prefs, kind)
        opposite = getattr(prefs, OPPOSITE[kind]) if kind in OPPOSITE else {}
        for key, fact in getattr(mine, kind).items():
            if key not in have and key not in opposite:
                have[key] = fact
                added = True
    return added


class UserLink:
    """Ties a session to its user: after every stored change of the session, the change of
    its carried profile is applied to the user's (one store transaction)."""

    def __init__(self, store: SessionStore, user_id: str, catalog: str) -> None:
        self.store = store
        self.user_id = user_id
        self.catalog = catalog

    @staticmethod
    def carried(prefs: Preferences) -> dict[str, Any]:
        return carried(prefs)

    def update(self, change: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
        """Change the user's carried profile (``change(prefs) -> prefs``) in one transaction."""
        def on_state(state: dict[str, Any]) -> dict[str, Any]:
            return {**state, "prefs": change({**empty(), **state.get("prefs", {})})}
        return self.store.update_user(self.user_id, self.catalog, on_state)

    def sync(self, before: dict[str, Any], prefs: Preferences) -> dict[str, Any]:
        """Apply the session's change since ``before`` to the user; returns the new baseline."""
        after = carried(prefs)
        if after != before:
            self.update(lambda user: apply_change(user, before, after))
        return after

    def merge_into(self, prefs: Preferences) -> bool:
        """:func:`merge_into` with the user's profile now."""
        return merge_into(prefs, self.profile())

    def profile(self) -> dict[str, Any]:
        """The user's carried profile now (an empty one for a new user)."""
        rec = self.store.load_user(self.user_id, self.catalog)
        return {**empty(), **(rec.state.get("prefs", {}) if rec is not None else {})}
