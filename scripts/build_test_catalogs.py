"""Build the two small user catalogs the tests import (tests/data/catalogs/), from the public data
in ../shared/data. Deterministic: re-running gives byte-identical files.

* ``steam_products.jsonl.gz``: Steam games as a products-like JSON Lines file with nested fields
  ({"id", "name", "maker": {"developer", "publisher"}, "released": "2016-05-03", "tags": [...],
  "price": ..., "store": {"url"}, "reviews": ...}): every game of 14 developers with many titles
  (add-ons and soundtracks included) plus 300 others. Source: UCSD Steam games metadata
  (Kang & McAuley, ICDM 2018), research use.
* ``films.csv.gz`` (movieId, title without the year, genres, release_date, vote_count,
  vote_average, original_language, overview: no ``year`` column) with its keywords in a second
  pair of files, goodbooks-style: ``film_keywords.csv.gz`` (movieId, tag_id) +
  ``keywords.csv.gz`` (tag_id, tag_name); and ``film_tags.csv.gz``, the MovieLens ``tags.csv``
  rows of these films (userId, movieId, tag, timestamp). Sources: MovieLens ml-latest-small
  (GroupLens, research use) joined with the TMDB 5000 Movie Dataset ("This product uses the TMDB
  API but is not endorsed or certified by TMDB.").

    python scripts/build_test_catalogs.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import ast
import csv
import gzip
import io
import json
import random
import re
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "data" / "catalogs"
DEVELOPERS = ("Valve", "Ubisoft Montreal", "Telltale Games", "Paradox Development Studio",
              "Bethesda Game Studios", "Croteam", "Frictional Games", "Klei Entertainment",
              "id Software", "BioWare", "CD PROJEKT RED", "Firaxis Games", "Daedalic Entertainment",
              "Double Fine Productions")


def _gz_write(path: Path, text: str) -> None:
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as f:
        f.write(text.encode("utf-8"))


def _csv(rows: list[list[object]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def steam(data: Path) -> int:
    games = []
    with gzip.open(data / "steam-games" / "steam_games.json.gz", "rt", encoding="utf-8") as f:
        for line in f:
            g = ast.literal_eval(line)
            if g.get("id") and (g.get("title") or g.get("app_name")):
                games.append(g)
    chosen = [g for g in games if g.get("developer") in DEVELOPERS]
    rest = [g for g in games if g.get("developer") not in DEVELOPERS and g.get("tags")]
    chosen += random.Random(17).sample(rest, 300)
    chosen.sort(key=lambda g: int(g["id"]))
    lines = []
    seen: set[str] = set()
    for g in chosen:
        if g["id"] in seen:
            continue
        seen.add(g["id"])
        price = g.get("price")
        row: dict[str, object] = {
            "id": g["id"], "name": g.get("title") or g.get("app_name"),
            "maker": {k: g[k] for k in ("developer", "publisher") if g.get(k)},
            "released": g.get("release_date"), "tags": g.get("tags") or g.get("genres") or [],
            "features": g.get("specs") or [],
            "price": price if isinstance(price, (int, float)) else (0.0 if price and "free" in
                                                                     str(price).lower() else None),
            "store": {"url": g.get("url")}, "reviews": g.get("sentiment")}
        lines.append(json.dumps({k: v for k, v in row.items() if v not in (None, {}, [])},
                                sort_keys=True, ensure_ascii=False))
    _gz_write(OUT / "steam_products.jsonl.gz", "\n".join(lines) + "\n")
    return len(lines)


def films(data: Path, n: int = 700) -> int:
    ml = data / "movielens-latest-small"
    with (ml / "movies.csv").open(encoding="utf-8") as f:
        movies = {r["movieId"]: r for r in csv.DictReader(f)}
    with (ml / "links.csv").open(encoding="utf-8") as f:
        tmdb_of = {r["movieId"]: r["tmdbId"] for r in csv.DictReader(f) if r["tmdbId"]}
    with zipfile.ZipFile(data / "tmdb-5000" / "tmdb_5000_movies.csv.zip") as z, \
            z.open("tmdb_5000_movies.csv") as raw:
        tmdb = {r["id"]: r for r in csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8"))}

    def clean(title: str) -> str:
        t = re.sub(r"\s*\(\d{4}\)\s*$", "", title).strip()
        m = re.match(r"^(.*), (The|A|An)$", t)
        return f"{m.group(2)} {m.group(1)}" if m else t

    joined = [(mid, tmdb[tmdb_of[mid]]) for mid in movies if tmdb_of.get(mid) in tmdb]
    joined.sort(key=lambda x: -int(x[1]["vote_count"] or 0))
    keep = {mid for mid, _ in joined[:n]}
    titles = {clean(movies[m]["title"]).casefold() for m in keep}
    keep |= {m for m in movies if clean(movies[m]["title"]).casefold() in titles}  # remakes
    rows: list[list[object]] = [["movieId", "title", "genres", "release_date", "vote_count",
                                 "vote_average", "original_language", "overview"]]
    kw_rows: list[list[object]] = [["movieId", "tag_id"]]
    names: dict[int, str] = {}
    for mid in sorted(keep, key=int):
        t = tmdb.get(tmdb_of.get(mid, ""), {})
        genres = "" if movies[mid]["genres"] == "(no genres listed)" else movies[mid]["genres"]
        year = re.search(r"\((\d{4})\)\s*$", movies[mid]["title"])
        date = t.get("release_date") or (f"{year.group(1)}-01-01" if year else "")
        rows.append([mid, clean(movies[mid]["title"]), genres, date, t.get("vote_count", ""),
                     t.get("vote_average", ""), t.get("original_language", ""),
                     (t.get("overview") or "")[:300]])
        for k in json.loads(t.get("keywords") or "[]"):
            names[int(k["id"])] = k["name"]
            kw_rows.append([mid, k["id"]])
    _gz_write(OUT / "films.csv.gz", _csv(rows))
    _gz_write(OUT / "film_keywords.csv.gz", _csv(kw_rows))
    _gz_write(OUT / "keywords.csv.gz", _csv([["tag_id", "tag_name"]]
                                            + [[k, names[k]] for k in sorted(names)]))
    with (ml / "tags.csv").open(encoding="utf-8") as f:
        tag_rows = [[r["userId"], r["movieId"], r["tag"], r["timestamp"]]
                    for r in csv.DictReader(f) if r["movieId"] in keep]
    _gz_write(OUT / "film_tags.csv.gz", _csv([["userId", "movieId", "tag", "timestamp"], *tag_rows]))
    return len(rows) - 1


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    a = p.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    print(f"steam_products: {steam(a.data)} items; films: {films(a.data)} items -> {OUT}")


if __name__ == "__main__":
    main()
