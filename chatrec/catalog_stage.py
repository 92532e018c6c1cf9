"""Writing an imported catalog safely, and its index.

The catalog files (and ``import.json``, ``item_hashes.json.gz``) are written to a staging folder
under ``data_dir/.catalog-staging``, under a per-catalog lock; the index is built (or the previous
version's collection updated in place, re-embedding only what changed) before the staged folder
is renamed into place by :func:`_swap_in`. Part of :mod:`chatrec.catalog_import`.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import logging
import os
import re
import secrets
import shutil
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from chatrec.catalog import MANIFEST_FILE, Catalog, clear_cache
from chatrec.catalog_convert import ITEMS_FILE, ParsedCatalog
from chatrec.embed import Embedder, write_shipped_embeddings
from chatrec.errors import CatalogError
from chatrec.progress import tqdm_progress
from chatrec.settings import Settings

log = logging.getLogger(__name__)

IMPORT_FILE = "import.json"
HASHES_FILE = "item_hashes.json.gz"
STAGING = ".catalog-staging"
MAX_NAME = 20  # Chroma collection names are at most 63 characters; ours add ~42
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

Progress = Callable[[int, int], None]


# --------------------------------------------------------------------------------------
# writing, hashing, swapping
# --------------------------------------------------------------------------------------
def check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name) or ".." in name:
        raise CatalogError(f"catalog name {name!r}: use letters, digits, '_', '-' or '.', "
                           "starting with a letter or digit")
    if len(name) > MAX_NAME or not name[-1].isalnum():
        raise CatalogError(f"catalog name {name!r}: at most {MAX_NAME} characters, ending with a "
                           "letter or digit")
    return name


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _write_folder(folder: Path, parsed: ParsedCatalog, provenance: dict[str, Any]) -> dict[str, list[str]]:
    """Write the catalog files; return id -> [text hash, row hash]."""
    folder.mkdir(parents=True)
    (folder / MANIFEST_FILE).write_text(
        json.dumps(parsed.manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
        encoding="utf-8")
    hashes: dict[str, list[str]] = {}
    dumps = json.JSONEncoder(sort_keys=True, ensure_ascii=False).encode
    lines: list[str] = []
    for it in parsed.items:
        line = dumps(it)
        lines.append(line)
        hashes[it["id"]] = [text_hash(it["text"]), hashlib.sha256(line.encode()).hexdigest()[:16]]
    data = ("\n".join(lines) + "\n").encode("utf-8")
    with (folder / ITEMS_FILE).open("wb") as raw, \
            gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="", compresslevel=6) as gz:
        gz.write(data)
    with gzip.open(folder / HASHES_FILE, "wt", encoding="utf-8", compresslevel=6) as f:
        json.dump(hashes, f)
    (folder / IMPORT_FILE).write_text(json.dumps(provenance, indent=2, ensure_ascii=False) + "\n",
                                      encoding="utf-8")
    return hashes


def read_hashes(folder: Path, catalog: Catalog | None = None) -> dict[str, list[str]]:
    """id -> [text hash, row hash] for an imported catalog (computed when the file is missing)."""
    try:
        with gzip.open(folder / HASHES_FILE, "rt", encoding="utf-8") as f:
            d = json.load(f)
        if isinstance(d, dict):
            return d
    except (OSError, ValueError, EOFError):
        pass
    if catalog is None:
        return {}
    return {it.id: [text_hash(it.text), ""] for it in catalog}


def _staging(settings: Settings, name: str) -> Path:
    base = settings.data_dir / STAGING
    base.mkdir(parents=True, exist_ok=True)
    return base / f"{name}-{secrets.token_hex(4)}"


@contextlib.contextmanager
def _locked(settings: Settings, name: str) -> Iterator[None]:
    base = settings.data_dir / STAGING
    base.mkdir(parents=True, exist_ok=True)
    fh = (base / f"{name}.lock").open("w")
    try:
        try:
            import fcntl

            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise CatalogError(f"catalog {name!r} is being imported by another process; "
                                   "wait for it to finish") from None
        except ImportError:  # pragma: no cover - Windows
            pass
        yield
    finally:
        fh.close()


def _swap_in(staged: Path, final: Path) -> None:
    """Rename the staged folder into place; the previous version is removed only afterwards."""
    final.parent.mkdir(parents=True, exist_ok=True)
    old: Path | None = None
    if final.exists():
        old = staged.parent / f"{final.name}-old-{secrets.token_hex(4)}"
        os.replace(final, old)
    try:
        os.replace(staged, final)
    except OSError:
        if old is not None:
            os.replace(old, final)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    clear_cache()


# --------------------------------------------------------------------------------------
# the index
# --------------------------------------------------------------------------------------
def _progress_fn(progress: bool | Progress | None, label: str) -> Progress | None:
    if progress is True:
        return tqdm_progress(label)
    if callable(progress):
        return progress
    return None


def _embedder(embedder: Embedder | str | None) -> Embedder:
    if isinstance(embedder, Embedder):
        return embedder
    from chatrec.embed import create_embedder

    return create_embedder(embedder or "minilm")


def _drop_collections(client: Any, catalog_name: str, keep: str | None) -> int:
    """Drop this catalog's collections except ``keep`` (by the collection's own metadata, so
    catalog "books" never drops "books-fr")."""
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


def _old_vectors(client: Any, col_name: str, ids: list[str]) -> dict[str, np.ndarray]:
    """Stored vectors of ``ids`` in a complete collection (empty when there is none)."""
    try:
        col = client.get_collection(col_name)
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


def _update_in_place(previous: Catalog, catalog: Catalog, embedder: Embedder, settings: Settings,
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
    from chatrec.index import INDEX_VERSION, chroma_client, collection_name, index_metadata

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


def _build_index(catalog: Catalog, embedder: Embedder, settings: Settings,
                 reuse: Mapping[str, np.ndarray], progress: Progress | None) -> tuple[str, int]:
    """Write the staged catalog's collection: reused vectors + fresh embeddings (via shipped
    vectors, so build_collection does not embed again). Returns (collection, embedded count)."""
    import chatrec.index as index_mod
    from chatrec.index import _BUILD_LOCK, build_collection, chroma_client, collection_name

    client = chroma_client(settings)
    name = collection_name(catalog, embedder)
    items = list(catalog)
    todo = [n for n, it in enumerate(items) if it.id not in reuse]
    embedded = 0
    if reuse:  # an update: embed what changed here, and hand everything over as shipped vectors
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
    cross_process = getattr(index_mod, "_process_lock", None)  # when index.py has one
    with _BUILD_LOCK, (cross_process(settings, name) if cross_process else contextlib.nullcontext()):
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
