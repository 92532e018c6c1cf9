"""Turn a user's CSV / JSONL file into a chatrec catalog: one command, no code.

>>> from chatrec.catalog_import import add
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
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import hashlib
import io
import json
import logging
import math
import os
import re
import secrets
import shutil
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from chatrec.catalog import (
    MANIFEST_FILE,
    Catalog,
    catalog_dirs,
    clear_cache,
    user_catalogs_dir,
)
from chatrec.embed import Embedder, write_shipped_embeddings
from chatrec.errors import CatalogError, CatalogRowError
from chatrec.progress import tqdm_progress
from chatrec.settings import Settings

log = logging.getLogger(__name__)

IMPORT_FILE = "import.json"
HASHES_FILE = "item_hashes.json.gz"
ITEMS_FILE = "items.jsonl.gz"
STAGING = ".catalog-staging"
MAX_NAME = 20  # Chroma collection names are at most 63 characters; ours add ~42
MAX_TEXT = 1200  # what all-MiniLM-L6-v2 can read, roughly (catalogs/README.md)
TYPES = ("int", "float", "str", "bool", "list")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "-", "--", "?"})
_TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})
_FALSE = frozenset({"0", "false", "f", "no", "n", "off"})
_CURRENCY = "$€£¥₹"
_DECIMAL_COMMA = re.compile(r"^-?\d+,\d+$")
_THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")
_ROLE_BY_NAME = {"year": "year", "price": "price", "rating": "rating", "popularity": "popularity"}

Progress = Callable[[int, int], None]


# --------------------------------------------------------------------------------------
# the mapping: which column is what
# --------------------------------------------------------------------------------------
@dataclass
class ImportSpec:
    """How a file maps onto a catalog. Every field mirrors a ``catalog add`` flag.

    ``filters``: column -> ``"int" | "float" | "str" | "bool" | "list"``, optionally with a unit
    (``"float:USD"``, ``"int:min"``, ``"float:/5"``). ``str`` and ``list`` filters also become
    attribute fields (the words the profile understands); so do list-valued ``text`` columns and
    ``lists`` columns.
    """

    id: str | None = None  # default: a column named "id"
    title: str | None = None  # default: "title" or "name"
    text: list[str] = field(default_factory=list)
    filters: dict[str, str] = field(default_factory=dict)
    lists: list[str] = field(default_factory=list)
    aliases: str | None = None
    link: str | None = None
    rating: str | None = None
    popularity: str | None = None
    display: list[str] | None = None
    label: str | None = None  # the catalog's human title
    noun: str = "item"
    plural: str | None = None
    description: str | None = None
    format: str | None = None  # "csv" | "jsonl"; default: from the file name, else sniffed
    delimiter: str | None = None  # CSV; default: sniffed
    encoding: str = "utf-8"  # a BOM is always accepted; "latin-1" for old spreadsheets
    list_separator: str = "|"

    @classmethod
    def from_mapping(cls, d: Mapping[str, Any], *, where: str = "mapping") -> ImportSpec:
        """From a YAML/TOML/JSON mapping (keys as in this class; ``csv:`` may group format keys)."""
        d = dict(d)
        nested = d.pop("csv", None)
        if isinstance(nested, Mapping):
            d.update(nested)
        d.pop("name", None)
        d.pop("source", None)
        if "list_sep" in d:
            d["list_separator"] = d.pop("list_sep")
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(d) - known)
        if unknown:
            raise CatalogError(f"{where}: unknown key {unknown[0]!r}; known keys: name, source, "
                               + ", ".join(sorted(known)))
        for k in ("text", "lists", "display"):
            if isinstance(d.get(k), str):
                d[k] = _split_names(d[k])
        filters = d.get("filters")
        if isinstance(filters, str):
            d["filters"] = parse_filters(filters)
        elif isinstance(filters, Mapping):
            out: dict[str, str] = {}
            for col, t in filters.items():
                if isinstance(t, Mapping):  # {type: float, unit: USD}
                    t = str(t.get("type", "str")) + (f":{t['unit']}" if t.get("unit") else "")
                out[str(col)] = str(t)
            d["filters"] = out
        elif isinstance(filters, list):
            d["filters"] = parse_filters(",".join(str(x) for x in filters))
        spec = cls(**d)
        spec.check()
        return spec

    def check(self) -> None:
        for col, t in self.filters.items():
            typ = t.split(":", 1)[0]
            if typ not in TYPES:
                raise CatalogError(f"filter {col!r}: type {typ!r} is not one of {', '.join(TYPES)}")
        if len(self.list_separator) < 1:
            raise CatalogError("list_separator must not be empty")
        if self.format not in (None, "csv", "jsonl"):
            raise CatalogError(f"format {self.format!r}: use csv or jsonl")

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, [], {})}


def _split_names(s: str | Sequence[str] | None) -> list[str]:
    if s is None:
        return []
    if isinstance(s, str):
        return [c.strip() for c in s.split(",") if c.strip()]
    return [str(c).strip() for c in s if str(c).strip()]


def parse_filters(s: str) -> dict[str, str]:
    """``"year:int,price:float:USD,language"`` -> ``{"year": "int", "price": "float:USD", ...}``
    (the type defaults to ``str``)."""
    out: dict[str, str] = {}
    for part in _split_names(s):
        col, _, typ = part.partition(":")
        out[col.strip()] = typ.strip() or "str"
    return out


def load_mapping(path: str | Path) -> dict[str, Any]:
    """A mapping file: ``.yaml``/``.yml``, ``.toml`` or ``.json``."""
    p = Path(path)
    try:
        raw = p.read_text(encoding="utf-8")
    except OSError as e:
        raise CatalogError(f"{p}: cannot read the mapping file: {e}") from None
    try:
        if p.suffix in (".toml", ".tml"):
            import tomllib

            d: Any = tomllib.loads(raw)
        elif p.suffix == ".json":
            d = json.loads(raw)
        else:
            import yaml

            d = yaml.safe_load(raw)
    except Exception as e:  # the parsers' own error types
        raise CatalogError(f"{p}: not a valid mapping file: {e}") from None
    if not isinstance(d, dict):
        raise CatalogError(f"{p}: a mapping file must hold key: value pairs")
    if isinstance(d.get("source"), str) and not Path(d["source"]).is_absolute():
        d["source"] = str((p.parent / d["source"]).resolve())
    return d


# --------------------------------------------------------------------------------------
# reading files: gzip, encodings, CSV dialects, JSONL
# --------------------------------------------------------------------------------------
@dataclass
class _Source:
    path: str
    text: str
    truncated: bool  # a gzip stream that ends early


def _read_source(path: Path, encoding: str) -> _Source:
    spath = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CatalogError(f"{spath}: file not found") from None
    except OSError as e:
        raise CatalogError(f"{spath}: cannot read: {e}") from None
    truncated = False
    if raw[:2] == b"\x1f\x8b":
        d = zlib.decompressobj(wbits=47)
        try:
            data = d.decompress(raw)
        except zlib.error as e:
            raise CatalogError(f"{spath}: damaged gzip file: {e}") from None
        truncated = not d.eof
        raw = data
    enc = encoding.lower().replace("_", "-")
    if enc in ("utf-8", "utf8"):
        enc = "utf-8-sig"  # accepts a BOM
    try:
        text = raw.decode(enc)
    except LookupError:
        raise CatalogError(f"unknown encoding {encoding!r} (try utf-8 or latin-1)") from None
    except UnicodeDecodeError as e:
        line = raw[:e.start].count(b"\n") + 1
        if truncated and e.start >= len(raw) - 4:
            text = raw[:e.start].decode(enc)
        else:
            raise CatalogRowError(spath, line, f"not valid {encoding} text (byte "
                                  f"{raw[e.start:e.start + 1]!r}); if the file comes from an old "
                                  "spreadsheet, import it with --encoding latin-1") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return _Source(spath, text, truncated)


def _detect_format(path: Path, text: str) -> str:
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    if name.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    if name.endswith((".csv", ".tsv", ".txt", ".psv")):
        return "csv"
    return "jsonl" if text.lstrip()[:1] == "{" else "csv"


def _sniff_delimiter(text: str) -> str:
    """csv.Sniffer over a sample, checked against the header line (which decides a tie)."""
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in ",;\t|"}
    best = max(counts, key=lambda d: counts[d])
    try:
        sniffed = csv.Sniffer().sniff(text[:65536], delimiters=",;\t|").delimiter
    except csv.Error:
        sniffed = None
    if sniffed and counts.get(sniffed, 0) > 0 and counts[sniffed] >= counts[best]:
        return sniffed
    return best if counts[best] > 0 else ","


@dataclass
class _Row:
    line: int
    values: dict[str, Any]


def _csv_rows(src: _Source, delimiter: str | None, errors: list[CatalogRowError]
              ) -> tuple[list[str], Iterator[_Row]]:
    delim = delimiter or _sniff_delimiter(src.text)
    if delim == "\\t":
        delim = "\t"
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 24))  # long descriptions
    reader = csv.reader(io.StringIO(src.text, newline=""), delimiter=delim, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise CatalogError(f"{src.path}: the file is empty") from None
    except csv.Error as e:
        raise CatalogRowError(src.path, 1, f"cannot read the header: {e}") from None
    columns: list[str] = []
    for n, h in enumerate(header, 1):
        h = h.strip().strip("\ufeff") or f"column_{n}"
        if h in columns:
            raise CatalogRowError(src.path, 1, f"the header names column {h!r} twice", h)
        columns.append(h)
    width = len(columns)
    ends_cleanly = src.text.endswith(("\n", "\r")) and not src.truncated
    total_lines = src.text.count("\n") + (0 if src.text.endswith("\n") else 1)

    def rows() -> Iterator[_Row]:
        last = reader.line_num
        while True:
            start = last + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                last = reader.line_num
                msg = f"malformed CSV: {e}"
                if "end of data" in str(e):
                    msg = "the last line is truncated (a quote is never closed)"
                errors.append(CatalogRowError(src.path, start, msg))
                if "end of data" in str(e):
                    return
                continue
            last = reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != width:
                is_last = reader.line_num >= total_lines
                hint = " (the last line is truncated)" if is_last and not ends_cleanly and \
                    len(row) < width else ""
                col = columns[len(row)] if len(row) < width else None
                errors.append(CatalogRowError(
                    src.path, start, f"expected {width} columns, got {len(row)}{hint}", col))
                continue
            if src.truncated and reader.line_num >= total_lines:
                errors.append(CatalogRowError(src.path, start, "the file ends in the middle of "
                                              "this row (a truncated .gz)"))
                return
            yield _Row(start, dict(zip(columns, row)))

    return columns, rows()


def _jsonl_rows(src: _Source, errors: list[CatalogRowError]) -> tuple[list[str], Iterator[_Row]]:
    lines = src.text.split("\n")
    last_real = max((i for i, ln in enumerate(lines) if ln.strip()), default=-1)
    cut_off = src.truncated or not src.text.endswith("\n")
    parsed: list[_Row] = []
    columns: dict[str, None] = {}
    for i, ln in enumerate(lines):
        if not ln.strip():
            continue
        try:
            obj = json.loads(ln)
        except ValueError as e:
            hint = " (the last line is truncated)" if i == last_real and cut_off else ""
            errors.append(CatalogRowError(src.path, i + 1, f"malformed JSON{hint}: {e}"))
            continue
        if not isinstance(obj, dict):
            errors.append(CatalogRowError(src.path, i + 1,
                                          f"a row must be a JSON object, got {type(obj).__name__}"))
            continue
        for k in obj:
            columns.setdefault(k, None)
        parsed.append(_Row(i + 1, obj))
    return list(columns), iter(parsed)


def _get(values: Mapping[str, Any], col: str) -> Any:
    if col in values:
        return values[col]
    if "." in col:  # nested JSONL keys: "meta.year"
        cur: Any = values
        for part in col.split("."):
            if not isinstance(cur, Mapping) or part not in cur:
                return None
            cur = cur[part]
        return cur
    return None


# --------------------------------------------------------------------------------------
# value conversion
# --------------------------------------------------------------------------------------
class _BadValue(ValueError):
    pass


def _is_missing(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and not math.isfinite(v):
        return True
    return isinstance(v, str) and v.strip().lower() in _MISSING


def _to_number(v: Any, typ: str, decimal_comma: bool) -> int | float:
    if isinstance(v, bool):
        raise _BadValue(f"expected a number, got {v!r}")
    if isinstance(v, (int, float)):
        x: float | int = v
    else:
        s = str(v).strip().strip(_CURRENCY).strip().replace("\u00a0", "").replace("_", "")
        if _THOUSANDS.match(s) and not decimal_comma:
            s = s.replace(",", "")
        elif _DECIMAL_COMMA.match(s):
            s = s.replace(",", ".")
        try:
            x = int(s) if typ == "int" and re.fullmatch(r"[-+]?\d+", s) else float(s)
        except ValueError:
            raise _BadValue(f"cannot read {str(v)[:40]!r} as {typ}") from None
    if isinstance(x, float) and not math.isfinite(x):
        raise _BadValue(f"{v!r} is not a finite number")
    if typ == "int":
        if isinstance(x, float):
            if not x.is_integer():
                raise _BadValue(f"{v!r} is not a whole number (declare the column as float)")
            x = int(x)
        return x
    return float(x)


def _to_bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    s = str(v).strip().lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise _BadValue(f"cannot read {str(v)[:40]!r} as yes/no")


def _to_list(v: Any, sep: str) -> list[str]:
    """JSON arrays, ``"a|b|c"`` or a single value -> clean, de-duplicated strings."""
    if isinstance(v, str):
        s = v.strip()
        if s.startswith("[") and s.endswith("]"):
            try:
                v = json.loads(s)
            except ValueError:
                v = s
        else:
            v = s.split(sep) if sep in s else [s]
    if not isinstance(v, (list, tuple)):
        v = [v]
    out: list[str] = []
    seen: set[str] = set()
    for x in v:
        if x is None or isinstance(x, (dict, list)):
            continue
        t = " ".join(str(x).split())
        if t and t.casefold() not in seen:
            seen.add(t.casefold())
            out.append(t)
    return out


def _to_text(v: Any) -> str:
    if isinstance(v, (list, tuple)):
        return ", ".join(" ".join(str(x).split()) for x in v if x is not None)
    return " ".join(str(v).split())


def _looks_like_list(values: Iterable[Any], sep: str) -> bool:
    """A text column holding short tags: JSON arrays or ``a|b|c`` in at least a fifth of the
    non-empty values, with short elements."""
    n = hits = 0
    lengths: list[int] = []
    for v in values:
        if _is_missing(v):
            continue
        n += 1
        if isinstance(v, (list, tuple)):
            hits += 1
            lengths.extend(len(str(x)) for x in v)
        elif isinstance(v, str):
            s = v.strip()
            if (s.startswith("[") and s.endswith("]")) or sep in s:
                hits += 1
                lengths.extend(len(x) for x in _to_list(s, sep))
            else:
                lengths.append(len(s))
    if n == 0 or hits * 5 < n:
        return False
    lengths.sort()
    return bool(lengths) and lengths[len(lengths) // 2] <= 40


def _cap(text: str, limit: int = MAX_TEXT) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    sp = cut.rfind(" ")
    return (cut[:sp] if sp > limit * 0.8 else cut).rstrip(" ,;.") + "…"


# --------------------------------------------------------------------------------------
# the conversion itself
# --------------------------------------------------------------------------------------
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
    src = _read_source(p, spec.encoding)
    fmt = spec.format or _detect_format(p, src.text)
    errors: list[CatalogRowError] = []
    if fmt == "csv":
        columns, row_iter = _csv_rows(src, spec.delimiter, errors)
        decimal_comma = (spec.delimiter or _sniff_delimiter(src.text)) == ";"
    else:
        columns, row_iter = _jsonl_rows(src, errors)
        decimal_comma = False
    rows = list(row_iter)  # structural errors (ragged rows, bad quoting, bad JSON) so far

    def need(col: str | None, what: str, defaults: Sequence[str] = ()) -> str:
        if col is None:
            for d in defaults:
                for c in columns:
                    if c.lower() == d:
                        return c
            raise CatalogRowError(src.path, 1, f"no {what} column: name it with --{what} "
                                  f"(the file's columns are: {', '.join(columns) or 'none'})")
        if col not in columns and not ("." in col and fmt == "jsonl"):
            raise CatalogRowError(src.path, 1, f"no column {col!r} (for --{what}); the file's "
                                  f"columns are: {', '.join(columns) or 'none'}", col)
        return col

    id_col = need(spec.id, "id", ("id", "item_id"))
    title_col = need(spec.title, "title", ("title", "name"))
    text_cols = [need(c, "text") for c in spec.text]
    for c in [*spec.filters, *spec.lists]:
        need(c, "filter" if c in spec.filters else "lists")
    for opt, what in ((spec.link, "link"), (spec.rating, "rating"),
                      (spec.popularity, "popularity"), (spec.aliases, "aliases")):
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
                _looks_like_list((_get(r.values, col) for r in sample), spec.list_separator):
            list_cols.append(col)
    for col in list_cols:
        if col not in fields:
            fields[col] = {"type": "list", "label": _field_label(col), "role": "attribute"}
        if col not in attribute_fields and fields[col]["type"] in ("list", "str"):
            attribute_fields.append(col)
    for rcol, typ, role in ((spec.rating, "float", "rating"),
                            (spec.popularity, "float", "popularity"), (spec.link, "str", "link")):
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
        v = r.values
        try:
            raw_id = _get(v, id_col)
            if isinstance(raw_id, float) and raw_id.is_integer():
                raw_id = int(raw_id)
            iid = "" if raw_id is None or isinstance(raw_id, (dict, list, bool)) \
                else str(raw_id).strip()
            if not iid:
                raise CatalogRowError(src.path, r.line, "empty id", id_col)
            if iid in first_line:
                raise CatalogRowError(src.path, r.line, f"duplicate id {iid!r} (first on line "
                                      f"{first_line[iid]})", id_col)
            first_line[iid] = r.line  # even if the row turns out bad: a later twin is reported
            raw_title = _get(v, title_col)
            title = "" if raw_title is None else " ".join(str(raw_title).split())
            if not title:
                raise CatalogRowError(src.path, r.line, "empty title", title_col)
            meta: dict[str, Any] = {}
            for col, fs in fields.items():
                raw = _get(v, col)
                if _is_missing(raw) or raw == []:
                    continue
                typ = fs["type"]
                try:
                    if typ in ("int", "float"):
                        meta[col] = _to_number(raw, typ, decimal_comma)
                    elif typ == "bool":
                        meta[col] = _to_bool(raw)
                    elif typ == "list":
                        lst = _to_list(raw, sep)
                        if lst:
                            meta[col] = lst
                    else:
                        s = _to_text(raw)
                        if s:
                            meta[col] = s
                except _BadValue as e:
                    raise CatalogRowError(src.path, r.line, str(e), col) from None
            parts = [title]
            for col in text_cols:
                raw = _get(v, col)
                if _is_missing(raw):
                    continue
                if col in meta and isinstance(meta[col], list):
                    parts.append(f"{fields[col]['label']}: {', '.join(meta[col])}")
                else:
                    s = _to_text(raw)
                    if s and s != title:
                        parts.append(s)
            text = _cap(". ".join(part.rstrip(". ") for part in parts) + ".")
            item: dict[str, Any] = {"id": iid, "title": title, "text": text}
            if spec.aliases:
                raw = _get(v, spec.aliases)
                al = [a for a in ([] if _is_missing(raw) else _to_list(raw, sep))
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
        raise CatalogError(f"{src.path}: no usable rows{detail}")

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
        "rating_field": spec.rating or by_role.get("rating"), "link_field": spec.link,
        "attribution": f"Imported by the user from {p.name}.",
        "sources": [p.name],
    }
    if spec.description:
        manifest["description"] = spec.description
    return ParsedCatalog(manifest, items, errors, columns, rows_read)


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


# --------------------------------------------------------------------------------------
# the public API
# --------------------------------------------------------------------------------------
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

    def summary(self, max_errors: int = 10) -> str:
        lines = [f"catalog {self.name!r}: {self.items} items in {self.path}"]
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
                          skipped=parsed.errors, parse_seconds=t_parse)
    staged = _staging(settings, name)
    try:
        new_hashes = _write_folder(staged, parsed, provenance)
        catalog = Catalog.from_folder(staged)  # the normal loader validates every row
        reuse: dict[str, np.ndarray] = {}
        emb = _embedder(embedder) if build_index else None
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
            bar = _progress_fn(progress, f"embedding {name}")
            done = None
            if previous is not None:
                done = _update_in_place(previous, catalog, emb, settings, old_hashes, new_hashes, bar)
                if done is None and same_text:
                    from chatrec.index import chroma_client, collection_name

                    reuse = _old_vectors(chroma_client(settings), collection_name(previous, emb),
                                         same_text)
            if done is None:
                done = _build_index(catalog, emb, settings, reuse, bar)
            report.collection, report.embedded = done
            report.index_seconds = time.perf_counter() - t1
        _swap_in(staged, final)
        if emb is not None:
            from chatrec.index import _BUILD_LOCK, chroma_client

            with _BUILD_LOCK:
                _drop_collections(chroma_client(settings), name, keep=report.collection)
    finally:
        if staged.exists():
            shutil.rmtree(staged, ignore_errors=True)
    report.total_seconds = time.perf_counter() - t0
    return report


def add(name: str | None, source: str | Path | None = None, *, id: str | None = None,
        title: str | None = None, text: str | Sequence[str] | None = None,
        filters: str | Mapping[str, str] | None = None, lists: str | Sequence[str] | None = None,
        link: str | None = None, rating: str | None = None, popularity: str | None = None,
        aliases: str | None = None, display: str | Sequence[str] | None = None,
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
    ``aliases``. Or a ``mapping`` file (YAML/TOML/JSON with the same keys, plus ``source``).

    Raises :class:`CatalogRowError` (file, line, column) for the first bad row, unless
    ``skip_bad_rows``; the report then lists the skipped rows. Nothing is written unless the
    whole import succeeds.
    """
    settings = settings or Settings.load()
    overrides = {"id": id, "title": title, "text": _split_names(text) if text is not None else None,
                 "filters": parse_filters(filters) if isinstance(filters, str) else filters,
                 "lists": _split_names(lists) if lists is not None else None, "link": link,
                 "rating": rating, "popularity": popularity, "aliases": aliases,
                 "display": _split_names(display) if display is not None else None, "label": label,
                 "noun": noun, "plural": plural, "format": format, "delimiter": delimiter,
                 "encoding": encoding, "list_separator": list_separator}
    resolved, mapped_source = _resolve_spec(spec, mapping, overrides)
    if mapping is not None and name is None:
        name = load_mapping(mapping).get("name")
    if name is None:
        raise CatalogError("the catalog needs a name (argument, or `name:` in the mapping file)")
    check_name(name)
    with _locked(settings, name):
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
            changes[k] = _split_names(changes[k])
    resolved, mapped_source = _resolve_spec(base, mapping, changes)
    src = source or mapped_source or prov.get("source")
    with _locked(settings, name):
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
    with _locked(settings, name):
        trash = _staging(settings, name + "-removed")
        os.replace(folder, trash)
        shutil.rmtree(trash, ignore_errors=True)
        clear_cache()
        from chatrec.index import _BUILD_LOCK, chroma_client

        with _BUILD_LOCK:
            return _drop_collections(chroma_client(settings), name, keep=None)


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
    from chatrec.catalog import load_catalog

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
        from chatrec.index import chroma_client

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
