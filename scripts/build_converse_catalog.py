"""Build tests/data/catalogs/tmdb_movies.csv.gz, the user catalog of the conversation suite
(``python -m chatrec.eval converse``): the TMDB 5000 rows as TMDB ships them (genres and keywords
as JSON arrays of ``{"id", "name"}`` objects, no year column, a 0-10 vote average), the 1,200
most-voted movies with an overview, sorted by id. Deterministic: re-running gives byte-identical
files.

Source: the TMDB 5000 Movie Dataset. "This product uses the TMDB API but is not endorsed or
certified by TMDB."

    python scripts/build_converse_catalog.py [--data ../shared/data] [--rows 1200]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "data" / "catalogs" / "tmdb_movies.csv.gz"
COLUMNS = ("id", "title", "overview", "genres", "keywords", "release_date", "runtime",
           "vote_average", "vote_count", "original_language", "tagline")


def build(data: Path, rows: int) -> int:
    with zipfile.ZipFile(data / "tmdb-5000" / "tmdb_5000_movies.csv.zip") as z:
        name = next(n for n in z.namelist() if n.endswith(".csv"))
        text = z.read(name).decode("utf-8")
    movies = [r for r in csv.DictReader(io.StringIO(text)) if r["overview"].strip()]
    movies.sort(key=lambda r: (-int(r["vote_count"] or 0), int(r["id"])))
    keep = sorted(movies[:rows], key=lambda r: int(r["id"]))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for r in keep:
        w.writerow([r[c] for c in COLUMNS])
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "wb") as f, gzip.GzipFile(fileobj=f, mode="wb", mtime=0, filename="") as gz:
        gz.write(buf.getvalue().encode("utf-8"))
    return len(keep)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    p.add_argument("--rows", type=int, default=1200)
    a = p.parse_args()
    n = build(Path(a.data), a.rows)
    print(f"wrote {n} rows to {OUT.relative_to(ROOT)} ({OUT.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
