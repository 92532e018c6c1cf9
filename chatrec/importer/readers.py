"""Reading a user's file into rows: gzip, encodings, CSV dialects, JSONL.

:func:`read_rows` returns a :class:`Table`; every structural problem (a ragged row, bad quoting,
malformed JSON) is a :class:`~chatrec.errors.CatalogRowError` with the file and line. Cell values
are converted by :mod:`chatrec.importer.values`. Part of :mod:`chatrec.importer`.
"""

from __future__ import annotations

import csv
import io
import json
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chatrec.errors import CatalogError, CatalogRowError


@dataclass
class Table:
    """The rows of a file, before any value is converted."""

    path: str
    format: str  # "csv" | "jsonl"
    columns: list[str]
    rows: list[Row]
    errors: list[CatalogRowError]  # structural problems, in file order
    decimal_comma: bool  # a ";"-separated CSV: "9,99" means 9.99


def read_rows(path: Path, *, encoding: str = "utf-8", format: str | None = None,
              delimiter: str | None = None) -> Table:
    """Read a CSV / JSONL file (optionally .gz). ``format`` defaults to the file name's, else
    sniffed; ``delimiter`` to the sniffed one (``"\\t"`` means tab). A file that cannot be read at
    all (missing, damaged gzip, wrong encoding, no header) raises at once."""
    src = _read_source(path, encoding)
    fmt = format or _detect_format(path, src.text)
    errors: list[CatalogRowError] = []
    if fmt == "csv":
        delim = delimiter or _sniff_delimiter(src.text)
        columns, rows = _csv_rows(src, delim, errors)
        decimal_comma = delim == ";"
    else:
        columns, rows = _jsonl_rows(src, errors)
        decimal_comma = False
    return Table(src.path, fmt, columns, list(rows), errors, decimal_comma)


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
class Row:
    """One data row: its 1-based line in the file, and its values by column name."""

    line: int
    values: dict[str, Any]

    def get(self, col: str) -> Any:
        """The value of ``col``; ``"meta.year"`` also reaches into nested JSONL objects. None when
        the row has no such value."""
        if col in self.values:
            return self.values[col]
        if "." in col:  # nested JSONL keys: "meta.year"
            cur: Any = self.values
            for part in col.split("."):
                if not isinstance(cur, Mapping) or part not in cur:
                    return None
                cur = cur[part]
            return cur
        return None


def _csv_rows(src: _Source, delimiter: str, errors: list[CatalogRowError]
              ) -> tuple[list[str], Iterator[Row]]:
    delim = "\t" if delimiter == "\\t" else delimiter
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

    def rows() -> Iterator[Row]:
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
            yield Row(start, dict(zip(columns, row)))

    return columns, rows()


def _jsonl_rows(src: _Source, errors: list[CatalogRowError]) -> tuple[list[str], Iterator[Row]]:
    lines = src.text.split("\n")
    last_real = max((i for i, ln in enumerate(lines) if ln.strip()), default=-1)
    cut_off = src.truncated or not src.text.endswith("\n")
    parsed: list[Row] = []
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
        parsed.append(Row(i + 1, obj))
    return list(columns), iter(parsed)

