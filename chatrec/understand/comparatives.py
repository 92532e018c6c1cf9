"""Comparatives: "cheaper than Portal", "something newer", "shorter than that one" become
bounds on the price, year or runtime field relative to an item."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from chatrec.profile import Constraint
from chatrec.understand.mentions import tok_range

if TYPE_CHECKING:
    from chatrec.catalog import Catalog
    from chatrec.profile import Preferences
    from chatrec.understand.catalog_facts import CatalogFacts
    from chatrec.understand.mentions import Mention
    from chatrec.understand.text import Token


def comparatives(catalog: Catalog, facts: CatalogFacts, low: str, toks: list[Token], mentions: list[Mention],
                 masked: list[str], prefs: Preferences, turn: int) -> list[Constraint]:
    """"cheaper than that", "something newer": bounds relative to the item named after "than",
    else the first item named, else the profile's anchor. Blanks the words out in ``masked``
    so the constraint rules do not read them again."""
    out: list[Constraint] = []
    rules = {"cheaper": ("price", "max", -0.01), "less expensive": ("price", "max", -0.01),
             "pricier": ("price", "min", 0.01), "more expensive": ("price", "min", 0.01),
             "older": ("year", "max", -1), "newer": ("year", "min", 1),
             "more recent": ("year", "min", 1), "shorter": ("runtime", "max", -1),
             "longer": ("runtime", "min", 1)}
    fields = {"price": facts.price_field, "year": facts.year_field, "runtime": facts.runtime_field}
    for m in re.finditer(r"\b(cheaper|less expensive|pricier|more expensive|older|newer|more recent|"
                         r"shorter|longer)(?: than)?\b", low):
        word = m.group(1)
        has_than = m.group(0).endswith("than")
        target: str | None = None
        if has_than:
            ti = [i for i in tok_range(toks, m.end(), m.end() + 40) if toks[i].is_word][:2]
            after = next((x for x in mentions if ti and x.start == ti[0] and x.ids), None)
            if after is None and ti and toks[ti[0]].norm == "the":
                after = next((x for x in mentions if x.start == ti[0] + 1 and x.ids), None)
            if after is None:
                continue
            after.role = "compare"
            target = after.ids[0]
        else:
            anchors = [x for x in mentions if x.ids and x.kind in ("title", "ref")]
            target = anchors[0].ids[0] if anchors else prefs.anchor
            if target is None:
                continue
        fname, op, delta = rules[word]
        real = fields.get(fname)
        if real is None:
            continue
        v = catalog.items[target].meta.get(real) if target in catalog.items else None
        if not isinstance(v, (int, float)) or isinstance(v, bool):
            continue
        val: float | int = round(float(v) + delta, 2) if fname == "price" else int(v) + int(delta)
        if fname == "price" and val < 0:
            val = 0.0
        out.append(Constraint(real, op, val, turn, m.group(0)))  # type: ignore[arg-type]
        for i in range(m.start(), m.end()):
            masked[i] = " "
    return out
