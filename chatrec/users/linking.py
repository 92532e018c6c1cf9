"""History rows -> catalog items: by external id where the catalog has one (IMDb, TMDB, its own
ids), otherwise by title and year through the understanding's title index.

A title with a year links to the item of that title and year (or one year off: release dates
differ by country); two such items, or several same-named items without a year, are
*ambiguous* and reported with the choices; a title the catalog lacks is *missing*.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from chatrec.understand.text import strip_year, title_key
from chatrec.users.history import BadRow, HistoryRow, norm_imdb

if TYPE_CHECKING:
    from chatrec.catalog import Catalog
    from chatrec.understand.titles import TitleIndex

_BRACKETS = re.compile(r"\s*\([^()]*\)")
ID_FIELDS = {"imdb": ("imdb_id", "imdb"), "tmdb": ("tmdb_id", "tmdb")}


@dataclass
class Linked:
    where: str
    item_id: str
    title: str  # the catalog's title
    how: str  # "imdb" | "tmdb" | "id" | "title"
    rating: float | None = None
    when: str = ""


@dataclass
class Ambiguous:
    where: str
    title: str
    year: int | None
    choices: list[tuple[str, str]]  # (item id, display title)


@dataclass
class Missing:
    where: str
    title: str
    year: int | None


@dataclass
class ImportReport:
    """What an import did: ``linked`` rows, ``ambiguous`` ones (with the choices), ``missing``
    ones (not in the catalog) and ``bad_rows`` (``file:line``: why), plus the profile change."""

    path: str
    format: str
    rows: int = 0
    linked: list[Linked] = field(default_factory=list)
    ambiguous: list[Ambiguous] = field(default_factory=list)
    missing: list[Missing] = field(default_factory=list)
    bad_rows: list[BadRow] = field(default_factory=list)
    likes: int = 0
    dislikes: int = 0
    seen: int = 0

    def summary(self) -> str:
        """The report in a few lines (what the CLI prints)."""
        share = f" ({len(self.linked) / self.rows:.0%})" if self.rows else ""
        out = [f"{self.path} ({self.format}): {self.rows} rows, {len(self.linked)} linked{share}, "
               f"{len(self.ambiguous)} ambiguous, {len(self.missing)} not in the catalog, "
               f"{len(self.bad_rows)} bad",
               f"profile: +{self.likes} likes, +{self.dislikes} dislikes, {self.seen} seen "
               "(never recommended again)"]
        for a in self.ambiguous[:10]:
            opts = "; ".join(f"{t} [{i}]" for i, t in a.choices)
            out.append(f"  ambiguous {a.where}: {a.title!r} could be {opts}")
        for m in self.missing[:10]:
            out.append(f"  missing {m.where}: {m.title!r}" + (f" ({m.year})" if m.year else ""))
        for b in self.bad_rows[:10]:
            out.append(f"  bad {b}")
        more = max(0, len(self.ambiguous) - 10) + max(0, len(self.missing) - 10) + \
            max(0, len(self.bad_rows) - 10)
        if more:
            out.append(f"  ... and {more} more (report.to_dict() has them all)")
        return "\n".join(out)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def counts(self) -> dict[str, Any]:
        """The report without its row lists (kept in the user's import log)."""
        return {"path": self.path, "format": self.format, "rows": self.rows,
                "linked": len(self.linked), "ambiguous": len(self.ambiguous),
                "missing": len(self.missing), "bad_rows": len(self.bad_rows),
                "likes": self.likes, "dislikes": self.dislikes, "seen": self.seen}


class HistoryLinker:
    """Links history rows to one catalog's items."""

    def __init__(self, catalog: Catalog, titles: TitleIndex) -> None:
        self.catalog = catalog
        self.titles = titles
        self.by_id: dict[str, dict[str, str]] = {}
        fields = catalog.manifest.fields
        for kind, names in ID_FIELDS.items():
            name = next((n for n in names if n in fields), None)
            if name is None:
                continue
            table: dict[str, str] = {}
            for it in catalog:
                v = it.meta.get(name)
                key = norm_imdb(str(v)) if kind == "imdb" and v else (str(v) if v else None)
                if key and key not in table:
                    table[key] = it.id
            self.by_id[kind] = table

    def link(self, row: HistoryRow) -> Linked | Ambiguous | Missing:
        for kind, value in (("imdb", row.imdb), ("tmdb", row.tmdb)):
            iid = self.by_id.get(kind, {}).get(value or "")
            if iid is not None:
                return self._linked(row, iid, kind)
        if row.item_id is not None and row.item_id in self.catalog:
            return self._linked(row, row.item_id, "id")
        title, year = row.title, row.year
        if year is None:
            title, year = strip_year(title)
        if not title:
            return Missing(row.where, row.title or row.item_id or row.imdb or "", row.year)
        found = self.titles.lookup(title_key(title)) or \
            self.titles.lookup(title_key(_BRACKETS.sub(" ", title)))  # "Porco Rosso (Crimson Pig)"
        if not found:
            return Missing(row.where, row.title, row.year)
        best = min(found.values())
        cands = [i for i, lv in found.items() if lv == best]
        pool = [i for i, lv in found.items() if lv <= max(best, 1)]  # not a part of a title
        if year is not None:
            for off in (0, 1):
                near = [i for i in pool if self.catalog.items[i].year is not None
                        and abs(int(self.catalog.items[i].year or 0) - year) <= off]
                if near:
                    cands = near
                    break
            else:
                return Missing(row.where, row.title, year)
            if len(cands) == 1:
                return self._linked(row, cands[0], "title")
        res = self.titles.resolve({i: found[i] for i in cands}, year)
        if res.item_id is not None:
            return self._linked(row, res.item_id, "title")
        choices = res.ambiguous or cands
        return Ambiguous(row.where, row.title, year,
                         [(i, self.catalog.items[i].display_title) for i in choices[:5]])

    def _linked(self, row: HistoryRow, item_id: str, how: str) -> Linked:
        return Linked(row.where, item_id, self.catalog.items[item_id].display_title, how,
                      row.rating, row.when)
