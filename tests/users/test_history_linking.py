"""1,000-row Letterboxd-style and IMDb-style exports, built here from the shipped movies
catalog's MovieLens titles and ids, link >= 95% of their rows (no model is loaded)."""

from __future__ import annotations

import csv
import random
import re
from pathlib import Path

import pytest

from chatrec.catalog import Catalog, load_catalog
from chatrec.settings import Settings
from chatrec.understand.titles import TitleIndex
from chatrec.users import Linked, read_history
from chatrec.users.linking import HistoryLinker, ImportReport

ARTICLES = ("The", "A", "An", "Les", "La", "Le", "L'", "Il", "Das", "Der", "Die", "El")


def letterboxd_name(movielens_title: str) -> tuple[str, int | None]:
    """How Letterboxd names a MovieLens film: "Matrix, The (1999)" -> ("The Matrix", 1999);
    other-language titles in brackets dropped."""
    m = re.match(r"^(.*?)\s*\((\d{4})\)\s*$", movielens_title)
    name, year = (m.group(1), int(m.group(2))) if m else (movielens_title, None)
    name = re.sub(r"\s*\((?:a\.k\.a\. )?[^()]*\)\s*$", "", name).strip() or name
    for art in ARTICLES:
        if name.endswith(f", {art}"):
            name = f"{art} {name[: -len(art) - 2]}" if not art.endswith("'") else \
                f"{art}{name[: -len(art) - 2]}"
            break
    return name, year


@pytest.fixture(scope="module")
def movies() -> tuple[Catalog, HistoryLinker]:
    cat = load_catalog("movies", Settings.load(env={}))
    return cat, HistoryLinker(cat, TitleIndex(cat))


def _sample(cat: Catalog, n: int = 1000) -> list:  # type: ignore[type-arg]
    return random.Random(18).sample(sorted(cat, key=lambda it: int(it.id)), n)


def _link(linker: HistoryLinker, path: Path) -> ImportReport:
    h = read_history(path)
    report = ImportReport(path.name, h.format, len(h.rows) + len(h.bad_rows),
                          bad_rows=h.bad_rows)
    for row in h.rows:
        got = linker.link(row)
        (report.linked if isinstance(got, Linked) else report.missing).append(got)  # type: ignore[arg-type]
    return report


def test_letterboxd_export_links_95_percent(movies, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cat, linker = movies
    sample = _sample(cat)
    path = tmp_path / "ratings.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Date", "Name", "Year", "Letterboxd URI", "Rating"])
        for n, it in enumerate(sample):
            name, year = letterboxd_name(it.aliases[0] if it.aliases else it.title)
            w.writerow([f"2020-{n % 12 + 1:02d}-01", name, year or "",
                        f"https://boxd.it/{n}", (n % 10 + 1) / 2])
    report = _link(linker, path)
    assert report.format == "letterboxd" and report.rows == 1000
    assert len(report.linked) >= 950, report.summary()
    by_line = {int(g.where.rsplit(":", 1)[1]) - 2: g.item_id for g in report.linked}
    right = sum(1 for n, it in enumerate(sample) if by_line.get(n) == it.id)
    assert right >= 950, f"{right} rows linked to their own film"
    assert "1000 rows" in report.summary()


def test_imdb_export_links_by_const(movies, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cat, linker = movies
    sample = [it for it in _sample(cat, 1100) if it.meta.get("imdb_id")][:1000]
    path = tmp_path / "imdb.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Const", "Your Rating", "Date Rated", "Title", "URL", "Title Type",
                    "IMDb Rating", "Runtime (mins)", "Year", "Genres", "Num Votes",
                    "Release Date", "Directors"])
        for n, it in enumerate(sample):
            const = f"tt{int(it.meta['imdb_id']):07d}"
            w.writerow([const, n % 10 + 1, "2019-05-05", it.title, "", "movie", "7.0", "",
                        it.year or "", "", "100", "", ""])
    report = _link(linker, path)
    assert report.format == "imdb" and report.rows == 1000
    by_line = {int(g.where.rsplit(":", 1)[1]) - 2: g for g in report.linked}
    right = sum(1 for n, it in enumerate(sample) if n in by_line and by_line[n].item_id == it.id)
    assert right >= 950 and all(g.how == "imdb" for g in by_line.values())


def test_titles_without_ids(movies) -> None:  # type: ignore[no-untyped-def]
    from chatrec.users import HistoryRow
    from chatrec.users.linking import Ambiguous, Missing

    cat, linker = movies
    got = linker.link(HistoryRow("x:1", title="The Matrix", year=1999))
    assert isinstance(got, Linked) and cat.items[got.item_id].title.endswith("Matrix")
    assert isinstance(linker.link(HistoryRow("x:2", title="The Matrix", year=1950)), Missing)
    assert isinstance(linker.link(HistoryRow("x:3", title="No Such Film Ever Made")), Missing)
    got = linker.link(HistoryRow("x:4", title="Hamlet"))  # several films, no year
    assert isinstance(got, (Ambiguous, Linked))
    if isinstance(got, Ambiguous):
        assert len(got.choices) >= 2 and all("Hamlet" in t for _, t in got.choices)
