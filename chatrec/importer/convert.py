"""Rows -> catalog: :func:`parse_file` applies an :class:`~chatrec.importer.spec.ImportSpec` to the
rows of a file, decides the fields (types, roles, units, attribute and display fields), converts
every row into a catalog item and builds the manifest, before anything is written.

Part of :mod:`chatrec.importer`, which re-exports the public names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chatrec.errors import CatalogError, CatalogRowError
from chatrec.importer.readers import read_rows
from chatrec.importer.spec import ImportSpec
from chatrec.importer.values import (
    BadValue,
    is_missing,
    looks_like_list,
    to_bool,
    to_list,
    to_number,
    to_text,
)

ITEMS_FILE = "items.jsonl.gz"
MAX_TEXT = 1200  # what all-MiniLM-L6-v2 can read, roughly (catalogs/README.md)
_ROLE_BY_NAME = {"year": "year", "price": "price", "rating": "rating", "popularity": "popularity"}


def _cap(text: str, limit: int = MAX_TEXT) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    sp = cut.rfind(" ")
    return (cut[:sp] if sp > limit * 0.8 else cut).rstrip(" ,;.") + "…"


@dataclass
class ParsedCatalog:
    """Items (catalog rows as dicts) and the manifest, before anything is written."""

    manifest: dict[str, Any]
    items: list[dict[str, Any]]
    errors: list[CatalogRowError]
    columns: list[str]
    rows_read: int


def _field_label(col: str) -> str:
    return col.replace("_", " ").strip().capitalize() or col


def parse_file(path: str | Path, spec: ImportSpec, name: str, *,
               skip_bad_rows: bool = False) -> ParsedCatalog:
    """Read and convert a CSV/JSONL(.gz) file. Raises the first :class:`CatalogRowError`
    unless ``skip_bad_rows`` (then the bad rows are listed in ``errors``)."""
    p = Path(path).expanduser()
    spec.check()
    table = read_rows(p, encoding=spec.encoding, format=spec.format, delimiter=spec.delimiter)
    spath, fmt, columns, rows = table.path, table.format, table.columns, table.rows
    errors = table.errors  # structural errors (ragged rows, bad quoting, bad JSON) so far

    def need(col: str | None, what: str, defaults: Sequence[str] = ()) -> str:
        if col is None:
            for d in defaults:
                for c in columns:
                    if c.lower() == d:
                        return c
            raise CatalogRowError(spath, 1, f"no {what} column: name it with --{what} "
                                  f"(the file's columns are: {', '.join(columns) or 'none'})")
        if col not in columns and not ("." in col and fmt == "jsonl"):
            raise CatalogRowError(spath, 1, f"no column {col!r} (for --{what}); the file's "
                                  f"columns are: {', '.join(columns) or 'none'}", col)
        return col

    id_col = need(spec.id, "id", ("id", "item_id"))
    title_col = need(spec.title, "title", ("title", "name"))
    text_cols = [need(c, "text") for c in spec.text]
    for c in [*spec.filters, *spec.lists]:
        need(c, "filter" if c in spec.filters else "lists")
    for opt, what in ((spec.link, "link"), (spec.rating, "rating"),
                      (spec.popularity, "popularity"), (spec.votes, "votes"),
                      (spec.aliases, "aliases")):
        if opt:
            need(opt, what)

    # --- decide the fields -----------------------------------------------------------
    sample = rows[:2000]
    fields: dict[str, dict[str, Any]] = {}
    attribute_fields: list[str] = []
    for col, t in spec.filters.items():
        typ, _, unit = t.partition(":")
        f: dict[str, Any] = {"type": typ, "label": _field_label(col)}
        role = _ROLE_BY_NAME.get(col.lower())
        if role and ((role == "year" and typ == "int") or (role != "year" and typ in ("int", "float"))):
            f["role"] = role
        if typ in ("str", "list"):
            f["role"] = "attribute"
            attribute_fields.append(col)
        if unit:
            f["unit"] = unit
        elif col.lower() == "price" and typ in ("int", "float"):
            f["unit"] = "USD"
        fields[col] = f
    list_cols = list(spec.lists)
    for col in text_cols:
        if col not in fields and col not in list_cols and \
                looks_like_list((r.get(col) for r in sample), spec.list_separator):
            list_cols.append(col)
    for col in list_cols:
        if col not in fields:
            fields[col] = {"type": "list", "label": _field_label(col), "role": "attribute"}
        if col not in attribute_fields and fields[col]["type"] in ("list", "str"):
            attribute_fields.append(col)
    for rcol, typ, role in ((spec.rating, "float", "rating"),
                            (spec.popularity, "float", "popularity"), (spec.votes, "float", "votes"),
                            (spec.link, "str", "link")):
        if rcol:
            cur = fields.setdefault(rcol, {"type": typ, "label": _field_label(rcol)})
            if role == "link":
                cur["type"] = "str"
            elif cur["type"] not in ("int", "float"):
                cur["type"] = "float"
            cur["role"] = role
            if role == "link" and rcol in attribute_fields:
                attribute_fields.remove(rcol)
            if role == "rating" and "unit" not in cur:
                cur["unit"] = "/5"
    for col in fields:
        if col in (id_col, title_col):
            raise CatalogError(f"column {col!r} is the id or title column; it cannot also be a field")

    # --- convert the rows ------------------------------------------------------------
    items: list[dict[str, Any]] = []
    first_line: dict[str, int] = {}
    rows_read = len(rows) + len(errors)
    sep = spec.list_separator
    for r in rows:
        try:
            raw_id = r.get(id_col)
            if isinstance(raw_id, float) and raw_id.is_integer():
                raw_id = int(raw_id)
            iid = "" if raw_id is None or isinstance(raw_id, (dict, list, bool)) \
                else str(raw_id).strip()
            if not iid:
                raise CatalogRowError(spath, r.line, "empty id", id_col)
            if iid in first_line:
                raise CatalogRowError(spath, r.line, f"duplicate id {iid!r} (first on line "
                                      f"{first_line[iid]})", id_col)
            first_line[iid] = r.line  # even if the row turns out bad: a later twin is reported
            raw_title = r.get(title_col)
            title = "" if raw_title is None else " ".join(str(raw_title).split())
            if not title:
                raise CatalogRowError(spath, r.line, "empty title", title_col)
            meta: dict[str, Any] = {}
            for col, fs in fields.items():
                raw = r.get(col)
                if is_missing(raw) or raw == []:
                    continue
                typ = fs["type"]
                try:
                    if typ in ("int", "float"):
                        meta[col] = to_number(raw, typ, table.decimal_comma)
                    elif typ == "bool":
                        meta[col] = to_bool(raw)
                    elif typ == "list":
                        lst = to_list(raw, sep)
                        if lst:
                            meta[col] = lst
                    else:
                        s = to_text(raw)
                        if s:
                            meta[col] = s
                except BadValue as e:
                    raise CatalogRowError(spath, r.line, str(e), col) from None
            parts = [title]
            for col in text_cols:
                raw = r.get(col)
                if is_missing(raw):
                    continue
                if col in meta and isinstance(meta[col], list):
                    parts.append(f"{fields[col]['label']}: {', '.join(meta[col])}")
                else:
                    s = to_text(raw)
                    if s and s != title:
                        parts.append(s)
            text = _cap(". ".join(part.rstrip(". ") for part in parts) + ".")
            item: dict[str, Any] = {"id": iid, "title": title, "text": text}
            if spec.aliases:
                raw = r.get(spec.aliases)
                al = [a for a in ([] if is_missing(raw) else to_list(raw, sep))
                      if a.casefold() != title.casefold()]
                if al:
                    item["aliases"] = al
            if meta:
                item["meta"] = meta
        except CatalogRowError as e:
            errors.append(e)
            if not skip_bad_rows and e.line > min(x.line for x in errors):
                break  # an earlier structural error is the one to report
            if not skip_bad_rows:
                raise
            continue
        items.append(item)
    errors.sort(key=lambda e: e.line)
    if errors and not skip_bad_rows:
        raise errors[0]
    if not items:
        detail = f"; first problem: {errors[0]}" if errors else ""
        raise CatalogError(f"{spath}: no usable rows{detail}")

    by_role = {f.get("role"): c for c, f in fields.items()}
    display = spec.display
    if display is None:
        display = [c for c in (by_role.get("year"), *attribute_fields[:1], by_role.get("price"),
                               by_role.get("rating")) if c]
    for c in display:
        if c not in fields:
            raise CatalogError(f"display field {c!r} is not one of the imported fields "
                               f"({', '.join(fields) or 'none'})")
    noun = spec.noun or "item"
    manifest: dict[str, Any] = {
        "name": name, "title": spec.label or name, "noun": noun,
        "plural": spec.plural or noun + "s", "items": ITEMS_FILE, "ratings": None,
        "item_count": len(items), "fields": {c: fields[c] for c in sorted(fields)},
        "attribute_fields": attribute_fields, "display_fields": list(dict.fromkeys(display)),
        "popularity_field": spec.popularity or by_role.get("popularity"),
        "rating_field": spec.rating or by_role.get("rating"), "votes_field": spec.votes,
        "link_field": spec.link,
        "attribution": f"Imported by the user from {p.name}.",
        "sources": [p.name],
    }
    if spec.description:
        manifest["description"] = spec.description
    return ParsedCatalog(manifest, items, errors, columns, rows_read)
