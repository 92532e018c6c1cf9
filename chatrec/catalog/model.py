"""A loaded catalog: :class:`Catalog`, its items by id, attribute vocabularies and field roles.

A catalog folder holds::

    catalog.json        the manifest (:class:`~chatrec.catalog.manifest.Manifest`)
    items.jsonl.gz      one item a line: {"id", "title", "aliases", "text", "meta"}
    ratings.csv.gz      optional: user_id,item_id,rating,timestamp

The format is documented in ``catalogs/README.md``; finding and caching catalogs by name is
:mod:`chatrec.catalog.registry`.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from chatrec.catalog.files import Ratings, load_items, load_ratings
from chatrec.catalog.manifest import MANIFEST_FILE, Manifest, format_value, read_manifest
from chatrec.errors import CatalogError
from chatrec.types import Item
from chatrec.vocab import normalize_term

_CREATOR_NAMES = ("author", "authors", "director", "directors", "developer", "creator", "creators")


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
    # A field's role (manifest ``fields.<name>.role``) says what it means, whatever its name:
    # ``year`` (int), ``creator`` (list or str: authors, director, developer, brand),
    # ``rating``, ``votes``, ``popularity`` (numbers), ``language`` (str, never a reason on its
    # own), ``link`` (a URL), ``price``, ``description`` (str) and ``attribute`` (the words
    # people use: genres, tags). Reasons, filters and understanding read roles through
    # :meth:`role_field`, :meth:`creators` and :meth:`year_of`, never a column name.
    def role_field(self, role: str) -> str | None:
        """The field playing ``role`` (the first declared), or None. The manifest's
        ``rating_field``/``votes_field``/``popularity_field``/``link_field`` win for their role; a
        shipped catalog's undeclared ``developer``/``director``/``author(s)`` field is its creator."""
        top = {"rating": self.manifest.rating_field, "votes": self.manifest.votes_field,
               "popularity": self.manifest.popularity_field, "link": self.manifest.link_field}
        if top.get(role):
            return top[role]
        found = next((n for n, f in self.manifest.fields.items() if f.role == role), None)
        if found is None and role == "creator":
            found = next((n for n in _CREATOR_NAMES if n in self.manifest.fields
                          and self.manifest.fields[n].type in ("str", "list")), None)
        return found

    def creators(self, item: Item | str) -> list[str]:
        """Who made the item (the ``creator`` role: authors, developer, ...); empty when unknown."""
        f = self.role_field("creator")
        it = self[item] if isinstance(item, str) else item
        return it.values(f) if f else []

    def year_of(self, item: Item | str) -> int | None:
        """The item's year (the ``year`` role), or None."""
        f = self.role_field("year")
        it = self[item] if isinstance(item, str) else item
        v = it.meta.get(f) if f else None
        return v if isinstance(v, int) and not isinstance(v, bool) else None

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


def _content_hash(folder: Path, manifest: Manifest) -> str:
    """sha256 over the manifest, items and ratings files (each prefixed by its name and size)."""
    h = hashlib.sha256()
    for p in manifest.content_files(folder):
        try:
            with p.open("rb") as f:
                h.update(f"{p.name}:{p.stat().st_size}\n".encode())
                while chunk := f.read(1 << 20):
                    h.update(chunk)
        except OSError as e:
            raise CatalogError(f"{p}: cannot read: {e}") from None
    return h.hexdigest()
