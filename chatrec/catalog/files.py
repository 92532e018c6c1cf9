"""Reading a catalog's items and ratings files (plain or gzip), with ``file:line`` errors.

Items are ``.jsonl[.gz]``, one ``{"id", "title", "aliases", "text", "meta"}`` a line, validated
against the manifest's declared fields; ratings are ``user_id,item_id,rating[,timestamp]`` CSV.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chatrec.catalog.manifest import FieldSpec, Manifest
from chatrec.errors import CatalogError, CatalogRowError
from chatrec.types import Item

if TYPE_CHECKING:
    import numpy as np

RATINGS_HEADER = ("user_id", "item_id", "rating", "timestamp")
_ITEM_KEYS = frozenset({"id", "title", "aliases", "text", "meta"})
_GZIP_MAGIC = b"\x1f\x8b"


# --------------------------------------------------------------------------------------
# items
# --------------------------------------------------------------------------------------
def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not allowed (omit unknown values instead)")


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """``(1-based line number, raw line)`` of a plain or gzip file.

    Read errors (missing file, damaged gzip) become :class:`CatalogError`.
    """
    try:
        with path.open("rb") as raw:
            is_gzip = raw.read(2) == _GZIP_MAGIC
            raw.seek(0)
            if is_gzip:
                with gzip.GzipFile(fileobj=raw, mode="rb") as gz:
                    yield from enumerate(gz, 1)
            else:
                yield from enumerate(raw, 1)
    except FileNotFoundError:
        raise CatalogError(f"{path}: file not found") from None
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise CatalogError(f"{path}: cannot read (damaged or truncated gzip?): {e}") from None


def _read_all(path: Path) -> bytes:
    """The whole (decompressed) content of a plain or gzip file; errors become CatalogError."""
    try:
        raw = path.read_bytes()
        return gzip.decompress(raw) if raw[:2] == _GZIP_MAGIC else raw
    except FileNotFoundError:
        raise CatalogError(f"{path}: file not found") from None
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise CatalogError(f"{path}: cannot read (damaged or truncated gzip?): {e}") from None


def _type_error(type_name: str, v: Any) -> str:
    """Why ``v`` does not fit a field declared as ``type_name``."""
    if v is None:
        return "null is not allowed; omit the key when the value is unknown"
    return f"expected {type_name} (as declared in the manifest), got {type(v).__name__} {v!r:.60}"


# Exact Python types json produces for each declared field type (the fast path of the check).
_ACCEPTED: dict[str, frozenset[type]] = {
    "int": frozenset({int}), "float": frozenset({int, float}), "str": frozenset({str}),
    "bool": frozenset({bool}), "list": frozenset({list}),
}


def _parse_item(obj: Any, path: str, line: int, fields: Mapping[str, FieldSpec],
                accepted: Mapping[str, frozenset[type]]) -> Item:
    if type(obj) is not dict:
        raise CatalogRowError(path, line, f"a row must be a JSON object, got {type(obj).__name__}")
    if not _ITEM_KEYS.issuperset(obj):
        unknown = sorted(set(obj) - _ITEM_KEYS)
        raise CatalogRowError(path, line, "unknown key; rows have id, title, aliases, text, meta",
                              unknown[0])
    item_id = obj.get("id")
    if type(item_id) is int:
        item_id = str(item_id)
    if type(item_id) is not str or not item_id.strip():
        raise CatalogRowError(path, line, f"missing or empty id (got {item_id!r})", "id")
    title, text = obj.get("title"), obj.get("text")
    if not isinstance(title, str) or not title.strip():
        raise CatalogRowError(path, line, f"missing or empty title (got {title!r:.60})", "title")
    if not isinstance(text, str) or not text.strip():
        raise CatalogRowError(path, line, f"missing or empty text (got {text!r:.60})", "text")
    title = title.strip()
    raw_aliases = obj.get("aliases") or []
    if type(raw_aliases) is not list or not all(type(a) is str for a in raw_aliases):
        raise CatalogRowError(path, line, "aliases must be a list of strings", "aliases")
    aliases: list[str] = []
    if raw_aliases:
        seen = {title.casefold()}
        for a in raw_aliases:
            a = a.strip()
            if a and a.casefold() not in seen:
                seen.add(a.casefold())
                aliases.append(a)
    meta = obj.get("meta", {})
    if type(meta) is not dict:
        raise CatalogRowError(path, line,
                              f"meta must be a JSON object, got {type(meta).__name__}", "meta")
    for k, v in meta.items():
        ok = accepted.get(k)
        if ok is None:
            raise CatalogRowError(path, line, "meta key not declared in the manifest's 'fields'",
                                  f"meta.{k}")
        tv = type(v)
        if tv not in ok:
            raise CatalogRowError(path, line, _type_error(fields[k].type, v), f"meta.{k}")
        if tv is list:
            try:
                "".join(v)  # TypeError unless every element is a str (fast, in C)
            except TypeError:
                raise CatalogRowError(path, line, "a list field must hold strings only",
                                      f"meta.{k}") from None
        elif tv is int and float in ok:
            meta[k] = float(v)
    return Item(id=item_id, title=title, text=text.strip(), aliases=tuple(aliases), meta=meta)


def load_items(path: Path, manifest: Manifest) -> dict[str, Item]:
    """Read and validate a ``.jsonl`` or ``.jsonl.gz`` items file, streaming, in file order.

    Every problem raises :class:`CatalogRowError` with the 1-based line number: malformed JSON
    (also a truncated last line), a row that is not an object, missing/empty ``id``, ``title``
    or ``text``, a duplicate id, ``meta`` not an object, an undeclared meta key, or a meta value
    whose type differs from the manifest's. Blank lines are skipped.
    """
    spath = str(path)
    accepted = {name: _ACCEPTED[spec.type] for name, spec in manifest.fields.items()}
    decode = json.JSONDecoder(parse_constant=_no_constants).decode
    items: dict[str, Item] = {}
    first_line: dict[str, int] = {}
    for line_no, raw in _lines(path):
        if not raw.strip():
            continue
        try:
            obj = decode(raw.decode("utf-8"))
        except UnicodeDecodeError as e:
            raise CatalogRowError(spath, line_no, f"not UTF-8: {e}") from None
        except ValueError as e:
            raise CatalogRowError(spath, line_no, f"malformed JSON: {e}") from None
        item = _parse_item(obj, spath, line_no, manifest.fields, accepted)
        if item.id in first_line:
            raise CatalogRowError(spath, line_no, f"duplicate id {item.id!r} (first on line "
                                  f"{first_line[item.id]})", "id")
        first_line[item.id] = line_no
        items[item.id] = item
    return items


# --------------------------------------------------------------------------------------
# ratings
# --------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Ratings:
    """User ratings as aligned numpy arrays (row ``i`` of each array is one rating)."""

    user_ids: np.ndarray  # int64
    item_ids: np.ndarray  # object array of str item ids
    ratings: np.ndarray  # float32
    timestamps: np.ndarray  # int64 (seconds since the epoch; 0 when the file has none)

    def __len__(self) -> int:
        return int(self.ratings.shape[0])


def _ratings_header(spath: str, header: list[str] | None) -> bool:
    """Check the header; return whether it has a timestamp column."""
    if header is None or tuple(h.strip() for h in header[:3]) != RATINGS_HEADER[:3] \
            or len(header) > 4 or (len(header) == 4 and header[3].strip() != "timestamp"):
        want = ",".join(RATINGS_HEADER)
        raise CatalogRowError(spath, 1, f"header must be {want}, got {header}")
    return len(header) == 4


def _ratings_rows(spath: str, data: str, known_ids: Mapping[str, Any] | None,
                  ) -> tuple[list[int], list[str], list[float], list[int]]:
    """Row-by-row parse: slow, but names the line and column of the first bad value."""
    users: list[int] = []
    item_ids: list[str] = []
    values: list[float] = []
    stamps: list[int] = []
    reader = csv.reader(io.StringIO(data))
    has_ts = _ratings_header(spath, next(reader, None))
    width = 4 if has_ts else 3
    for row in reader:
        line = reader.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) != width:
            raise CatalogRowError(spath, line, f"expected {width} columns, got {len(row)}")
        col = "user_id"
        try:
            users.append(int(row[0]))
            col = "item_id"
            iid = row[1].strip()
            if not iid or (known_ids is not None and iid not in known_ids):
                raise ValueError(f"unknown item id {iid!r}")
            item_ids.append(iid)
            col = "rating"
            r = float(row[2])
            if not math.isfinite(r):
                raise ValueError("not a finite number")
            values.append(r)
            col = "timestamp"
            stamps.append(int(row[3]) if has_ts else 0)
        except ValueError as e:
            raise CatalogRowError(spath, line, f"bad value: {e}", col) from None
    return users, item_ids, values, stamps


def load_ratings(path: Path, known_ids: Mapping[str, Any] | None = None) -> Ratings:
    """Read ``user_id,item_id,rating,timestamp`` (plain or gzip CSV; ``timestamp`` optional).

    ``known_ids``: when given, a rating for an item not in it is an error. Errors raise
    :class:`CatalogRowError` with the line and column.
    """
    import numpy as np

    spath = str(path)
    try:
        data = _read_all(path).decode("utf-8")
    except UnicodeDecodeError as e:
        raise CatalogError(f"{spath}: not UTF-8: {e}") from None
    item_ids: list[str]
    try:  # fast path: plain (unquoted) CSV split in C, columns converted in bulk
        lines = data.splitlines()
        has_ts = _ratings_header(spath, lines[0].split(",") if lines else None)
        width = 4 if has_ts else 3
        body = [ln for ln in lines[1:] if ln.strip()]
        if '"' in data or any(ln.count(",") != width - 1 for ln in body):
            raise ValueError("quoted or ragged rows")
        flat = ",".join(body).split(",") if body else []
        cols = [flat[k::width] for k in range(width)]
        n = len(body)
        users = np.fromiter(map(int, cols[0]), dtype=np.int64, count=n)
        item_ids = [i.strip() for i in cols[1]]
        distinct = set(item_ids)
        if "" in distinct or (known_ids is not None and not distinct.issubset(known_ids.keys())):
            raise ValueError("unknown item id")
        values = np.fromiter(map(float, cols[2]), dtype=np.float64, count=n)
        if not np.isfinite(values).all():
            raise ValueError("not finite")
        stamps = (np.fromiter(map(int, cols[3]), dtype=np.int64, count=n) if has_ts
                  else np.zeros(n, dtype=np.int64))
    except CatalogRowError:
        raise
    except (ValueError, OverflowError):  # find and report the first bad row
        u, item_ids, v, t = _ratings_rows(spath, data, known_ids)
        users, values, stamps = (np.asarray(u, dtype=np.int64), np.asarray(v, dtype=np.float64),
                                 np.asarray(t, dtype=np.int64))
    ids: np.ndarray = np.empty(len(item_ids), dtype=object)
    ids[:] = item_ids
    return Ratings(user_ids=users, item_ids=ids, ratings=values.astype(np.float32),
                   timestamps=stamps)
