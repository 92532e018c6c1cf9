"""Writing an imported catalog safely.

The catalog files (and ``import.json``, ``item_hashes.json.gz``) are written to a staging folder
under ``data_dir/.catalog-staging`` (:func:`staging_path`), under a per-catalog lock
(:func:`import_lock`); once its index is built (:mod:`chatrec.importer.reindex`) the staged folder
is renamed into place by :func:`swap_in`. Part of :mod:`chatrec.importer`.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from chatrec.catalog import MANIFEST_FILE, Catalog, clear_cache
from chatrec.errors import CatalogError
from chatrec.importer.convert import ITEMS_FILE, ParsedCatalog
from chatrec.settings import Settings

IMPORT_FILE = "import.json"
HASHES_FILE = "item_hashes.json.gz"
STAGING = ".catalog-staging"
MAX_NAME = 20  # Chroma collection names are at most 63 characters; ours add ~42
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def check_name(name: str) -> str:
    """``name`` when it can name a catalog (a folder and a Chroma collection), else CatalogError."""
    if not isinstance(name, str) or not _NAME.match(name) or ".." in name:
        raise CatalogError(f"catalog name {name!r}: use letters, digits, '_', '-' or '.', "
                           "starting with a letter or digit")
    if len(name) > MAX_NAME or not name[-1].isalnum():
        raise CatalogError(f"catalog name {name!r}: at most {MAX_NAME} characters, ending with a "
                           "letter or digit")
    return name


def text_hash(text: str) -> str:
    """A short hash of an item's text: an item whose hash changed is embedded again."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def write_folder(folder: Path, parsed: ParsedCatalog, provenance: dict[str, Any]) -> dict[str, list[str]]:
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


def staging_path(settings: Settings, name: str) -> Path:
    """A new, unused path under ``data_dir/.catalog-staging`` to build ``name`` in."""
    base = settings.data_dir / STAGING
    base.mkdir(parents=True, exist_ok=True)
    return base / f"{name}-{secrets.token_hex(4)}"


@contextlib.contextmanager
def import_lock(settings: Settings, name: str) -> Iterator[None]:
    """One import of ``name`` at a time, across processes; a second one fails at once."""
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


def swap_in(staged: Path, final: Path) -> None:
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
