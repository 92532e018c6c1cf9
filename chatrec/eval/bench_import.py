"""``python -m chatrec.eval.bench_import``: importing at the encoder's speed, and incremental updates.

Two parts (``--only short|games``; both by default):

* ``short``: a CSV of ``--rows`` short rows (10,000 by default: a movie title and its year, a
  few words each, as in a list of books with their authors) imported as a user catalog (parse,
  write, embed, index), against bare ``SentenceTransformer.encode`` on exactly the texts the
  import embeds, in the same process with the same model, interleaved (encode, import, encode,
  import, ...; ``--repeat`` rounds, medians). Target: the import reaches 0.8x the bare encoder's
  items/s; the process's peak RSS stays under 1 GB.
* ``games``: the shipped games catalog (32k rows) written out as a messy CSV, imported, then 1% of
  its rows changed and ``catalog update`` run: only those rows are embedded again. Target: the
  update costs under 5% of the full build.

``--json PATH`` writes the figures (what ``python -m chatrec.eval bench`` reads).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from chatrec.catalog import load_catalog
from chatrec.retrieve.embed import Embedder, MiniLMEmbedder, create_embedder
from chatrec.retrieve.index import chroma_client
from chatrec.settings import Settings

COLUMNS = ["app_id", "title", "genres", "tags", "specs", "developer", "year", "price", "rating",
           "popularity", "url"]
IMPORT_TARGET = 0.8  # the import's items/s over the bare encoder's, at least
UPDATE_TARGET = 0.05  # an update of 1% of the rows over the full build, at most
RSS_TARGET_MB = 1024


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- short rows vs the bare encoder -------------------------------------------------------------
def write_short_csv(path: Path, rows: int) -> int:
    """``rows`` short rows (id, title, year) from the movies catalog's titles; past its 9,742
    titles they repeat with a number, so every row is its own item."""
    movies = list(load_catalog("movies", Settings.load(env={})))
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "title", "year"])
        for n in range(rows):
            it = movies[n % len(movies)]
            title = it.title if n < len(movies) else f"{it.title} {n // len(movies) + 1}"
            w.writerow([f"r{n}", title, it.meta.get("year") or ""])
    return rows


class Timer:
    """Wall and CPU seconds (every thread of the process) of a ``with`` block."""

    def __enter__(self) -> Timer:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def bare_encode(embedder: Embedder, texts: list[str]) -> None:
    """Encode ``texts`` with the model alone: ``SentenceTransformer.encode`` for MiniLM (the
    embedder's own model object, so both sides use the same weights and threads)."""
    if isinstance(embedder, MiniLMEmbedder):
        embedder.model().encode(texts, batch_size=64, normalize_embeddings=True,
                                convert_to_numpy=True)
    else:
        embedder.encode(texts)


def short_import(rows: int, repeat: int, embedder_name: str, data_dir: Path) -> dict[str, Any]:
    """Import ``rows`` short rows ``repeat`` times (a new catalog each time), each after a bare
    encode of the same texts; medians, the ratio of items/s (and of CPU per item, steadier on
    a shared machine), and the peak RSS."""
    from chatrec.importer import add

    settings = Settings.load(env={}, data_dir=str(data_dir))
    src = data_dir / "short.csv"
    write_short_csv(src, rows)
    embedder = create_embedder(embedder_name)
    embedder.warm()  # loading the model and Chroma is not per item: neither side pays it
    chroma_client(settings)
    opts: dict[str, Any] = dict(id="id", title="title", text="year", filters="year:int",
                                embedder=embedder, progress=True)
    add("short-warm", src, settings=settings, build_index=False, **opts)  # imports, Chroma
    texts = [it.text for it in load_catalog("short-warm", settings)]
    print(f"{rows:,} short rows, e.g. {texts[0]!r}, {np.mean([len(t) for t in texts]):.0f} "
          f"characters on average", flush=True)
    encode: list[Timer] = []
    imported: list[Timer] = []
    for n in range(repeat):
        with Timer() as t:
            bare_encode(embedder, texts)
        encode.append(t)
        with Timer() as t:
            add(f"short-{n}", src, settings=settings, **opts)
        imported.append(t)
        print(f"round {n + 1}: bare encode {encode[-1].wall:.1f} s, import {t.wall:.1f} s",
              flush=True)
    enc = rows / statistics.median(t.wall for t in encode)
    imp = rows / statistics.median(t.wall for t in imported)
    enc_cpu = statistics.median(t.cpu for t in encode) / rows
    imp_cpu = statistics.median(t.cpu for t in imported) / rows
    rss = peak_rss_mb()
    print(f"import {imp:,.0f} items/s vs bare encode {enc:,.0f} items/s: ratio {imp / enc:.2f} "
          f"(target >= {IMPORT_TARGET}); CPU per item {imp_cpu * 1000:.2f} ms vs "
          f"{enc_cpu * 1000:.2f} ms: ratio {enc_cpu / imp_cpu:.2f}; peak RSS {rss:,.0f} MB "
          f"(target <= {RSS_TARGET_MB})", flush=True)
    return {"rows": rows, "embedder": embedder.name, "encode_s": [t.wall for t in encode],
            "import_s": [t.wall for t in imported], "encode_items_per_s": enc,
            "import_items_per_s": imp, "ratio": imp / enc, "encode_cpu_ms_per_item":
            enc_cpu * 1000, "import_cpu_ms_per_item": imp_cpu * 1000,
            "cpu_ratio": enc_cpu / imp_cpu, "peak_rss_mb": rss}


# --- the games catalog: full import, then an update of 1% ------------------------------------------
def _cell(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, list):
        return "|".join(str(x) for x in v)
    return str(v)


def write_games_csv(path: Path, limit: int | None = None, changed: float = 0.0,
                    seed: int = 7) -> int:
    """The games catalog as a messy-ish CSV (``;`` delimiter, BOM); ``changed``: the share of
    rows whose tags get an extra word (so their text, and their vector, change)."""
    games = load_catalog("games", Settings.load(env={}))
    items = list(games)[:limit] if limit else list(games)
    rng = random.Random(seed)
    touched = set(rng.sample(range(len(items)), round(len(items) * changed))) if changed else set()
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f, delimiter=";")
        w.writerow(COLUMNS)
        for n, it in enumerate(items):
            m = it.meta
            tags = list(m.get("tags") or [])  # type: ignore[arg-type]
            if n in touched:
                tags.append("Updated Edition")
            w.writerow([it.id, it.title, _cell(m.get("genres")), _cell(tags), _cell(m.get("specs")),
                        _cell(m.get("developer")), _cell(m.get("year")), _cell(m.get("price")),
                        _cell(m.get("rating")), _cell(m.get("popularity")), _cell(m.get("url"))])
    return len(items)


def games_update(limit: int | None, changed: float, embedder: str,
                 data_dir: Path) -> dict[str, Any]:
    """Full import of the games, an update with ``changed`` of the rows changed, a no-op update."""
    from chatrec.importer import add, update

    settings = Settings.load(env={}, data_dir=str(data_dir))
    src = data_dir / "games.csv"
    n = write_games_csv(src, limit)
    opts = dict(id="app_id", title="title", text="genres,tags,specs,developer",
                filters="year:int,price:float:USD,developer:str", rating="rating",
                popularity="popularity", link="url", noun="game")
    t0 = time.perf_counter()
    parse_only = add("bench-parse", src, settings=settings, build_index=False, **opts)  # type: ignore[arg-type]
    t_parse = time.perf_counter() - t0
    del parse_only
    print(f"parse + validate + write: {n} rows in {t_parse:.2f}s = {n / t_parse:,.0f} items/s",
          flush=True)
    t0 = time.perf_counter()
    full = add("bench", src, settings=settings, embedder=embedder, progress=True, **opts)  # type: ignore[arg-type]
    t_full = time.perf_counter() - t0
    print(f"full import (parse + embed + index): {t_full:.1f}s = {n / t_full:,.1f} items/s "
          f"(embed + index {full.index_seconds:.1f}s = {n / max(full.index_seconds, 1e-9):,.1f} "
          "items/s)", flush=True)
    write_games_csv(src, limit, changed=changed)
    t0 = time.perf_counter()
    up = update("bench", src, settings=settings, embedder=embedder, progress=False)
    t_up = time.perf_counter() - t0
    print(f"update with {changed:.0%} changed: {t_up:.1f}s ({up.changed} changed, "
          f"{up.embedded} embedded; index {up.index_seconds:.1f}s) = "
          f"{t_up / t_full:.1%} of the full build (target < {UPDATE_TARGET:.0%})", flush=True)
    t0 = time.perf_counter()
    same = update("bench", src, settings=settings, embedder=embedder, progress=False)
    t_same = time.perf_counter() - t0
    print(f"update with nothing changed: {t_same:.1f}s ({same.embedded} embedded)", flush=True)
    return {"items": n, "parse_s": t_parse, "full_s": t_full, "index_s": full.index_seconds,
            "update_s": t_up, "update_embedded": up.embedded, "ratio": t_up / t_full,
            "noop_update_s": t_same}


def run(args: argparse.Namespace, data_dir: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if args.only in (None, "short"):
        out["short"] = short_import(args.rows, args.repeat, args.embedder,
                                    Path(tempfile.mkdtemp(prefix="short-", dir=data_dir)))
    if args.only in (None, "games"):
        out["games"] = games_update(args.limit, args.changed, args.embedder,
                                    Path(tempfile.mkdtemp(prefix="games-", dir=data_dir)))
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def met(r: dict[str, Any]) -> bool:
    """Whether every target of the parts that ran is met."""
    ok = r["peak_rss_mb"] <= RSS_TARGET_MB
    if "short" in r:
        ok = ok and r["short"]["ratio"] >= IMPORT_TARGET
    if "games" in r:
        ok = ok and r["games"]["ratio"] < UPDATE_TARGET
    return ok


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m chatrec.eval.bench_import", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", choices=["short", "games"], help="one part (default: both)")
    p.add_argument("--rows", type=int, default=10_000, help="short rows to import (10,000)")
    p.add_argument("--repeat", type=int, default=3, help="rounds of encode + import (3)")
    p.add_argument("--limit", type=int, default=None, help="use only the first N games")
    p.add_argument("--changed", type=float, default=0.01, help="share of games changed (0.01)")
    p.add_argument("--embedder", default="minilm", help="minilm (default) or hashing")
    p.add_argument("--data-dir", type=Path, default=None, help="default: a temporary folder")
    p.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = p.parse_args(argv)
    if args.data_dir:
        args.data_dir.mkdir(parents=True, exist_ok=True)
        r = run(args, args.data_dir)
    else:
        with tempfile.TemporaryDirectory(prefix="chatrec-bench-import-") as d:
            r = run(args, Path(d))
    if args.json:
        args.json.write_text(json.dumps(r, indent=2) + "\n")
    return 0 if met(r) else 1


if __name__ == "__main__":
    sys.exit(main())
