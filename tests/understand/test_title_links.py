"""Same-named works resolved by how many rated them, and people named like titles left alone
(issue 17), on the films test catalog (votes role, no popularity) imported without an index."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatrec.catalog import Catalog, load_catalog
from chatrec.importer import add
from chatrec.profile import Preferences
from chatrec.settings import Settings
from chatrec.understand import Understander
from chatrec.understand.text import title_key
from chatrec.understand.title_rank import clearly_more_rated

DATA = Path(__file__).resolve().parents[1] / "data" / "catalogs"


@pytest.fixture(scope="module")
def films(tmp_path_factory: pytest.TempPathFactory) -> Understander:
    s = Settings.load(env={}, data_dir=str(tmp_path_factory.mktemp("films")))
    add("films", DATA / "films.csv.gz", id="movieId", text=["overview", "genres"], noun="film",
        settings=s, build_index=False)
    return Understander(load_catalog("films", s))


def said(und: Understander, text: str) -> list[tuple[str, int | None]]:
    u = und.parse(text, Preferences(), 1)
    cat: Catalog = und.catalog
    return [(cat[m.item_id].title, cat[m.item_id].year)
            for m in (*u.liked_items, *u.disliked_items, *u.seen_items)]


def test_clearly_more_rated() -> None:
    counts = {"a": 1355.0, "b": 0.0, "c": 900.0, "d": 3.0, "e": 1.0}
    assert clearly_more_rated(counts, "a", "b")
    assert not clearly_more_rated(counts, "a", "c")  # 1.5 times: not clearly
    assert not clearly_more_rated(counts, "d", "e")  # 3 ratings against 1 say nothing
    assert not clearly_more_rated({}, "a", "b")


@pytest.mark.parametrize(("text", "title", "year"), [
    ("I really enjoyed Pinocchio", "Pinocchio", 1940),  # 1,355 votes against none
    ("something like Carrie", "Carrie", 2013),
    ("I loved Anastasia", "Anastasia", 1997),
    ("Robin Hood was fun", "Robin Hood", 2010),
    ('"Carrie" was great', "Carrie", 2013),
    ("my wife and I loved Anastasia", "Anastasia", 1997),
    ("we watched Pinocchio with my kids and loved it", "Pinocchio", 1940),
    ("showing my kids Pinocchio tonight, they loved it", "Pinocchio", 1940),
])
def test_same_named_works_link_to_the_most_rated(films: Understander, text: str, title: str,
                                                  year: int) -> None:
    assert said(films, text) == [(title, year)]


@pytest.mark.parametrize(("text", "title"), [
    ("I watched it with Carrie", "Carrie"),
    ("my friend Anastasia recommended a thriller", "Anastasia"),
    ("my little brother Hercules wants a cartoon", "Hercules"),
    ("Carrie and I want a comedy tonight", "Carrie"),
    ("me and Carrie want something scary", "Carrie"),
    ("Anastasia says hi, she wants a horror movie", "Anastasia"),
    ("something for my niece Cinderella, she is six", "Cinderella"),
    ("watching a film with Carrie tonight", "Carrie"),
    ("a film with a robin in it", "Robin Hood"),
])
def test_a_person_named_like_a_title_is_not_the_title(films: Understander, text: str,
                                                      title: str) -> None:
    assert all(title_key(t) != title_key(title) for t, _ in said(films, text)), text
