"""Watch-history exports read into one row type, the format told from the file's headers/shape.

Formats: Letterboxd (``ratings.csv``, ``watched.csv``, ``diary.csv``; or the export's ``.zip``),
the IMDb ratings export (``Const``, ``Your Rating`` 1-10), Trakt JSON (history or ratings:
``[{"movie": {"title", "year", "ids": {...}}, "rating"?, "watched_at"?}]``), MovieLens-style
ratings (``userId,movieId,rating,timestamp``, one user) and a plain CSV of titles (a ``title``
column, optional ``year`` and ``rating``; or no header at all: title[, year[, rating]]).

Ratings are put on a 0.5-5 scale (10-point ones halved). A row that cannot be read becomes a
:class:`BadRow` (``file:line`` and why); the file as a whole is refused (:class:`InputError`)
only when it cannot be read or no row of it can.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chatrec.errors import InputError

MAX_BYTES = 50_000_000  # an export of a lifetime of films is a few MB
TITLE_COLUMNS = ("title", "name", "film", "movie", "original title")
LETTERBOXD_FILES = ("watched.csv", "ratings.csv", "diary.csv")  # read in this order from a .zip
_YEAR = re.compile(r"^\d{4}$")


@dataclass
class HistoryRow:
    """One film in a history: how to find it (ids, title, year) and what the user made of it."""

    where: str  # "file:line"
    title: str = ""
    year: int | None = None
    rating: float | None = None  # 0.5-5
    imdb: str | None = None  # digits without "tt" and leading zeros
    tmdb: str | None = None
    item_id: str | None = None  # a catalog id (MovieLens movieId, a plain CSV's id column)
    when: str = ""  # a sortable date or timestamp ("" when unknown)


@dataclass
class BadRow:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass
class History:
    format: str
    rows: list[HistoryRow]
    bad_rows: list[BadRow]


def read_history(path: str | Path) -> History:
    """The rows of a history export file (see the module doc for the formats)."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such file; give the path of your export (e.g. ratings.csv)")
    if p.stat().st_size > MAX_BYTES:
        raise InputError(f"{p}: {p.stat().st_size:,} bytes is more than a history export holds "
                         f"(limit {MAX_BYTES:,}); split it")
    if zipfile.is_zipfile(p):
        return _read_zip(p)
    return parse_history(p.read_bytes(), p.name)


def parse_history(data: bytes, name: str) -> History:
    """The rows of one export's bytes; ``name`` is used in ``file:line`` references."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    if not text.strip():
        raise InputError(f"{name}: the file is empty")
    if text.lstrip()[:1] in "[{":
        return _read_trakt(text, name)
    return _read_csv(text, name)


def _read_zip(p: Path) -> History:
    with zipfile.ZipFile(p) as z:
        names = {Path(n).name.lower(): n for n in z.namelist() if "/" not in n.strip("/")}
        wanted = [names[f] for f in LETTERBOXD_FILES if f in names]
        if not wanted:
            raise InputError(f"{p.name}: a .zip is read as a Letterboxd export and needs "
                             f"{', '.join(LETTERBOXD_FILES)} at its top; unzip it and import "
                             "one file instead")
        rows: list[HistoryRow] = []
        bad: list[BadRow] = []
        for n in wanted:
            h = parse_history(z.read(n), f"{p.name}/{n}")
            rows += h.rows
            bad += h.bad_rows
    return History("letterboxd", rows, bad)


# --- CSV formats ------------------------------------------------------------------------
def _read_csv(text: str, name: str) -> History:
    first = text.lstrip().split("\n", 1)[0]
    delim = "\t" if "\t" in first else ";" if ";" in first and "," not in first else ","
    reader = csv.reader(io.StringIO(text), delimiter=delim)
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(f"{name}: the file is empty") from None
    cols = {h.strip().lower(): n for n, h in enumerate(header)}
    if "letterboxd uri" in cols:
        fmt = "letterboxd"
    elif "const" in cols and "your rating" in cols:
        fmt = "imdb"
    elif {"userid", "movieid", "rating"} <= set(cols):
        fmt = "movielens"
    elif any(c in cols for c in TITLE_COLUMNS) or "id" in cols:
        fmt = "titles"
    else:  # no header: title[, year[, rating]]
        fmt = "titles"
        cols = {"title": 0, "year": 1, "rating": 2}
        reader = csv.reader(io.StringIO(text), delimiter=delim)
    rows: list[HistoryRow] = []
    bad: list[BadRow] = []
    users: set[str] = set()
    scale = 10.0 if fmt == "imdb" else 5.0
    records = [(reader.line_num, r) for r in reader if any(c.strip() for c in r)]
    if fmt == "titles" and cols.get("rating") is not None:
        scale = _title_scale(records, cols["rating"])
    for line, rec in records:
        where = f"{name}:{line}"

        def cell(col: str, rec: list[str] = rec) -> str:
            n = cols.get(col)
            return rec[n].strip() if n is not None and n < len(rec) else ""
        try:
            row = _row(fmt, cell, where, scale)
        except ValueError as e:
            bad.append(BadRow(where, str(e)))
            continue
        if fmt == "movielens":
            users.add(cell("userid"))
        rows.append(row)
    if len(users) > 1:
        raise InputError(f"{name}: the file holds the ratings of {len(users)} users "
                         f"({', '.join(sorted(users)[:3])}, ...); import one user's rows "
                         "(filter the file by userId first)")
    return History(fmt, rows, bad)


def _title_scale(records: list[tuple[int, list[str]]], col: int) -> float:
    """A plain list's rating scale: 10 when any rating is above 5, else 5."""
    top = 0.0
    for _, rec in records:
        try:
            top = max(top, float(rec[col].replace(",", ".")))
        except (ValueError, IndexError):
            continue
    return 10.0 if top > 5 else 5.0


def _row(fmt: str, cell: Any, where: str, scale: float) -> HistoryRow:
    if fmt == "letterboxd":
        title = cell("name")
        if not title:
            raise ValueError("no film name (column 'Name')")
        return HistoryRow(where, title=title, year=_year(cell("year")),
                          rating=_rating(cell("rating"), 5.0),
                          when=cell("watched date") or cell("date"))
    if fmt == "imdb":
        const = cell("const")
        if not re.fullmatch(r"tt\d+", const):
            raise ValueError(f"'Const' is {const!r}, not an IMDb id like tt0114709")
        rating = _rating(cell("your rating"), 10.0)
        return HistoryRow(where, title=cell("title"), year=_year(cell("year")),
                          rating=rating, imdb=norm_imdb(const), when=cell("date rated"))
    if fmt == "movielens":
        movie = cell("movieid")
        if not movie:
            raise ValueError("no movieId")
        rating = _rating(cell("rating"), 5.0)
        return HistoryRow(where, rating=rating, item_id=movie,
                          when=cell("timestamp").rjust(12, "0"))
    title = cell("title") or cell("name") or cell("film") or cell("movie") or \
        cell("original title")
    item_id = cell("id") or None
    if not title and not item_id:
        raise ValueError("no title")
    imdb = cell("imdb") or cell("imdb_id") or cell("const")
    tmdb = cell("tmdb") or cell("tmdb_id")
    return HistoryRow(where, title=title, year=_year(cell("year")),
                      rating=_rating(cell("rating"), scale), item_id=item_id,
                      imdb=norm_imdb(imdb) if imdb else None, tmdb=tmdb or None,
                      when=cell("date") or cell("watched date"))


def _year(text: str) -> int | None:
    if not text:
        return None
    if not _YEAR.match(text) or not 1870 <= int(text) <= 2100:
        raise ValueError(f"year {text!r} is not a year like 1999")
    return int(text)


def _rating(text: str, scale: float) -> float | None:
    """A rating on a 0.5-5 scale, from one on ``scale`` (5 or 10); None when blank."""
    if not text:
        return None
    try:
        v = float(text.replace(",", "."))
    except ValueError:
        raise ValueError(f"rating {text!r} is not a number") from None
    if not 0 < v <= scale:
        raise ValueError(f"rating {text!r} is outside 0-{scale:g}")
    return v / 2 if scale == 10 else v


def norm_imdb(value: str) -> str | None:
    """``tt0114709`` / ``0114709`` / ``114709`` -> ``114709`` (None when it is no IMDb id)."""
    m = re.fullmatch(r"(?:tt)?0*(\d+)", str(value).strip())
    return m.group(1) if m else None


# --- Trakt JSON ---------------------------------------------------------------------------
def _read_trakt(text: str, name: str) -> History:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(f"{name}:{e.lineno}: not valid JSON ({e.msg}); a Trakt export is a "
                         "list of entries") from None
    if isinstance(data, dict):  # {"movies": [...]} or one entry
        data = data.get("movies", data.get("history", [data]))
    if not isinstance(data, list):
        raise InputError(f"{name}: a Trakt export is a JSON list of entries with a 'movie'")
    rows: list[HistoryRow] = []
    bad: list[BadRow] = []
    for n, entry in enumerate(data, 1):
        where = f"{name}:entry {n}"
        movie = entry.get("movie") if isinstance(entry, dict) else None
        if not isinstance(movie, dict):
            kind = entry.get("type", "unknown") if isinstance(entry, dict) else type(entry).__name__
            bad.append(BadRow(where, f"not a movie entry ({kind}); skipped"))
            continue
        raw_ids = movie.get("ids")
        ids: dict[str, Any] = raw_ids if isinstance(raw_ids, dict) else {}
        try:
            year = _year(str(movie.get("year") or ""))
            rating = _rating(str(entry.get("rating") or ""), 10.0)
        except ValueError as e:
            bad.append(BadRow(where, str(e)))
            continue
        title = str(movie.get("title") or "").strip()
        imdb, tmdb = ids.get("imdb"), ids.get("tmdb")
        if not title and not imdb and not tmdb:
            bad.append(BadRow(where, "the movie has no title and no ids"))
            continue
        rows.append(HistoryRow(where, title=title, year=year, rating=rating,
                               imdb=norm_imdb(str(imdb)) if imdb else None,
                               tmdb=str(tmdb) if tmdb else None,
                               when=str(entry.get("watched_at") or entry.get("rated_at") or "")))
    return History("trakt", rows, bad)
