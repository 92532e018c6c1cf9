"""Tags from a second file (``catalog add ... --tags FILE``): the catalog's attribute vocabulary
when the items file has no genres or descriptions.

Two real-world shapes are read:

* one row per (item, tag), with an optional weight: MovieLens ``tags.csv``
  (``userId,movieId,tag,timestamp``: each row counts 1) or ``item_id,tag,count``;
* a tag-id file joined with a tag-name file (``--tag-names``): goodbooks-10k ``book_tags.csv``
  (``goodreads_book_id,tag_id,count``) + ``tags.csv`` (``tag_id,tag_name``).

The tags file's item column is the one named like the items file's id (or ``--tags-on COL``, an
items column such as ``goodreads_book_id``). Each item keeps its :data:`MAX_TAGS` heaviest tags,
heaviest first; a tag on more than half of the items ("to-read", "owned") says nothing and is
dropped. Part of :mod:`chatrec.importer`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from chatrec.errors import CatalogError, CatalogRowError
from chatrec.importer.readers import read_rows
from chatrec.importer.values import BadValue, is_missing, to_number

MAX_TAGS = 20
_TAG_COLS = ("tag", "tag_name", "tagname", "tags", "name", "label", "keyword", "term")
_WEIGHT_COLS = ("count", "weight", "score", "n", "votes", "frequency", "freq", "relevance")
_TAG_ID_COLS = ("tag_id", "tagid", "tag id")


@dataclass
class TagTable:
    """Tag weights by the items column ``on`` (an item's value there -> tag -> weight)."""

    on: str
    weights: dict[str, dict[str, float]] = field(default_factory=dict)
    rows: int = 0

    def per_item(self, keys: dict[str, str]) -> dict[str, list[str]]:
        """Item id -> its tags, heaviest first (``keys``: the ``on`` value -> item id)."""
        by_item: dict[str, dict[str, float]] = {}
        for key, tags in self.weights.items():
            iid = keys.get(key)
            if iid is not None:
                mine = by_item.setdefault(iid, {})
                for t, w in tags.items():
                    mine[t] = mine.get(t, 0.0) + w
        spread: Counter[str] = Counter()
        for tags in by_item.values():
            spread.update(tags.keys())
        common = {t for t, n in spread.items() if len(by_item) >= 20 and n > len(by_item) / 2}
        return {iid: [t for t, w in sorted(tags.items(), key=lambda x: -x[1])
                      if t not in common and w > 0][:MAX_TAGS]
                for iid, tags in by_item.items()}


def _pick(columns: list[str], names: tuple[str, ...]) -> str | None:
    low = {c.lower(): c for c in columns}
    return next((low[n] for n in names if n in low), None)


def read_tags(path: str | Path, names_path: str | Path | None, *, id_col: str,
              item_columns: list[str], tags_on: str | None, encoding: str) -> TagTable:
    """Read the tags file (and the tag-name file); errors name the file and the fix."""
    table = read_rows(Path(path).expanduser(), encoding=encoding)
    cols = table.columns
    if table.errors:
        raise table.errors[0]
    on = tags_on or (id_col if id_col in cols else next((c for c in cols if c in item_columns
                                                         and c.lower() not in _TAG_ID_COLS), None))
    if on is None or on not in item_columns:
        raise CatalogError(f"{table.path}: no column names the items; the tags file has "
                           f"{', '.join(cols)} and the items file {', '.join(item_columns)}. Name "
                           "the items column its ids refer to with --tags-on COL (a column of "
                           "both files)")
    key_col = on if on in cols else id_col
    if key_col not in cols:
        raise CatalogError(f"{table.path}: no column {key_col!r}; the tags file has "
                           f"{', '.join(cols)} (its item column must be named like the items "
                           "column it refers to)")
    tag_col = _pick(cols, _TAG_COLS)
    names: dict[str, str] | None = None
    if tag_col is None or names_path is not None:
        id_col_t = _pick(cols, _TAG_ID_COLS)
        if names_path is None or id_col_t is None:
            raise CatalogError(f"{table.path}: no tag column (one of {', '.join(_TAG_COLS)}); a "
                               "file of tag ids needs --tag-names FILE with tag_id,tag_name")
        names = _read_names(Path(names_path).expanduser(), encoding)
        tag_col = id_col_t
    weight_col = _pick(cols, _WEIGHT_COLS)
    out = TagTable(on=on)
    for r in table.rows:
        key, tag = r.get(key_col), r.get(tag_col)
        if is_missing(key) or is_missing(tag):
            continue
        if names is not None:
            tag = names.get(str(tag).strip())
            if tag is None:
                continue
        w: float = 1.0
        if weight_col is not None and not is_missing(r.get(weight_col)):
            try:
                w = float(to_number(r.get(weight_col), "float", table.decimal_comma))
            except BadValue as e:
                raise CatalogRowError(table.path, r.line, str(e), weight_col) from None
        term = " ".join(str(tag).split()).casefold()
        if term:
            k = str(int(key)) if isinstance(key, float) and key.is_integer() else str(key).strip()
            mine = out.weights.setdefault(k, {})
            mine[term] = mine.get(term, 0.0) + w
            out.rows += 1
    if not out.weights:
        raise CatalogError(f"{table.path}: no tags read (columns {', '.join(cols)})")
    return out


def _read_names(path: Path, encoding: str) -> dict[str, str]:
    table = read_rows(path, encoding=encoding)
    id_col = _pick(table.columns, _TAG_ID_COLS)
    name_col = _pick(table.columns, _TAG_COLS)
    if id_col is None or name_col is None:
        raise CatalogError(f"{table.path}: a tag-name file needs a tag_id and a tag_name column; "
                           f"it has {', '.join(table.columns)}")
    return {str(r.get(id_col)).strip(): str(r.get(name_col)) for r in table.rows
            if not is_missing(r.get(id_col)) and not is_missing(r.get(name_col))}
