"""Finding catalogs by name and loading them once per process.

Shipped catalogs live in ``Settings.catalogs_dir``; user catalogs in ``Settings.data_dir /
"catalogs"`` (a user catalog overrides a shipped one of the same folder name). :func:`load_catalog`
validates every row and caches the result per process, keyed by the folder and its files' sizes
and mtimes.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from chatrec.catalog.manifest import MANIFEST_FILE, read_manifest
from chatrec.catalog.model import Catalog
from chatrec.errors import CatalogError
from chatrec.settings import Settings


def user_catalogs_dir(settings: Settings) -> Path:
    """Where user catalogs live: ``settings.data_dir / "catalogs"``."""
    return settings.data_dir / "catalogs"


def catalog_dirs(settings: Settings) -> dict[str, Path]:
    """Catalog name (folder name) -> folder, sorted; user catalogs override shipped ones."""
    found: dict[str, Path] = {}
    for base in (settings.catalogs_dir, user_catalogs_dir(settings)):
        if base.is_dir():
            for manifest in sorted(base.glob(f"*/{MANIFEST_FILE}")):
                found[manifest.parent.name] = manifest.parent
    return dict(sorted(found.items()))


def list_catalogs(settings: Settings) -> list[str]:
    """Names accepted by :func:`load_catalog`."""
    return list(catalog_dirs(settings))


_CACHE: dict[Path, tuple[tuple[Any, ...], Catalog]] = {}
_CACHE_LOCK = threading.Lock()


def clear_cache() -> None:
    """Forget every cached catalog (tests; after editing catalog files in place)."""
    with _CACHE_LOCK:
        _CACHE.clear()


def _resolve(name_or_path: str | Path, settings: Settings | None) -> Path:
    if isinstance(name_or_path, Path) or "/" in name_or_path or "\\" in name_or_path \
            or name_or_path.startswith("."):
        folder = Path(name_or_path).expanduser()
        if folder.is_file() and folder.name == MANIFEST_FILE:
            folder = folder.parent
        if not (folder / MANIFEST_FILE).is_file():
            raise CatalogError(f"{folder}: not a catalog folder (no {MANIFEST_FILE})")
        return folder.resolve()
    settings = settings if settings is not None else Settings.load()
    dirs = catalog_dirs(settings)
    if name_or_path not in dirs:
        available = ", ".join(dirs) or "none"
        missing = "" if settings.catalogs_dir.is_dir() else (
            f"; the shipped catalogs folder {settings.catalogs_dir} does not exist: set "
            "CHATREC_CATALOGS_DIR to where they are")
        raise CatalogError(
            f"unknown catalog {name_or_path!r}; available: {available} (shipped in "
            f"{settings.catalogs_dir}, user catalogs in {user_catalogs_dir(settings)}; "
            f"or pass a folder path containing catalog.json){missing}")
    return dirs[name_or_path].resolve()


def load_catalog(name_or_path: str | Path, settings: Settings | None = None) -> Catalog:
    """A catalog by name (see :func:`catalog_dirs`) or by folder path, validated.

    Cached per process: loading the same unchanged folder again returns the same object;
    a change in any of its files' size or mtime reloads it.
    """
    folder = _resolve(name_or_path, settings)
    manifest = read_manifest(folder)
    key_parts: list[Any] = []
    for p in manifest.content_files(folder):
        try:
            st = p.stat()
        except FileNotFoundError:
            raise CatalogError(f"{p}: file not found (named in {folder / MANIFEST_FILE})") from None
        key_parts.append((p.name, st.st_size, st.st_mtime_ns))
    key = tuple(key_parts)
    with _CACHE_LOCK:
        hit = _CACHE.get(folder)
        if hit is not None and hit[0] == key:
            return hit[1]
    catalog = Catalog.from_folder(folder)
    with _CACHE_LOCK:
        _CACHE[folder] = (key, catalog)
    return catalog

