#!/usr/bin/env python
"""Precompute item embeddings for shipped catalogs so the first index build is fast.

Writes ``catalogs/<name>/embeddings.f16.npy`` (float16, one row per item in file order) and
``embeddings.json`` (model name, dimension, sha256 of the ids and texts). At index time chatrec
uses them only when the model and both hashes match the catalog as loaded; otherwise it embeds
the items itself. Run after ``scripts/build_catalogs.py``::

    python scripts/embed_catalogs.py            # every shipped catalog
    python scripts/embed_catalogs.py movies
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> int:
    from chatrec.catalog import list_catalogs, load_catalog
    from chatrec.retrieve.embed import MiniLMEmbedder, write_shipped_embeddings
    from chatrec.settings import Settings

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("catalogs", nargs="*")
    args = p.parse_args()
    settings = Settings.load()
    emb = MiniLMEmbedder()
    for name in args.catalogs or list_catalogs(settings):
        cat = load_catalog(name, settings)
        t = time.perf_counter()
        vecs = emb.encode([it.text for it in cat], batch_size=64, show_progress=True)
        path = write_shipped_embeddings(cat, emb, vecs)
        print(f"{name}: {len(cat)} items in {time.perf_counter() - t:.0f}s -> {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
