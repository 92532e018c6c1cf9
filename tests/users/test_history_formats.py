"""Watch-history exports: each format told from its headers or shape, ratings on one scale,
bad rows named by file:line, unreadable files refused with the fix."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from chatrec.errors import InputError
from chatrec.users import parse_history, read_history

LETTERBOXD = b"""Date,Name,Year,Letterboxd URI,Rating
2021-01-02,The Matrix,1999,https://boxd.it/2bbs,4.5
2021-01-03,Alien,1979,https://boxd.it/2b0e,
2021-01-04,Bad Year,19x9,https://boxd.it/x,3
2021-01-05,Too High,2000,https://boxd.it/y,7
"""
DIARY = b"""Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date
2022-05-01,Heat,1995,https://boxd.it/a,5,Yes,"crime, la",2022-04-30
"""
IMDB = (b"Const,Your Rating,Date Rated,Title,URL,Title Type,IMDb Rating,Runtime (mins),Year,"
        b"Genres,Num Votes,Release Date,Directors\n"
        b"tt0133093,9,2020-02-02,The Matrix,https://www.imdb.com/title/tt0133093/,movie,8.7,136,"
        b"1999,\"Action, Sci-Fi\",1900000,1999-03-31,\"Lana Wachowski, Lilly Wachowski\"\n"
        b"nm000001,5,2020-02-03,Someone,x,movie,1,1,2000,,1,,\n")
TRAKT = [
    {"watched_at": "2023-01-01T20:00:00.000Z", "type": "movie",
     "movie": {"title": "Heat", "year": 1995, "ids": {"trakt": 1, "slug": "heat-1995",
                                                    "imdb": "tt0113277", "tmdb": 949}}},
    {"rated_at": "2023-01-02T20:00:00.000Z", "rating": 3, "type": "movie",
     "movie": {"title": "Cats", "year": 2019, "ids": {"imdb": "tt5697572"}}},
    {"type": "episode", "episode": {"title": "Pilot"}},
]


def test_letterboxd_ratings_and_bad_rows() -> None:
    h = parse_history(LETTERBOXD, "ratings.csv")
    assert h.format == "letterboxd"
    assert [(r.title, r.year, r.rating, r.when) for r in h.rows] == [
        ("The Matrix", 1999, 4.5, "2021-01-02"), ("Alien", 1979, None, "2021-01-03")]
    assert [b.where for b in h.bad_rows] == ["ratings.csv:4", "ratings.csv:5"]
    assert "19x9" in h.bad_rows[0].message and "outside" in h.bad_rows[1].message


def test_letterboxd_diary_uses_the_watched_date() -> None:
    (row,) = parse_history(DIARY, "diary.csv").rows
    assert (row.title, row.rating, row.when) == ("Heat", 5.0, "2022-04-30")


def test_imdb_ratings_are_halved_and_linked_by_const() -> None:
    h = parse_history(IMDB, "ratings.csv")
    assert h.format == "imdb"
    (row,) = h.rows
    assert (row.imdb, row.rating, row.title, row.year) == ("133093", 4.5, "The Matrix", 1999)
    assert h.bad_rows[0].where == "ratings.csv:3" and "nm000001" in h.bad_rows[0].message


def test_trakt_history_and_ratings() -> None:
    h = parse_history(json.dumps(TRAKT).encode(), "history.json")
    assert h.format == "trakt"
    assert [(r.title, r.imdb, r.tmdb, r.rating) for r in h.rows] == [
        ("Heat", "113277", "949", None), ("Cats", "5697572", None, 1.5)]
    assert h.bad_rows[0].where == "history.json:entry 3" and "episode" in h.bad_rows[0].message


def test_movielens_ratings_one_user_only() -> None:
    h = parse_history(b"userId,movieId,rating,timestamp\n7,1,4.0,964982703\n7,2,1.5,964981247\n",
                      "r.csv")
    assert h.format == "movielens"
    assert [(r.item_id, r.rating) for r in h.rows] == [("1", 4.0), ("2", 1.5)]
    with pytest.raises(InputError, match="2 users"):
        parse_history(b"userId,movieId,rating,timestamp\n1,1,4,1\n2,1,4,1\n", "r.csv")


def test_plain_title_lists_with_and_without_a_header() -> None:
    h = parse_history(b"title,year,rating\nHeat,1995,9\nAlien,,2\n", "mine.csv")
    assert h.format == "titles"
    assert [(r.title, r.year, r.rating) for r in h.rows] == [("Heat", 1995, 4.5), ("Alien", None, 1.0)]
    h = parse_history(b"Heat;1995\nThe Matrix\n", "list.csv")
    assert [(r.title, r.year, r.where) for r in h.rows] == [("Heat", 1995, "list.csv:1"),
                                                          ("The Matrix", None, "list.csv:2")]


def test_files_that_cannot_be_read_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_history(tmp_path / "nope.csv")
    (tmp_path / "empty.csv").write_text("  \n")
    with pytest.raises(InputError, match="empty"):
        read_history(tmp_path / "empty.csv")
    (tmp_path / "bad.json").write_text('[{"movie": ')
    with pytest.raises(InputError, match=r"bad\.json:1: not valid JSON"):
        read_history(tmp_path / "bad.json")


def test_a_letterboxd_zip_reads_its_files(tmp_path: Path) -> None:
    z = tmp_path / "letterboxd-export.zip"
    with zipfile.ZipFile(z, "w") as f:
        f.writestr("ratings.csv", LETTERBOXD)
        f.writestr("diary.csv", DIARY)
        f.writestr("profile.csv", b"Username\nme\n")
    h = read_history(z)
    assert h.format == "letterboxd"
    assert [r.title for r in h.rows] == ["The Matrix", "Alien", "Heat"]
    assert h.bad_rows[0].where == "letterboxd-export.zip/ratings.csv:4"
