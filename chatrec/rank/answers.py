"""Answers about one item: "would I like X?", "is X scary?", "is X good for kids?", "how long is
X?", "tell me about X", "is X any good?", "why the second one?", "why X?".

One to three sentences, the verdict first ("Probably yes: ...", "Yes, it's scary: ...", "It runs
1 h 57 min."), then the reasons for and against from the profile (liked and disliked items and
attributes, limits) and the item's own facts (:mod:`chatrec.rank.facts`), and the predicted fit;
never the raw index text, never cut mid-word, under MAX_ANSWER_CHARS. The predicted fit comes
from the collaborative model where the catalog has ratings, else from the item's rating, moved by
the liked and disliked attributes it has. A title the catalog lacks gets "I don't have X in this
catalog; did you mean A or B?" (the closest titles).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process

from chatrec.profile import Preferences
from chatrec.rank.reasons import facts_of
from chatrec.types import Item
from chatrec.understand.attributes import MOOD
from chatrec.understand.lexicon import COMMON, STOP
from chatrec.understand.references import named_pick
from chatrec.vocab import normalize_term

if TYPE_CHECKING:
    from chatrec.catalog import Catalog
    from chatrec.retrieve.collab import CollaborativeModel
    from chatrec.understand.intent import Question
    from chatrec.understand.model import Understanding

MAX_ANSWER_CHARS = 400
SCARY = ("horror", "survival horror", "psychological horror", "slasher", "gore", "zombies",
         "zombie", "haunted house", "ghost", "ghosts", "creepy", "jump scares", "monster",
         "supernatural", "serial killer")
TENSE = ("thriller", "suspense", "psychological thriller", "dark", "mystery")
FOR_KIDS = ("family", "animation", "kids", "family friendly", "cute", "pixar", "disney",
            "cartoon", "fairy tale")
NOT_FOR_KIDS = ("horror", "gore", "violence", "violent", "sexual content", "nudity", "mature",
                "drugs", "erotic", "sex", "adult", "psychological horror", "serial killer",
                "graphic violence", "r-rated", "torture", "blood")
_POINTER = re.compile(r"^(?:it|that|this|that one|this one)$")
_NOT_A_TITLE = re.compile(r"^(?:not|no|something|anything|some|more|a|an|any|other|another|"
                          r"movies?|films?|games?|books?|stuff|things?|one|ones|them|those|"
                          r"these|that|this|it|you|me|i)\b")


@dataclass(frozen=True)
class Answer:
    """An answer and the item it is about (None: a title the catalog lacks)."""

    text: str
    item_id: str | None


class Answerer:
    """Answers questions about single items of one catalog."""

    def __init__(self, catalog: Catalog, collab: CollaborativeModel | None) -> None:
        self.catalog = catalog
        self.collab = collab
        self.facts, self.grounding = facts_of(catalog)

    def predict_fit(self, item_id: str, prefs: Preferences) -> float | None:
        """A 1-5 estimate of how much this user would like the item (None: unknown item)."""
        item = self.catalog.get(item_id)
        if item is None:
            return None
        base: float | None = None
        if self.collab is not None:
            base = self.collab.predict_rating(item_id, list(prefs.liked_items),
                                              list(prefs.disliked_items))
        if base is None:
            rating = self.catalog.rating(item_id)
            scale = next((sc for f, sc, _ in self.facts.scores
                          if f == self.catalog.manifest.rating_field), 5.0)
            base = rating * 5.0 / scale if rating is not None else 3.0  # on the 1-5 scale
        attrs = self.catalog.attributes(item)
        base += 0.3 * len(attrs & set(prefs.liked_attrs))
        base -= 1.0 * len(attrs & set(prefs.disliked_attrs))
        return max(1.0, min(5.0, base))

    # --- which item ---------------------------------------------------------------------
    def respond(self, u: Understanding, ask: Question | None, prefs: Preferences,
                topic: str | None = None) -> Answer | None:
        """The answer to an item question or a why-question, or None when the message asks
        none this can answer (it is then a request for picks). ``topic``: the item the previous
        answer was about ("is it scary?" right after "tell me about Alien" is about Alien)."""
        if u.intent not in ("item_question", "why") and ask is None:
            return None
        kind = ask.kind if ask is not None else ("why" if u.intent == "why" else "fit")
        subject = ask.subject if ask is not None else ""
        pointing = ask is not None and (not subject or _POINTER.match(subject) is not None)
        target = topic if pointing and topic in self.catalog else u.question_item
        shown = {i: self.catalog.items[i].title for i in prefs.recommended if i in self.catalog}
        if target is None and subject:
            target = named_pick(subject, shown)
        if target is None and ask is not None and kind != "why" and u.liked_items:
            # "would I like F.E.A.R.?": a title the reading took as liked is the one asked about,
            # and asking is not liking
            target = u.liked_items[0].item_id
            for m in u.liked_items:
                prefs.liked_items.pop(m.item_id, None)
        if target is None and subject and not _NOT_A_TITLE.match(subject.lower()) and (
                _title_like(subject) or not (u.liked_attrs or u.disliked_attrs or u.constraints)):
            return Answer(self.unknown(subject), None)
        if target is None and (u.intent in ("item_question", "why") or pointing) and \
                prefs.last_picks:
            target = prefs.last_picks[0]
        if target is None or target not in self.catalog:
            return None
        return Answer(self.answer(kind, target, prefs, ask.attr if ask is not None else ""),
                      target)

    def unknown(self, said: str) -> str:
        """"I don't have X in this catalog; did you mean A or B?" with the closest titles."""
        titles = {it.id: it.title for it in self.catalog}
        near = process.extract(said.lower(), titles, scorer=fuzz.token_sort_ratio, limit=12,
                               score_cutoff=60, processor=str.lower)
        ranked = sorted(near, key=lambda r: -(r[1] + 10 * self.catalog.popularity(str(r[2]))))
        names: list[str] = []
        for _, _, iid in ranked:
            label = self.catalog.items[str(iid)].display_title
            if label not in names:
                names.append(label)
            if len(names) == 2:
                break
        shown = said if said[:1].isupper() else said.title()
        if not names:
            return (f"I don't have {shown} in this catalog. Tell me another "
                    f"{self.catalog.manifest.noun} you like, or what you're in the mood for.")
        return f"I don't have {shown} in this catalog; did you mean {' or '.join(names)}?"

    # --- the answer ---------------------------------------------------------------------
    def answer(self, kind: str, item_id: str, prefs: Preferences, attr: str = "") -> str:
        """The answer of ``kind`` about one item, verdict first, under MAX_ANSWER_CHARS
        (``attr``: the word an "attr" question asks about)."""
        item = self.catalog.items[item_id]
        head = {"why": self._why, "length": self._length, "scary": self._scary,
                "kids": self._kids, "about": self._about, "good": self._good}.get(kind)
        sentences = head(item, prefs) if head is not None else []
        if kind == "attr":
            sentences = self._attr(item, attr)
        if not sentences:
            sentences = self._fit(item, prefs)
        elif kind in ("length", "scary", "kids", "good", "attr"):
            sentences += self._fit(item, prefs, for_you=True)[:1]
        return _fit_length(sentences)

    def _for_and_against(self, item: Item, prefs: Preferences) -> tuple[list[str], list[str]]:
        """What speaks for the item for this user, and what against, in words."""
        attrs = self.catalog.attributes(item)
        pro: list[str] = []
        con: list[str] = []
        asked = list(dict.fromkeys(self._said(item, t, prefs.liked_attrs[t].label or t)
                                   for t in prefs.liked_attrs if t in attrs))
        if asked:
            pro.append(f"it is {_join([a.lower() if not a.isupper() else a for a in asked[:3]])}"
                       ", as you asked")
        liked = [self.catalog.items[i] for i in prefs.liked_items
                 if i in self.catalog.items and i != item.id]
        mine = set(self.facts.creators(item))
        for other in liked:
            same = [c for c in self.facts.creators(other) if c in mine]
            if same:
                pro.append(f"it is by {same[0]}, like {other.title}")
                break
        best: tuple[int, Item, list[str]] | None = None
        for other in liked:
            shared = self.facts.shared_terms(item, other)[:3]
            if shared and (best is None or len(shared) > best[0]):
                best = (len(shared), other, shared)
        if best is not None:
            pro.append(f"it shares {_join(best[2])} with {best[1].title}")
        bad = [prefs.disliked_attrs[t].label or t for t in prefs.disliked_attrs if t in attrs]
        if bad:
            con.append(f"it has {_join(bad[:3])}, which you ruled out")
        broken = [c.describe() for c in prefs.constraints.values() if not c.allows(item)]
        if broken:
            con.append(f"it is outside your limit ({broken[0]})")
        score = self.facts.score(item)
        if score is not None:
            if score.share >= 0.7 or score.share < 0.55:
                (pro if score.share >= 0.7 else con).append(f"it is rated {score.words()}")
        else:
            review = self.facts.review(item)
            if review:
                (pro if "positive" in review.lower() else con).append(f"it has {review}")
        return pro, con

    def _said(self, item: Item, term: str, label: str) -> str:
        """The user's word for ``term`` in the catalog's spelling ("co op" -> "Co-op"), or as
        they said it when the item has it in other words ("farming game" for "Agriculture")."""
        own = self.facts.spelling(item, term)
        return own if own is not None and normalize_term(own) == normalize_term(label) else label

    def _fit(self, item: Item, prefs: Preferences, for_you: bool = False) -> list[str]:
        """The verdict for this user, its reasons, and the story: "Probably yes: ...";
        ``for_you``: worded as a second verdict after another ("For you, probably yes: ...")."""
        if item.id in prefs.liked_items:
            return [f"Yes: you told me you liked {item.title}.", *self._story(item)]
        if item.id in prefs.disliked_items:
            return [f"No: you told me you didn't like {item.title}.", *self._story(item)]
        if for_you and not prefs.has_positive_signal:
            return []
        pro, con = self._for_and_against(item, prefs)
        if for_you:  # the first verdict already gave the score
            pro = [x for x in pro if not x.startswith("it is rated")]
            con = [x for x in con if not x.startswith("it is rated")]
        fit = self.predict_fit(item.id, prefs) or 3.0
        if con and con[0].endswith("ruled out"):
            verdict = "Probably not"
        elif not prefs.has_positive_signal:
            score = self.facts.score(item)
            share = score.share if score is not None else fit / 5
            verdict = "Probably yes" if share >= 0.75 else "Maybe" if share >= 0.6 else "Probably not"
        else:
            verdict = "Probably yes" if fit >= 3.7 else "Maybe" if fit >= 3.0 else "Probably not"
        why = _join(pro[:2]) if verdict != "Probably not" or not con else _join(con[:2])
        score = self.facts.score(item)
        if not why and score is not None and not for_you:
            why = f"it is rated {score.words()}"
        if verdict == "Maybe" and pro and con:
            why = f"{pro[0]}, but {con[0]}"
        elif verdict == "Probably yes" and con and not con[0].startswith("it is rated"):
            why = f"{why}, though {con[0]}" if why else con[0]
        if for_you:
            verdict = "For you, " + verdict[:1].lower() + verdict[1:]
        else:
            why = _name(why, item.title)
        first = f"{verdict}: {why}." if why else f"{verdict}."
        est = f" My estimate for you: {fit:.1f}/5." if prefs.has_positive_signal else ""
        return [first[:1].upper() + first[1:] + est, *self._story(item)]

    def _story(self, item: Item) -> list[str]:
        hook = self.facts.hook(item)
        what = self._what(item)
        return [f"{what}: {hook[:1].lower() + hook[1:] if _lower_ok(hook) else hook}"
                + ("" if hook.endswith("…") else ".")] if hook else [f"{what}."]

    def _genres(self, item: Item) -> list[str]:
        """The item's genre-like values, in the catalog's field order."""
        out: dict[str, str] = {}
        named = [f for f in self.facts.term_fields if "genre" in f.lower()]
        for f in named or self.facts.term_fields:
            if f in self.facts.genre_like:
                for v in item.values(f):
                    out.setdefault(normalize_term(v), v)
        return list(out.values())

    def _what(self, item: Item) -> str:
        """"Alien (1979) is a horror, sci-fi movie by X"."""
        genres = self._genres(item)[:2] or \
            self.facts.terms(item)[:2]
        noun = self.catalog.manifest.noun
        g = f"{_join([x.lower() if not x.isupper() else x for x in genres])} " if genres else ""
        art = "an" if (g or noun)[:1].lower() in "aeiou" else "a"
        by = self.facts.creators(item)
        return f"{item.display_title} is {art} {g}{noun}" + (f" by {_join(by)}" if by else "")

    # --- kinds --------------------------------------------------------------------------
    def _why(self, item: Item, prefs: Preferences) -> list[str]:
        pro, con = self._for_and_against(item, prefs)
        picked = item.id in prefs.recommended
        if not picked:
            lines = self._fit(item, prefs)
            return [lines[0], f"(I haven't suggested {item.title} myself.)", *lines[1:]]
        # the item's own tie to this user first (shared themes, creator, the request), then a
        # fact of its own when the ties are few
        ties = [p for p in pro if not p.startswith("it is rated")]
        if len(ties) < 2:
            by = self.facts.creators(item)
            if by and not any(p.startswith("it is by") for p in ties):
                ties.append(f"it is by {_join(by)}")
            ties += [p for p in pro if p.startswith("it is rated")]
        reasons = _name(_join(ties[:2]) or "it is close to what you told me you like", item.title)
        first = f"Because {reasons}."
        if con:
            first += f" On the other hand, {con[0]}."
        fit = self.predict_fit(item.id, prefs)
        if fit is not None and prefs.has_positive_signal:
            first += f" My estimate for you: {fit:.1f}/5."
        return [first, *self._story(item)]

    def _length(self, item: Item, prefs: Preferences) -> list[str]:
        words = self.facts.length_words(item)
        if words is None:
            return [f"I don't know how long {item.title} is: this catalog has no length for it."]
        verb = "It runs" if "min" in words or " h" in words else "It is"
        limit = [c for c in prefs.constraints.values() if c.field == self.facts.length]
        extra = ""
        if limit and not all(c.allows(item) for c in limit):
            extra = f" That's beyond your limit ({limit[0].describe()})."
        return [f"{verb} {words} ({item.display_title}).{extra}"]

    def _has(self, item: Item, terms: tuple[str, ...]) -> list[str]:
        attrs = self.catalog.attributes(item)
        return [t for t in terms if normalize_term(t) in attrs]

    def _scary(self, item: Item, prefs: Preferences) -> list[str]:
        scary, tense = self._has(item, SCARY), self._has(item, TENSE)
        if scary:
            return [f"Yes, {item.title} is scary: it's tagged {_join(scary[:3])}."]
        if tense:
            return [f"Somewhat: {item.title} is {_join(tense[:2])}, tense rather than horror."]
        genres = self._genres(item)[:3]
        return [f"Not really: nothing in the genres or tags of {item.title} says horror"
                + (f"; it's {_join(genres)}." if genres else ".")]

    def _kids(self, item: Item, prefs: Preferences) -> list[str]:
        adult, kids = self._has(item, NOT_FOR_KIDS), self._has(item, FOR_KIDS)
        if adult:
            return [f"Probably not for kids: {item.title} is tagged {_join(adult[:3])}."]
        if kids:
            return [f"Yes, {item.title} is made for families: it's tagged {_join(kids[:3])}."]
        genres = self._genres(item)[:3]
        return [f"Not really a kids' {self.catalog.manifest.noun}: {item.title} isn't marked for "
                "families" + (f"; it's {_join(genres)}." if genres else ".")]

    def _attr(self, item: Item, word: str) -> list[str]:
        """"is X funny?": yes when the item has a term the word means (funny: comedy)."""
        terms = {normalize_term(word), normalize_term(word.replace("-", " "))} | \
            {t for g in MOOD.get(word, ()) for t in g}
        have = self._has(item, tuple(sorted(terms)))
        if have:
            return [f"Yes, {item.title} is {word}: it's tagged {_join(have[:2])}."]
        genres = self._genres(item)[:3]
        return [f"Not that I can tell: nothing in the genres or tags of {item.title} says "
                f"{word}" + (f"; it's {_join(genres)}." if genres else ".")]

    def _good(self, item: Item, prefs: Preferences) -> list[str]:
        score = self.facts.score(item)
        review = self.facts.review(item)
        if score is not None:
            verdict = "Yes, it's well liked" if score.share >= 0.75 else (
                "It's liked" if score.share >= 0.65 else "It's mixed" if score.share >= 0.5
                else "Not really")
            return [f"{verdict}: {item.title} is rated {score.words()}."]
        if review:
            ok = "positive" in review.lower()
            return [f"{'Yes' if ok else 'Opinions differ'}: {item.title} has {review}."]
        return [f"I have no ratings for {item.title}, so I can only say how it fits you."]

    def _about(self, item: Item, prefs: Preferences) -> list[str]:
        if prefs.has_positive_signal:
            return self._fit(item, prefs)[:1] + self._story(item)
        score = self.facts.score(item)
        review = self.facts.review(item)
        share = score.share if score is not None else (
            0.8 if review and "positive" in review.lower() else 0.6 if review else None)
        genres = self._genres(item)[:2]
        verdict = ("A safe bet" if share is not None and share >= 0.75 else
                   "Maybe, " + (f"for fans of {_join([g.lower() for g in genres])}" if genres
                                else "depending on your taste") if share is None or share >= 0.6
                   else "Probably not a crowd-pleaser")
        well = (f" rated {score.words()}" if score is not None and score.count else
                f" with {review}" if review else "")
        hook = self.facts.hook(item)
        story = (f"The story: {hook[:1].lower() + hook[1:] if _lower_ok(hook) else hook}"
                 + ("" if hook.endswith("…") else ".")) if hook else ""
        return [f"{verdict}: {self._what(item)}{well}.", story]


def _title_like(said: str) -> bool:
    """Typed like a title: two or more words, each significant one capitalised ("The Copper
    Harbor"), or quoted."""
    words = [w for w in said.split() if w.lower() not in ("the", "a", "an", "of", "and", "in",
                                                         "on", "to", "for")]
    return (len(said.split()) >= 2 and bool(words) and all(w[:1].isupper() for w in words)) or \
        said[:1] in "\"'"


def _name(why: str, title: str) -> str:
    """The first "it" of a list of reasons made the item's title, so that the answer names it."""
    return title + why[2:] if why.startswith("it ") else why


def _no_year(label: str) -> str:
    return re.sub(r"\s*\(\d{4}\)$", "", label)


def _lower_ok(hook: str) -> bool:
    """A hook goes on lower case after a colon when it starts with an everyday word ("an
    ordinary Lego mini-figure", "against his father's will"), not with a name."""
    words = hook.split(" ", 2)
    if len(words) > 1 and words[1][:1].isupper():
        return False  # "The Mighty Thor", "Jamal Malik": a name
    return words[0].lower() in COMMON or words[0].lower() in STOP


def _fit_length(sentences: list[str]) -> str:
    """Whole sentences, in order, as many as fit under MAX_ANSWER_CHARS (the first always,
    shortened at a word boundary if it alone is too long)."""
    out = ""
    for s in sentences:
        s = s.strip()
        if not s:
            continue
        nxt = f"{out} {s}".strip()
        if len(nxt) <= MAX_ANSWER_CHARS:
            out = nxt
        elif not out:
            out = s[:MAX_ANSWER_CHARS - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return out


def _join(xs: list[str]) -> str:
    xs = [x for x in xs if x]
    if len(xs) <= 1:
        return "".join(xs)
    return ", ".join(xs[:-1]) + " and " + xs[-1]
