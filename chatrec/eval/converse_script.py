"""The scripted conversations of ``python -m chatrec.eval converse``, generated from a catalog's
own data (its attribute vocabulary, its popular items, its titles) with a seeded RNG: the same
catalog gives the same conversations, and nothing is written by hand to pass.

Kinds (:data:`KINDS`): ``attribute`` ("a western movie"), ``only`` ("only puzzle games
please"), ``more`` (a request, then "more"), ``exclusion`` ("I loved A and B, but no horror"),
``would_like`` / ``is_attr`` / ``how_long`` / ``tell_me`` (questions about one item),
``why_second`` (a request, then "why the second one?"), ``why_earlier`` (a request, "more",
then "why <a pick of the first reply>?"), ``unknown`` ("would I like <a title not in the
catalog>?"). A request uses a term of the catalog's list-valued attribute fields that the
understander reads back from the phrase (a term it cannot read is not a request).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from chatrec.profile import Preferences
from chatrec.vocab import normalize_term

if TYPE_CHECKING:
    from chatrec.catalog import Catalog
    from chatrec.understand import Understander

KINDS = ("attribute", "only", "more", "exclusion", "would_like", "is_attr", "how_long", "tell_me",
         "why_second", "why_earlier", "unknown")
REQUEST_KINDS = ("attribute", "only", "more")
ANSWER_KINDS = ("would_like", "is_attr", "how_long", "tell_me", "why_second", "why_earlier")
#: conversations per kind and catalog (the suite's default size: 11 kinds x 6 x 3 catalogs)
PER_KIND = 6
MIN_ITEMS = 12  # a requested term is on at least this many items (three replies' worth)

_ASK = ("a {t} {noun}", "something {t}", "{t} {plural} please", "I'm in the mood for {t}",
        "any good {t} {plural}?", "recommend me a {t} {noun}")
_ONLY = ("only {t} {plural} please", "just {t} {plural}", "nothing but {t}", "{t} {plural} only")
_MOODS = ("scary", "funny", "sad", "violent", "romantic", "relaxing", "difficult", "long")
_UNKNOWN_A = ("Velvet", "Crimson", "Hollow", "Amber", "Paper", "Silent", "Copper", "Lantern")
_UNKNOWN_B = ("Marigold", "Harbor", "Orchard", "Compass", "Meridian", "Tapestry", "Canticle",
              "Foxglove")


@dataclass
class Conversation:
    """One scripted conversation: what the user says, and what the checks need to know."""

    catalog: str
    kind: str
    turns: list[str]
    term: str = ""  # the requested attribute term (request kinds) / the ruled-out term
    item_id: str = ""  # the item a question is about ("" for why-questions: known at run time)
    liked: list[str] = field(default_factory=list)  # items the user named
    ask_pick: tuple[int, int] = (0, 0)  # why-questions: (reply index, pick index) asked about


def request_terms(catalog: Catalog, understander: Understander, rng: random.Random,
                  k: int) -> list[tuple[str, str]]:
    """Up to ``k`` (term, phrase-ready word) pairs: terms of list-valued attribute fields on at
    least :data:`MIN_ITEMS` items that the understander reads back, half from genre fields."""
    man = catalog.manifest
    genre: list[str] = []
    other: list[str] = []
    for f in man.attribute_fields:
        if man.fields.get(f) is None or man.fields[f].type != "list":
            continue
        vocab = catalog.field_vocabulary(f)
        for term, n in sorted(vocab.items()):
            if n >= MIN_ITEMS and term not in genre and term not in other:
                (genre if "genre" in f.lower() else other).append(term)
    rng.shuffle(genre)
    rng.shuffle(other)
    out: list[tuple[str, str]] = []
    for pool, want in ((genre, (k + 1) // 2), (other, k)):
        for term in pool:
            if len(out) >= want:
                break
            if reads_back(understander, f"something {term}", term):
                out.append((term, term))
    return out


def reads_back(understander: Understander, text: str, term: str) -> bool:
    """Whether the understander takes ``text`` as liking ``term``."""
    u = understander.parse(text, Preferences(), 1)
    return normalize_term(term) in {normalize_term(t) for t in u.liked_attrs}


def _popular(catalog: Catalog, n: int) -> list[str]:
    ids = sorted(catalog.items, key=lambda i: (-catalog.popularity(i), i))
    return ids[:n]


def unknown_titles(catalog: Catalog, rng: random.Random, k: int) -> list[str]:
    """``k`` made-up "The <A> <B>" titles that no catalog title contains."""
    titles = [it.title.lower() for it in catalog]
    pairs = [(a, b) for a in _UNKNOWN_A for b in _UNKNOWN_B]
    rng.shuffle(pairs)
    out = []
    for a, b in pairs:
        if not any(a.lower() in t and b.lower() in t for t in titles):
            out.append(f"The {a} {b}")
        if len(out) >= k:
            break
    return out


def conversations(catalog: Catalog, understander: Understander,
                  per_kind: int = PER_KIND) -> list[Conversation]:
    """The scripted conversations for one catalog (``per_kind`` of each kind, fewer when the
    catalog has too little data for one)."""
    name, man = catalog.name, catalog.manifest
    out: list[Conversation] = []

    def rng(kind: str) -> random.Random:
        return random.Random(f"converse:{name}:{kind}")

    def say(template: str, term: str) -> str:
        return template.format(t=term, noun=man.noun, plural=man.plural)

    for kind, templates in (("attribute", _ASK), ("only", _ONLY), ("more", _ASK)):
        r = rng(kind)
        for term, word in request_terms(catalog, understander, r, per_kind):
            first = say(r.choice(templates), word)
            turns = [first, "more"] if kind == "more" else [first]
            out.append(Conversation(name, kind, turns, term=term))
    popular = _popular(catalog, 300)
    r = rng("exclusion")
    genres = [t for f in man.attribute_fields if "genre" in f.lower()
              for t, n in catalog.field_vocabulary(f).items() if n >= 50]
    tries = 0
    while sum(c.kind == "exclusion" for c in out) < per_kind and genres and tries < 50 * per_kind:
        tries += 1
        a, b = r.sample(popular, 2)
        have = catalog.attributes(a) | catalog.attributes(b)
        bad = [g for g in genres if normalize_term(g) not in have]
        if not bad:
            continue
        g = r.choice(bad)
        text = (f"I loved {catalog.items[a].display_title} and {catalog.items[b].display_title}, "
                f"but no {g} please")
        u = understander.parse(text, Preferences(), 1)
        if normalize_term(g) in {normalize_term(t) for t in u.disliked_attrs}:
            out.append(Conversation(name, "exclusion", [text], term=normalize_term(g),
                                    liked=[a, b]))
    r = rng("questions")
    for kind in ("would_like", "is_attr", "how_long", "tell_me"):
        for iid in r.sample(popular, min(per_kind, len(popular))):
            t = catalog.items[iid].display_title
            text = {"would_like": f"would I like {t}?", "is_attr": f"is {t} {r.choice(_MOODS)}?",
                    "how_long": f"how long is {t}?", "tell_me": f"tell me about {t}"}[kind]
            out.append(Conversation(name, kind, [text], item_id=iid))
    r = rng("why")
    terms = request_terms(catalog, understander, r, 2 * per_kind)
    for n, (term, word) in enumerate(terms):
        first = say(r.choice(_ASK), word)
        if n % 2 == 0:
            out.append(Conversation(name, "why_second", [first, "why the second one?"],
                                    term=term, ask_pick=(0, 1)))
        else:  # the title is filled in at run time from the first reply's picks
            out.append(Conversation(name, "why_earlier", [first, "more", "why {pick}?"],
                                    term=term, ask_pick=(0, r.randrange(4))))
    for title in unknown_titles(catalog, rng("unknown"), per_kind):
        out.append(Conversation(name, "unknown", [f"would I like {title}?"]))
    return out
