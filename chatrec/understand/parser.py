"""The deterministic understander: one message + the profile -> :class:`Understanding`.

Order of work: tokens and clauses; references to the last picks; titles (exact keys, then
fuzzy for unknown words); comparatives ("cheaper than that"); constraints on the text with
titles masked; attributes on what is left; then polarity per mention, intent, and the
positive text used as a retrieval query.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process

from chatrec.profile import Constraint, Preferences
from chatrec.understand.attributes import AttributeIndex
from chatrec.understand.constraints import CatalogFacts, ConstraintExtractor, to_constraints
from chatrec.understand.lexicon import (
    ATTR_CONTEXT,
    COMMON,
    CUE_FILLER,
    ITEM_NOUNS,
    NOT_ACRONYMS,
    STOP,
    TITLE_CUES,
)
from chatrec.understand.model import TitleMatch, Understanding
from chatrec.understand.polarity import ClauseInfo, Span, back_reference, clause_is_negative, polarity
from chatrec.understand.references import find_refs, resolve
from chatrec.understand.text import Token, clauses, fold, key_words, tokenize
from chatrec.understand.titles import TitleIndex

if TYPE_CHECKING:
    from chatrec.catalog import Catalog

_CACHE: dict[tuple[str, str], tuple[TitleIndex, AttributeIndex, CatalogFacts]] = {}
_LOCK = threading.Lock()
_SPEC_FIELDS = ("specs", "features", "platforms", "modes")
_CROSS = {"-", ":", "/", "'", ","}
_ABBR = {"dr", "mr", "mrs", "ms", "st", "jr", "sr", "vs", "vol", "pt"}
_QUOTE = re.compile(r"\"([^\"]{2,100})\"|(?:^|(?<=[\s(]))'([^']{2,80}?)'(?=$|[\s.,!?;:)])|\*([^*]{2,80})\*")
_FIRST_NAMES = frozenset("""tom john james robert michael david chris christopher brad leonardo will
matt ryan jennifer julia meryl sandra scarlett emma anne natalie keanu denzel morgan samuel jack
steven martin quentin stanley alfred ridley wes tim george harrison clint adam jim jason jonah
bill ben kevin sean daniel hugh johnny al robin nicolas nicole kate cate angelina charlize
emily jessica amy mark paul peter jeff jake joaquin christian heath margot zoe reese""".split())
_PRONOUNS = frozenset("it her him his she he they them this that these those we you i me my its".split())
_POST_EVAL = frozenset("""great good amazing awesome fantastic brilliant excellent incredible terrible awful
boring bad overrated fun funny scary my one the so too really pretty very underrated perfect""".split())
_Q_CUES = frozenset("is was about watch play seen played watched heard try".split())
_REQUIRE_BEFORE = {"must", "need", "needs", "require", "requires", "required", "gotta", "only",
                   "mandatory", "essential", "has", "have", "got"}
_REQUIRE_AFTER = {"only", "required", "mandatory", "essential", "must", "needed", "a must"}
_FILLER = COMMON | {"needs", "needed", "require", "requires", "required", "must", "gotta"}
_FILLER = _FILLER - {"space", "war", "crime", "family", "history", "music", "dark", "nature", "magic",
                    "science", "sports", "drama", "cute", "funny", "difficult", "horror", "comedy",
                    "romance", "western", "animation", "fantasy", "thriller", "action", "adventure",
                    "mystery", "police", "school", "prison", "sad", "weird", "smart", "clever", "heist",
                    "beautiful", "ocean", "sea", "island", "forest", "king", "queen", "ghost", "city",
                    "island", "robot", "murder", "secret", "money", "ship", "boat", "car", "train",
                    "plane", "dog", "cat", "horse", "food", "dance", "art"}
_MORE = re.compile(r"^(?:(?:ok(?:ay)?|sure|hmm+|alright|cool|nice|thanks?|thank you)[ ,.!]*)?(?:(?:can you |could you "
                   r"|please )?(?:show|give|get|find|suggest|recommend)(?: me)? )?(?:some |a few |any )?"
                   r"(?:more|others?|other (?:ones|options|picks|suggestions|titles|movies|films|games)|"
                   r"something else|anything else|what else|different ones|new ones|another(?: one)?|"
                   r"next(?: ones?| batch| page)?|more (?:options|please|of (?:those|these|them)|picks|"
                   r"suggestions|recommendations|ideas)|keep (?:going|them coming)|again)"
                   r"(?: please| pls)?[ .!?]*$")
_GREETING = frozenset("""hi hello hey hiya howdy yo greetings morning evening afternoon good there sup
whats up how are you doing today help me can could would you please i need a recommendation
recommendations suggestion suggestions suggest something what should watch play tonight movie game
film im looking for to some want some ideas any thanks hope well day nice meet dear bot chatrec
assistant tell give find anything recommend know do have got ok okay so um""".split())
_OTHER = frozenset("""thanks thank you ok okay cool great nice bye goodbye awesome perfect got it lol
haha sure alright fine sounds good will do cheers later see ya yes no yep nope maybe hmm interesting
wow""".split())
_ASK_START = frozenset("would will do does did is was are should could can have has what whats how tell "
                       "who which any whos hows".split())
_REQUEST = re.compile(r"\b(?:can you|could you|would you|will you|do you have|have you got|got any|any "
                      r"(?:recommendations|suggestions|ideas)|recommend|suggest|what should i|what would you|"
                      r"is there (?:anything|something)|are there|do you know (?:any|of any|some)|"
                      r"something like|anything like|similar to|looking for)\b")


@dataclass
class _Mention:
    kind: str  # "title" | "ref" | "attr"
    start: int
    end: int
    said: str
    ids: list[str] = field(default_factory=list)
    terms: tuple[str, ...] = ()
    conf: float = 1.0
    via: str = "title"
    ambiguous: list[str] = field(default_factory=list)
    demonstrative: bool = False
    role: str = ""  # "", "compare", "question"

    @property
    def is_item(self) -> bool:
        return self.kind in ("title", "ref")


class Understander:
    """Deterministic message understanding for one catalog (see the module docstring)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        key = (str(getattr(catalog, "path", id(catalog))), str(getattr(catalog, "content_hash", "")))
        with _LOCK:
            hit = _CACHE.get(key)
            if hit is None:
                hit = (TitleIndex(catalog), AttributeIndex(catalog), CatalogFacts.from_catalog(catalog))
                _CACHE[key] = hit
        self.titles, self.attrs, self.facts = hit
        self.cx = ConstraintExtractor(self.facts)
        self.spec_field: dict[str, str] = {}
        for f in catalog.manifest.attribute_fields:
            if f.lower() in _SPEC_FIELDS:
                for term in catalog.field_vocabulary(f):
                    self.spec_field.setdefault(term, f)
        self.known = COMMON | STOP | self.attrs.words | self.titles.title_words | NOT_ACRONYMS
        self.attr_words = sorted(w for w in self.attrs.words if len(w) >= 5 and
                                 self.attrs.lookup((w,)) is not None)
        self.noun = catalog.manifest.noun

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
        clause_of, sent_of = clauses(toks)
        info = ClauseInfo(toks, clause_of)
        context_ids = (set(prefs.liked_items) | set(prefs.last_picks) | set(prefs.recommended)
                       | set(prefs.disliked_items) | set(prefs.seen_items))
        pre_attrs = self.attrs.find(toks, set())
        attr_ranges = {(a.start, a.end) for a in pre_attrs}
        quotes = [(m.start(), m.end()) for m in _QUOTE.finditer(text)]
        words = [t for t in toks if t.is_word and len(t.text) > 1 and t.text.isalpha()]
        caps_share = sum(1 for t in words if t.text[0].isupper()) / max(1, len(words))
        caps_unreliable = len(words) >= 4 and caps_share > 0.6
        first_of_sentence = set()
        seen_s: set[int] = set()
        for i, t in enumerate(toks):
            if t.is_word and sent_of[i] not in seen_s:
                seen_s.add(sent_of[i])
                first_of_sentence.add(i)
            if t.norm == '"' and i + 1 < len(toks):
                first_of_sentence.add(i + 1)

        mentions: list[_Mention] = []
        blocked: set[int] = set()
        # references to the previous picks
        for r in find_refs(low):
            ti = _tok_range(toks, r.start, r.end)
            if not ti:
                continue
            ids = resolve(r, prefs.last_picks)
            mentions.append(_Mention("ref", ti[0], ti[-1] + 1, r.text, ids=ids, via="reference",
                                     demonstrative=r.demonstrative))
            blocked.update(ti)
        # titles
        ctx = _Ctx(toks, quotes, first_of_sentence, caps_unreliable, attr_ranges, "?" in text,
                   sum(1 for t in toks if t.is_word))
        titles = self._exact_titles(toks, ctx, blocked, context_ids)
        for m in titles:
            blocked.update(range(m.start, m.end))
        titles += self._fuzzy_titles(toks, ctx, blocked, clause_of)
        for m in titles:
            blocked.update(range(m.start, m.end))
        unknown = self._unknown_titles(text, toks, ctx, blocked)
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
        for fd in found:
            if fd.note and fd.note not in u.notes:
                u.notes.append(fd.note)
            u.dropped_constraints.extend(d for d in fd.dropped if d not in u.dropped_constraints)
            blocked.update(_tok_range(toks, fd.start, fd.end))
        u.constraints = to_constraints(found, turn) + comp_cons
        # attributes
        for a in self.attrs.find(toks, blocked):
            mentions.append(_Mention("attr", a.start, a.end, a.said, terms=a.terms))
            blocked.update(range(a.start, a.end))
        mentions += self._fuzzy_attrs(toks, blocked)
        mentions.sort(key=lambda m: m.start)
        self._decide(u, mentions, toks, info, clause_of, sent_of, low, prefs, turn)
        u.positive_text = self._positive_text(toks, mentions, info, blocked, u)
        return u

    # ------------------------------------------------------------------------------------
    def _exact_titles(self, toks: list[Token], ctx: _Ctx, blocked: set[int],
                      context_ids: set[str]) -> list[_Mention]:
        wi = [i for i, t in enumerate(toks) if t.is_word]
        maxw = min(self.titles.max_words, 14)
        out: list[_Mention] = []
        k = 0
        last_end = -10
        while k < len(wi):
            if wi[k] in blocked:
                k += 1
                continue
            hit = None
            for n in range(min(maxw, len(wi) - k), 0, -1):
                span = wi[k:k + n]
                if any(j in blocked for j in span):
                    continue
                key = " ".join(key_words([toks[j].norm for j in span]))
                if not self._crossable(toks, span, key):
                    continue
                ids = self.titles.lookup(key)
                if not ids:
                    continue
                conf = self._evidence(toks, span, key, ids, ctx, last_end)
                if conf is None:
                    continue
                hit = (n, span, key, ids, conf)
                break
            if hit is None:
                k += 1
                continue
            n, span, key, ids, conf = hit
            end = span[-1] + 1
            year, year_end = _year_after(toks, end)
            res = self.titles.resolve(ids, year, context_ids)
            if year is not None and (res.item_id is None or self.catalog.items[res.item_id].year == year):
                end = year_end
            said = " ".join(t.text for t in toks[span[0]:span[-1] + 1])
            m = _Mention("title", span[0], end, said, conf=conf * res.confidence if res.item_id else conf)
            if res.item_id:
                m.ids = [res.item_id]
            else:
                m.ambiguous = res.ambiguous
            out.append(m)
            last_end = end
            k += n
            while k < len(wi) and wi[k] < end:
                k += 1
        return out

    def _crossable(self, toks: list[Token], span: list[int], key: str) -> bool:
        for a, b in zip(span, span[1:]):
            for t in toks[a + 1:b]:
                if t.norm == "," and key not in self.titles.comma_keys:
                    return False
                if t.norm == "." and not (len(toks[a].norm) <= 2 or toks[a].norm in _ABBR):
                    return False
                if t.norm not in _CROSS and t.norm != ".":
                    return False
        return True

    def _evidence(self, toks: list[Token], span: list[int], key: str, ids: dict[str, int], ctx: _Ctx,
                  last_end: int) -> float | None:
        """How sure we are that these words name a title (None: they don't)."""
        first, last = span[0], span[-1]
        kw = key.split()
        sig = [w for w in kw if w not in STOP]
        pop = max(self.titles.pop.get(i, 0.0) for i in ids)
        quoted = ctx.quoted(toks, first, last)
        if quoted:
            return 1.0
        cue = self._cue(toks, first, last_end) or _item_noun_after(toks, last)
        if not cue and ctx.question and first > 0 and toks[first - 1].norm in _Q_CUES:
            cue = True
        post = last + 1 < len(toks) and toks[last + 1].norm in ("is", "was", "were", "s") and \
            last + 2 < len(toks) and toks[last + 2].norm in _POST_EVAL
        whole = ctx.word_count == sum(1 for j in range(first, last + 1) if toks[j].is_word)
        sent_initial = first in ctx.first_of_sentence
        capped = (not ctx.caps_unreliable and all(toks[j].cap for j in span if toks[j].norm not in STOP)
                  and toks[first].cap and any(toks[j].norm not in STOP or toks[j].cap for j in span))
        strong_caps = capped and (not sent_initial or len(sig) >= 2 or (cue and len(sig) >= 1))
        all_caps_typed = all(toks[j].text.isupper() and len(toks[j].text) >= 2 for j in span)
        numeric = all(toks[j].norm.isdigit() for j in span)
        if numeric:
            prev = toks[first - 1].norm if first > 0 else ""
            if not cue or prev in ("than", "about", "in", "from", "before", "after", "since", "under",
                                   "over", "around", "$"):
                return None
            return 0.85
        if key in self.titles.curated_keys and key not in self.titles.needs_evidence and \
                not (len(kw) == 1 and kw[0] in COMMON):
            return 0.9
        if key in self.titles.needs_evidence:
            if all_caps_typed and not ctx.caps_unreliable and key not in NOT_ACRONYMS:
                return 0.9
            if (cue or strong_caps) and len(key.replace(" ", "")) >= 3:
                return 0.85
            return None
        attr_equal = (first, last + 1) in ctx.attr_ranges or self.attrs.lookup(kw) is not None \
            or (len(kw) == 1 and self.attrs.lookup(kw + ["s"]) is not None)
        if attr_equal:
            article = toks[first].norm in ("the", "a", "an") and toks[first].cap and len(span) > 1
            if strong_caps and (cue or article) and pop >= 0.9 and not sent_initial:
                return 0.9
            if whole and capped and pop >= 0.95:
                return 0.8
            return None
        if len(kw) == 1 and kw[0] in ("i", "a", "s", "t", "d", "m"):
            return None
        pronoun = len(kw) == 1 and kw[0] in _PRONOUNS
        if strong_caps:
            if not sig and len(span) == 1 and sent_initial:
                return None
            return 0.95
        if capped and (post or whole) and not pronoun:
            return 0.85
        if not sig:
            return None
        rare = [w for w in sig if w not in COMMON and w not in self.attrs.words and not w.isdigit()]
        prev = toks[first - 1].norm if first > 0 and toks[first - 1].is_word else ""
        if whole and rare:
            return 0.85
        if cue:
            if len(sig) >= 2 or rare:
                return 0.9
            return None
        if prev in ATTR_CONTEXT:
            return None
        if len(sig) >= 2 and rare and pop >= 0.3:
            return 0.85
        if len(sig) >= 3 and pop >= 0.8 and len(kw) >= 4:
            return 0.8
        if len(sig) == 1 and rare and len(rare[0]) >= 5 and pop >= 0.9:
            return 0.8
        return None

    def _cue(self, toks: list[Token], first: int, last_end: int) -> bool:
        j = first - 1
        while j >= 0 and toks[j].is_word and toks[j].norm in CUE_FILLER:
            j -= 1
        if j < 0:
            return False
        t = toks[j]
        if t.norm == '"':
            return True
        if t.is_word and t.norm in TITLE_CUES:
            if t.norm in ("and", "or"):
                k = j - 1
                while k >= 0 and toks[k].norm in (",", "the"):
                    k -= 1
                return k + 1 == last_end or k + 1 >= last_end > 0 and k < last_end
            return True
        if t.norm == "," and last_end > 0 and j + 1 >= last_end - 0 and j == last_end:
            return True
        if t.norm == ":" and j > 0 and toks[j - 1].norm in ("favorite", "favourite", "favorites"):
            return True
        return False

    def _fuzzy_titles(self, toks: list[Token], ctx: _Ctx, blocked: set[int],
                      clause_of: list[int]) -> list[_Mention]:
        """Typos: windows around words nobody knows, scored against likely titles."""
        out: list[_Mention] = []
        taken = set(blocked)
        wi = [i for i, t in enumerate(toks) if t.is_word]
        pos = {j: k for k, j in enumerate(wi)}
        for i in wi:
            t = toks[i]
            if i in taken or t.norm in self.known or len(t.norm) < 4 or t.norm.isdigit():
                continue
            if not any(c.isalpha() for c in t.norm):
                continue
            k = pos[i]
            window = [j for j in wi[max(0, k - 4):k + 5] if j not in taken and clause_of[j] == clause_of[i]
                      or (j not in taken and toks[j].norm == "the")]
            if i not in window:
                continue
            cand = self.titles.candidates_for(t.norm)
            for j in window:
                if j != i and toks[j].norm not in STOP and toks[j].norm not in COMMON:
                    cand |= self.titles.candidates_for(toks[j].norm, exact_only=True)
            if not cand:
                continue
            choices = [self.titles.fuzzy_keys[c] for c in cand]
            best: tuple[float, int, int, str] | None = None
            wpos = window.index(i)
            for a in range(max(0, wpos - 4), wpos + 1):
                for b in range(wpos + 1, min(len(window), a + 6) + 1):
                    sub = window[a:b]
                    if any(y - x > 2 for x, y in zip(sub, sub[1:])):
                        continue
                    q = " ".join(key_words([toks[j].norm for j in sub]))
                    if len(q) < 4 or self.titles.lookup(q):
                        continue
                    quoted = ctx.quoted(toks, sub[0], sub[-1])
                    capped = all(toks[j].cap for j in sub if toks[j].norm not in STOP)
                    cue = self._cue(toks, sub[0], -10)
                    cutoff = 86.0 if quoted else 88.0 if (capped or cue) else 92.0
                    if len(sub) == 1:
                        cutoff += 2
                    r = process.extractOne(q, choices, scorer=fuzz.ratio, score_cutoff=cutoff)
                    if r is None:
                        continue
                    score = float(r[1]) + 0.5 * len(sub)
                    if best is None or score > best[0]:
                        best = (score, sub[0], sub[-1] + 1, str(r[0]))
            if best is None:
                continue
            score, a, b, key = best
            res = self.titles.resolve(self.titles.lookup(key))
            iid = res.item_id
            if iid is None or (self.titles.pop.get(iid, 0.0) < 0.3 and not ctx.quoted(toks, a, b - 1)):
                continue
            said = " ".join(x.text for x in toks[a:b])
            out.append(_Mention("title", a, b, said, ids=[iid], via="fuzzy",
                                conf=min(0.95, score / 100.0 * 0.95)))
            taken.update(range(a, b))
        return out

    def _unknown_titles(self, text: str, toks: list[Token], ctx: _Ctx,
                        blocked: set[int]) -> list[tuple[str, int, int]]:
        """Quoted names, and "a movie called X", that match nothing in the catalog."""
        out: list[tuple[str, int, int]] = []
        for a, b in ctx.quote_spans:
            ti = _tok_range(toks, a + 1, b - 1)
            ti = [i for i in ti if toks[i].is_word]
            if not ti or any(i in blocked for i in ti):
                continue
            if self.attrs.lookup([toks[i].norm for i in ti]) is not None:
                continue
            name = text[a + 1:b - 1].strip()
            if 1 <= len(ti) <= 10:
                out.append((name, ti[0], ti[-1] + 1))
        for m in re.finditer(r"\b(?:(?:a|the) (?:movie|film|game|show) (?:called|named|titled)|called|titled)\s+"
                             r"((?:[A-Z0-9][\w'’:-]*\s?){1,6})", text):
            ti = [i for i in _tok_range(toks, m.start(1), m.end(1)) if toks[i].is_word]
            if not ti or any(i in blocked for i in ti) or any(ti[0] <= x[1] < x[2] for x in out):
                continue
            out.append((m.group(1).strip(), ti[0], ti[-1] + 1))
        return out

    def _fuzzy_attrs(self, toks: list[Token], blocked: set[int]) -> list[_Mention]:
        out: list[_Mention] = []
        for i, t in enumerate(toks):
            if not t.is_word or i in blocked or t.norm in self.known or len(t.norm) < 5:
                continue
            r = process.extractOne(t.norm, self.attr_words, scorer=fuzz.ratio, score_cutoff=86)
            if r is None:
                continue
            terms = self.attrs.lookup((str(r[0]),))
            if terms and all(self.attrs.vocab.get(x, 0) >= 20 for x in terms):
                out.append(_Mention("attr", i, i + 1, t.text, terms=terms))
                blocked.add(i)
        return out

    # ------------------------------------------------------------------------------------
    def _comparatives(self, low: str, toks: list[Token], mentions: list[_Mention], masked: list[str],
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
                ti = [i for i in _tok_range(toks, m.end(), m.end() + 40) if toks[i].is_word][:2]
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
    def _decide(self, u: Understanding, mentions: list[_Mention], toks: list[Token], info: ClauseInfo,
                clause_of: list[int], sent_of: list[int], low: str, prefs: Preferences, turn: int) -> None:
        spans = [Span(m.start, m.end, clause_of[m.start], m.is_item) for m in mentions]
        sentences: dict[int, list[int]] = {}
        for i, t in enumerate(toks):
            if t.is_word:
                sentences.setdefault(sent_of[i], []).append(i)
        why = bool(re.match(r"\s*(?:but |so |and |ok,? )?(?:why\b|how come\b|what makes you think|"
                            r"what made you|reason for)", low))
        question_sents: set[int] = set()
        for s, idx in sentences.items():
            ws = [toks[i].norm for i in idx]
            ends_q = any(toks[j].norm == "?" and sent_of[j] == s for j in range(len(toks)))
            if not ws or _REQUEST.search(" ".join(ws)):
                continue
            if (ws[0] in _ASK_START and ends_q) or ws[:3] == ["tell", "me", "about"] or \
                    ws[:2] in (["what", "about"], ["how", "about"]) and ends_q:
                question_sents.add(s)
        prev_clause_items: dict[int, list[_Mention]] = {}
        for m, sp in zip(mentions, spans):
            prev_clause_items.setdefault(sp.clause, []).append(m)
        pols: list[str] = []
        for m, sp in zip(mentions, spans):
            p = polarity(info, sp, spans)
            if p in ("pos", "seen") and m.is_item:
                back = back_reference(info, sp.clause + 1)
                if back is not None and not prev_clause_items.get(sp.clause + 1) and \
                        sent_of[m.start] == sent_of[min(len(toks) - 1, info.clause_range(sp.clause + 1)[0])]:
                    p = back
            if p == "pos" and m.kind == "attr":
                prev_c = sp.clause - 1
                lo, _ = info.clause_range(sp.clause)
                lead = [toks[i].norm for i in range(lo, m.start) if toks[i].is_word]
                if prev_c >= 0 and ("or" in lead or "nor" in lead or not lead) and \
                        clause_is_negative(info, prev_c) and sent_of[m.start] == sent_of[info.clause_range(prev_c)[0]] \
                        and all(x in ("or", "nor", "and", "any", "no") for x in lead) and \
                        any(x.kind == "attr" for x in prev_clause_items.get(prev_c, [])):
                    p = "neg"
            pols.append(p)
        asked: list[_Mention] = []
        anchor_set = False
        for m, sp, p in zip(mentions, spans, pols):
            s = sent_of[m.start]
            in_question = s in question_sents or why
            if m.kind == "attr":
                if in_question and (why or any(x.is_item and sent_of[x.start] == s for x in mentions)
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

    def _attr(self, u: Understanding, m: _Mention, p: str, toks: list[Token], clause_of: list[int],
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
                fld = self.spec_field.get(term)
                if fld and self._required(toks, m, clause_of):
                    u.constraints.append(Constraint(fld, "has", term, turn, m.said))
                else:
                    u.liked_attrs.append(term)

    def _required(self, toks: list[Token], m: _Mention, clause_of: list[int]) -> bool:
        c = clause_of[m.start]
        before = [toks[i].norm for i in range(max(0, m.start - 5), m.start) if clause_of[i] == c and toks[i].is_word]
        after = [toks[i].norm for i in range(m.end, min(len(toks), m.end + 3)) if clause_of[i] == c and toks[i].is_word]
        if any(w in ("dont", "doesnt", "not", "no") for w in before):
            return False
        if any(w in _REQUIRE_BEFORE for w in before[-4:]):
            if "has" in before or "have" in before or "got" in before:
                return any(w in ("to", "got") for w in before) or "must" in before
            return True
        return bool(after) and after[0] in _REQUIRE_AFTER

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

    def _positive_text(self, toks: list[Token], mentions: list[_Mention], info: ClauseInfo,
                       blocked: set[int], u: Understanding) -> str:
        if u.intent in ("greeting", "more", "why", "item_question", "other"):
            return ""
        drop: set[int] = set()
        for m in mentions:
            if m.kind != "attr" or any(t in u.disliked_attrs or t in u.dropped_attrs for t in m.terms):
                drop.update(range(m.start, m.end))
        for q in info.neg_at:
            lo, hi = info.clause_range(info.clause_of[q])
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
@dataclass
class _Ctx:
    toks: list[Token]
    quote_spans: list[tuple[int, int]]
    first_of_sentence: set[int]
    caps_unreliable: bool
    attr_ranges: set[tuple[int, int]]
    question: bool = False
    word_count: int = 0

    def quoted(self, toks: list[Token], first: int, last: int) -> bool:
        a, b = toks[first].start, toks[last].end
        for qa, qb in self.quote_spans:
            if qa <= a and b <= qb:
                inner = [t for t in toks if t.is_word and qa < t.start and t.end < qb]
                sig_in = [t for t in inner if t.norm not in STOP]
                sig_span = [t for t in toks[first:last + 1] if t.is_word and t.norm not in STOP]
                return len(sig_span) >= max(1, len(sig_in) - 1)
        return False


def _tok_range(toks: list[Token], a: int, b: int) -> list[int]:
    return [i for i, t in enumerate(toks) if t.start >= a and t.end <= b]


def _year_after(toks: list[Token], end: int) -> tuple[int | None, int]:
    j = end
    if j < len(toks) and toks[j].norm == "(":
        j += 1
    elif j < len(toks) and toks[j].norm == "from" and j + 1 < len(toks):
        j += 1
    if j < len(toks) and re.fullmatch(r"(?:19|20)\d\d", toks[j].norm):
        y = int(toks[j].norm)
        j += 1
        if j < len(toks) and toks[j].norm == ")":
            j += 1
        return y, j
    return None, end


def _item_noun_after(toks: list[Token], last: int) -> bool:
    j = last + 1
    if j < len(toks) and toks[j].norm in ("movie", "film", "game", "series", "franchise", "trilogy",
                                            "films", "movies", "games"):
        return toks[j - 1].cap or toks[j - 1].norm.isdigit()
    return False


def _anchor_cue(toks: list[Token], start: int) -> bool:
    """True after "like" used as a preposition, "similar to", "in the vein of" ..."""
    j = start - 1
    if j >= 0 and toks[j].norm == "the":
        j -= 1
    ws = [toks[k].norm for k in range(max(0, j - 3), j + 1) if toks[k].is_word]
    if not ws:
        return False
    if ws[-2:] == ["similar", "to"] or ws[-3:] in (["in", "the", "vein"], ["along", "the", "lines"]) or \
            ws[-2:] in (["vein", "of"], ["lines", "of"], ["reminiscent", "of"], ["style", "of"], ["such", "as"],
                        ["same", "as"], ["reminds", "me"]) or ws[-1] in ("alike", "a-la"):
        return True
    if ws[-1] != "like":
        return False
    before = ws[-2] if len(ws) >= 2 else ""
    return before not in ("i", "we", "you", "they", "really", "also", "dont", "didnt", "do", "would",
                          "d", "id", "still", "totally", "always", "to", "actually", "he", "she", "just",
                          "definitely", "kinda", "all", "both", "did", "might", "will", "may", "not")


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
    good = {m.item_id for m in u.liked_items}
    u.seen_items = [m for m in uniq_items(u.seen_items) if m.item_id not in bad]
    u.disliked_attrs = list(dict.fromkeys(u.disliked_attrs))
    u.liked_attrs = [t for t in dict.fromkeys(u.liked_attrs) if t not in u.disliked_attrs]
    u.dropped_attrs = [t for t in dict.fromkeys(u.dropped_attrs) if t not in u.disliked_attrs]
    seen_c: dict[str, Constraint] = {}
    for c in u.constraints:
        seen_c[c.key] = c
    u.constraints = list(seen_c.values())
