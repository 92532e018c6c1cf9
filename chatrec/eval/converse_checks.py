"""The objective checks of ``python -m chatrec.eval converse``, each against the catalog's own
data (never against chatrec's wording):

* :func:`precision`: the share of picks carrying the requested attribute term;
* :func:`pick_violations`: picks that break the profile as it stood when they were shown;
* :func:`about_item`, :func:`has_verdict`, :func:`raw_index_text`: an answer names its item (or
  its data), opens with a verdict, and never pastes the index text;
* :func:`says_unknown`: an unknown title is said to be missing;
* :func:`specific_fact`: a reason cites an item-specific fact beyond genre and year (a
  keyword/tag/feature, a creator, a rating with its count, words of its description); echoing
  the user's own terms or citing a list/platform tag (``META_TAG``) does not count;
* :func:`shape` / :func:`variety`: a reason with the item's own words masked; distinct shapes
  in one reply over its picks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from chatrec.profile import Preferences
from chatrec.rank.facts import META_TAG
from chatrec.retrieve.filters import violations
from chatrec.understand.lexicon import word_set
from chatrec.vocab import normalize_term

if TYPE_CHECKING:
    from chatrec.catalog import Catalog
    from chatrec.types import Item, Pick

ANSWER_MAX = 400  # characters
_RATING = re.compile(r"\b\d+(?:\.\d+)?\s*/\s*\d+\b[^.]{0,30}?\b(?:from|of|by|on)\s+[\d,]+\s+"
                     r"(?:\w+\s+)?(?:ratings?|votes?|reviews?|people|users|players)", re.I)
_DURATION = re.compile(r"\b\d+\s*(?:h|hours?|hrs?|min|mins|minutes)\b", re.I)
_UNKNOWN = re.compile(r"\b(?:don'?t have|do not have|isn'?t in|is not in|not in (?:this|the|my) "
                      r"catalog|don'?t know|can'?t find|couldn'?t find)\b", re.I)
_VERDICT = re.compile(
    r"\b(?:yes|no|yeah|nope|probably|likely|unlikely|maybe|perhaps|definitely|certainly|"
    r"might|would|wouldn'?t|should|shouldn'?t|could|not (?:really|much|quite|sure|very)|"
    r"(?:good|great|strong|weak|poor|close|safe) (?:fit|match|bet|pick|choice)|"
    r"because|since|as you|you (?:asked|said|like|liked|loved|named|wanted)|"
    r"fits?|matches|shares?|it'?s|it is|it runs|runs|lasts|takes)\b", re.I)
_WORD = re.compile(r"[a-z0-9']+")
_STOP = word_set("""a an the and or of to in on for with by from at as is it its it's this that
these those you your i me my we our he she they them his her their be been are was were has have
had not no but so if than then there here about into over more most very just also what which who
whom when where why how all any some such can will would could should may might do does did""")


def _text(s: str) -> str:
    return " ".join(_WORD.findall(s.lower()))


def _has_phrase(text: str, phrase: str) -> bool:
    p = _text(phrase)
    return bool(p) and f" {p} " in f" {text} "


def genre_fields(catalog: Catalog) -> tuple[str, ...]:
    return tuple(f for f in catalog.manifest.attribute_fields if "genre" in f.lower())


def precision(picks: list[Pick], term: str, catalog: Catalog) -> float | None:
    """Share of ``picks`` whose attributes include ``term`` (None without picks)."""
    if not picks:
        return None
    want = normalize_term(term)
    return sum(want in catalog.attributes(catalog.items[p.item_id]) for p in picks) / len(picks)


def pick_violations(picks: list[Pick], prefs: Preferences, shown_before: list[str],
                    catalog: Catalog) -> list[str]:
    """Why picks break ``prefs`` (the profile after the turn), with only ``shown_before`` as
    already recommended: constraints, dislikes, named items, repeats."""
    p = Preferences.from_dict(prefs.to_dict())
    p.recommended = list(shown_before)
    out: list[str] = []
    for pick in picks:
        out += [f"{pick.title}: {v}" for v in violations(catalog.items[pick.item_id], p, catalog)]
    return out


def first_sentence(text: str) -> str:
    """Up to the first ``.``/``!``/``?`` followed by a space or the end (or a line break)."""
    m = re.search(r"[.!?](?=\s|$)|\n", text.strip())
    return text.strip()[: m.end()] if m else text.strip()


def item_facts(item: Item, catalog: Catalog) -> list[str]:
    """Phrases only this item has: non-genre attribute values, creators (no genres, no year)."""
    genres = {normalize_term(v) for f in genre_fields(catalog) for v in item.values(f)}
    out: list[str] = []
    for f in catalog.manifest.attribute_fields:
        if f in genre_fields(catalog):
            continue
        out += [v for v in item.values(f) if normalize_term(v) not in genres and len(v) > 2]
    out += creators(item, catalog)
    return out


def creators(item: Item, catalog: Catalog) -> list[str]:
    """Who made the item, by the catalog's creator role (as the reasons read it)."""
    return [v for v in catalog.creators(item) if len(v) > 2]


def description(item: Item, catalog: Catalog) -> str:
    """The item's description: its ``description`` role field, else its indexed text."""
    for name, spec in catalog.manifest.fields.items():
        if spec.role == "description" and item.meta.get(name):
            return str(item.meta[name])
    return item.text


def _grams(text: str, n: int) -> set[tuple[str, ...]]:
    ws = text.split()
    return {tuple(ws[i:i + n]) for i in range(len(ws) - n + 1)}


def quotes_description(text: str, item: Item, catalog: Catalog, n: int = 4) -> bool:
    """``text`` shares ``n`` consecutive words (not all stopwords) with the item's description."""
    shared = _grams(_text(text), n) & _grams(_text(description(item, catalog)), n)
    return any(not all(w in _STOP for w in g) for g in shared)


def minutes(text: str) -> set[int]:
    """Durations in ``text`` in minutes: "1 h 44 min" -> 104, "104 minutes" -> 104."""
    out: set[int] = set()
    for m in re.finditer(r"\b(?:(\d+)\s*(?:h|hours?|hrs?)\b)?\s*(?:(\d+)\s*(?:min|mins|minutes)\b)?",
                         text, re.I):
        if m.group(1) or m.group(2):
            out.add(int(m.group(1) or 0) * 60 + int(m.group(2) or 0))
    return out


def about_item(answer: str, item: Item, catalog: Catalog) -> bool:
    """The answer names the item (its title, or the part before a colon) or cites its data:
    an item-specific fact, words of its description, its runtime, or two of its genres."""
    low = _text(answer)
    title = item.title.split(":")[0] if len(item.title.split(":")[0]) >= 4 else item.title
    if _has_phrase(low, title):
        return True
    runtime = item.meta.get("runtime")
    if isinstance(runtime, int) and runtime in minutes(answer):
        return True
    genres = {v for f in genre_fields(catalog) for v in item.values(f)}
    if sum(_has_phrase(low, g) for g in genres) >= 2:
        return True
    return any(_has_phrase(low, f) for f in item_facts(item, catalog)) or \
        quotes_description(answer, item, catalog)


def has_verdict(answer: str, kind: str, title: str = "") -> bool:
    """The first sentence answers the question: a duration for ``how_long`` (or says it is not
    known), a judgement or a reason otherwise. ``title``: the item's, so that its own "?" or
    "." does not end the sentence."""
    first = first_sentence(answer.replace(title, "it") if title else answer)
    if kind == "how_long":
        return bool(_DURATION.search(first) or _UNKNOWN.search(first)
                    or re.search(r"\b(?:no|not) (?:listed|known|runtime|length)", first, re.I))
    return bool(_VERDICT.search(first))


def raw_index_text(answer: str, item: Item, catalog: Catalog) -> bool:
    """The answer pastes the index text: ``|``-joined fields, or the index text's first 50
    characters after the title when they are not the item's description (quoting a
    description is fine; pasting "Adventure, Animation, Children, ..." is not)."""
    rest = item.text.strip()
    if rest.startswith(item.title):
        rest = rest[len(item.title):]
    head = rest.lstrip(" .,:;()0123456789")[:50]
    pasted = len(head) >= 30 and head in answer and head not in description(item, catalog)
    return " | " in answer or pasted


def says_unknown(answer: str) -> bool:
    return bool(_UNKNOWN.search(answer))


def specific_fact(reason: str, item: Item, catalog: Catalog, asked: Iterable[str] = ()) -> str:
    """The kind of item-specific fact ``reason`` cites ("" when none): ``tag``, ``creator``,
    ``rating`` (a rating with its count), ``description``. What the card shows (genres, year)
    is none, nor is echoing what the user asked for (``asked``: their terms), nor a tag about a
    list or the platform (``META_TAG``: "in netflix queue", "NSFW", "Gamepad"); and a reason
    that cites such a tag is a tag dump, not a fact."""
    low = _text(reason)
    if any(_has_phrase(low, c) for c in creators(item, catalog)):
        return "creator"
    if _RATING.search(reason):
        return "rating"
    echo = {normalize_term(a) for a in asked}
    cited = [f for f in item_facts(item, catalog) if _has_phrase(low, f)]
    if cited and not any(META_TAG.search(f) for f in cited) and \
            any(normalize_term(f) not in echo for f in cited):
        return "tag"
    if quotes_description(reason, item, catalog):
        return "description"
    return ""


def shape(reason: str, item: Item, catalog: Catalog) -> str:
    """``reason`` with the item's own words (title, attribute values, creators, description
    words, numbers) masked as ``X``, runs of masks joined: the template it follows."""
    own = set(_text(item.title).split()) | set(_text(description(item, catalog)).split())
    for f in catalog.manifest.attribute_fields:
        for v in item.values(f):
            own |= set(_text(v).split())
    for c in creators(item, catalog):
        own |= set(_text(c).split())
    out: list[str] = []
    for w in _text(reason).split():
        masked = w.isdigit() or (w in own and w not in _STOP)
        tok = "X" if masked else w
        if not (tok == "X" and out and out[-1] == "X"):
            out.append(tok)
    return " ".join(out)


def variety(picks: list[Pick], catalog: Catalog) -> float | None:
    """Distinct reason shapes over the picks of one reply (None with fewer than 2 picks)."""
    if len(picks) < 2:
        return None
    shapes = {shape(p.reason, catalog.items[p.item_id], catalog) for p in picks}
    return len(shapes) / len(picks)
