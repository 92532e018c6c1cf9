#!/usr/bin/env python3
"""Build the shipped catalogs (``catalogs/movies`` and ``catalogs/games``) from the raw data.

Usage::

    python scripts/build_catalogs.py                 # both catalogs, from <repo>/../shared/data
    python scripts/build_catalogs.py --only games
    python scripts/build_catalogs.py --data /path/to/data --out /tmp/catalogs

Sources (see ``catalogs/README.md`` for their terms):

* ``movielens-latest-small/`` (movies.csv, links.csv, ratings.csv, tags.csv, README.txt)
* ``tmdb-5000/tmdb_5000_movies.csv.zip`` (joined on links.csv ``tmdbId``)
* ``steam-games/steam_games.json.gz`` (one Python-dict literal per line)

The output is deterministic: JSON with sorted keys, items in source order, gzip with
``mtime=0`` and no file name, so re-running the script gives byte-identical files.
Only the standard library is used.
"""

from __future__ import annotations

import argparse
import ast
import csv
import gzip
import html
import io
import json
import math
import re
import shutil
import sys
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

REPO_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO_DIR.parent / "shared" / "data"
DEFAULT_OUT = REPO_DIR / "catalogs"

MAX_TEXT_CHARS = 1200
RANKER_FILE = "ranker.json"  # the movies' learned ranker (chatrec.retrieve.learned)
TEXT_KEYWORDS = 12
TEXT_TAGS = 10
MAX_MOVIE_TAGS = 25
TEXT_GAME_TAGS = 12

TMDB_NOTICE = "This product uses the TMDB API but is not endorsed or certified by TMDB."
MOVIELENS_CITATION = (
    "F. Maxwell Harper and Joseph A. Konstan. 2015. The MovieLens Datasets: History and Context. "
    "ACM Transactions on Interactive Intelligent Systems (TiiS) 5, 4: 19:1-19:19. "
    "https://doi.org/10.1145/2827872"
)
STEAM_CITATION = (
    "Wang-Cheng Kang and Julian McAuley. 2018. Self-Attentive Sequential Recommendation. "
    "IEEE International Conference on Data Mining (ICDM)."
)


# --------------------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------------------
def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, allow_nan=False)


def write_gz(path: Path, data: bytes) -> None:
    """Write ``data`` gzip-compressed with a fixed header (no mtime, no name)."""
    with (
        path.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz,
    ):
        gz.write(data)


def write_items(path: Path, items: Iterable[dict[str, Any]]) -> None:
    write_gz(path, "".join(_dumps(it) + "\n" for it in items).encode("utf-8"))


def write_manifest(path: Path, manifest: dict[str, Any]) -> None:
    path.write_text(
        json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=2, allow_nan=False) + "\n",
        encoding="utf-8",
    )


def percentile_ranks(values: list[float]) -> list[float]:
    """Percentile rank in [0, 1] of each value; ties share their average rank.

    ``(average 0-based rank among equal values) / (n - 1)``: the lowest distinct value
    gets 0.0, the highest 1.0, rounded to 4 decimals.
    """
    n = len(values)
    if n == 0:
        return []
    if n == 1:
        return [1.0]
    order = sorted(range(n), key=lambda i: values[i])
    out = [0.0] * n
    i = 0
    while i < n:
        j = i
        while j + 1 < n and values[order[j + 1]] == values[order[i]]:
            j += 1
        rank = (i + j) / 2 / (n - 1)
        for k in range(i, j + 1):
            out[order[k]] = round(rank, 4)
        i = j + 1
    return out


def add_aliases(aliases: list[str], title: str, *candidates: str | None) -> None:
    """Append each non-empty candidate unless it equals the title or an alias (ignoring case)."""
    seen = {title.casefold(), *(a.casefold() for a in aliases)}
    for c in candidates:
        if not c:
            continue
        c = " ".join(c.split())
        if c and c.casefold() not in seen:
            aliases.append(c)
            seen.add(c.casefold())


def clip_text(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """Collapse whitespace; cut at a word boundary to at most ``limit`` characters."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:") + "…"


def field(
    type_: str, label: str, role: str | None = None, unit: str | None = None
) -> dict[str, Any]:
    d: dict[str, Any] = {"type": type_, "label": label}
    if role:
        d["role"] = role
    if unit:
        d["unit"] = unit
    return d


def check_meta(items: list[dict[str, Any]], fields: dict[str, dict[str, Any]]) -> None:
    """Assert every meta value is declared and typed as the manifest says (build-time guard)."""
    for it in items:
        for k, v in it["meta"].items():
            t = fields[k]["type"]
            ok = {
                "int": isinstance(v, int) and not isinstance(v, bool),
                "float": isinstance(v, (int, float))
                and not isinstance(v, bool)
                and math.isfinite(v),
                "str": isinstance(v, str) and v != "",
                "bool": isinstance(v, bool),
                "list": isinstance(v, list) and all(isinstance(x, str) for x in v),
            }[t]
            if not ok:
                raise SystemExit(f"bug: item {it['id']} meta {k}={v!r} is not {t}")


# --------------------------------------------------------------------------------------
# movies
# --------------------------------------------------------------------------------------
# Articles MovieLens moves to the end ("Matrix, The"). Matched case-sensitively.
ARTICLES = (
    "The",
    "A",
    "An",
    "Les",
    "La",
    "Le",
    "L'",
    "Il",
    "I",
    "Gli",
    "Lo",
    "Das",
    "Der",
    "Die",
    "Den",
    "Det",
    "De",
    "Het",
    "El",
    "Los",
    "Las",
    "Un",
    "Une",
    "Uno",
    "Una",
    "Ein",
    "Eine",
    "O",
    "Os",
    "As",
    "Ta",
    "To",
    "Hoi",
    "Al",
)
_TRAILING_ARTICLE = re.compile(
    r"^(?P<rest>.+), (?P<art>" + "|".join(re.escape(a) for a in ARTICLES) + r")(?P<tail>:.*)?$"
)
_YEAR = re.compile(r"\s*\((?P<y>\d{4})(?:\s*[-\u2013]\s*(?:\d{4})?)?\)\s*$")
_AKA = re.compile(r"^(?:a\.?k\.?a\.?|aka)\s+", re.IGNORECASE)


def move_article(name: str) -> str:
    """``"Matrix, The"`` -> ``"The Matrix"``; ``"Cité des enfants, La"`` -> ``"La Cité ..."``.

    Also handles an article before a subtitle: ``"Hobbit, The: An Unexpected Journey"``.
    """
    name = name.strip()
    m = _TRAILING_ARTICLE.match(name)
    if not m:
        return name
    art, rest, tail = m.group("art"), m.group("rest").strip(), m.group("tail") or ""
    sep = "" if art.endswith("'") else " "
    return f"{art}{sep}{rest}{tail}"


def _peel_paren(s: str) -> tuple[str, str] | None:
    """Split a trailing balanced ``(...)`` group off ``s``: ``(head, inner)``, or None."""
    s = s.rstrip()
    if not s.endswith(")"):
        return None
    depth = 0
    for i in range(len(s) - 1, -1, -1):
        if s[i] == ")":
            depth += 1
        elif s[i] == "(":
            depth -= 1
            if depth == 0:
                head = s[:i].rstrip()
                if not head:
                    return None
                return head, s[i + 1 : -1].strip()
    return None


def parse_movielens_title(raw: str) -> tuple[str, int | None, list[str]]:
    """``"City of Lost Children, The (Cité des enfants perdus, La) (1995)"`` ->
    ``("The City of Lost Children", 1995, ["La Cité des enfants perdus"])``.

    Returns the display title (no year), the year (None when absent) and the
    alternative titles found in trailing parentheses (a.k.a. prefixes removed,
    articles moved to the front), in the order they appear.
    """
    s = " ".join(raw.split())
    year: int | None = None
    m = _YEAR.search(s)
    if m and m.start() > 0:
        year = int(m.group("y"))
        s = s[: m.start()]
    alts: list[str] = []
    while True:
        peeled = _peel_paren(s)
        if peeled is None:
            break
        head, inner = peeled
        inner = _AKA.sub("", inner).strip()
        if inner:
            alts.insert(0, move_article(inner))
        s = head
    return move_article(s), year, alts


def _read_csv(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        yield from csv.DictReader(f)


def _json_names(raw: str) -> list[str]:
    if not raw:
        return []
    return [str(d["name"]).strip() for d in json.loads(raw) if str(d.get("name", "")).strip()]


def load_tmdb(path: Path) -> dict[str, dict[str, str]]:
    with zipfile.ZipFile(path) as z:
        name = next(n for n in z.namelist() if n.endswith(".csv"))
        with z.open(name) as raw:
            return {
                row["id"]: row for row in csv.DictReader(io.TextIOWrapper(raw, "utf-8", newline=""))
            }


def _float(s: str | None) -> float | None:
    try:
        v = float(s) if s not in (None, "") else None
    except ValueError:
        return None
    return v if v is not None and math.isfinite(v) else None


MOVIE_FIELDS: dict[str, dict[str, Any]] = {
    "year": field("int", "Year", "year"),
    "genres": field("list", "Genres", "attribute"),
    "tmdb_genres": field("list", "TMDB genres", "attribute"),
    "tags": field("list", "User tags", "attribute"),
    "keywords": field("list", "Keywords", "attribute"),
    "runtime": field("int", "Runtime", unit="min"),
    "overview": field("str", "Overview", "description"),
    "tagline": field("str", "Tagline"),
    "language": field("str", "Original language"),
    "imdb_id": field("str", "IMDb id"),
    "tmdb_id": field("str", "TMDB id"),
    "url": field("str", "Link", "link"),
    "num_ratings": field("int", "Ratings"),
    "avg_rating": field("float", "Average rating", "rating", "/5"),
    "tmdb_vote_average": field("float", "TMDB vote average", unit="/10"),
    "tmdb_vote_count": field("int", "TMDB votes"),
    "popularity": field("float", "Popularity", "popularity"),
}


def build_movies(data: Path, out: Path) -> dict[str, Any]:
    ml = data / "movielens-latest-small"
    tmdb = load_tmdb(data / "tmdb-5000" / "tmdb_5000_movies.csv.zip")
    links = {r["movieId"]: r for r in _read_csv(ml / "links.csv")}

    # ratings: counts/means per movie, and the LF copy
    n_ratings: Counter[str] = Counter()
    sum_ratings: defaultdict[str, float] = defaultdict(float)
    lines = ["user_id,item_id,rating,timestamp"]
    for r in _read_csv(ml / "ratings.csv"):
        mid = r["movieId"]
        n_ratings[mid] += 1
        sum_ratings[mid] += float(r["rating"])
        lines.append(f"{r['userId']},{mid},{r['rating']},{r['timestamp']}")
    n_rating_rows = len(lines) - 1

    # tags: distinct users per (movie, lower-cased tag); first-seen order breaks ties
    tag_users: defaultdict[str, defaultdict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for r in _read_csv(ml / "tags.csv"):
        tag = " ".join(r["tag"].split()).lower()
        if tag:
            tag_users[r["movieId"]][tag].add(r["userId"])

    items: list[dict[str, Any]] = []
    joined = 0
    for row in _read_csv(ml / "movies.csv"):
        mid = row["movieId"]
        raw_title = row["title"].strip()
        title, year, alts = parse_movielens_title(raw_title)
        aliases: list[str] = []
        add_aliases(aliases, title, raw_title, *alts)
        meta: dict[str, Any] = {}
        genres = [g for g in row["genres"].split("|") if g and g != "(no genres listed)"]
        if genres:
            meta["genres"] = genres
        link = links.get(mid, {})
        imdb, tmdb_id = link.get("imdbId", "").strip(), link.get("tmdbId", "").strip()
        if imdb:
            meta["imdb_id"] = imdb
        if tmdb_id:
            meta["tmdb_id"] = tmdb_id
        if imdb:
            meta["url"] = f"https://www.imdb.com/title/tt{imdb}/"
        elif tmdb_id:
            meta["url"] = f"https://www.themoviedb.org/movie/{tmdb_id}"
        t = tmdb.get(tmdb_id) if tmdb_id else None
        overview = keywords_text = ""
        keywords: list[str] = []
        if t is not None:
            joined += 1
            add_aliases(aliases, title, t.get("title"), t.get("original_title"))
            tg = _json_names(t.get("genres", ""))
            if tg:
                meta["tmdb_genres"] = tg
            keywords = _json_names(t.get("keywords", ""))
            if keywords:
                meta["keywords"] = keywords
            rt = _float(t.get("runtime"))
            if rt and rt > 0:
                meta["runtime"] = round(rt)
            overview = " ".join((t.get("overview") or "").split())
            if overview:
                meta["overview"] = overview
            tagline = " ".join((t.get("tagline") or "").split())
            if tagline:
                meta["tagline"] = tagline
            lang = (t.get("original_language") or "").strip()
            if lang:
                meta["language"] = lang
            va, vc = _float(t.get("vote_average")), _float(t.get("vote_count"))
            if va is not None:
                meta["tmdb_vote_average"] = va
            if vc is not None:
                meta["tmdb_vote_count"] = int(vc)
            if year is None and re.match(r"^\d{4}-", t.get("release_date") or ""):
                year = int(t["release_date"][:4])
        if year is not None:
            meta["year"] = year
        tu = tag_users.get(mid, {})
        tags = sorted(tu, key=lambda k: -len(tu[k]))[
            :MAX_MOVIE_TAGS
        ]  # stable: first seen wins ties
        if tags:
            meta["tags"] = tags
        n = n_ratings.get(mid, 0)
        meta["num_ratings"] = n
        if n:
            meta["avg_rating"] = round(sum_ratings[mid] / n, 3)

        head = f"{title} ({year})." if year else f"{title}."
        parts = [head]
        if genres:
            parts.append(", ".join(genres) + ".")
        if overview:
            parts.append(overview)
        if keywords:
            keywords_text = ", ".join(keywords[:TEXT_KEYWORDS])
            parts.append(f"Keywords: {keywords_text}.")
        if tags:
            parts.append("Tags: " + ", ".join(tags[:TEXT_TAGS]) + ".")
        items.append(
            {
                "id": mid,
                "title": title,
                "aliases": aliases,
                "text": clip_text(" ".join(parts)),
                "meta": meta,
            }
        )

    pops = percentile_ranks([float(it["meta"]["num_ratings"]) for it in items])
    for it, p in zip(items, pops, strict=True):
        it["meta"]["popularity"] = p
    check_meta(items, MOVIE_FIELDS)
    ids = [it["id"] for it in items]
    assert len(ids) == len(set(ids)), "duplicate movieId"

    dest = out / "movies"
    dest.mkdir(parents=True, exist_ok=True)
    write_items(dest / "items.jsonl.gz", items)
    write_gz(dest / "ratings.csv.gz", ("\n".join(lines) + "\n").encode("utf-8"))
    shutil.copyfile(ml / "README.txt", dest / "MOVIELENS-README.txt")
    manifest = {
        "name": "movies",
        "title": "Movies — MovieLens ml-latest-small + TMDB 5000",
        "noun": "movie",
        "plural": "movies",
        "items": "items.jsonl.gz",
        "ratings": "ratings.csv.gz",
        "item_count": len(items),
        "fields": MOVIE_FIELDS,
        "attribute_fields": ["genres", "tmdb_genres", "keywords", "tags"],
        "display_fields": ["year", "genres", "runtime"],
        "popularity_field": "popularity",
        "rating_field": "avg_rating",
        "votes_field": "tmdb_vote_count",
        "link_field": "url",
        "attribution": (
            "Movie titles, genres, user tags and ratings come from the MovieLens ml-latest-small "
            "data set (GroupLens Research, University of Minnesota), used under its terms: "
            "research and non-commercial use only, no endorsement by the University of Minnesota "
            "or GroupLens "
            "is stated or implied, redistributed under the same terms (see MOVIELENS-README.txt). "
            f"Cite: {MOVIELENS_CITATION} Overviews, keywords, runtimes and TMDB genres come from "
            "the "
            f"TMDB 5000 Movie Dataset. {TMDB_NOTICE}"
        ),
        "sources": [
            "MovieLens ml-latest-small (GroupLens, Sept 2018): https://grouplens.org/datasets/movielens/",
            "TMDB 5000 Movie Dataset (built from the TMDB API): https://www.themoviedb.org/",
        ],
    }
    if (dest / RANKER_FILE).exists():  # fitted later by scripts/fit_weights.py; keep it
        manifest["ranker"] = RANKER_FILE

    write_manifest(dest / "catalog.json", manifest)
    report = {
        "items": len(items),
        "tmdb_joined": joined,
        "ratings": n_rating_rows,
        "no_ratings": sum(1 for it in items if it["meta"]["num_ratings"] == 0),
        "no_year": sum(1 for it in items if "year" not in it["meta"]),
    }
    return report


# --------------------------------------------------------------------------------------
# games
# --------------------------------------------------------------------------------------
# Steam review summary labels -> (estimated 1-5 rating, log10-ish review volume the label implies).
# Steam's thresholds: "Overwhelmingly" needs 500+ reviews, "Very" 50+, plain Positive/Negative
# 10-49, and Mostly Positive / Mixed / Mostly Negative at least 10. Fewer than 10 reviews
# shows as "N user reviews".
SENTIMENTS: dict[str, tuple[float, float]] = {
    "Overwhelmingly Positive": (4.8, 2.7),
    "Very Positive": (4.4, 2.0),
    "Positive": (4.1, 1.3),
    "Mostly Positive": (3.7, 1.5),
    "Mixed": (3.0, 1.5),
    "Mostly Negative": (2.3, 1.5),
    "Negative": (1.8, 1.3),
    "Very Negative": (1.5, 2.0),
    "Overwhelmingly Negative": (1.2, 2.7),
}
_N_REVIEWS = re.compile(r"^(\d+) user reviews?$")
_FREE_PRICES = {
    "free",
    "free to play",
    "free demo",
    "free mod",
    "play for free!",
    "free to try",
    "free to use",
    "free movie",
}
_DATE_FORMATS = (
    "%Y-%m-%d",
    "%b %d, %Y",
    "%B %d, %Y",
    "%d %b, %Y",
    "%d %B, %Y",
    "%d %b %Y",
    "%d %B %Y",
    "%Y/%m/%d",
    "%m/%d/%Y",
)
_MONTH_FORMATS = ("%b %Y", "%B %Y", "%Y-%m")
_ANY_YEAR = re.compile(r"\b(19[7-9]\d|20\d\d)\b")


def game_popularity_score(sentiment: str | None, metascore: int | None) -> float:
    """Raw attention score behind a game's ``popularity`` (before the percentile rank).

    * review volume implied by the sentiment label (see :data:`SENTIMENTS`), or
      ``log10(N + 1)`` for ``"N user reviews"``, or 0 with no sentiment;
    * plus ``0.1 * (rating - 3)`` for a real label, so better-liked games rank higher
      among games of similar volume;
    * plus ``0.5 + metascore / 100`` when the game has a Metacritic score (critics
      reviewed it, a sign of a larger release).
    """
    score = 0.0
    if sentiment in SENTIMENTS:
        rating, volume = SENTIMENTS[sentiment]
        score = volume + 0.1 * (rating - 3.0)
    elif sentiment:
        m = _N_REVIEWS.match(sentiment)
        if m:
            score = math.log10(int(m.group(1)) + 1)
    if metascore is not None:
        score += 0.5 + metascore / 100
    return score


def parse_price(v: Any) -> float | None:
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        return float(v) if math.isfinite(v) and v >= 0 else None
    s = str(v).strip()
    low = s.lower()
    if low in _FREE_PRICES or low.startswith("free "):
        return 0.0
    try:
        f = float(s.lstrip("$"))
    except ValueError:
        return None
    return f if math.isfinite(f) and f >= 0 else None


def parse_release(raw: str) -> tuple[str | None, int | None]:
    """``(iso_date or None, year or None)`` from Steam's free-form release date."""
    s = " ".join(raw.split())
    for fmt in _DATE_FORMATS:
        try:
            d = datetime.strptime(s, fmt)
            return d.strftime("%Y-%m-%d"), d.year
        except ValueError:
            pass
    for fmt in _MONTH_FORMATS:
        try:
            return None, datetime.strptime(s, fmt).year
        except ValueError:
            pass
    m = _ANY_YEAR.search(s)
    return None, (int(m.group(1)) if m else None)


def _clean(s: Any) -> str:
    """Strip, collapse whitespace and undo HTML escaping (some titles are escaped twice)."""
    if s is None:
        return ""
    t = str(s)
    for _ in range(3):
        u = html.unescape(t)
        if u == t:
            break
        t = u
    return " ".join(t.split())


def _clean_list(v: Any) -> list[str]:
    if not isinstance(v, (list, tuple)):
        return []
    out: list[str] = []
    seen: set[str] = set()
    for x in v:
        c = _clean(x)
        if c and c not in seen:
            out.append(c)
            seen.add(c)
    return out


GAME_FIELDS: dict[str, dict[str, Any]] = {
    "year": field("int", "Year", "year"),
    "release_date": field("str", "Release date"),
    "release_text": field("str", "Release"),
    "genres": field("list", "Genres", "attribute"),
    "tags": field("list", "Tags", "attribute"),
    "specs": field("list", "Features", "attribute"),
    "developer": field("str", "Developer"),
    "publisher": field("str", "Publisher"),
    "price": field("float", "Price", "price", "USD"),
    "free": field("bool", "Free"),
    "discount_price": field("float", "Discount price", unit="USD"),
    "early_access": field("bool", "Early access"),
    "sentiment": field("str", "Steam reviews"),
    "n_reviews_hint": field("int", "User reviews"),
    "metascore": field("int", "Metascore", unit="/100"),
    "url": field("str", "Link", "link"),
    "rating": field("float", "Rating", "rating", "/5"),
    "popularity": field("float", "Popularity", "popularity"),
}


def build_games(data: Path, out: Path) -> dict[str, Any]:
    src = data / "steam-games" / "steam_games.json.gz"
    items: list[dict[str, Any]] = []
    raw_scores: list[float] = []
    seen: set[str] = set()
    skipped: Counter[str] = Counter()
    lines = 0
    with gzip.open(src, "rt", encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            lines += 1
            try:
                row = ast.literal_eval(line)
            except (ValueError, SyntaxError):
                skipped["unparseable line"] += 1
                continue
            if not isinstance(row, dict):
                skipped["not a dict"] += 1
                continue
            gid = _clean(row.get("id"))
            if not gid:
                skipped["no id"] += 1
                continue
            if gid in seen:
                skipped["duplicate id"] += 1
                continue
            app_name = _clean(row.get("app_name"))
            title = _clean(row.get("title")) or app_name
            if not title:
                skipped["no title or app_name"] += 1
                continue
            seen.add(gid)
            aliases: list[str] = []
            add_aliases(aliases, title, app_name)
            meta: dict[str, Any] = {}
            rd = _clean(row.get("release_date"))
            if rd:
                iso, year = parse_release(rd)
                if iso:
                    meta["release_date"] = iso
                else:
                    meta["release_text"] = rd
                if year is not None:
                    meta["year"] = year
            genres, tags, specs = (_clean_list(row.get(k)) for k in ("genres", "tags", "specs"))
            for k, v in (("genres", genres), ("tags", tags), ("specs", specs)):
                if v:
                    meta[k] = v
            dev, pub = _clean(row.get("developer")), _clean(row.get("publisher"))
            if dev:
                meta["developer"] = dev
            if pub:
                meta["publisher"] = pub
            price = parse_price(row.get("price"))
            if price is not None:
                meta["price"] = price
                meta["free"] = price == 0.0
            dp = parse_price(row.get("discount_price"))
            if dp is not None:
                meta["discount_price"] = dp
            if isinstance(row.get("early_access"), bool):
                meta["early_access"] = row["early_access"]
            sentiment = _clean(row.get("sentiment")) or None
            if sentiment:
                meta["sentiment"] = sentiment
                m = _N_REVIEWS.match(sentiment)
                if m:
                    meta["n_reviews_hint"] = int(m.group(1))
                if sentiment in SENTIMENTS:
                    meta["rating"] = SENTIMENTS[sentiment][0]
            ms = row.get("metascore")
            metascore: int | None = None
            if isinstance(ms, int) and not isinstance(ms, bool):
                metascore = ms
            elif isinstance(ms, str) and ms.strip().isdigit():
                metascore = int(ms.strip())
            if metascore is not None:
                meta["metascore"] = metascore
            url = _clean(row.get("url"))
            if url:
                meta["url"] = url
            raw_scores.append(game_popularity_score(sentiment, metascore))

            parts = [f"{title}."]
            if genres:
                parts.append("Genres: " + ", ".join(genres) + ".")
            if tags:
                parts.append("Tags: " + ", ".join(tags[:TEXT_GAME_TAGS]) + ".")
            if specs:
                parts.append("Features: " + ", ".join(specs) + ".")
            if dev:
                parts.append(f"By {dev}.")
            items.append(
                {
                    "id": gid,
                    "title": title,
                    "aliases": aliases,
                    "text": clip_text(" ".join(parts)),
                    "meta": meta,
                }
            )

    for it, p in zip(items, percentile_ranks(raw_scores), strict=True):
        it["meta"]["popularity"] = p
    check_meta(items, GAME_FIELDS)

    dest = out / "games"
    dest.mkdir(parents=True, exist_ok=True)
    write_items(dest / "items.jsonl.gz", items)
    manifest = {
        "name": "games",
        "title": "Games — Steam (UCSD Steam games metadata, Kang & McAuley 2018)",
        "noun": "game",
        "plural": "games",
        "items": "items.jsonl.gz",
        "ratings": None,
        "item_count": len(items),
        "fields": GAME_FIELDS,
        "attribute_fields": ["genres", "tags", "specs"],
        "addons": {"field": "specs", "values": ["Downloadable Content"]},
        "display_fields": ["year", "genres", "price"],
        "popularity_field": "popularity",
        "rating_field": "rating",
        "link_field": "url",
        "attribution": (
            "Game metadata comes from the Steam games data set collected at UC San Diego "
            "(Julian McAuley's group), released for research use. "
            f"Cite: {STEAM_CITATION} `rating` and `popularity` are estimates derived by chatrec "
            "from "
            "the Steam review summary label and Metacritic score, not Steam figures."
        ),
        "sources": [
            (
                "UCSD Steam games metadata (steam_games.json.gz), Kang & McAuley, ICDM 2018: "
                "https://cseweb.ucsd.edu/~jmcauley/datasets.html#steam_data"
            ),
        ],
    }
    write_manifest(dest / "catalog.json", manifest)
    return {
        "lines": lines,
        "items": len(items),
        "skipped": dict(sorted(skipped.items())),
        "with_rating": sum(1 for it in items if "rating" in it["meta"]),
        "with_price": sum(1 for it in items if "price" in it["meta"]),
        "with_year": sum(1 for it in items if "year" in it["meta"]),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA,
        help="folder with the raw data (default: <repo>/../shared/data)",
    )
    ap.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="output folder (default: <repo>/catalogs)"
    )
    ap.add_argument("--only", choices=("movies", "games"), help="build one catalog only")
    args = ap.parse_args(argv)
    data, out = args.data.resolve(), args.out.resolve()
    if not data.is_dir():
        print(f"error: data folder {data} not found (pass --data)", file=sys.stderr)
        return 2
    if args.only in (None, "movies"):
        print("movies:", _dumps(build_movies(data, out)))
        if (data / "redial-dev").is_dir():  # the conversation log (needs the catalog built)
            from build_conversations import build_conversations

            print("conversations:", _dumps(build_conversations(data, out / "movies")))
    if args.only in (None, "games"):
        print("games:", _dumps(build_games(data, out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
