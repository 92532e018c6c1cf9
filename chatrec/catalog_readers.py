"""Reading a user's file into rows: gzip, encodings, CSV dialects, JSONL, and the conversion of
cell values (numbers with currency signs or decimal commas, yes/no, lists, text).

Every structural problem is a :class:`~chatrec.errors.CatalogRowError` with the file and line.
Part of :mod:`chatrec.catalog_import`.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chatrec.errors import CatalogError, CatalogRowError

_MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "-", "--", "?"})
_TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})
_FALSE = frozenset({"0", "false", "f", "no", "n", "off"})
_CURRENCY = "$€£¥₹"
_DECIMAL_COMMA = re.compile(r"^-?\d+,\d+$")
_THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")


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
