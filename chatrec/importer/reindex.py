"""The index of an imported catalog, built before the staged folder is swapped in.

An update turns the previous version's collection into the new one in place, re-embedding only
what changed (:func:`update_in_place`); otherwise :func:`write_index` writes a new collection,
reusing the stored vectors of items whose text did not change (:func:`stored_vectors`). Part of
:mod:`chatrec.importer`.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from chatrec.catalog import Catalog
from chatrec.errors import CatalogError
from chatrec.progress import tqdm_progress
from chatrec.retrieve.embed import Embedder, create_embedder, write_shipped_embeddings
from chatrec.retrieve.index import (
    BUILD_LOCK,
    INDEX_VERSION,
    build_collection,
    chroma_client,
    collection_name,
    index_metadata,
    process_lock,
)
from chatrec.settings import Settings

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


def progress_callback(progress: bool | Progress | None, label: str) -> Progress | None:
    """``True``: a progress bar on the terminal; a callable: itself; otherwise no progress."""
    if progress is True:
        return tqdm_progress(label)
    if callable(progress):
        return progress
    return None


def resolve_embedder(embedder: Embedder | str | None) -> Embedder:
    """An embedder object as given, or created by name (default ``"minilm"``)."""
    if isinstance(embedder, Embedder):
        return embedder
    return create_embedder(embedder or "minilm")


def drop_collections(settings: Settings, catalog_name: str, keep: str | None) -> int:
    """Drop this catalog's collections except ``keep`` (by the collection's own metadata, so
    catalog "books" never drops "books-fr"); returns how many were dropped."""
    with BUILD_LOCK:
        return _drop(chroma_client(settings), catalog_name, keep)


def _drop(client: Any, catalog_name: str, keep: str | None) -> int:
    n = 0
    prefix = f"chatrec-{catalog_name}-"
    for c in client.list_collections():
        cname = c if isinstance(c, str) else c.name
        if not cname.startswith(prefix) or cname == keep:
            continue
        try:
            md = client.get_collection(cname).metadata or {}
        except Exception:
            continue
        if md.get("catalog") == catalog_name:
            client.delete_collection(cname)
            n += 1
    return n


def stored_vectors(settings: Settings, catalog: Catalog, embedder: Embedder,
                   ids: list[str]) -> dict[str, np.ndarray]:
    """The vectors of ``ids`` in ``catalog``'s complete collection for ``embedder`` (empty when
    there is none)."""
    client = chroma_client(settings)
    try:
        col = client.get_collection(collection_name(catalog, embedder))
    except Exception:
        return {}
    if not (col.metadata or {}).get("complete"):
        return {}
    out: dict[str, np.ndarray] = {}
    for start in range(0, len(ids), 5000):
        got = col.get(ids=ids[start:start + 5000], include=["embeddings"])
        for i, v in zip(got["ids"], got["embeddings"]):
            out[i] = np.asarray(v, dtype=np.float32)
    return out


def _same_index_schema(a: Catalog, b: Catalog) -> bool:
    """Whether both catalogs put the same kinds of metadata in the index."""
    fa, fb = a.manifest.fields, b.manifest.fields
    return ({k: f.type for k, f in fa.items()} == {k: f.type for k, f in fb.items()}
            and a.manifest.attribute_fields == b.manifest.attribute_fields)


def update_in_place(previous: Catalog, catalog: Catalog, embedder: Embedder, settings: Settings,
                    old_hashes: Mapping[str, list[str]], new_hashes: Mapping[str, list[str]],
                    progress: Progress | None) -> tuple[str, int] | None:
    """Turn the previous version's complete collection into the new version's: delete removed
    items, embed and upsert added or re-worded ones, rewrite the metadata of the others that
    changed. Cost scales with the change, not the catalog. None when there is no usable previous
    collection (the caller then builds a new one).

    The collection is renamed aside and marked incomplete first, and gets its final name and
    ``complete`` only at the end, so an interrupted update never leaves a collection that claims
    to match a catalog it does not match. On failure the touched entries (saved first) are put
    back and the collection gets its old name again: the previous version keeps its index.
    """
    if not _same_index_schema(previous, catalog):
        return None
    client = chroma_client(settings)
    old_name, new_name = collection_name(previous, embedder), collection_name(catalog, embedder)
    if old_name == new_name:
        return None
    try:
        col = client.get_collection(old_name)
    except Exception:
        return None
    meta = dict(col.metadata or {})
    if not meta.get("complete"):
        return None
    t0 = time.perf_counter()
    meta.pop("hnsw:space", None)
    original = dict(meta)
    scalar = {f.name: f.type for f in catalog.manifest.fields.values()
              if f.type in ("int", "float", "bool")}
    removed = [i for i in old_hashes if i not in new_hashes]
    reword = [i for i, h in new_hashes.items() if i not in old_hashes or old_hashes[i][0] != h[0]]
    remeta = [i for i, h in new_hashes.items()
              if i in old_hashes and old_hashes[i][0] == h[0] and old_hashes[i][1] != h[1]]
    added = [i for i in reword if i not in old_hashes]
    reword.sort(key=lambda i: len(catalog.items[i].text))  # shortest first, as build_collection
    # what the change overwrites, to put back if it fails half-way (small: scales with the change)
    touched = [i for i in (*removed, *reword, *remeta) if i in old_hashes]
    backup: dict[str, list[Any]] = {"ids": [], "embeddings": [], "metadatas": []}
    step = 1000
    for start in range(0, len(touched), step):
        got = col.get(ids=touched[start:start + step], include=["embeddings", "metadatas"])
        for k in backup:
            backup[k].extend(list(got[k]))
    tmp = f"chatrec-{catalog.name}-upd{INDEX_VERSION}-{secrets.token_hex(6)}"
    col.modify(name=tmp, metadata={**meta, "complete": False, "content_hash": catalog.content_hash})
    try:
        for start in range(0, len(removed), step):
            col.delete(ids=removed[start:start + step])
        done = 0
        for start in range(0, len(reword), 256):
            ids = reword[start:start + 256]
            its = [catalog.items[i] for i in ids]
            col.upsert(ids=ids, embeddings=embedder.encode([it.text for it in its], batch_size=64),
                       metadatas=[index_metadata(it.meta, catalog.attributes(it), scalar)
                                  for it in its])
            done += len(ids)
            if progress:
                progress(done, len(reword))
        for start in range(0, len(remeta), step):
            ids = remeta[start:start + step]
            its = [catalog.items[i] for i in ids]
            col.update(ids=ids, metadatas=[index_metadata(it.meta, catalog.attributes(it), scalar)
                                           for it in its])
        if int(col.count()) != len(catalog):
            raise CatalogError(f"the updated index has {col.count()} items, the catalog "
                               f"{len(catalog)}")
        meta.update(complete=True, content_hash=catalog.content_hash,
                    build_seconds=round(time.perf_counter() - t0, 2), incremental=True)
        col.modify(name=new_name, metadata=meta)
    except BaseException:
        try:  # put the previous version back as it was
            for start in range(0, len(added), step):
                col.delete(ids=added[start:start + step])
            for start in range(0, len(backup["ids"]), step):
                sl = slice(start, start + step)
                col.upsert(ids=backup["ids"][sl],
                           embeddings=np.asarray(backup["embeddings"][sl], dtype=np.float32),
                           metadatas=backup["metadatas"][sl])
            col.modify(name=old_name, metadata=original)
            log.warning("incremental index update failed; the previous index is restored")
        except Exception:
            log.warning("incremental index update failed; the index is rebuilt on next use")
            with contextlib.suppress(Exception):
                client.delete_collection(tmp)
        raise
    return new_name, len(reword)


def write_index(catalog: Catalog, embedder: Embedder, settings: Settings,
                reuse: Mapping[str, np.ndarray], progress: Progress | None) -> tuple[str, int]:
    """Write the staged catalog's collection: reused vectors + fresh embeddings (via shipped
    vectors, so build_collection does not embed again). Returns (collection, embedded count)."""
    client = chroma_client(settings)
    name = collection_name(catalog, embedder)
    items = list(catalog)
    embedded = 0
    if reuse:  # an update: embed what changed here, and hand everything over as shipped vectors
        todo = [n for n, it in enumerate(items) if it.id not in reuse]
        todo.sort(key=lambda n: len(items[n].text))  # shortest first, as build_collection does
        vecs = np.zeros((len(items), embedder.dim), dtype=np.float32)
        for n, it in enumerate(items):
            v = reuse.get(it.id)
            if v is not None:
                vecs[n] = v
        for start in range(0, len(todo), 256):
            rows = todo[start:start + 256]
            vecs[rows] = embedder.encode([items[r].text for r in rows], batch_size=64)
            embedded += len(rows)
            if progress:
                progress(embedded, len(todo))
        write_shipped_embeddings(catalog, embedder, vecs)
        progress = None
    else:
        embedded = len(items)
    with BUILD_LOCK, process_lock(settings, name):
        try:
            existing = client.get_collection(name)
            complete = bool((existing.metadata or {}).get("complete"))
        except Exception:
            complete = False
        if not complete:
            build_collection(client, name, catalog, embedder, progress=progress)
        else:
            embedded = 0
    return name, embedded

