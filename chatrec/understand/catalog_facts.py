"""What the constraint and title rules need to know about a catalog: which fields hold the year,
runtime, price, rating and early access, and where "recent" and "old" begin (see
:mod:`chatrec.understand.constraints` for the rules that use them)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chatrec.catalog import Catalog

_RATING_DEFAULT = {"avg_rating": 3.8, "rating": 4.0}


@dataclass
class CatalogFacts:
    """What the constraint rules need to know about a catalog."""

    year_field: str | None = None
    runtime_field: str | None = None
    price_field: str | None = None
    rating_field: str | None = None
    rating_scale: float = 5.0
    rating_default: float = 3.8
    early_access_field: str | None = None
    max_year: int = 2018
    old_cutoff: int = 1979
    is_games: bool = False

    @classmethod
    def from_catalog(cls, catalog: Catalog) -> CatalogFacts:
        man = catalog.manifest
        fields = man.fields
        f = cls(is_games=man.noun == "game" or man.name == "games")
        for name, spec in fields.items():
            if spec.role == "year" or (name == "year" and f.year_field is None):
                f.year_field = name
            if spec.role == "price" or (name == "price" and f.price_field is None):
                f.price_field = name
            if name in ("runtime", "duration", "length") or spec.unit == "min":
                f.runtime_field = f.runtime_field or name
            if name == "early_access" and spec.type == "bool":
                f.early_access_field = name
        f.rating_field = man.rating_field
        if f.rating_field:
            unit = fields[f.rating_field].unit or "/5"
            m = re.match(r"/(\d+)", unit)
            f.rating_scale = float(m.group(1)) if m else 5.0
            f.rating_default = _RATING_DEFAULT.get(f.rating_field, 0.76 * f.rating_scale)
        if f.year_field:
            years = Counter(y for it in catalog if isinstance(y := it.meta.get(f.year_field), int)
                            and not isinstance(y, bool))
            if years:
                total = sum(years.values())
                floor = max(3, int(total * 0.001))
                f.max_year = max((y for y, n in years.items() if n >= floor), default=max(years))
                acc = 0
                p20 = min(years)
                for y in sorted(years):
                    acc += years[y]
                    if acc >= 0.2 * total:
                        p20 = y
                        break
                f.old_cutoff = (p20 // 10) * 10 - 1
        return f
