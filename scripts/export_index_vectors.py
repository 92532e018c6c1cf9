#!/usr/bin/env python
"""Write a catalog's shipped vectors from an index that is already built (same model), instead of
embedding everything again: ``python scripts/export_index_vectors.py movies --data-dir DIR``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> int:
    from chatrec.catalog import load_catalog
    from chatrec.retrieve.embed import MiniLMEmbedder, write_shipped_embeddings
    from chatrec.retrieve.index import VectorIndex
    from chatrec.settings import Settings

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("catalog")
    p.add_argument("--data-dir", required=True)
    args = p.parse_args()
    settings = Settings.load(data_dir=args.data_dir)
    cat = load_catalog(args.catalog, settings)
    emb = MiniLMEmbedder()
    idx = VectorIndex.open(cat, emb, settings, build=False)
    ids = [it.id for it in cat]
    got: dict[str, np.ndarray] = {}
    for start in range(0, len(ids), 2000):
        found, vecs = idx.vectors(ids[start:start + 2000])
        got.update(zip(found, vecs, strict=True))
    if len(got) != len(ids):
        raise SystemExit(f"the index has {len(got)} of {len(ids)} items")
    print(write_shipped_embeddings(cat, emb, np.vstack([got[i] for i in ids])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
