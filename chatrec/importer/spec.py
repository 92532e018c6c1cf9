"""The mapping of a user's file onto a catalog: :class:`ImportSpec`, its validation, and the
YAML / TOML / JSON mapping files that hold one (``catalog add --mapping``).

Part of :mod:`chatrec.importer`, which re-exports the public names.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from chatrec.errors import CatalogError

TYPES = ("int", "float", "str", "bool", "list")


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
    votes: str | None = None  # how many people rated the item elsewhere (the votes feature)
    year: str | None = None  # the year (a year or date column); default: detected, "none": no year
    creator: str | None = None  # authors, director, developer, brand; default: detected
    language: str | None = None  # default: detected; never an attribute
    tags: str | None = None  # a second file: item id, tag, optional weight/count
    tag_names: str | None = None  # a tag-id -> tag-name file joined with ``tags``
    tags_on: str | None = None  # the items column the tags file's ids refer to (default: the id)
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
                d[k] = split_names(d[k])
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


def split_names(s: str | Sequence[str] | None) -> list[str]:
    """Column names from ``"a, b,c"`` or a list, stripped, empty ones dropped."""
    if s is None:
        return []
    if isinstance(s, str):
        return [c.strip() for c in s.split(",") if c.strip()]
    return [str(c).strip() for c in s if str(c).strip()]


def parse_filters(s: str) -> dict[str, str]:
    """``"year:int,price:float:USD,language"`` -> ``{"year": "int", "price": "float:USD", ...}``
    (the type defaults to ``str``)."""
    out: dict[str, str] = {}
    for part in split_names(s):
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
    for key in ("source", "tags", "tag_names"):
        if isinstance(d.get(key), str) and not Path(d[key]).is_absolute():
            d[key] = str((p.parent / d[key]).resolve())
    return d
