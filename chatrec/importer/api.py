"""Turn a user's CSV / JSONL file into a chatrec catalog: one command, no code.

>>> from chatrec.importer import add
>>> add("books", "books.csv", id="book_id", title="title", text=["description", "tags"],
...     filters={"year": "int", "price": "float", "language": "str"}, link="url")

The importer writes an ordinary catalog folder (``catalog.json`` + ``items.jsonl.gz``, see
``catalogs/README.md``) to ``settings.data_dir / "catalogs" / <name>``, so everything downstream
(``Recommender(catalog=name)``, the terminal chat, the UI's catalog selector) works unchanged.
Beside it, ``import.json`` records how the catalog was made (the mapping, the source file, counts)
and ``item_hashes.json.gz`` a hash per item, which :func:`update` uses to re-embed only what
changed.

Safety: everything is built in a staging folder (``data_dir/.catalog-staging``) and validated with
the normal loader; its index is built before the folder is renamed into place, so a catalog is never
half-written, and a failed import leaves the previous version untouched.

The work is split by concern: :mod:`chatrec.importer.spec` (the mapping),
:mod:`chatrec.importer.readers` (files -> rows), :mod:`chatrec.importer.values` (cell values),
:mod:`chatrec.importer.convert` (rows -> items + manifest), :mod:`chatrec.importer.stage` (staging,
atomic swap) and :mod:`chatrec.importer.reindex` (the index).
This module holds the public API (:func:`add`, :func:`update`, :func:`remove`, :func:`info`,
:func:`list_user_catalogs`) and re-exports the public names of the others.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from chatrec.catalog import (
    MANIFEST_FILE,
    Catalog,
    catalog_dirs,
    clear_cache,
    load_catalog,
    user_catalogs_dir,
)
from chatrec.errors import CatalogError, CatalogRowError
from chatrec.importer.convert import ITEMS_FILE, MAX_TEXT, ParsedCatalog, parse_file
from chatrec.importer.reindex import (
    Progress,
    drop_collections,
    progress_callback,
    resolve_embedder,
    stored_vectors,
    update_in_place,
    write_index,
)
from chatrec.importer.spec import TYPES, ImportSpec, load_mapping, parse_filters, split_names
from chatrec.importer.stage import (
    HASHES_FILE,
    IMPORT_FILE,
    MAX_NAME,
    STAGING,
    check_name,
    import_lock,
    read_hashes,
    staging_path,
    swap_in,
    text_hash,
    write_folder,
)
from chatrec.retrieve.embed import Embedder
from chatrec.retrieve.index import chroma_client
from chatrec.settings import Settings

__all__ = [
    "HASHES_FILE",
    "IMPORT_FILE",
    "ITEMS_FILE",
    "MAX_NAME",
    "MAX_TEXT",
    "STAGING",
    "TYPES",
    "ImportReport",
    "ImportSpec",
    "ParsedCatalog",
    "Progress",
    "add",
    "check_name",
    "info",
    "list_user_catalogs",
    "load_mapping",
    "parse_file",
    "parse_filters",
    "read_hashes",
    "remove",
    "text_hash",
    "update",
]

log = logging.getLogger(__name__)


@dataclass
class ImportReport:
    """What an import or update did."""

    name: str
    path: Path
    items: int
    rows_read: int
    skipped: list[CatalogRowError] = field(default_factory=list)
    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    embedded: int = 0
    collection: str | None = None
    parse_seconds: float = 0.0
    index_seconds: float = 0.0
    total_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)  # the roles detected, the tags read

    def summary(self, max_errors: int = 10) -> str:
        lines = [f"catalog {self.name!r}: {self.items} items in {self.path}"]
        lines.extend(f"  {n}" for n in self.notes)
        if self.added or self.changed or self.removed or self.unchanged:
            lines.append(f"  {self.added} added, {self.changed} changed, {self.removed} removed, "
                         f"{self.unchanged} unchanged")
        if self.collection:
            lines.append(f"  index {self.collection}: {self.embedded} items embedded "
                         f"({self.index_seconds:.1f}s)")
        if self.skipped:
            lines.append(f"  skipped {len(self.skipped)} bad rows of {self.rows_read}:")
            lines.extend(f"    {e}" for e in self.skipped[:max_errors])
            if len(self.skipped) > max_errors:
                lines.append(f"    … and {len(self.skipped) - max_errors} more")
        lines.append(f"  done in {self.total_seconds:.1f}s")
        return "\n".join(lines)


def _resolve_spec(spec: ImportSpec | Mapping[str, Any] | None, mapping: str | Path | None,
                  overrides: Mapping[str, Any]) -> tuple[ImportSpec, str | None]:
    base: dict[str, Any] = {}
    source: str | None = None
    if mapping is not None:
        m = load_mapping(mapping)
        source = m.get("source")
        base.update(m)
    if isinstance(spec, ImportSpec):
        base.update(spec.to_dict())
    elif spec is not None:
        base.update(spec)
    base.pop("source", None)
    base.update({k: v for k, v in overrides.items() if v is not None})
    return ImportSpec.from_mapping(base, where=str(mapping or "arguments")), source


def _import(name: str, source: str | Path | None, spec: ImportSpec, *, settings: Settings,
            skip_bad_rows: bool, embedder: Embedder | str | None, build_index: bool,
            progress: bool | Progress | None, previous: Catalog | None) -> ImportReport:
    t0 = time.perf_counter()
    if source is None:
        raise CatalogError("no source file given")
    src = Path(source).expanduser().resolve()
    parsed = parse_file(src, spec, name, skip_bad_rows=skip_bad_rows)
    t_parse = time.perf_counter() - t0
    final = user_catalogs_dir(settings) / name
    provenance = {
        "source": str(src), "spec": spec.to_dict(), "imported_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "rows_read": parsed.rows_read, "items": len(parsed.items),
        "skipped": len(parsed.errors), "skipped_examples": [str(e) for e in parsed.errors[:20]],
        "columns": parsed.columns,
    }
    report = ImportReport(name=name, path=final, items=len(parsed.items), rows_read=parsed.rows_read,
                          skipped=parsed.errors, parse_seconds=t_parse, notes=parsed.notes)
    staged = staging_path(settings, name)
    try:
        new_hashes = write_folder(staged, parsed, provenance)
        catalog = Catalog.from_folder(staged)  # the normal loader validates every row
        reuse: dict[str, np.ndarray] = {}
        emb = resolve_embedder(embedder) if build_index else None
        if previous is not None:
            old_hashes = read_hashes(previous.path, previous)
            same_text = [i for i, h in new_hashes.items() if i in old_hashes and old_hashes[i][0] == h[0]]
            report.added = sum(1 for i in new_hashes if i not in old_hashes)
            report.removed = sum(1 for i in old_hashes if i not in new_hashes)
            report.unchanged = sum(1 for i, h in new_hashes.items() if old_hashes.get(i) == h)
            report.changed = len(new_hashes) - report.added - report.unchanged
        else:
            report.added = len(parsed.items)
        if emb is not None:
            t1 = time.perf_counter()
            bar = progress_callback(progress, f"embedding {name}")
            done = None
            if previous is not None:
                done = update_in_place(previous, catalog, emb, settings, old_hashes, new_hashes, bar)
                if done is None and same_text:
                    reuse = stored_vectors(settings, previous, emb, same_text)
            if done is None:
                done = write_index(catalog, emb, settings, reuse, bar)
            report.collection, report.embedded = done
            report.index_seconds = time.perf_counter() - t1
        swap_in(staged, final)
        if emb is not None:
            drop_collections(settings, name, keep=report.collection)
    finally:
        if staged.exists():
            shutil.rmtree(staged, ignore_errors=True)
    report.total_seconds = time.perf_counter() - t0
    return report


def add(name: str | None, source: str | Path | None = None, *, id: str | None = None,
        title: str | None = None, text: str | Sequence[str] | None = None,
        filters: str | Mapping[str, str] | None = None, lists: str | Sequence[str] | None = None,
        link: str | None = None, rating: str | None = None, popularity: str | None = None,
        votes: str | None = None, aliases: str | None = None, display: str | Sequence[str] | None = None,
        year: str | None = None, creator: str | None = None, language: str | None = None,
        tags: str | Path | None = None, tag_names: str | Path | None = None,
        tags_on: str | None = None,
        label: str | None = None, noun: str | None = None, plural: str | None = None,
        format: str | None = None, delimiter: str | None = None, encoding: str | None = None,
        list_separator: str | None = None, spec: ImportSpec | Mapping[str, Any] | None = None,
        mapping: str | Path | None = None, skip_bad_rows: bool = False, replace: bool = False,
        settings: Settings | None = None, embedder: Embedder | str | None = None,
        build_index: bool = True, progress: bool | Progress | None = False) -> ImportReport:
    """Import a CSV / JSONL (optionally .gz) file as the user catalog ``name`` and index it.

    Columns: ``id`` and ``title`` (defaults: columns named id / title or name), ``text`` (joined
    after the title into the text that is embedded), ``filters`` (``{"year": "int", "price":
    "float:USD", "language": "str"}`` or ``"year:int,price:float"``), ``lists`` (list columns:
    ``a|b|c`` or JSON arrays; they become attribute fields), ``link``, ``rating``, ``popularity``,
    ``votes`` (a count of ratings or reviews: how widely known), ``aliases``, ``year`` (a year
    or date column), ``creator`` (authors, director, developer, brand), ``language``; a role not
    given is detected from the column names and values (``"none"`` leaves it out). ``tags``: a
    second file of (item id, tag, optional weight) rows, or of tag ids with ``tag_names``;
    ``tags_on``: the items column its ids refer to. Or a ``mapping`` file (YAML/TOML/JSON with
    the same keys, plus ``source``).

    Raises :class:`CatalogRowError` (file, line, column) for the first bad row, unless
    ``skip_bad_rows``; the report then lists the skipped rows. Nothing is written unless the
    whole import succeeds.
    """
    settings = settings or Settings.load()
    overrides = {"id": id, "title": title, "text": split_names(text) if text is not None else None,
                 "filters": parse_filters(filters) if isinstance(filters, str) else filters,
                 "lists": split_names(lists) if lists is not None else None, "link": link,
                 "rating": rating, "popularity": popularity, "votes": votes, "aliases": aliases,
                 "display": split_names(display) if display is not None else None, "label": label,
                 "noun": noun, "plural": plural, "format": format, "delimiter": delimiter,
                 "encoding": encoding, "list_separator": list_separator, "year": year,
                 "creator": creator, "language": language, "tags": _abs(tags),
                 "tag_names": _abs(tag_names), "tags_on": tags_on}
    resolved, mapped_source = _resolve_spec(spec, mapping, overrides)
    if mapping is not None and name is None:
        name = load_mapping(mapping).get("name")
    if name is None:
        raise CatalogError("the catalog needs a name (argument, or `name:` in the mapping file)")
    check_name(name)
    with import_lock(settings, name):
        existing = catalog_dirs(settings).get(name)
        if existing is not None and not replace:
            where = "user" if existing.parent == user_catalogs_dir(settings) else "shipped"
            hint = "`catalog update` changes it" if where == "user" else \
                "--replace would hide the shipped one"
            raise CatalogError(f"a {where} catalog named {name!r} already exists; {hint}, "
                               "or choose another name")
        previous = None
        if existing is not None and existing.parent == user_catalogs_dir(settings):
            previous = _try_load(existing)
        return _import(name, source or mapped_source, resolved, settings=settings,
                       skip_bad_rows=skip_bad_rows, embedder=embedder, build_index=build_index,
                       progress=progress, previous=previous)


def _abs(path: str | Path | None) -> str | None:
    """A file path kept in ``import.json``: absolute, so ``catalog update`` finds it again."""
    return None if path is None else str(Path(path).expanduser().resolve())


def _try_load(folder: Path) -> Catalog | None:
    try:
        return Catalog.from_folder(folder)
    except CatalogError as e:
        log.warning("the previous version of %s cannot be read (%s); re-embedding everything",
                    folder.name, e)
        return None


def update(name: str, source: str | Path | None = None, *, skip_bad_rows: bool = False,
           settings: Settings | None = None, embedder: Embedder | str | None = None,
           build_index: bool = True, progress: bool | Progress | None = False,
           mapping: str | Path | None = None, **changes: Any) -> ImportReport:
    """Re-import a user catalog from its (changed) file; only added or changed items are embedded.

    ``source`` defaults to the file of the previous import, and the mapping to the previous
    mapping; ``changes`` (same keywords as :func:`add`) override parts of it.
    """
    settings = settings or Settings.load()
    check_name(name)
    folder = user_catalogs_dir(settings) / name
    if not (folder / MANIFEST_FILE).is_file():
        raise CatalogError(f"no user catalog named {name!r} in {folder.parent}; add it first "
                           "with `python -m chatrec catalog add`")
    prov = _provenance(folder)
    base = dict(prov.get("spec") or {})
    if "filters" in changes and isinstance(changes["filters"], str):
        changes["filters"] = parse_filters(changes["filters"])
    for k in ("text", "lists", "display"):
        if isinstance(changes.get(k), str):
            changes[k] = split_names(changes[k])
    for k in ("tags", "tag_names"):
        if changes.get(k) is not None:
            changes[k] = _abs(changes[k])
    resolved, mapped_source = _resolve_spec(base, mapping, changes)
    src = source or mapped_source or prov.get("source")
    with import_lock(settings, name):
        return _import(name, src, resolved, settings=settings, skip_bad_rows=skip_bad_rows,
                       embedder=embedder, build_index=build_index, progress=progress,
                       previous=_try_load(folder))


def _provenance(folder: Path) -> dict[str, Any]:
    try:
        d = json.loads((folder / IMPORT_FILE).read_text(encoding="utf-8"))
        return d if isinstance(d, dict) else {}
    except (OSError, ValueError):
        return {}


def remove(name: str, *, settings: Settings | None = None) -> int:
    """Delete a user catalog and its indexes; returns the number of indexes dropped."""
    settings = settings or Settings.load()
    check_name(name)
    folder = user_catalogs_dir(settings) / name
    if not folder.is_dir():
        shipped = (settings.catalogs_dir / name / MANIFEST_FILE).is_file()
        raise CatalogError(f"{name!r} is a shipped catalog; only user catalogs can be removed"
                           if shipped else f"no user catalog named {name!r} in {folder.parent}")
    with import_lock(settings, name):
        trash = staging_path(settings, name + "-removed")
        os.replace(folder, trash)
        shutil.rmtree(trash, ignore_errors=True)
        clear_cache()
        return drop_collections(settings, name, keep=None)


def list_user_catalogs(settings: Settings | None = None) -> list[dict[str, Any]]:
    """Every catalog (shipped and user): name, kind, title, item count, path."""
    settings = settings or Settings.load()
    out = []
    user_dir = user_catalogs_dir(settings)
    for name, folder in catalog_dirs(settings).items():
        try:
            man = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            man = {}
        out.append({"name": name, "kind": "user" if folder.parent == user_dir else "shipped",
                    "title": man.get("title", name), "items": man.get("item_count"),
                    "path": str(folder)})
    return out


def info(name: str, *, settings: Settings | None = None,
         vocabulary_sample: int = 15) -> dict[str, Any]:
    """Counts, fields, a vocabulary sample, the import record and the index (if built)."""
    settings = settings or Settings.load()
    cat = load_catalog(name, settings)
    man = cat.manifest
    vocab = cat.vocabulary()
    files = {p.name: p.stat().st_size for p in sorted(cat.path.iterdir()) if p.is_file()}
    d: dict[str, Any] = {
        "name": cat.name, "title": man.title, "path": str(cat.path), "items": len(cat),
        "kind": "user" if cat.path.parent == user_catalogs_dir(settings).resolve() else "shipped",
        "fields": {f.name: {"type": f.type, "label": f.label, "role": f.role, "unit": f.unit}
                   for f in man.fields.values()},
        "attribute_fields": list(man.attribute_fields), "display_fields": list(man.display_fields),
        "vocabulary_size": len(vocab),
        "vocabulary_sample": list(vocab.items())[:vocabulary_sample],
        "files": files, "import": {k: v for k, v in _provenance(cat.path).items()
                                   if k != "skipped_examples"},
    }
    d["index"] = None
    try:
        client = chroma_client(settings)
        prefix = f"chatrec-{cat.name}-"
        for c in client.list_collections():
            cname = c if isinstance(c, str) else c.name
            if not cname.startswith(prefix):
                continue
            col = client.get_collection(cname)
            md = col.metadata or {}
            if md.get("catalog") != cat.name or md.get("content_hash") != cat.content_hash:
                continue
            n = int(col.count())
            one = col.get(limit=1, include=["embeddings"])["embeddings"]
            dim = len(one[0]) if one is not None and len(one) else 0
            entry = {"collection": cname, "embedder": md.get("embedder"), "vectors": n,
                     "complete": bool(md.get("complete")), "approx_bytes": n * dim * 4,
                     "build_seconds": md.get("build_seconds")}
            if d["index"] is None or entry["complete"]:
                d["index"] = entry
    except Exception as e:  # an unreadable index is reported, not fatal
        log.info("cannot inspect the index of %s: %s", cat.name, e)
    return d
