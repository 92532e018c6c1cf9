"""``python -m chatrec.eval.bench_import``: import + embedding throughput, and incremental updates.

Synthesizes a CSV from the shipped games catalog (32k rows), imports it into a scratch data dir
as a user catalog (parse, write, embed, index), then changes the text of 1% of the rows and
runs ``catalog update``: only those rows should be embedded again. Target: the update costs
under 5% of the full build.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import time
from pathlib import Path

from chatrec.catalog import load_catalog
from chatrec.settings import Settings

COLUMNS = ["app_id", "title", "genres", "tags", "specs", "developer", "year", "price", "rating",
           "popularity", "url"]


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


def run(limit: int | None, changed: float, embedder: str, data_dir: Path) -> dict[str, float]:
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
          f"{t_up / t_full:.1%} of the full build (target < 5%)", flush=True)
    t0 = time.perf_counter()
    same = update("bench", src, settings=settings, embedder=embedder, progress=False)
    t_same = time.perf_counter() - t0
    print(f"update with nothing changed: {t_same:.1f}s ({same.embedded} embedded)", flush=True)
    return {"items": n, "parse_s": t_parse, "full_s": t_full, "index_s": full.index_seconds,
            "update_s": t_up, "update_embedded": up.embedded, "ratio": t_up / t_full,
            "noop_update_s": t_same}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m chatrec.eval.bench_import", description=__doc__)
    p.add_argument("--limit", type=int, default=None, help="use only the first N games")
    p.add_argument("--changed", type=float, default=0.01, help="share of rows changed (0.01)")
    p.add_argument("--embedder", default="minilm", help="minilm (default) or hashing")
    p.add_argument("--data-dir", type=Path, default=None, help="default: a temporary folder")
    args = p.parse_args(argv)
    if args.data_dir:
        args.data_dir.mkdir(parents=True, exist_ok=True)
        r = run(args.limit, args.changed, args.embedder, args.data_dir)
    else:
        with tempfile.TemporaryDirectory(prefix="chatrec-bench-import-") as d:
            r = run(args.limit, args.changed, args.embedder, Path(d))
    return 0 if r["ratio"] < 0.05 else 1


if __name__ == "__main__":
    sys.exit(main())
