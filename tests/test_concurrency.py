"""Many users at once: each session sees only its own profile and history, nothing is lost."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

pytestmark = pytest.mark.slow

USERS = [
    ("I love comedies, no horror", "comedy", "horror"),
    ("I love horror films, but no comedy", "horror", "comedy"),
    ("I like westerns, nothing with romance", "western", "romance"),
    ("documentaries please, no animation", "documentary", "animation"),
    ("war films, no musicals", "war", "musical"),
    ("animated movies, but no war films", "animation", "war"),
]


def test_concurrent_sessions_stay_isolated(movies_rec) -> None:  # type: ignore[no-untyped-def]
    sessions = [movies_rec.session() for _ in range(12)]

    def converse(n: int) -> tuple[str, list[list[str]]]:
        s = sessions[n]
        first, _, _ = USERS[n % len(USERS)]
        seen = []
        for msg in (first, "more please", "something else"):
            seen.append([p.item_id for p in s.send(msg).picks])
        return s.session_id, seen

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(converse, range(len(sessions))))
    cat = movies_rec.catalog
    for n, (sid, replies) in enumerate(results):
        _, like, dislike = USERS[n % len(USERS)]
        stored = movies_rec.session(sid)  # a fresh read from the store
        prefs = stored.preferences
        assert like in prefs.liked_attrs and dislike in prefs.disliked_attrs
        others = {u[1] for u in USERS} - {like, dislike}
        assert not (others & set(prefs.liked_attrs)), "a preference leaked between sessions"
        roles = [t.role for t in stored.history]
        assert roles == ["user", "assistant"] * 3
        assert [t.idx for t in stored.history] == list(range(6))
        for ids in replies:
            for i in ids:
                assert dislike not in cat.attributes(cat.items[i])


def test_two_writers_on_one_session_lose_nothing(movies_rec) -> None:  # type: ignore[no-untyped-def]
    sid = movies_rec.session().session_id

    def turn(msg: str) -> None:
        movies_rec.session(sid).send(msg)  # two requests of one user racing each other

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(turn, ["I like science fiction", "space movies"]))
    hist = movies_rec.session(sid).history
    assert len(hist) == 4 and [t.idx for t in hist] == [0, 1, 2, 3]
