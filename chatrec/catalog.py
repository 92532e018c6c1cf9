"""Catalogs: a folder with a manifest (``catalog.json``), items (``.jsonl[.gz]``), maybe ratings.

A catalog folder holds::

    catalog.json        the manifest (:class:`Manifest`): names, declared meta fields, roles
    items.jsonl.gz      one item a line: {"id", "title", "aliases", "text", "meta"}
    ratings.csv.gz      optional: user_id,item_id,rating,timestamp

The format is documented in ``catalogs/README.md``. Shipped catalogs live in
``Settings.catalogs_dir``; user catalogs in ``Settings.data_dir / "catalogs"`` (a user catalog
overrides a shipped one of the same folder name). :func:`load_catalog` validates every row and
caches the result per process, keyed by the folder and its files' sizes and mtimes.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import math
import re
import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chatrec.errors import CatalogError, CatalogRowError
from chatrec.settings import Settings
from chatrec.types import Item, MetaValue
from chatrec.vocab import normalize_term

if TYPE_CHECKING:
    import numpy as np

MANIFEST_FILE = "catalog.json"
FIELD_TYPES = frozenset({"int", "float", "str", "bool", "list"})
RATINGS_HEADER = ("user_id", "item_id", "rating", "timestamp")
_ITEM_KEYS = frozenset({"id", "title", "aliases", "text", "meta"})
_FIELD_SPEC_KEYS = frozenset({"type", "label", "role", "unit"})
_MANIFEST_KEYS = frozenset({
    "name", "title", "noun", "plural", "items", "ratings", "conversations", "ranker", "item_count",
    "fields", "attribute_fields", "display_fields", "popularity_field", "rating_field", "votes_field",
    "link_field", "attribution", "sources", "description", "addons"})
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_GZIP_MAGIC = b"\x1f\x8b"


# --------------------------------------------------------------------------------------
# manifest
# --------------------------------------------------------------------------------------
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
    conversations_file: str | None = None  # real recommendation dialogues (chatrec.conversations)
    # add-ons (DLC, soundtracks): items whose ``addons[0]`` field has one of the ``addons[1]``
    # values; recommended only when the user asks for add-ons
    addons: tuple[str, tuple[str, ...]] | None = None
    # how many people rated the item somewhere else (e.g. TMDB votes): reach beyond the
    # catalog's own ratings, the ``votes`` feature of chatrec.candidates
    votes_field: str | None = None
    ranker_file: str | None = None  # a learned ranker (chatrec.learned)

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


# --------------------------------------------------------------------------------------
# catalog
# --------------------------------------------------------------------------------------
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


class Catalog:
    """A loaded catalog. Items keep file order; lookups by id; cached attribute vocabularies."""

    def __init__(self, path: Path, manifest: Manifest, items: dict[str, Item],
                 content_hash: str) -> None:
        self.path = path
        self.manifest = manifest
        self.name = manifest.name
        self.items = items
        self.content_hash = content_hash
        self._lock = threading.Lock()
        self._attrs: dict[str, frozenset[str]] = {}
        self._vocab: dict[str, int] | None = None
        self._field_vocab: dict[str, dict[str, int]] = {}
        self._ratings: Ratings | None = None
        self._norm: dict[str, str] = {}

    @classmethod
    def from_folder(cls, folder: str | Path) -> Catalog:
        """Read, validate and hash a catalog folder (no caching; see :func:`load_catalog`)."""
        folder = Path(folder).resolve()
        manifest = read_manifest(folder)
        items_path = folder / manifest.items_file
        items = load_items(items_path, manifest)
        if manifest.item_count is not None and manifest.item_count != len(items):
            raise CatalogError(f"{folder / MANIFEST_FILE}: item_count is {manifest.item_count} but "
                               f"{items_path} has {len(items)} items; rebuild the catalog")
        if not items:
            raise CatalogError(f"{items_path}: the catalog has no items")
        return cls(folder, manifest, items, _content_hash(folder, manifest))

    # --- container protocol -----------------------------------------------------------
    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Item]:
        return iter(self.items.values())

    def __contains__(self, item_id: object) -> bool:
        return item_id in self.items

    def __getitem__(self, item_id: str) -> Item:
        try:
            return self.items[item_id]
        except KeyError:
            raise CatalogError(f"unknown item id {item_id!r} in catalog {self.name!r}") from None

    def __repr__(self) -> str:
        return (f"Catalog({self.name!r}, {len(self)} {self.manifest.plural}, "
                f"path={str(self.path)!r})")

    def get(self, item_id: str) -> Item | None:
        return self.items.get(item_id)

    # --- attributes -------------------------------------------------------------------
    def _normalize(self, term: str) -> str:
        n = self._norm.get(term)
        if n is None:
            n = self._norm[term] = normalize_term(term)
        return n

    def _field_terms(self, item: Item, field_name: str) -> set[str]:
        return {n for v in item.values(field_name) if (n := self._normalize(v))}

    def is_addon(self, item: Item) -> bool:
        """True for an add-on (DLC, soundtrack) as the manifest's ``addons`` declares them."""
        if self.manifest.addons is None:
            return False
        field_name, values = self.manifest.addons
        return any(v in values for v in item.values(field_name))

    def attributes(self, item: Item | str) -> frozenset[str]:
        """Normalized terms (:func:`normalize_term`) of the item's ``attribute_fields`` values."""
        it = self[item] if isinstance(item, str) else item
        cached = self._attrs.get(it.id)
        if cached is None:
            terms: set[str] = set()
            for f in self.manifest.attribute_fields:
                terms |= self._field_terms(it, f)
            cached = self._attrs[it.id] = frozenset(terms)
        return cached

    def vocabulary(self) -> dict[str, int]:
        """Normalized attribute term -> number of items having it (over ``attribute_fields``)."""
        with self._lock:
            if self._vocab is None:
                counts: Counter[str] = Counter()
                for it in self:
                    counts.update(self.attributes(it))
                self._vocab = dict(counts.most_common())
            return self._vocab

    def field_vocabulary(self, field: str) -> dict[str, int]:
        """Like :meth:`vocabulary` for one declared field (keys normalized)."""
        if field not in self.manifest.fields:
            raise CatalogError(f"catalog {self.name!r} has no field {field!r}; fields: "
                               f"{', '.join(self.manifest.fields)}")
        with self._lock:
            if field not in self._field_vocab:
                counts: Counter[str] = Counter()
                for it in self:
                    counts.update(self._field_terms(it, field))
                self._field_vocab[field] = dict(counts.most_common())
            return self._field_vocab[field]

    # --- roles ------------------------------------------------------------------------
    def _number(self, item_id: str, field: str | None) -> float | None:
        """``meta[field]`` when it is a number (not a bool), else None."""
        v = self[item_id].meta.get(field) if field else None
        return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None

    def popularity(self, item_id: str) -> float:
        """``meta[popularity_field]`` (0..1 in the shipped catalogs), or 0.0 when unknown."""
        return self._number(item_id, self.manifest.popularity_field) or 0.0

    def rating(self, item_id: str) -> float | None:
        """``meta[rating_field]``, or None."""
        return self._number(item_id, self.manifest.rating_field)

    def votes(self, item_id: str) -> float:
        """``meta[votes_field]`` (a count, 0 or more), or 0.0 when unknown."""
        return max(0.0, self._number(item_id, self.manifest.votes_field) or 0.0)

    def link(self, item_id: str) -> str | None:
        """``meta[link_field]`` (a URL), or None."""
        f = self.manifest.link_field
        v = self[item_id].meta.get(f) if f else None
        return v if isinstance(v, str) and v else None

    def ratings(self) -> Ratings | None:
        """The ratings as arrays (loaded on first call, then cached); None without a file."""
        if self.manifest.ratings_file is None:
            return None
        with self._lock:
            if self._ratings is None:
                self._ratings = load_ratings(self.path / self.manifest.ratings_file, self.items)
            return self._ratings

    def display_meta(self, item: Item) -> dict[str, str]:
        """Label -> human string for the manifest's ``display_fields`` the item has.

        e.g. ``{"Year": "2014", "Genres": "Adventure, Drama, Sci-Fi", "Runtime": "169 min"}``;
        prices read ``"$9.99"`` or ``"Free"``.
        """
        out: dict[str, str] = {}
        for f in self.manifest.display_fields:
            v = item.meta.get(f)
            if v is None or v == [] or v == "":
                continue
            spec = self.manifest.fields[f]
            out[spec.label or f] = format_value(spec, v)
        return out


def _files(folder: Path, manifest: Manifest) -> list[Path]:
    files = [folder / MANIFEST_FILE, folder / manifest.items_file]
    if manifest.ratings_file:
        files.append(folder / manifest.ratings_file)
    return files


def _content_hash(folder: Path, manifest: Manifest) -> str:
    """sha256 over the manifest, items and ratings files (each prefixed by its name and size)."""
    h = hashlib.sha256()
    for p in _files(folder, manifest):
        try:
            with p.open("rb") as f:
                h.update(f"{p.name}:{p.stat().st_size}\n".encode())
                while chunk := f.read(1 << 20):
                    h.update(chunk)
        except OSError as e:
            raise CatalogError(f"{p}: cannot read: {e}") from None
    return h.hexdigest()


# --------------------------------------------------------------------------------------
# finding and loading
# --------------------------------------------------------------------------------------
def user_catalogs_dir(settings: Settings) -> Path:
    """Where user catalogs live: ``settings.data_dir / "catalogs"``."""
    return settings.data_dir / "catalogs"


def catalog_dirs(settings: Settings) -> dict[str, Path]:
    """Catalog name (folder name) -> folder, sorted; user catalogs override shipped ones."""
    found: dict[str, Path] = {}
    for base in (settings.catalogs_dir, user_catalogs_dir(settings)):
        if base.is_dir():
            for manifest in sorted(base.glob(f"*/{MANIFEST_FILE}")):
                found[manifest.parent.name] = manifest.parent
    return dict(sorted(found.items()))


def list_catalogs(settings: Settings) -> list[str]:
    """Names accepted by :func:`load_catalog`."""
    return list(catalog_dirs(settings))


_CACHE: dict[Path, tuple[tuple[Any, ...], Catalog]] = {}
_CACHE_LOCK = threading.Lock()


def clear_cache() -> None:
    """Forget every cached catalog (tests; after editing catalog files in place)."""
    with _CACHE_LOCK:
        _CACHE.clear()


def _resolve(name_or_path: str | Path, settings: Settings | None) -> Path:
    if isinstance(name_or_path, Path) or "/" in name_or_path or "\\" in name_or_path \
            or name_or_path.startswith("."):
        folder = Path(name_or_path).expanduser()
        if folder.is_file() and folder.name == MANIFEST_FILE:
            folder = folder.parent
        if not (folder / MANIFEST_FILE).is_file():
            raise CatalogError(f"{folder}: not a catalog folder (no {MANIFEST_FILE})")
        return folder.resolve()
    settings = settings if settings is not None else Settings.load()
    dirs = catalog_dirs(settings)
    if name_or_path not in dirs:
        available = ", ".join(dirs) or "none"
        raise CatalogError(
            f"unknown catalog {name_or_path!r}; available: {available} (shipped in "
            f"{settings.catalogs_dir}, user catalogs in {user_catalogs_dir(settings)}; "
            "or pass a folder path containing catalog.json)")
    return dirs[name_or_path].resolve()


def add(*args: Any, **kwargs: Any) -> Any:
    """Import a CSV / JSONL file as a user catalog: :func:`chatrec.catalog_import.add`."""
    from chatrec.catalog_import import add as _add

    return _add(*args, **kwargs)


def load_catalog(name_or_path: str | Path, settings: Settings | None = None) -> Catalog:
    """A catalog by name (see :func:`catalog_dirs`) or by folder path, validated.

    Cached per process: loading the same unchanged folder again returns the same object;
    a change in any of its files' size or mtime reloads it.
    """
    folder = _resolve(name_or_path, settings)
    manifest = read_manifest(folder)
    key_parts: list[Any] = []
    for p in _files(folder, manifest):
        try:
            st = p.stat()
        except FileNotFoundError:
            raise CatalogError(f"{p}: file not found (named in {folder / MANIFEST_FILE})") from None
        key_parts.append((p.name, st.st_size, st.st_mtime_ns))
    key = tuple(key_parts)
    with _CACHE_LOCK:
        hit = _CACHE.get(folder)
        if hit is not None and hit[0] == key:
            return hit[1]
    catalog = Catalog.from_folder(folder)
    with _CACHE_LOCK:
        _CACHE[folder] = (key, catalog)
    return catalog

