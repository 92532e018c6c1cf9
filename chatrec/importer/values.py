"""Cell values of a user's file as catalog meta values: numbers with currency signs, thousands
separators or decimal commas, yes/no, lists (``a|b|c`` or JSON arrays), and text.

A value that cannot be read raises :class:`BadValue`; the caller adds the file, line and column.
Part of :mod:`chatrec.importer`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from typing import Any

_MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "-", "--", "?"})
_TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})
_FALSE = frozenset({"0", "false", "f", "no", "n", "off"})
_CURRENCY = "$€£¥₹"
_DECIMAL_COMMA = re.compile(r"^-?\d+,\d+$")
_THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")


class BadValue(ValueError):
    """A cell that cannot be read as its column's declared type."""


def is_missing(v: Any) -> bool:
    """An empty cell: None, NaN, or a placeholder like ``""``, ``"n/a"``, ``"null"``, ``"-"``."""
    if v is None:
        return True
    if isinstance(v, float) and not math.isfinite(v):
        return True
    return isinstance(v, str) and v.strip().lower() in _MISSING


def to_number(v: Any, typ: str, decimal_comma: bool) -> int | float:
    """A cell as ``typ`` (``"int"`` or ``"float"``): currency signs go, ``"$1,299.00"`` is 1299.0,
    ``"9,99"`` is 9.99; with ``decimal_comma`` (a ``;``-separated CSV) ``"1,234"`` is 1.234."""
    if isinstance(v, bool):
        raise BadValue(f"expected a number, got {v!r}")
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
            raise BadValue(f"cannot read {str(v)[:40]!r} as {typ}") from None
    if isinstance(x, float) and not math.isfinite(x):
        raise BadValue(f"{v!r} is not a finite number")
    if typ == "int":
        if isinstance(x, float):
            if not x.is_integer():
                raise BadValue(f"{v!r} is not a whole number (declare the column as float)")
            x = int(x)
        return x
    return float(x)


def to_bool(v: Any) -> bool:
    """yes/no, true/false, y/n, on/off, 1/0 (any case)."""
    if isinstance(v, bool):
        return v
    s = str(v).strip().lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise BadValue(f"cannot read {str(v)[:40]!r} as yes/no")


_NAME_KEYS = ("name", "label", "title", "value", "tag")  # the readable key of a list's objects


def to_list(v: Any, sep: str) -> list[str]:
    """JSON arrays, ``"a|b|c"`` or a single value -> clean, de-duplicated strings; an object in
    an array counts by its name (``{"id": 28, "name": "Action"}`` -> ``Action``)."""
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
        if isinstance(x, dict):  # TMDB-style [{"id": 28, "name": "Action"}]: the name
            x = next((x[k] for k in _NAME_KEYS if isinstance(x.get(k), (str, int, float))), None)
        if x is None or isinstance(x, (dict, list)):
            continue
        t = " ".join(str(x).split())
        if t and t.casefold() not in seen:
            seen.add(t.casefold())
            out.append(t)
    return out


def to_text(v: Any) -> str:
    """Text with runs of whitespace collapsed; a list becomes ``"a, b, c"``."""
    if isinstance(v, (list, tuple)):
        return ", ".join(" ".join(str(x).split()) for x in v if x is not None)
    return " ".join(str(v).split())


def looks_like_list(values: Iterable[Any], sep: str) -> bool:
    """A text column holding short tags: JSON arrays or ``a|b|c`` in at least a fifth of the
    non-empty values, with short elements."""
    n = hits = 0
    lengths: list[int] = []
    for v in values:
        if is_missing(v):
            continue
        n += 1
        if isinstance(v, (list, tuple)):
            hits += 1
            lengths.extend(len(str(x)) for x in v)
        elif isinstance(v, str):
            s = v.strip()
            if (s.startswith("[") and s.endswith("]")) or sep in s:
                hits += 1
                lengths.extend(len(x) for x in to_list(s, sep))
            else:
                lengths.append(len(s))
    if n == 0 or hits * 5 < n:
        return False
    lengths.sort()
    return bool(lengths) and lengths[len(lengths) // 2] <= 40
