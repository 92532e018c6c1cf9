"""Many users at once: each user's profile gets only their own history and feedback, and two
conversations of one user racing each other lose none of it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

HISTORIES = {  # user -> (their history, what they say, the attribute they refuse)
    "conc-ana": ("title,year,rating\nToy Story,1995,5\nShrek,2001,5\n", "comedies", "horror"),
    "conc-ben": ("title,year,rating\nAlien,1979,5\nThe Thing,1982,5\n", "scary ones", "comedy"),
    "conc-cy": ("title,year,rating\nHeat,1995,5\nCasino,1995,5\n", "crime films", "animation"),
    "conc-di": ("title,year,rating\nAmelie,2001,5\nBefore Sunrise,1995,5\n", "romance",
                "war"),
}


def test_concurrent_users_stay_isolated(movies_rec, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    def live(uid: str) -> tuple[str, set[str], list[str]]:
        history, say, refuse = HISTORIES[uid]
        me = movies_rec.user(uid)
        me.forget()
        path = tmp_path / f"{uid}.csv"
        path.write_text(history)
        imported = {g.item_id for g in me.import_history(path).linked}
        s = me.session()
        picks = [p.item_id for p in s.send(f"{say}, no {refuse}").picks]
        s.feedback(picks[0], "seen")
        return uid, imported, picks

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(live, sorted(HISTORIES)))
    for uid, imported, picks in results:
        prefs = movies_rec.user(uid).preferences
        others = set().union(*(imp for u, imp, _ in results if u != uid))
        assert set(prefs.liked_items) == imported and not others & set(prefs.liked_items)
        assert set(prefs.disliked_attrs) == {HISTORIES[uid][2]}
        assert picks[0] in prefs.seen_items
        assert len(movies_rec.user(uid).sessions()) == 1
    for uid in HISTORIES:
        movies_rec.user(uid).forget()


def test_two_conversations_of_one_user_lose_nothing(movies_rec) -> None:  # type: ignore[no-untyped-def]
    me = movies_rec.user("conc-twice")
    me.forget()
    a, b = me.session(), me.session()
    ids = [it.id for it in list(movies_rec.catalog)[:40]]

    def mark(args: tuple[object, list[str]]) -> None:
        s, mine = args
        for i in mine:
            s.feedback(i, "seen")  # type: ignore[attr-defined]

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(mark, [(a, ids[:20]), (b, ids[20:])]))
    assert set(me.preferences.seen_items) == set(ids)
    me.forget()
