"""Hard filters from the profile: compiled to a Chroma ``where`` clause, and checked again in code.

A recommended item that violates a constraint or a dislike is a bug, so every candidate passes
:func:`violations` after retrieval, whatever the index returned.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chatrec.profile import Preferences
from chatrec.types import Item

if TYPE_CHECKING:
    from chatrec.catalog import Catalog

ATTRS_KEY = "attrs"  # the index's metadata key holding an item's normalised attribute terms


def build_where(prefs: Preferences, catalog: Catalog) -> dict[str, Any] | None:
    """A Chroma ``where`` filter for the profile's constraints and disliked attributes."""
    clauses: list[dict[str, Any]] = []
    fields = catalog.manifest.fields
    creator = catalog.role_field("creator")
    for c in prefs.constraints.values():
        spec = fields.get(c.field)
        if c.field == creator:
            continue  # not in the index: checked in code, and "by X" brings X's items (by_creator)
        if c.op in ("has", "not_has"):
            op = "$contains" if c.op == "has" else "$not_contains"
            from chatrec.vocab import normalize_term

            clauses.append({ATTRS_KEY: {op: normalize_term(str(c.value))}})
        elif spec is not None and spec.type in ("int", "float") and c.op in ("min", "max"):
            clauses.append({c.field: {"$gte" if c.op == "min" else "$lte": c.value}})
        elif spec is not None and spec.type in ("bool", "str", "int", "float") and c.op == "eq":
            clauses.append({c.field: {"$eq": c.value}})
    for term in prefs.disliked_attrs:
        clauses.append({ATTRS_KEY: {"$not_contains": term}})
    if not clauses:
        return None
    if len(clauses) == 1:
        return clauses[0]
    return {"$and": clauses}


def by_creator(prefs: Preferences, catalog: Catalog) -> list[str]:
    """The items a "by X" constraint asks for (the creator role), whatever the index returns;
    empty without one."""
    creator = catalog.role_field("creator")
    c = prefs.constraints.get(f"{creator}:has") if creator else None
    return [] if c is None else [it.id for it in catalog if c.allows(it)]


def violations(item: Item, prefs: Preferences, catalog: Catalog) -> list[str]:
    """Why this item must not be recommended now (empty when it may be)."""
    out: list[str] = []
    for c in prefs.constraints.values():
        if not c.allows(item):
            out.append(f"breaks the limit '{c.describe()}'")
    attrs = catalog.attributes(item)
    for term, fact in prefs.disliked_attrs.items():
        if term in attrs:
            out.append(f"is {fact.label or term}, which you don't want")
    if item.id in prefs.disliked_items:
        out.append("you said you didn't like it")
    if item.id in prefs.seen_items:
        out.append("you have seen it")
    if item.id in prefs.recommended:
        out.append("was already recommended")
    if item.id in prefs.liked_items:
        out.append("you named it yourself")
    return out

