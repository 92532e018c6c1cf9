"""The reasons chatrec writes itself, from an item's own data and what the user said.

A reason ties the item to this user (what they asked for, the specific themes it shares with an
item they liked, the same creator, people who liked the same items) and says something of the
item's own (its description's hook, a score with the ratings behind it, its rarest tags): the
facts come from :mod:`chatrec.rank.facts` and each is checked against the item's data
(:meth:`~chatrec.rank.grounding.Grounding.supports`) before it is used. A
:class:`ReasonWriter` words the picks of one reply and never gives two of them the same shape
(which tie, which fact of its own). Never only the genres and year the card already shows,
never a bare field value.
:func:`describe_item` is the compact line of facts the model sees about a candidate.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chatrec.profile import Preferences
from chatrec.rank.facts import ItemFacts
from chatrec.rank.grounding import MAX_REASON_CHARS, Grounding, clean_reason
from chatrec.types import Candidate, Item
from chatrec.vocab import normalize_term

if TYPE_CHECKING:
    from chatrec.catalog import Catalog

_FACTS: weakref.WeakKeyDictionary[Catalog, tuple[ItemFacts, Grounding]] = \
    weakref.WeakKeyDictionary()
# what ties an item to the user, best first; then what the item has of its own
TIES = ("creator", "shared", "asked", "collab", "similar")
OWNS = ("hook", "score", "terms", "review", "by")
# how a tie to the request is said, in turn within a reply ({} is the term, in the catalog's
# spelling); and how an item's own terms are introduced
ASKED_SHAPES = ("{}, as you asked", "{}, just what you asked for", "{}, as requested")
TERMS_LEADS = ("Known for", "Expect", "Think")
_ADJECTIVE = re.compile(r"(?:ing|y|ful|ous|ic|al|ive|less|ish)$")


def facts_of(catalog: Catalog) -> tuple[ItemFacts, Grounding]:
    """The catalog's fact reader and grounding check (built once per catalog)."""
    hit = _FACTS.get(catalog)
    if hit is None:
        hit = _FACTS[catalog] = (ItemFacts(catalog), Grounding(catalog))
    return hit


@dataclass(frozen=True)
class Clause:
    """One sentence of a reason: its kind, its words, and the item's values it cites."""

    kind: str
    text: str
    cites: tuple[str, ...] = ()


def describe_item(item: Item, catalog: Catalog, max_terms: int = 5) -> str:
    """The compact facts the model sees for one item."""
    m = item.meta
    bits = [item.display_title]
    genres = item.values("genres")[:4]
    if genres:
        bits.append(", ".join(genres))
    terms: list[str] = []
    for f in catalog.manifest.attribute_fields:
        if f == "genres":
            continue
        for v in item.values(f):
            if v.lower() not in {t.lower() for t in terms + genres}:
                terms.append(v)
            if len(terms) >= max_terms:
                break
        if len(terms) >= max_terms:
            break
    if terms:
        bits.append(", ".join(terms))
    if isinstance(m.get("runtime"), int):
        bits.append(f"{m['runtime']} min")
    price = m.get("price")
    if isinstance(price, (int, float)) and not isinstance(price, bool):
        bits.append("free" if float(price) == 0 else f"${float(price):.2f}")
    return " | ".join(bits)


def fact_line(item: Item, catalog: Catalog) -> str:
    """The item's citable facts for a model that words reasons: hook, creator, score."""
    facts, _ = facts_of(catalog)
    bits: list[str] = []
    hook = facts.hook(item)
    if hook:
        bits.append(f"story: {hook}")
    creators = facts.creators(item)
    if creators:
        bits.append(f"by {_join(creators)}")
    score = facts.score(item)
    if score is not None:
        bits.append(f"rated {score.words()}")
    review = facts.review(item)
    if review:
        bits.append(review)
    return " | ".join(bits)


def item_facts(item: Item, catalog: Catalog) -> list[str]:
    """The facts a reason may cite instead of an attribute (for the grounding check)."""
    facts, _ = facts_of(catalog)
    score = facts.score(item)
    return [x for x in (facts.hook(item), facts.review(item), *facts.creators(item),
                        score.words() if score else None) if x]


class ReasonWriter:
    """Writes the reasons of one reply: grounded, specific, and no two with the same shape."""

    def __init__(self, catalog: Catalog, prefs: Preferences) -> None:
        self.catalog = catalog
        self.prefs = prefs
        self.facts, self.grounding = facts_of(catalog)
        self.shapes: set[tuple[str, str]] = set()
        self.leads: list[str] = []
        self.cited: set[str] = set()  # values already cited in this reply (normalised)
        self.asked_n = 0  # "as you asked" ties so far (their wording varies)

    def reason(self, cand: Candidate) -> str:
        """A reason for ``cand``, unlike the others of this reply in shape."""
        item = cand.item
        ties = [c for c in self._ties(cand) if self._checked(item, c)]
        # the genres and year the card shows are never the whole reason: they complete one only
        # when the item has no fact of its own and no tie names anything it has ("People who
        # liked Coco rate it highly" alone says nothing the item's data can back)
        owns = [c for c in self._owns(item, ties) if self._checked(item, c)] or \
            ([] if any(t.cites for t in ties) else [Clause("plain", self._plain(item).rstrip("."))])
        best: tuple[float, Clause | None, Clause | None] = (99.0, None, owns[0] if owns else None)
        for ti, tie in enumerate([*ties, None]):
            for oi, own in enumerate([*owns, None]):
                if tie is None and own is None:
                    continue
                shape = (tie.kind if tie else "-", own.kind if own else "-")
                cost = ti + oi + (10 if shape in self.shapes else 0) \
                    + (2 if tie is not None and tie.kind in self.leads else 0) \
                    + (12 if own is None else 0) + (4 if tie is None and ties else 0)
                if cost < best[0]:
                    best = (cost, tie, own)
        _, tie, own = best
        self.shapes.add((tie.kind if tie else "-", own.kind if own else "-"))
        if tie is not None:
            self.leads.append(tie.kind)
        chosen = [c for c in (tie, own) if c is not None]
        if tie is not None and tie.kind == "asked":
            self.asked_n += 1
        for c in chosen:
            self.cited |= {normalize_term(v) for v in c.cites}
        return self._fit(chosen)

    # --- clauses ------------------------------------------------------------------------
    def _ties(self, cand: Candidate) -> list[Clause]:
        item, prefs, cat = cand.item, self.prefs, self.catalog
        out: list[Clause] = []
        liked = [cat.items[i] for i in prefs.liked_items if i in cat.items and i != item.id]
        mine = set(self.facts.creators(item))
        for other in liked:
            same = [c for c in self.facts.creators(other) if c in mine]
            if same:
                out.append(Clause("creator", f"By {same[0]}, like {_short(other.display_title)}",
                                  (same[0],)))
                break
        best: tuple[float, Item, list[str]] | None = None
        for other in liked:
            shared = [t for t in self.facts.shared_terms(item, other)
                      if normalize_term(t) not in self.cited][:2]
            if shared:
                w = sum(self.facts.idf(normalize_term(t)) for t in shared)
                if best is None or w > best[0]:
                    best = (w, other, shared)
        if best is not None:
            _, other, shared = best
            out.append(Clause("shared", f"Like {_short(other.display_title)}: "
                                        f"{', '.join(shared)}", tuple(shared)))
        if cand.matched:
            out.append(self._asked(item, cand.matched[:2]))
        ref_item = cat.get(cand.because) if cand.because else None
        if ref_item is not None and cand.signals.get("collab", 0.0) > 0.05:
            out.append(Clause("collab", f"People who liked {_short(ref_item.display_title)} "
                                        "rate it highly"))
        elif ref_item is not None and cand.signals.get("dense", 0.0) > 0.45:
            out.append(Clause("similar", f"Close in themes to {_short(ref_item.display_title)}"))
        return out

    def _owns(self, item: Item, ties: list[Clause]) -> list[Clause]:
        out: list[Clause] = []
        hook = self.facts.hook(item)
        if hook:
            out.append(Clause("hook", hook, (hook.rstrip("…"),)))
        score = self.facts.score(item)
        review = self.facts.review(item)
        if score is not None and score.count and score.share >= 0.7:
            out.append(Clause("score", f"Rated {score.words()}"))
        cited = self.cited | {normalize_term(v) for c in ties for v in c.cites}
        terms = [t for t in self.facts.terms(item) if normalize_term(t) not in cited][:2]
        if terms:
            lead = TERMS_LEADS[len(self.shapes) % len(TERMS_LEADS)]
            out.append(Clause("terms", f"{lead} {_join([_lower(t) for t in terms])}",
                              tuple(terms)))
        # a score without the count behind it, or a review label, says less: after the terms
        if review and "positive" in review.lower():
            out.append(Clause("review", review[0].upper() + review[1:],
                              (review.split(" ")[0],)))
        elif score is not None and not score.count and score.share >= 0.7:
            out.append(Clause("review", f"Rated {score.words()}"))
        creators = self.facts.creators(item)
        if creators and not any(c.kind == "creator" for c in ties):
            out.append(Clause("by", f"By {_join(creators)}", tuple(creators)))
        return out

    def _asked(self, item: Item, terms: list[str]) -> Clause:
        """What the user asked for, in the catalog's spelling: "A documentary movie, as you
        asked", "Co-op, just what you asked for", "Relaxing farming game, as requested"."""
        genre_like = {normalize_term(v) for f in self.facts.genre_like for v in item.values(f)}
        words: list[str] = []
        cites: list[str] = []
        said = list(self.prefs.liked_attrs)  # in the order the user said them
        terms = sorted(terms, key=lambda t: said.index(t) if t in said else len(said))
        labels = {t: self.prefs.liked_attrs[t].label if t in said else t for t in terms}
        terms = list({normalize_term(labels[t]): t for t in reversed(terms)}.values())[::-1]
        for t in terms:
            label = labels[t]
            own = self.facts.spelling(item, t)
            if own is not None and normalize_term(own) == normalize_term(label):
                words.append(_lower(own))  # the catalog's spelling of the user's word
                cites.append(own)
            else:
                words.append(label)  # the user's word for a term the item has in other words
        if len(words) == 1 and normalize_term(terms[0]) in genre_like:
            noun = self.catalog.manifest.noun
            # "a war film", not "a war film film"
            named = words[0] if words[0].lower().endswith(noun.lower()) else f"{words[0]} {noun}"
            phrase = f"{'an' if words[0][:1] in 'aeiou' else 'a'} {named}"
        elif len(words) == 2 and " " not in words[0] and _ADJECTIVE.search(words[0]):
            phrase = f"{words[0]} {words[1]}"  # "relaxing farming game"
        else:
            phrase = _join(words)
        text = ASKED_SHAPES[self.asked_n % len(ASKED_SHAPES)].format(phrase)
        return Clause("asked", text[:1].upper() + text[1:], tuple(cites))

    def _checked(self, item: Item, clause: Clause) -> bool:
        """Every value a clause cites must be in the item's own data."""
        return all(self.grounding.supports(item, v) for v in clause.cites) and \
            self.grounding.numbers_ok(clause.text, item, profile_titles(self.prefs, self.catalog))

    def _fit(self, clauses: list[Clause]) -> str:
        """The clauses as sentences, under the length cap (a long hook is cut at a clause)."""
        text = ". ".join(c.text.rstrip(".…") if not c.text.endswith("…") else c.text
                         for c in clauses)
        text = text if text.endswith("…") else text + "."
        hook = next((c for c in clauses if c.kind == "hook"), None)
        if len(text) > MAX_REASON_CHARS and hook is not None and len(clauses) == 2:
            budget = MAX_REASON_CHARS - (len(text) - len(hook.text)) - 1
            cut = hook.text[:budget].rsplit(" ", 1)[0].rstrip(",;:-–— ") + "…"
            return self._fit([Clause("hook", cut, hook.cites) if c is hook else c
                              for c in clauses])
        return clean_reason(text)

    def _plain(self, item: Item) -> str:
        """The last resort for an item with no facts: what it is, from its fields."""
        genres = [v for f in self.facts.term_fields for v in item.values(f)][:3]
        head = ", ".join(genres) if genres else self.catalog.manifest.noun.capitalize()
        if item.year:
            head += f" from {item.year}"
        return clean_reason(head[0].upper() + head[1:] + ".")


def template_reason(cand: Candidate, prefs: Preferences, catalog: Catalog) -> str:
    """A reason for one candidate on its own (a reply's reasons use one :class:`ReasonWriter`)."""
    return ReasonWriter(catalog, prefs).reason(cand)


def profile_titles(prefs: Preferences, catalog: Catalog) -> list[str]:
    """Titles a reason may name without claiming anything: the user's items, with and without
    the year."""
    ids = list(prefs.liked_items) + list(prefs.seen_items) + list(prefs.disliked_items)
    if prefs.anchor:
        ids.append(prefs.anchor)
    out: list[str] = []
    for i in ids:
        it = catalog.get(i)
        if it is not None:
            out += [it.display_title, it.title, _short(it.display_title)]
    return out


def _lower(term: str) -> str:
    """A term inside a sentence: "Tower Defense" -> "tower defense", "FPS" stays."""
    return term if term.isupper() or any(c.isupper() for c in term[1:2]) else term.lower()


def _short(label: str) -> str:
    return re.sub(r"\s*\(\d{4}\)$", "", label)


def _join(xs: list[str]) -> str:
    xs = [x for x in xs if x]
    if len(xs) <= 1:
        return "".join(xs)
    return ", ".join(xs[:-1]) + " and " + xs[-1]
