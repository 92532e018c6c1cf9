"""The manifest of a catalog folder: ``catalog.json`` parsed and validated into a :class:`Manifest`.

The format is documented in ``catalogs/README.md``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from dataclasses import field as dc_field
from pathlib import Path
from typing import Any

from chatrec.errors import CatalogError
from chatrec.types import MetaValue

MANIFEST_FILE = "catalog.json"
FIELD_TYPES = frozenset({"int", "float", "str", "bool", "list"})
_FIELD_SPEC_KEYS = frozenset({"type", "label", "role", "unit"})
_MANIFEST_KEYS = frozenset({
    "name", "title", "noun", "plural", "items", "ratings", "conversations", "ranker", "item_count",
    "fields", "attribute_fields", "display_fields", "popularity_field", "rating_field", "votes_field",
    "link_field", "attribution", "sources", "description", "addons"})
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class FieldSpec:
    """One declared meta field: its type (int|float|str|bool|list), display label, role and unit."""

    name: str
    type: str
    label: str = ""
    role: str | None = None
    unit: str | None = None


@dataclass(frozen=True)
class Manifest:
    """The parsed ``catalog.json``. Build with :meth:`from_dict` (validates everything)."""

    name: str
    title: str
    noun: str
    plural: str
    items_file: str
    ratings_file: str | None
    fields: dict[str, FieldSpec] = dc_field(hash=False)
    attribute_fields: tuple[str, ...]
    display_fields: tuple[str, ...]
    popularity_field: str | None
    rating_field: str | None
    link_field: str | None
    attribution: str
    sources: tuple[str, ...] = ()
    item_count: int | None = None  # when given, the items file must hold exactly this many
    conversations_file: str | None = None  # real recommendation dialogues (chatrec.retrieve.conversations)
    # add-ons (DLC, soundtracks): items whose ``addons[0]`` field has one of the ``addons[1]``
    # values; recommended only when the user asks for add-ons
    addons: tuple[str, tuple[str, ...]] | None = None
    # how many people rated the item somewhere else (e.g. TMDB votes): reach beyond the
    # catalog's own ratings, the ``votes`` feature of chatrec.retrieve.candidates
    votes_field: str | None = None
    ranker_file: str | None = None  # a learned ranker (chatrec.retrieve.learned)

    @classmethod
    def from_dict(cls, d: Any, *, path: str) -> Manifest:
        """Validate a decoded ``catalog.json``.

        Raises :class:`CatalogError` naming ``path`` and the offending key.
        """

        def bad(key: str, msg: str) -> CatalogError:
            return CatalogError(f"{path}: key {key!r}: {msg}")

        if not isinstance(d, dict):
            raise CatalogError(f"{path}: the manifest must be a JSON object, "
                               f"got {type(d).__name__}")
        unknown = sorted(set(d) - _MANIFEST_KEYS)
        if unknown:
            known = ", ".join(sorted(_MANIFEST_KEYS))
            raise bad(unknown[0], f"unknown manifest key; known keys: {known}")

        def text(key: str, default: str | None = None, *, optional: bool = False) -> str | None:
            v = d.get(key, default)
            if v is None and optional:
                return None
            if not isinstance(v, str) or not v.strip():
                raise bad(key, "missing" if key not in d
                          else f"must be a non-empty string, got {v!r}")
            return v.strip()

        name = text("name")
        assert name is not None
        if not _NAME.match(name):
            raise bad("name", f"{name!r} must be letters, digits, '_', '-' or '.'")
        noun = text("noun", "item") or "item"
        files: dict[str, str | None] = {}
        for key in ("items", "ratings", "conversations", "ranker"):
            f = text(key, optional=key != "items")
            if f is not None and (Path(f).is_absolute() or ".." in Path(f).parts):
                raise bad(key, f"{f!r} must be a file name inside the catalog folder")
            files[key] = f

        raw_fields = d.get("fields")
        if not isinstance(raw_fields, dict):
            raise bad("fields", "missing" if raw_fields is None
                      else "must be an object of field specs")
        fields: dict[str, FieldSpec] = {}
        for fname, spec in raw_fields.items():
            where = f"fields.{fname}"
            if not fname or not isinstance(spec, dict):
                raise bad(where, 'must be an object like {"type": "list", "label": "Genres"}')
            extra = sorted(set(spec) - _FIELD_SPEC_KEYS)
            if extra:
                allowed = ", ".join(sorted(_FIELD_SPEC_KEYS))
                raise bad(f"{where}.{extra[0]}", f"unknown; a field spec has {allowed}")
            if spec.get("type") not in FIELD_TYPES:
                types = ", ".join(sorted(FIELD_TYPES))
                raise bad(f"{where}.type", f"{spec.get('type')!r} is not one of {types}")
            for k in ("label", "role", "unit"):
                if spec.get(k) is not None and not isinstance(spec[k], str):
                    raise bad(f"{where}.{k}", "must be a string")
            fields[fname] = FieldSpec(name=fname, type=spec["type"],
                                      label=spec.get("label") or fname,
                                      role=spec.get("role") or None,
                                      unit=spec.get("unit") or None)

        def names(key: str) -> tuple[str, ...]:
            v = d.get(key, [])
            if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                raise bad(key, "must be a list of field names")
            for x in v:
                if x not in fields:
                    raise bad(key, f"{x!r} is not declared in 'fields'")
            return tuple(v)

        def role_field(key: str, types: set[str]) -> str | None:
            v = d.get(key)
            if v is None:
                return None
            if not isinstance(v, str) or v not in fields:
                raise bad(key, f"{v!r} is not declared in 'fields'")
            if fields[v].type not in types:
                need = " or ".join(sorted(types))
                raise bad(key, f"field {v!r} has type {fields[v].type}; need {need}")
            return v

        attribution = d.get("attribution", "")
        if not isinstance(attribution, str):
            raise bad("attribution", "must be a string")
        sources = d.get("sources", [])
        if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
            raise bad("sources", "must be a list of strings")
        item_count = d.get("item_count")
        if item_count is not None and (type(item_count) is not int or item_count < 0):
            raise bad("item_count", f"must be a non-negative whole number, got {item_count!r}")
        addons = d.get("addons")
        if addons is not None:
            if (not isinstance(addons, dict) or addons.get("field") not in fields
                    or not isinstance(addons.get("values"), list)
                    or not all(isinstance(v, str) for v in addons["values"])):
                raise bad("addons", 'must be {"field": <a declared field>, "values": [strings]}')
            addons = (addons["field"], tuple(addons["values"]))
        return cls(
            name=name, title=text("title") or name, noun=noun,
            plural=text("plural", noun + "s") or noun + "s",
            items_file=files["items"] or "", ratings_file=files["ratings"],
            conversations_file=files["conversations"], ranker_file=files["ranker"], fields=fields,
            attribute_fields=names("attribute_fields"), display_fields=names("display_fields"),
            popularity_field=role_field("popularity_field", {"int", "float"}),
            rating_field=role_field("rating_field", {"int", "float"}),
            votes_field=role_field("votes_field", {"int", "float"}),
            link_field=role_field("link_field", {"str"}),
            attribution=attribution, sources=tuple(sources), item_count=item_count, addons=addons)

    def content_files(self, folder: Path) -> list[Path]:
        """The files a catalog's content is made of: this manifest, the items and the ratings."""
        files = [folder / MANIFEST_FILE, folder / self.items_file]
        if self.ratings_file:
            files.append(folder / self.ratings_file)
        return files


def read_manifest(folder: Path) -> Manifest:
    """Read and validate ``folder/catalog.json``."""
    path = folder / MANIFEST_FILE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CatalogError(f"{folder}: no {MANIFEST_FILE} here; a catalog folder needs one "
                           "(see catalogs/README.md)") from None
    except OSError as e:
        raise CatalogError(f"{path}: cannot read: {e}") from None
    try:
        d = json.loads(raw)
    except ValueError as e:
        raise CatalogError(f"{path}: not valid JSON: {e}") from None
    return Manifest.from_dict(d, path=str(path))


def _format_number(v: float) -> str:
    return f"{v:.2f}".rstrip("0").rstrip(".") if isinstance(v, float) else str(v)


def format_value(spec: FieldSpec, v: MetaValue) -> str:
    """A meta value as people read it: ``"169 min"``, ``"$9.99"``, ``"Free"``, ``"Drama, War"``."""
    if isinstance(v, list):
        return ", ".join(v)
    if isinstance(v, bool):
        return "Yes" if v else "No"
    if isinstance(v, (int, float)):
        if spec.unit == "USD":
            return "Free" if v == 0 else f"${v:,.2f}"
        s = _format_number(v)
        if spec.unit:
            tight = spec.unit.startswith("/") or spec.unit == "%"
            return s + spec.unit if tight else f"{s} {spec.unit}"
        return s
    return "" if v is None else str(v)
