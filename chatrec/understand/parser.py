"""The deterministic understander: one message + the profile -> :class:`Understanding`.

Order of work: tokens and clauses; references to the last picks; titles (exact keys, then
fuzzy for unknown words: :mod:`~chatrec.understand.title_finder`); comparatives ("cheaper than
that": :mod:`~chatrec.understand.comparatives`); constraints on the text with titles masked
(:mod:`~chatrec.understand.constraints`); attributes on what is left; then polarity per
mention, intent, and the positive text used as a retrieval query
(:mod:`~chatrec.understand.decide`).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process

from chatrec.understand.attr_context import attr_is_preference, modifier_mentions
from chatrec.understand.attributes import AttributeIndex, AttrMatch
from chatrec.understand.catalog_facts import CatalogFacts
from chatrec.understand.comparatives import comparatives
from chatrec.understand.constraints import ConstraintExtractor, to_constraints
from chatrec.understand.creators import CreatorIndex, creator_constraints
from chatrec.understand.decide import Decider, positive_text
from chatrec.understand.lexicon import (
    COMMON,
    ITEM_NOUNS,
    NOT_ACRONYMS,
    STOP,
    word_set,
)
from chatrec.understand.mentions import (
    QUOTE,
    TITLE_FUNCTION_WORDS,
    Context,
    Mention,
    tok_range,
)
from chatrec.understand.model import Understanding
from chatrec.understand.novelty import novelty_of
from chatrec.understand.only import attribute_fields_of
from chatrec.understand.polarity import ClauseInfo
from chatrec.understand.references import find_refs, resolve
from chatrec.understand.text import Token, clauses, fold, title_key, tokenize
from chatrec.understand.title_evidence import english_words
from chatrec.understand.title_finder import TitleFinder
from chatrec.understand.titles import TitleIndex

if TYPE_CHECKING:
    from chatrec.catalog import Catalog
    from chatrec.profile import Preferences
    from chatrec.understand.meaning import MeaningMatcher

_CACHE: dict[tuple[str, str], tuple[TitleIndex, AttributeIndex, CatalogFacts]] = {}
_ENGLISH: dict[tuple[str, ...], dict[str, int]] = {}
_LOCK = threading.Lock()
_SPEC_FIELDS = ("specs", "features", "platforms", "modes")
_CONTEXT_GENRES = word_set("family music history war")
_TOPIC_BEFORE = word_set("with about featuring involving no nothing without any anything avoid skip")


class Understander:
    """Deterministic message understanding for one catalog (see the module docstring)."""

    def __init__(self, catalog: Catalog, meaning: MeaningMatcher | None = None) -> None:
        self.catalog = catalog
        self.meaning = meaning  # words outside the vocabulary, matched by meaning
        key = (str(getattr(catalog, "path", id(catalog))), str(getattr(catalog, "content_hash", "")))
        with _LOCK:
            hit = _CACHE.get(key)
            if hit is None:
                titles, attrs = TitleIndex(catalog), AttributeIndex(catalog)
                english = _ENGLISH.get((*key, "en"))
                if english is None:
                    english = _ENGLISH[(*key, "en")] = english_words(catalog)
                attrs.add_rare(lambda t: bool(titles.lookup(title_key(t))), english)
                hit = (titles, attrs, CatalogFacts.from_catalog(catalog))
                _CACHE[key] = hit
        self.titles, self.attrs, self.facts = hit
        self.cx = ConstraintExtractor(self.facts)
        self.creators = CreatorIndex(catalog)
        self.spec_field: dict[str, str] = {}
        for f in catalog.manifest.attribute_fields:
            if f.lower() in _SPEC_FIELDS:
                for term in catalog.field_vocabulary(f):
                    self.spec_field.setdefault(term, f)
        self.decider = Decider(self.titles, self.spec_field, attribute_fields_of(catalog))
        self.known = COMMON | STOP | self.attrs.words | self.titles.title_words | NOT_ACRONYMS
        self.attr_words = sorted(w for w in self.attrs.words if len(w) >= 5 and
                                 self.attrs.lookup((w,)) is not None)
        self.noun = catalog.manifest.noun
        key_en = (*key, "en")
        english = _ENGLISH.get(key_en)
        if english is None:
            english = _ENGLISH[key_en] = english_words(catalog)
        self.finder = TitleFinder(catalog, self.titles, self.attrs, self.facts, english)

    # ------------------------------------------------------------------------------------
    def parse(self, text: str, prefs: Preferences, turn: int) -> Understanding:
        """Understand one user message in the context of ``prefs`` (not modified)."""
        u = Understanding()
        text = text.replace("QUOTATION_MARK", '"')
        toks = tokenize(text)
        if not any(t.is_word for t in toks):
            u.intent = "other"
            return u
        low = fold(text).lower()
        u.novelty = novelty_of(low)
        clause_of, sent_of = clauses(toks)
        context_ids = (set(prefs.liked_items) | set(prefs.last_picks) | set(prefs.recommended)
                       | set(prefs.disliked_items) | set(prefs.seen_items))
        pre_attrs = self.attrs.find(toks, set())
        attr_ranges = {(a.start, a.end) for a in pre_attrs}
        quotes = [(m.start(), m.end()) for m in QUOTE.finditer(text)]
        first_of_sentence = set()
        seen_s: set[int] = set()
        for i, t in enumerate(toks):
            if t.is_word and sent_of[i] not in seen_s:
                seen_s.add(sent_of[i])
                first_of_sentence.add(i)
            if t.norm == '"' and i + 1 < len(toks):
                first_of_sentence.add(i + 1)
        # Title Case Or ALL CAPS typing: capitals say nothing then
        plain = [t for i, t in enumerate(toks) if t.is_word and t.text.isalpha() and len(t.text) > 1
                 and i not in first_of_sentence and t.norm in STOP and t.norm not in TITLE_FUNCTION_WORDS]
        caps_unreliable = len(plain) >= 3 and sum(1 for t in plain if t.text[0].isupper()) / len(plain) > 0.6

        mentions: list[Mention] = []
        blocked: set[int] = set()
        # references to the previous picks
        for r in find_refs(low):
            ti = tok_range(toks, r.start, r.end)
            if not ti:
                continue
            if r.demonstrative and toks[ti[0]].cap and ti[0] not in first_of_sentence:
                continue  # "seen This Is 40": a capitalised "This" starts a title
            ids = resolve(r, prefs.last_picks)
            if not ids and not r.demonstrative:
                continue  # "the first frozen" with nothing shown yet
            mentions.append(Mention("ref", ti[0], ti[-1] + 1, r.text, ids=ids, via="reference",
                                     demonstrative=r.demonstrative))
            blocked.update(ti)
        # who made it: "by X", "not by X", "by the director of Alien"
        creators = self.creators.find(toks, self.titles, blocked)
        for cm in creators:
            blocked.update(range(cm.start, cm.end))
        # titles
        ctx = Context(toks, quotes, first_of_sentence, caps_unreliable, attr_ranges, "?" in text,
                   sum(1 for t in toks if t.is_word), {i for a in pre_attrs for i in range(a.start, a.end)})
        titles = self.finder.exact(toks, ctx, blocked, context_ids)
        for m in titles:
            blocked.update(range(m.start, m.end))
        titles += self.finder.fuzzy(toks, ctx, blocked, clause_of)
        for m in titles:
            blocked.update(range(m.start, m.end))
        unknown = self.finder.unknown(text, toks, ctx, blocked)
        for name, a, b in unknown:
            u.unknown_titles.append(name)
            blocked.update(range(a, b))
        mentions += titles
        mentions.sort(key=lambda m: m.start)
        # demonstratives point at a title named earlier in the message
        for m in mentions:
            if m.kind == "ref" and m.demonstrative:
                prev = [t for t in mentions if t.end <= m.start and t.ids and not t.demonstrative]
                if prev:
                    m.ids = list(prev[-1].ids)
        # comparatives and constraints
        masked = list(low)
        for m in mentions:
            for i in range(toks[m.start].start, toks[m.end - 1].end):
                masked[i] = " "
        comp_cons = comparatives(self.catalog, self.facts, low, toks, mentions, masked, prefs, turn)
        found = self.cx.find("".join(masked))
        in_constraint: set[int] = set()
        for fd in found:
            if fd.note and fd.note not in u.notes:
                u.notes.append(fd.note)
            u.dropped_constraints.extend(d for d in fd.dropped if d not in u.dropped_constraints)
            in_constraint.update(tok_range(toks, fd.start, fd.end))
        blocked |= in_constraint
        u.constraints = comp_cons + to_constraints(found, turn)
        if creators and self.creators.field:
            u.constraints += creator_constraints(creators, self.creators.field, prefs, turn)
        info = ClauseInfo(toks, clause_of, ignore=in_constraint)
        # attributes
        found_attrs = self.attrs.find(toks, blocked, rare=True)
        in_profile = set(prefs.liked_attrs) | set(prefs.disliked_attrs)
        for am in found_attrs:
            if not self._genre_context(toks, am, found_attrs, in_profile):
                continue
            blocked.update(range(am.start, am.end))
            if not attr_is_preference(toks, am, titles, clause_of):
                continue
            mentions.append(Mention("attr", am.start, am.end, am.said, terms=am.terms))
        mentions += modifier_mentions(toks, found_attrs, self.attrs, blocked)
        mentions += self._fuzzy_attrs(toks, blocked)
        mentions.sort(key=lambda m: m.start)
        self.decider.decide(u, mentions, toks, info, clause_of, sent_of, low, prefs, turn)
        u.positive_text = positive_text(toks, mentions, info, blocked, u)
        return u

    # ------------------------------------------------------------------------------------
    def _genre_context(self, toks: list[Token], a: AttrMatch, found: list[AttrMatch],
                       in_profile: set[str]) -> bool:
        """Nouns that are genres only in context: "family movies" yes, "my family was mean" no.

        Context is an item noun after, another genre next to it, a preposition or negation
        before that makes it a topic ("nothing with war", "a film about war"), or the term
        already being in the profile ("ok war is fine actually" after "nothing with war").
        """
        if a.end - a.start != 1 or toks[a.start].norm not in _CONTEXT_GENRES:
            return True
        if any(t in in_profile for t in a.terms):
            return True
        nxt = toks[a.end].norm if a.end < len(toks) else ""
        prev = toks[a.start - 1].norm if a.start > 0 else ""
        if toks[a.start].norm != "family" and prev in _TOPIC_BEFORE:
            return True
        if nxt in ITEM_NOUNS or nxt in ("based", "friendly", "oriented", "stuff", "genre", "themed", "night"):
            return True
        if prev in ("for", "whole", "with", "the") and toks[a.start].norm == "family":
            return prev != "the" or (a.start > 1 and toks[a.start - 2].norm in ("for", "with"))
        near = [b for b in found if b is not a and (abs(b.start - a.end) <= 2 or abs(a.start - b.end) <= 2)]
        return bool(near) and prev in (",", "and", "or", "&", "like", "love", "enjoy", "no", "not")

    def _fuzzy_attrs(self, toks: list[Token], blocked: set[int]) -> list[Mention]:
        out: list[Mention] = []
        for i, t in enumerate(toks):
            if not t.is_word or i in blocked or t.norm in self.known or len(t.norm) < 5:
                continue
            r = process.extractOne(t.norm, self.attr_words, scorer=fuzz.ratio, score_cutoff=86)
            if r is None:
                meant = self._by_meaning(t, i, blocked)
                if meant is not None:
                    out.append(meant)
                continue
            terms = self.attrs.lookup((str(r[0]),))
            if terms and all(self.attrs.vocab.get(x, 0) >= 20 for x in terms):
                out.append(Mention("attr", i, i + 1, t.text, terms=terms))
                blocked.add(i)
        return out

    def _by_meaning(self, t: Token, i: int, blocked: set[int]) -> Mention | None:
        """An unknown word that means a vocabulary term ("spooky" -> horror), or None."""
        if self.meaning is None or not t.norm.isalpha() or t.norm in COMMON or t.norm in STOP:
            return None
        term = self.meaning.match(t.norm)
        if term is None:
            return None
        blocked.add(i)
        return Mention("attr", i, i + 1, t.text, terms=self.attrs.lookup(term.split()) or (term,))
