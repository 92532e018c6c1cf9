"""An optional LLM extractor, for capable backends, whose result is checked against the catalog
and merged under the deterministic result (never trusted over it).

``extract(backend, text, prefs, catalog)`` asks the backend for one JSON object under a schema
(titles, attributes, numeric/boolean constraints, lifted limits) and keeps only what the catalog
confirms: titles must resolve through the understander's title index (the rest become
``unknown_titles`` when the user actually typed them), attributes must be terms of the catalog's
vocabulary, constraint values must be of the field's type and inside the catalog's range. Facts
already in the profile are never flipped. Any backend error or unusable reply gives ``None``:
the caller keeps the deterministic result.

``merge(det, llm)``: the deterministic result wins every conflict. An item or attribute it put
on one side stays there; the LLM only adds what the deterministic layer did not mention, and
fills constraint fields the deterministic layer left empty.

The local default (a 135M model) does not need this module to reach the understanding targets.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chatrec.errors import ChatrecError
from chatrec.llm.base import Generation, LLMBackend, Message, parse_json_reply
from chatrec.profile import Constraint, Preferences
from chatrec.prompts import Prompt, load_prompt
from chatrec.settings import shipped_dir
from chatrec.understand.model import TitleMatch, Understanding
from chatrec.understand.text import fold, strip_year, title_key
from chatrec.vocab import normalize_term

if TYPE_CHECKING:
    from chatrec.catalog import Catalog
    from chatrec.understand.titles import TitleIndex

log = logging.getLogger(__name__)

PROMPTS = ("extract_system", "extract_user")  # variables declared in prompts.REQUIRED
MAX_LIST = 8  # items per list in the schema: a message names a handful of things
MAX_STR = 120
MAX_MESSAGE = 1000
GENERATION = Generation(max_tokens=320, temperature=0.0)
_OPS = ("min", "max", "eq")


# --- prompts and schema ---------------------------------------------------------------------
def load_extract_prompts(directory: Path | None = None) -> dict[str, Prompt]:
    """The extractor's two prompts, their variables checked."""
    d = directory if directory is not None else shipped_dir("prompts")
    return {name: load_prompt(d, name) for name in PROMPTS}


def constraint_fields(catalog: Catalog) -> dict[str, str]:
    """Field name -> type ("int" | "float" | "bool") of the fields a constraint may limit."""
    return {name: spec.type for name, spec in catalog.manifest.fields.items()
            if spec.type in ("int", "float", "bool")}


def schema_for(catalog: Catalog) -> dict[str, Any]:
    """The JSON schema of the extractor's reply for this catalog."""
    fields = sorted(constraint_fields(catalog))
    strings = {"type": "array", "maxItems": MAX_LIST,
               "items": {"type": "string", "minLength": 1, "maxLength": MAX_STR}}
    props: dict[str, Any] = {k: strings for k in (
        "liked_titles", "disliked_titles", "seen_titles", "liked_attributes", "disliked_attributes")}
    props["constraints"] = {
        "type": "array", "maxItems": MAX_LIST,
        "items": {"type": "object", "additionalProperties": False,
                  "required": ["field", "op", "value"],
                  "properties": {"field": {"type": "string", "enum": fields},
                                 "op": {"type": "string", "enum": list(_OPS)},
                                 "value": {"anyOf": [{"type": "number"},
                                                     {"type": "boolean"}]}}}}
    props["dropped_constraints"] = {"type": "array", "maxItems": MAX_LIST,
                                    "items": {"type": "string", "enum": fields}}
    return {"type": "object", "additionalProperties": False, "required": list(props),
            "properties": props}


def _fields_text(catalog: Catalog) -> str:
    out = []
    for name, typ in sorted(constraint_fields(catalog).items()):
        spec = catalog.manifest.fields[name]
        unit = f" {spec.unit}" if spec.unit else ""
        out.append(f"{name} ({'true/false' if typ == 'bool' else 'number'}{unit})")
    return ", ".join(out)


# --- the call -------------------------------------------------------------------------------
def extract(backend: LLMBackend, text: str, prefs: Preferences, catalog: Catalog,
            prompts: Mapping[str, Prompt] | None = None, *, titles: TitleIndex | None = None,
            turn: int = 0, gen: Generation = GENERATION) -> Understanding | None:
    """Ask ``backend`` what ``text`` says; return only catalog-checked facts, or None.

    ``titles`` is the understander's :class:`TitleIndex` (``Understander(catalog).titles``;
    built, and cached, on demand when not given). ``prompts`` (e.g. the recommender's loaded
    prompts) default to the files in ``prompts/`` when they lack the extractor's two.
    None means: the backend failed or replied with something unusable.
    """
    try:
        p = dict(prompts) if prompts is not None and set(PROMPTS) <= set(prompts) \
            else load_extract_prompts()
        msgs = [Message("system", p["extract_system"].render(noun=catalog.manifest.noun,
                                                              fields=_fields_text(catalog))),
                Message("user", p["extract_user"].render(message=text[:MAX_MESSAGE]))]
        raw = backend.complete_json(msgs, schema_for(catalog), gen=gen)
    except ChatrecError as e:  # BackendUnavailable, BackendError, BackendReplyError, PromptError
        log.info("LLM extraction failed, keeping the deterministic result: %s", e)
        return None
    except Exception as e:  # a backend bug must not cost the user their turn
        log.warning("LLM extraction crashed, keeping the deterministic result: %r", e)
        return None
    if isinstance(raw, str):  # a backend that hands back text
        try:
            raw = parse_json_reply(raw)
        except ChatrecError:
            return None
    if not isinstance(raw, dict):
        return None
    if titles is None:
        from chatrec.understand.parser import Understander

        titles = Understander(catalog).titles
    return check(raw, text, prefs, catalog, titles, turn=turn)


#: intents with nothing for the extractor to add ("show me more", "why #2?", "hi")
SKIP_INTENTS = frozenset({"greeting", "more", "why", "item_question"})


def should_extract(backend: LLMBackend | None, mode: str = "auto") -> bool:
    """Whether to run the extractor with this backend. ``mode`` is "on", "off" or "auto": only
    backends whose capabilities say they extract preferences (remote models and local GGUF
    models of 1 GB or more; never the default 135M model, nor the fake test backend)."""
    if backend is None or mode == "off":
        return False
    if mode == "on":
        return True
    return backend.capabilities.extracts_preferences


def refine(det: Understanding, backend: LLMBackend, text: str, prefs: Preferences, catalog: Catalog,
           prompts: Mapping[str, Prompt] | None = None, *, titles: TitleIndex | None = None,
           turn: int = 0, gen: Generation = GENERATION) -> Understanding:
    """``merge(det, extract(...))``, skipping intents the extractor can't help with. ``gen``
    may carry the turn's deadline (a busy or late model: the deterministic result alone)."""
    if det.intent in SKIP_INTENTS:
        return det
    return merge(det, extract(backend, text, prefs, catalog, prompts, titles=titles, turn=turn,
                              gen=gen))


# --- checking against the catalog ---------------------------------------------------------
def _strings(raw: Mapping[str, Any], key: str) -> list[str]:
    v = raw.get(key)
    if not isinstance(v, list):
        return []
    out = []
    for x in v[:MAX_LIST]:
        if isinstance(x, str) and x.strip() and len(x) <= MAX_STR:
            out.append(" ".join(x.split()))
    return out


def resolve_title(titles: TitleIndex, name: str, context: set[str] | None = None) -> str | None:
    """One catalog item id for a title as the LLM wrote it (exact keys of the title index, with
    an optional "(year)"), or None when it is unknown or ambiguous."""
    bare, year = strip_year(name)
    key = title_key(bare)
    if not key:
        return None
    ids = titles.lookup(key)
    if not ids:
        return None
    r = titles.resolve(ids, year=year, context=frozenset(context or ()), typed=key)
    return r.item_id


_RANGES: dict[tuple[str, str, str], tuple[float, float] | None] = {}


def _value_range(catalog: Catalog, field: str) -> tuple[float, float] | None:
    """The smallest and largest value of a numeric field over the catalog (cached)."""
    key = (str(getattr(catalog, "path", id(catalog))), str(getattr(catalog, "content_hash", "")), field)
    if key not in _RANGES:
        vals = [float(v) for it in catalog if isinstance(v := it.meta.get(field), (int, float))
                and not isinstance(v, bool)]
        _RANGES[key] = (min(vals), max(vals)) if vals else None
    return _RANGES[key]


def check_constraint(catalog: Catalog, obj: Any, turn: int = 0) -> Constraint | None:
    """A constraint from the LLM's ``{field, op, value}``, or None when the field is not a
    numeric/boolean field of this catalog, the op does not fit the type, or the value is out of
    the catalog's range."""
    if not isinstance(obj, Mapping):
        return None
    fname, op, value = obj.get("field"), obj.get("op"), obj.get("value")
    typ = constraint_fields(catalog).get(fname) if isinstance(fname, str) else None
    if typ is None or op not in _OPS:
        return None
    assert isinstance(fname, str)
    if typ == "bool":
        if op != "eq" or not isinstance(value, bool):
            return None
        return Constraint(fname, "eq", value, turn, "", "llm")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    rng = _value_range(catalog, fname)
    if rng is None or not rng[0] <= float(value) <= rng[1]:
        return None
    v: int | float = int(value) if typ == "int" and float(value).is_integer() else float(value)
    if typ == "int" and not isinstance(v, int):
        return None  # "year eq 1999.5"
    return Constraint(fname, op, v, turn, "", "llm")


def _typed(name: str, said: str, vocab: Mapping[str, int]) -> bool:
    """True when the user typed this name and it is not just an attribute ("time travel")."""
    n = fold(name).lower()
    return len(n) >= 2 and n in said and normalize_term(name) not in vocab


def check(raw: Mapping[str, Any], text: str, prefs: Preferences, catalog: Catalog,
          titles: TitleIndex, turn: int = 0) -> Understanding:
    """Keep only the catalog-confirmed parts of the LLM's reply (see the module docstring)."""
    u = Understanding()
    said = fold(text).lower()
    context = set(prefs.liked_items) | set(prefs.disliked_items) | set(prefs.seen_items) \
        | set(prefs.last_picks)
    sides: dict[str, list[TitleMatch]] = {"disliked": u.disliked_items, "seen": u.seen_items,
                                          "liked": u.liked_items}
    taken: set[str] = set()
    vocab = catalog.vocabulary()
    for side in ("disliked", "seen", "liked"):  # a dislike wins a conflict inside the reply
        for name in _strings(raw, f"{side}_titles"):
            iid = resolve_title(titles, name, context)
            if iid is None:
                # a name the user typed but the catalog lacks; never one the model made up
                if _typed(name, said, vocab) and name not in u.unknown_titles:
                    u.unknown_titles.append(name)
                continue
            if iid in taken:
                continue
            taken.add(iid)
            sides[side].append(TitleMatch(iid, titles.label(iid), name, 0.7, via="llm"))
    # never flip what the profile already says about an item
    u.liked_items = [m for m in u.liked_items
                     if m.item_id not in prefs.disliked_items and m.item_id not in prefs.seen_items]
    u.disliked_items = [m for m in u.disliked_items if m.item_id not in prefs.liked_items]
    for side, dest in (("disliked", u.disliked_attrs), ("liked", u.liked_attrs)):
        for name in _strings(raw, f"{side}_attributes"):
            t = normalize_term(name)
            if t in vocab and t not in u.disliked_attrs and t not in u.liked_attrs:
                dest.append(t)
                u.attr_labels.setdefault(t, t)
    u.liked_attrs = [t for t in u.liked_attrs if t not in prefs.disliked_attrs]
    u.disliked_attrs = [t for t in u.disliked_attrs if t not in prefs.liked_attrs]
    # constraints: type- and range-checked; a field the profile already limits is not touched
    limited = {c.field for c in prefs.constraints.values()}
    by_key: dict[str, Constraint] = {}
    cons = raw.get("constraints")
    for obj in (cons[:MAX_LIST] if isinstance(cons, list) else []):
        c = check_constraint(catalog, obj, turn)
        if c is not None and c.field not in limited:
            by_key.setdefault(c.key, c)
    for c in list(by_key.values()):  # a min above the max on one field: keep neither
        lo = by_key.get(f"{c.field}:min")
        hi = by_key.get(f"{c.field}:max")
        if lo is not None and hi is not None and float(lo.value) > float(hi.value):
            by_key.pop(lo.key, None)
            by_key.pop(hi.key, None)
    u.constraints = list(by_key.values())
    fields = constraint_fields(catalog)
    dropped = raw.get("dropped_constraints")
    for f in (dropped[:MAX_LIST] if isinstance(dropped, list) else []):
        if isinstance(f, str) and f in fields and f in limited and f not in u.dropped_constraints:
            u.dropped_constraints.append(f)
    u.intent = "recommend" if u.has_content else "other"
    return u


# --- merging --------------------------------------------------------------------------------
def _constraint_fields_of(u: Understanding) -> set[str]:
    out = {c.field for c in u.constraints}
    out |= {d.split(":", 1)[0] for d in u.dropped_constraints}
    return out


def merge(det: Understanding, llm: Understanding | None) -> Understanding:
    """``det`` plus what ``llm`` adds without contradicting it (``det`` is not modified).

    * An item ``det`` liked, disliked, saw, dropped, asked about or found ambiguous keeps
      ``det``'s reading; the LLM adds only items ``det`` did not mention, under names ``det``
      did not read as another item.
    * An attribute ``det`` liked, disliked or dropped keeps ``det``'s reading; the LLM adds only
      vocabulary terms (``llm`` comes from :func:`check`, which already vetted them).
    * LLM constraints fill only fields on which ``det`` set or lifted no limit; the LLM lifts a
      limit only on a field ``det`` did not touch this turn.
    * Titles and the intent, anchor, question and notes are ``det``'s.
    """
    out = replace(det, liked_items=list(det.liked_items), disliked_items=list(det.disliked_items),
                  seen_items=list(det.seen_items), liked_attrs=list(det.liked_attrs),
                  disliked_attrs=list(det.disliked_attrs), constraints=list(det.constraints),
                  dropped_constraints=list(det.dropped_constraints),
                  dropped_attrs=list(det.dropped_attrs), dropped_items=list(det.dropped_items),
                  unknown_titles=list(det.unknown_titles), ambiguous=list(det.ambiguous),
                  notes=list(det.notes), attr_labels=dict(det.attr_labels), labels=dict(det.labels))
    if llm is None:
        return out
    mentioned = {m.item_id for m in det.liked_items + det.disliked_items + det.seen_items}
    mentioned |= set(det.dropped_items)
    mentioned |= {i for _, ids in det.ambiguous for i in ids}
    if det.question_item:
        mentioned.add(det.question_item)
    if det.anchor:
        mentioned.add(det.anchor)
    det_names = {title_key(m.mention) for m in det.liked_items + det.disliked_items + det.seen_items}
    det_names |= {title_key(mention) for mention, _ in det.ambiguous}
    for src, dest in ((llm.disliked_items, out.disliked_items), (llm.seen_items, out.seen_items),
                      (llm.liked_items, out.liked_items)):
        for m in src:
            # a name the deterministic layer already read (maybe as another item) stays its own
            if m.item_id not in mentioned and title_key(strip_year(m.mention)[0]) not in det_names:
                dest.append(m)
                mentioned.add(m.item_id)
    said_attrs = set(det.liked_attrs) | set(det.disliked_attrs) | set(det.dropped_attrs)
    added: list[str] = []
    for src_a, dest_a in ((llm.disliked_attrs, out.disliked_attrs), (llm.liked_attrs, out.liked_attrs)):
        for t in src_a:
            if t not in said_attrs:
                dest_a.append(t)
                said_attrs.add(t)
                out.attr_labels.setdefault(t, llm.attr_labels.get(t, t))
                if dest_a is out.liked_attrs:
                    added.append(t)
    taken = _constraint_fields_of(det)
    for c in llm.constraints:
        if c.field not in taken:
            out.constraints.append(c)
    llm_set = {c.field for c in llm.constraints}
    for f in llm.dropped_constraints:
        if f not in taken and f not in llm_set and f not in out.dropped_constraints:
            out.dropped_constraints.append(f)
    low_unknown = {n.lower() for n in out.unknown_titles}
    low_unknown |= {m.mention.lower() for m in det.liked_items + det.disliked_items + det.seen_items}
    low_unknown |= {mention.lower() for mention, _ in det.ambiguous}
    for n in llm.unknown_titles:
        if not any(n.lower() in k or k in n.lower() for k in low_unknown if k):
            out.unknown_titles.append(n)
            low_unknown.add(n.lower())
    if added and out.intent == "recommend":
        extra = [t for t in added if t not in out.positive_text.lower()]
        out.positive_text = " ".join([out.positive_text, *extra]).strip()
    return out
