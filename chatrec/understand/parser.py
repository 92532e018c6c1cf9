"""The deterministic understander: one message + the profile -> :class:`Understanding`.

Order of work: tokens and clauses; references to the last picks; titles (exact keys, then
fuzzy for unknown words); comparatives ("cheaper than that"); constraints on the text with
titles masked; attributes on what is left; then polarity per mention, intent, and the
positive text used as a retrieval query.
"""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process

from chatrec.profile import Constraint, Preferences
from chatrec.understand.attr_context import attr_is_preference, modifier_mentions
from chatrec.understand.attributes import AttributeIndex, AttrMatch
from chatrec.understand.constraints import CatalogFacts, ConstraintExtractor, to_constraints
from chatrec.understand.lexicon import (
    COMMON,
    ITEM_NOUNS,
    NOT_ACRONYMS,
    POSITIVE,
    STOP,
    word_set,
)
from chatrec.understand.mentions import (
    QUOTE,
    TITLE_FUNCTION_WORDS,
    Context,
    Mention,
    TitleFinder,
    english_words,
    tok_range,
)
from chatrec.understand.model import TitleMatch, Understanding
from chatrec.understand.novelty import novelty_of
from chatrec.understand.polarity import (
    ClauseInfo,
    Span,
    back_reference,
    clause_is_negative,
    polarity,
    seen_back,
)
from chatrec.understand.references import find_refs, resolve
from chatrec.understand.text import Token, clauses, fold, title_key, tokenize
from chatrec.understand.titles import TitleIndex

if TYPE_CHECKING:
    from chatrec.catalog import Catalog

_CACHE: dict[tuple[str, str], tuple[TitleIndex, AttributeIndex, CatalogFacts]] = {}
_ENGLISH: dict[tuple[str, ...], dict[str, int]] = {}
_LOCK = threading.Lock()
_SPEC_FIELDS = ("specs", "features", "platforms", "modes")
_CONTEXT_GENRES = word_set("family music history war")
_TOPIC_BEFORE = word_set("with about featuring involving no nothing without any anything avoid skip")
_REQUIRE_BEFORE = {"must", "need", "needs", "require", "requires", "required", "gotta", "only",
                   "mandatory", "essential", "has", "have", "got"}
_REQUIRE_AFTER = {"only", "required", "mandatory", "essential", "must", "needed", "a must"}
_FILLER = COMMON | {"needs", "needed", "require", "requires", "required", "must", "gotta"}
_FILLER = _FILLER - {"space", "war", "crime", "family", "history", "music", "dark", "nature", "magic",
                    "science", "sports", "drama", "cute", "funny", "difficult", "horror", "comedy",
                    "romance", "western", "animation", "fantasy", "thriller", "action", "adventure",
                    "mystery", "police", "school", "prison", "sad", "weird", "smart", "clever", "heist",
                    "beautiful", "ocean", "sea", "island", "forest", "king", "queen", "ghost", "city",
                    "robot", "murder", "secret", "money", "ship", "boat", "car", "train",
                    "plane", "dog", "cat", "horse", "food", "dance", "art"}
_MORE = re.compile(r"^(?:(?:ok(?:ay)?|sure|hmm+|alright|cool|nice|thanks?|thank you)[ ,.!]*)?"
                   r"(?:(?:can you |could you |please )?(?:show|give|get|find|suggest|recommend)(?: me)? )?"
                   r"(?:some |a few |any )?"
                   r"(?:more|others?|other (?:ones|options|picks|suggestions|titles|movies|films|games)|"
                   r"something else|anything else|what else(?: (?:have you got|do you have|you got|is there|"
                   r"ya got))?|different ones|new ones|another(?: one)?|"
                   r"(?:got |have you got |do you have )?any ?more|"
                   r"next(?: ones?| batch| page)?|more (?:options|please|of (?:those|these|them)|picks|"
                   r"suggestions|recommendations|ideas)|keep (?:going|them coming)|again)"
                   r"(?: please| pls)?[ .!?]*$")
_GREETING = word_set("""rec recs
hi hello hey hiya howdy yo greetings morning evening afternoon good there sup whats up how are you
doing today hows going it help me can could would you please i need a recommendation recommendations
suggestion suggestions suggest something what should watch play tonight movie game film im looking
for to some want some ideas any thanks hope well day nice meet dear bot chatrec assistant tell give
find anything recommend know do have got ok okay so um new
""")
_OTHER = word_set("""
thanks thank you ok okay cool great nice bye goodbye awesome perfect got it lol haha sure alright
fine sounds good will do cheers later see ya yes no yep nope maybe hmm interesting wow
""")
_ASK_START = word_set("""
would will do does did is was are should could can have has what whats how tell who which any whos
hows
""")
_REQUEST = re.compile(r"\b(?:can you|could you|would you|will you|do you have|have you got|got any|any "
                      r"(?:recommendations|suggestions|ideas)|recommend|suggest|what should i|what would you|"
                      r"is there (?:anything|something)|are there|do you know (?:any|of any|some)|"
                      r"something like|anything like|similar to|looking for)\b")




class Understander:
    """Deterministic message understanding for one catalog (see the module docstring)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
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
        self.spec_field: dict[str, str] = {}
        for f in catalog.manifest.attribute_fields:
            if f.lower() in _SPEC_FIELDS:
                for term in catalog.field_vocabulary(f):
                    self.spec_field.setdefault(term, f)
        self.spec_squashed = {_squash(t): t for t in self.spec_field}
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
        comp_cons = self._comparatives(low, toks, mentions, masked, prefs, turn)
        found = self.cx.find("".join(masked))
        in_constraint: set[int] = set()
        for fd in found:
            if fd.note and fd.note not in u.notes:
                u.notes.append(fd.note)
            u.dropped_constraints.extend(d for d in fd.dropped if d not in u.dropped_constraints)
            in_constraint.update(tok_range(toks, fd.start, fd.end))
        blocked |= in_constraint
        u.constraints = comp_cons + to_constraints(found, turn)
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
        self._decide(u, mentions, toks, info, clause_of, sent_of, low, prefs, turn)
        u.positive_text = self._positive_text(toks, mentions, info, blocked, u)
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
                continue
            terms = self.attrs.lookup((str(r[0]),))
            if terms and all(self.attrs.vocab.get(x, 0) >= 20 for x in terms):
                out.append(Mention("attr", i, i + 1, t.text, terms=terms))
                blocked.add(i)
        return out

    # ------------------------------------------------------------------------------------
    def _comparatives(self, low: str, toks: list[Token], mentions: list[Mention], masked: list[str],
                      prefs: Preferences, turn: int) -> list[Constraint]:
        out: list[Constraint] = []
        rules = {"cheaper": ("price", "max", -0.01), "less expensive": ("price", "max", -0.01),
                 "pricier": ("price", "min", 0.01), "more expensive": ("price", "min", 0.01),
                 "older": ("year", "max", -1), "newer": ("year", "min", 1),
                 "more recent": ("year", "min", 1), "shorter": ("runtime", "max", -1),
                 "longer": ("runtime", "min", 1)}
        f = self.facts
        fields = {"price": f.price_field, "year": f.year_field, "runtime": f.runtime_field}
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
            v = self.catalog.items[target].meta.get(real) if target in self.catalog.items else None
            if not isinstance(v, (int, float)) or isinstance(v, bool):
                continue
            val: float | int = round(float(v) + delta, 2) if fname == "price" else int(v) + int(delta)
            if fname == "price" and val < 0:
                val = 0.0
            out.append(Constraint(real, op, val, turn, m.group(0)))  # type: ignore[arg-type]
            for i in range(m.start(), m.end()):
                masked[i] = " "
        return out

    # ------------------------------------------------------------------------------------
    def _decide(self, u: Understanding, mentions: list[Mention], toks: list[Token], info: ClauseInfo,
                clause_of: list[int], sent_of: list[int], low: str, prefs: Preferences, turn: int) -> None:
        spans = [Span(m.start, m.end, clause_of[m.start], m.is_item) for m in mentions]
        why = bool(re.match(r"\s*(?:but |so |and |ok,? )?(?:why\b|how come\b|what makes you think|"
                            r"what made you|reason for)", low))
        question_clauses = self._question_clauses(toks, clause_of, sent_of)
        by_clause: dict[int, list[Mention]] = {}
        for m, sp in zip(mentions, spans):
            by_clause.setdefault(sp.clause, []).append(m)
        neg_clause = self._negative_clauses(info, toks, clause_of, sent_of, by_clause)
        pols: list[str] = []
        for m, sp in zip(mentions, spans):
            p = polarity(info, sp, spans)
            if p in ("pos", "seen") and m.is_item:
                nxt_c = sp.clause + 1
                back = back_reference(info, nxt_c)
                lo_n, _ = info.clause_range(nxt_c)
                same_sentence = sent_of[m.start] == sent_of[min(len(toks) - 1, lo_n)]
                if back is not None and not by_clause.get(nxt_c) and same_sentence:
                    p = back
            elif p == "neg" and m.is_item and \
                    all(x.demonstrative and x.ids == m.ids for x in by_clause.get(sp.clause + 1, [])) and \
                    seen_back(info, sp.clause + 1, sp.clause) and \
                    sent_of[m.start] == sent_of[min(len(toks) - 1, info.clause_range(sp.clause + 1)[0])]:
                p = "seen"
            if p == "pos" and m.kind == "attr" and neg_clause.get(sp.clause) == "inherited":
                p = "neg"
            pols.append(p)
        asked: list[Mention] = []
        anchor_set = False
        for m, sp, p in zip(mentions, spans, pols):
            in_question = sp.clause in question_clauses or why
            if m.kind == "attr":
                if in_question and (why or any(x.is_item and clause_of[x.start] in question_clauses
                                               for x in mentions)
                                    or re.search(r"\b(?:is|was) (?:it|that|this)\b", low)):
                    continue
                self._attr(u, m, p, toks, clause_of, turn)
                continue
            if m.role == "compare":
                continue
            if not m.ids:
                if m.ambiguous:
                    u.ambiguous.append((m.said, m.ambiguous))
                    for i in m.ambiguous:
                        u.labels[i] = self.titles.label(i)
                continue
            anchor_cue = _anchor_cue(toks, m.start)
            if in_question and not anchor_cue:
                asked.append(m)
                continue
            matches = [TitleMatch(i, self.titles.label(i), m.said, round(m.conf, 3), m.via) for i in m.ids]
            if p == "neg":
                u.disliked_items.extend(matches)
            elif p == "seen":
                u.seen_items.extend(matches)
            elif p == "drop":
                u.dropped_items.extend(i for i in m.ids if i not in u.dropped_items)
            elif p in ("pos", "ok"):
                u.liked_items.extend(matches)
                if anchor_cue and not anchor_set:
                    u.anchor = m.ids[0]
                    anchor_set = True
        if why:
            u.intent = "why"
            items = [m for m in asked if m.ids]
            u.question_item = items[0].ids[0] if items else None
        elif asked:
            u.intent = "item_question"
            u.question_item = asked[0].ids[0]
        else:
            u.intent = self._intent(u, low, toks, prefs)
        _dedupe(u)

    def _question_clauses(self, toks: list[Token], clause_of: list[int], sent_of: list[int]) -> set[int]:
        """Clauses that ask about something ("..., is it worth it?", "tell me about #2")."""
        out: set[int] = set()
        sents: dict[int, list[int]] = {}
        for i in range(len(toks)):
            sents.setdefault(sent_of[i], []).append(i)
        for idx in sents.values():
            ends_q = any(toks[i].norm == "?" for i in idx)
            ws = [(i, toks[i].norm) for i in idx if toks[i].is_word]
            if not ws:
                continue
            text = " ".join(w for _, w in ws)
            start: int | None = None
            m = re.search(r"\b(?:tell me (?:more |a bit |a little )?about|more (?:info|details) (?:on|about)|"
                          r"what (?:is|s|was) .{1,60} about)\b", text)
            if m:
                start = ws[len(text[:m.start()].split())][0]
            elif ends_q:
                seen_c: set[int] = set()
                for i, w in ws:
                    c = clause_of[i]
                    if c in seen_c:
                        continue
                    seen_c.add(c)
                    clause_words = " ".join(x for j, x in ws if clause_of[j] == c)
                    if (w in _ASK_START and not _REQUEST.search(clause_words)) or \
                            clause_words.startswith(("what about", "how about")):
                        start = i
                        break
            if start is None:
                continue
            out |= {clause_of[i] for i in idx if i >= start}
        return out

    def _negative_clauses(self, info: ClauseInfo, toks: list[Token], clause_of: list[int],
                          sent_of: list[int], by_clause: dict[int, list[Mention]]) -> dict[int, str]:
        """Clauses under a negation: their own ("no horror") or inherited by a list that goes on
        after a comma ("no horror, gore or jump scares")."""
        state: dict[int, str] = {}
        n_clauses = max(clause_of) + 1 if clause_of else 0
        for c in range(n_clauses):
            lo, hi = info.clause_range(c)
            if hi <= lo:
                continue
            ws = [w for _, w in info.words_in(c, lo, hi)]
            if clause_is_negative(info, c):
                if any(m.kind == "attr" for m in by_clause.get(c, [])):
                    state[c] = "own"
                continue
            prev = state.get(c - 1)
            if prev is None or c == 0 or sent_of[lo] != sent_of[info.clause_range(c - 1)[0]]:
                continue
            if any(w in POSITIVE for w in ws):
                continue
            nlo, nhi = info.clause_range(c + 1)
            next_or = nhi > nlo and sent_of[nlo] == sent_of[lo] and toks[nlo].norm in ("or", "nor")
            if "or" in ws or "nor" in ws or next_or:
                state[c] = "inherited"
        return state

    def _attr(self, u: Understanding, m: Mention, p: str, toks: list[Token], clause_of: list[int],
              turn: int) -> None:
        for term in m.terms:
            u.attr_labels.setdefault(term, m.said.lower())
            if p == "neg":
                u.disliked_attrs.append(term)
            elif p in ("ok", "drop"):
                u.dropped_attrs.append(term)
            elif p == "unseen":
                continue
            else:
                spec = term if term in self.spec_field else self.spec_squashed.get(_squash(term))
                fld = self.spec_field.get(spec) if spec else None
                if fld and spec and self._required(toks, m, clause_of):
                    u.constraints.append(Constraint(fld, "has", spec, turn, m.said))
                else:
                    u.liked_attrs.append(term)

    def _required(self, toks: list[Token], m: Mention, clause_of: list[int]) -> bool:
        c = clause_of[m.start]
        before = [toks[i].norm for i in range(max(0, m.start - 5), m.start)
                  if clause_of[i] == c and toks[i].is_word]
        after = [toks[i].norm for i in range(m.end, min(len(toks), m.end + 4))
                 if clause_of[i] == c and toks[i].is_word]
        if any(w in ("dont", "doesnt", "not", "no") for w in before):
            return False
        if any(w in _REQUIRE_BEFORE for w in before[-4:]):
            if "has" in before or "have" in before or "got" in before:
                return any(w in ("to", "got") for w in before) or "must" in before
            return True
        tail = " ".join(after)
        musts = ("is a must", "is required", "is mandatory", "is essential", "a must")
        return bool(after) and (after[0] in _REQUIRE_AFTER or tail.startswith(musts))

    def _intent(self, u: Understanding, low: str, toks: list[Token], prefs: Preferences) -> str:
        if u.has_content or u.notes:
            return "recommend"
        ws = [t.norm for t in toks if t.is_word]
        plain = " ".join(ws)
        if _MORE.match(low.strip()) or plain in ("more", "show me more", "other options", "next"):
            return "more"
        if set(ws) <= _OTHER:
            return "other"
        if set(ws) <= _GREETING:
            if any(w in ("hi", "hello", "hey", "hiya", "howdy", "yo", "greetings", "morning", "evening",
                         "afternoon", "sup") for w in ws) or not prefs.has_positive_signal:
                return "greeting"
            return "recommend"
        return "recommend"

    def _positive_text(self, toks: list[Token], mentions: list[Mention], info: ClauseInfo,
                       blocked: set[int], u: Understanding) -> str:
        if u.intent in ("greeting", "more", "why", "item_question", "other"):
            return ""
        drop: set[int] = set()
        for m in mentions:
            if m.kind != "attr" or any(t in u.disliked_attrs or t in u.dropped_attrs for t in m.terms):
                drop.update(range(m.start, m.end))
        for q in info.neg_at:
            _, hi = info.clause_range(info.clause_of[q])
            drop.update(range(q, hi))
        attr_tok = {i for m in mentions if m.kind == "attr" for i in range(m.start, m.end)}
        out: list[str] = []
        for i, t in enumerate(toks):
            if not t.is_word or i in drop:
                continue
            if i in attr_tok:
                if t.norm not in STOP and t.norm not in ITEM_NOUNS:
                    out.append(t.text.lower())
                continue
            if i in blocked or t.norm in _FILLER or t.norm in STOP or t.norm in ITEM_NOUNS:
                continue
            if len(t.norm) < 3 and not t.norm.isdigit():
                continue
            out.append(t.text.lower())
        return " ".join(out)


# ----------------------------------------------------------------------------------------
def _anchor_cue(toks: list[Token], start: int) -> bool:
    """True after "like" used as a preposition, "similar to", "in the vein of" ..."""
    j = start - 1
    if j >= 0 and toks[j].norm == "the":
        j -= 1
    ws = [toks[k].norm for k in range(max(0, j - 3), j + 1) if toks[k].is_word]
    if not ws:
        return False
    pairs = (["similar", "to"], ["vein", "of"], ["lines", "of"], ["reminiscent", "of"], ["style", "of"],
             ["such", "as"], ["same", "as"], ["reminds", "me"], ["spirit", "of"], ["mold", "of"],
             ["mould", "of"], ["tradition", "of"])
    if ws[-2:] in pairs or ws[-3:] in (["in", "the", "vein"], ["along", "the", "lines"]) or \
            ws[-1] in ("alike", "a-la"):
        return True
    if ws[-1] != "like":
        return False
    before = ws[-2] if len(ws) >= 2 else ""
    return before not in ("i", "we", "you", "they", "really", "also", "dont", "didnt", "do", "would",
                          "d", "id", "still", "totally", "always", "to", "actually", "he", "she", "just",
                          "definitely", "kinda", "all", "both", "did", "might", "will", "may", "not")


def _squash(term: str) -> str:
    """"local multiplayer" and "local multi-player" compare equal."""
    return re.sub(r"[^a-z0-9]", "", term)


def _dedupe(u: Understanding) -> None:
    def uniq_items(xs: list[TitleMatch]) -> list[TitleMatch]:
        seen: set[str] = set()
        out = []
        for x in xs:
            if x.item_id not in seen:
                seen.add(x.item_id)
                out.append(x)
        return out

    u.disliked_items = uniq_items(u.disliked_items)
    bad = {m.item_id for m in u.disliked_items}
    u.liked_items = [m for m in uniq_items(u.liked_items) if m.item_id not in bad]
    u.seen_items = [m for m in uniq_items(u.seen_items) if m.item_id not in bad]
    u.disliked_attrs = list(dict.fromkeys(u.disliked_attrs))
    u.liked_attrs = [t for t in dict.fromkeys(u.liked_attrs) if t not in u.disliked_attrs]
    u.dropped_attrs = [t for t in dict.fromkeys(u.dropped_attrs) if t not in u.disliked_attrs]
    seen_c: dict[str, Constraint] = {}
    for c in u.constraints:
        seen_c[c.key] = c
    u.constraints = list(seen_c.values())
