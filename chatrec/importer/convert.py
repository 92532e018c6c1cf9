"""Rows -> catalog: :func:`parse_file` applies an :class:`~chatrec.importer.spec.ImportSpec` to the
rows of a file, decides the fields (types, roles, units, attribute and display fields), converts
every row into a catalog item and builds the manifest, before anything is written.

Part of :mod:`chatrec.importer`, which re-exports the public names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chatrec.errors import CatalogError, CatalogRowError
from chatrec.importer.readers import read_rows
from chatrec.importer.roles import choose_roles, nested_columns, split_creators, words, year_of
from chatrec.importer.spec import ImportSpec
from chatrec.importer.tags import TagTable, read_tags
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
    notes: list[str] = field(default_factory=list)  # the roles detected, the tags read


def _field_label(col: str) -> str:
    return col.rsplit(".", 1)[-1].replace("_", " ").strip().capitalize() or col


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
        if col not in columns and not ("." in col and fmt == "jsonl" and
                                       any(r.get(col) is not None for r in rows[:2000])):
            raise CatalogRowError(spath, 1, f"no column {col!r} (for --{what}); the file's "
                                  f"columns are: {', '.join(columns) or 'none'}", col)
        return col

    id_col = need(spec.id, "id", ("id", "item_id"))
    title_col = need(spec.title, "title", ("title", "name"))
    text_cols = [need(c, "text") for c in spec.text]
    for c in [*spec.filters, *spec.lists]:
        need(c, "filter" if c in spec.filters else "lists")
    given = {"year": spec.year, "creator": spec.creator, "rating": spec.rating,
             "votes": spec.votes, "popularity": spec.popularity, "language": spec.language,
             "link": spec.link}
    for what, opt in (*given.items(), ("aliases", spec.aliases)):
        if opt and opt.lower() != "none":
            need(opt, what)

    # --- decide the fields -----------------------------------------------------------
    sample = rows[:2000]
    all_columns = nested_columns(columns, (r.values for r in sample[:200]))
    roles = choose_roles(given, all_columns, {c: [r.get(c) for r in sample] for c in all_columns},
                         (id_col, title_col))
    role_col = roles.columns
    notes = list(roles.notes)
    fields: dict[str, dict[str, Any]] = {}
    source_of: dict[str, str] = {}  # field -> its column, where the two differ
    parse_as: dict[str, str] = {}  # field -> "year" | "creators": read with the role's parser
    attribute_fields: list[str] = []
    for col, t in spec.filters.items():
        if col in (role_col.get("year"), role_col.get("creator")):
            continue
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
    for rcol, typ, role in ((role_col.get("rating"), "float", "rating"),
                            (role_col.get("popularity"), "float", "popularity"),
                            (role_col.get("votes"), "float", "votes"),
                            (role_col.get("language"), "str", "language"),
                            (role_col.get("link"), "str", "link")):
        if rcol:
            cur = fields.setdefault(rcol, {"type": typ, "label": _field_label(rcol)})
            if role in ("link", "language"):
                cur["type"] = "str"
            elif cur["type"] not in ("int", "float"):
                cur["type"] = "float"
            cur["role"] = role
            if (role == "link" or (role == "language" and rcol not in spec.filters)) \
                    and rcol in attribute_fields:
                attribute_fields.remove(rcol)
            if role == "rating" and "unit" not in cur:
                cur["unit"] = _rating_unit([r.get(rcol) for r in sample])
    if role_col.get("year"):
        fields["year"] = {"type": "int", "label": "Year", "role": "year"}
        source_of["year"] = role_col["year"]
        parse_as["year"] = "year"
    if role_col.get("creator"):
        ccol = role_col["creator"]
        cname = words(ccol)[-1] if words(ccol) and words(ccol)[-1] not in fields else ccol
        fields[cname] = {"type": "list", "label": _field_label(cname), "role": "creator"}
        source_of[cname] = ccol
        parse_as[cname] = "creators"
        if cname in attribute_fields:
            attribute_fields.remove(cname)
    strict_year = bool(spec.year) or role_col.get("year") in spec.filters
    tag_table: TagTable | None = None
    tag_field = "tags" if "tags" not in fields else "file_tags"
    if spec.tags:
        tag_table = read_tags(spec.tags, spec.tag_names, id_col=id_col, item_columns=all_columns,
                              tags_on=spec.tags_on, encoding=spec.encoding)
        fields[tag_field] = {"type": "list", "label": "Tags", "role": "attribute"}
        attribute_fields.append(tag_field)
    for col in fields:
        if col in (id_col, title_col):
            raise CatalogError(f"column {col!r} is the id or title column; it cannot also be a field")

    # --- convert the rows ------------------------------------------------------------
    items: list[dict[str, Any]] = []
    keys: dict[str, str] = {}  # the tags file's item key -> item id
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
                raw = r.get(source_of.get(col, col))
                if is_missing(raw) or raw == []:
                    continue
                typ = fs["type"]
                try:
                    if parse_as.get(col) == "year":
                        y = year_of(raw)
                        if y is not None:
                            meta[col] = y
                        elif strict_year:  # a detected date column: "To be announced" is empty
                            raise BadValue(f"cannot read a year from {str(raw)[:40]!r}")
                    elif parse_as.get(col) == "creators":
                        names = split_creators(raw, sep)
                        if names:
                            meta[col] = names
                    elif typ in ("int", "float"):
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
                    raise CatalogRowError(spath, r.line, str(e), source_of.get(col, col)) from None
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
            if tag_table is not None:
                keys[_key(r.get(tag_table.on))] = iid
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

    if tag_table is not None:
        notes.append(_attach_tags(items, tag_table.per_item(keys), tag_field, tag_table))
    by_role = {f.get("role"): c for c, f in fields.items()}
    display = spec.display
    if display is None:
        display = [c for c in (by_role.get("year"), by_role.get("creator"), *attribute_fields[:1],
                               by_role.get("price"), by_role.get("rating")) if c]
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
        "popularity_field": by_role.get("popularity"), "rating_field": by_role.get("rating"),
        "votes_field": by_role.get("votes"), "link_field": by_role.get("link"),
        "attribution": f"Imported by the user from {p.name}.",
        "sources": [p.name],
    }
    if spec.description:
        manifest["description"] = spec.description
    return ParsedCatalog(manifest, items, errors, columns, rows_read, notes)


def _key(v: Any) -> str:
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v).strip()


def _rating_unit(values: list[Any]) -> str:
    """The scale of a rating column from its largest value: /5, /10 or /100."""
    top = 0.0
    for v in values:
        try:
            top = max(top, float(to_number(v, "float", False)))
        except (BadValue, TypeError):
            continue
    return "/5" if top <= 5 else "/10" if top <= 10 else "/100"


def _attach_tags(items: list[dict[str, Any]], tags: dict[str, list[str]], field_name: str,
                 table: TagTable) -> str:
    """Each item's tags into its meta and, the ten heaviest, into its embedded text."""
    n = 0
    for it in items:
        t = tags.get(it["id"])
        if not t:
            continue
        n += 1
        it.setdefault("meta", {})[field_name] = t
        it["text"] = _cap(it["text"].rstrip(".") + ". Tags: " + ", ".join(t[:10]) + ".")
    return (f"tags: {table.rows:,} rows read, {n:,} of {len(items):,} items tagged "
            f"(joined on {table.on})")
