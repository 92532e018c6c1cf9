"""Finding item mentions in a message: exact title keys with evidence rules, typo-tolerant
fuzzy look-up, and quoted names the catalog doesn't have.

Whether words that match a title key are meant as the title is decided by the evidence rules
in :mod:`chatrec.understand.title_evidence`.
"""

from __future__ import annotations

import re
from itertools import pairwise
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process

from chatrec.understand.lexicon import COMMON, NOT_ACRONYMS, STOP
from chatrec.understand.mentions import Context, Mention, tok_range
from chatrec.understand.text import Token, key_words
from chatrec.understand.title_evidence import TitleEvidence, inside_longer_name, title_cue

if TYPE_CHECKING:
    from chatrec.catalog import Catalog
    from chatrec.understand.attributes import AttributeIndex
    from chatrec.understand.catalog_facts import CatalogFacts
    from chatrec.understand.titles import TitleIndex

_CROSS = {"-", ":", "/", "'", ","}
_ABBR = {"dr", "mr", "mrs", "ms", "st", "jr", "sr", "vs", "vol", "pt"}


def _year_after(toks: list[Token], end: int) -> tuple[int | None, int]:
    j = end
    if j < len(toks) and (toks[j].norm == "(" or (toks[j].norm == "from" and j + 1 < len(toks))):
        j += 1
    if j < len(toks) and re.fullmatch(r"(?:19|20)\d\d", toks[j].norm):
        y = int(toks[j].norm)
        j += 1
        if j < len(toks) and toks[j].norm == ")":
            j += 1
        return y, j
    return None, end


class TitleFinder:
    """Item mentions for one catalog: exact title keys weighed by
    :class:`~chatrec.understand.title_evidence.TitleEvidence`, typos, and unknown names."""

    def __init__(self, catalog: Catalog, titles: TitleIndex, attrs: AttributeIndex, facts: CatalogFacts,
                 english: dict[str, int]) -> None:
        self.catalog = catalog
        self.titles = titles
        self.attrs = attrs
        self.facts = facts
        self.known = COMMON | STOP | attrs.words | titles.title_words | NOT_ACRONYMS
        self.evidence = TitleEvidence(catalog, titles, attrs, english)

    def exact(self, toks: list[Token], ctx: Context, blocked: set[int],
                      context_ids: set[str]) -> list[Mention]:
        wi = [i for i, t in enumerate(toks) if t.is_word]
        maxw = min(self.titles.max_words, 14)
        out: list[Mention] = []
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
                conf = self.evidence.confidence(toks, span, key, ids, ctx, last_end)
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
            typed = " ".join(toks[j].norm for j in span)
            before2 = {toks[j].norm for j in range(max(0, span[0] - 2), span[0])}
            era = "new" if before2 & {"new", "newer", "latest", "recent", "remake"} else \
                "old" if before2 & {"old", "older", "original", "classic"} else ""
            res = self.titles.resolve(ids, year, context_ids, typed, era)
            if era == "new" and res.item_id and year is None and \
                    (self.catalog.items[res.item_id].year or 0) < self.facts.max_year - 3:
                blocked.update(span)  # "the new Lion King": a newer film than the catalog has
                k += n
                continue
            if year is not None and (res.item_id is None or self.catalog.items[res.item_id].year == year):
                end = year_end
            ext = self._extend(toks, wi, k + n, span, res.item_id, blocked)
            if ext:
                end = ext
            said = " ".join(t.text for t in toks[span[0]:end] if t.is_word or t.norm not in "()")
            m = Mention("title", span[0], end, said, conf=conf * res.confidence if res.item_id else conf)
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

    def _extend(self, toks: list[Token], wi: list[int], k: int, span: list[int], item_id: str | None,
                blocked: set[int]) -> int | None:
        """"Stardew Vally": an exact match followed by unknown words that complete a longer title."""
        if item_id is None or k >= len(wi) or wi[k] in blocked:
            return None
        nxt = [j for j in wi[k:k + 2] if j not in blocked]
        if not nxt or toks[nxt[0]].norm in self.known or len(toks[nxt[0]].norm) < 3:
            return None
        cand: set[int] = set()
        for j in span:
            cand |= self.titles.candidates_for(toks[j].norm, exact_only=True)
        if not cand or len(cand) > 5000:
            return None
        choices = [self.titles.fuzzy_keys[c] for c in cand]
        best: tuple[float, int] | None = None
        for n in range(1, len(nxt) + 1):
            q = " ".join(key_words([toks[j].norm for j in span + nxt[:n]]))
            r = process.extractOne(q, choices, scorer=fuzz.ratio, score_cutoff=86)
            if r is None:
                continue
            ids = self.titles.lookup(str(r[0]))
            if item_id in ids and (best is None or r[1] >= best[0]):
                best = (float(r[1]), nxt[n - 1] + 1)
        return best[1] if best else None

    def _crossable(self, toks: list[Token], span: list[int], key: str) -> bool:
        for a, b in pairwise(span):
            for t in toks[a + 1:b]:
                if t.norm == "," and key not in self.titles.comma_keys:
                    return False
                if t.norm == "." and not (len(toks[a].norm) <= 2 or toks[a].norm in _ABBR):
                    return False
                if t.norm not in _CROSS and t.norm != ".":
                    return False
        return True

    def fuzzy(self, toks: list[Token], ctx: Context, blocked: set[int],
                      clause_of: list[int]) -> list[Mention]:
        """Typos: windows around words nobody knows, scored against likely titles."""
        out: list[Mention] = []
        taken = set(blocked)
        wi = [i for i, t in enumerate(toks) if t.is_word]
        pos = {j: k for k, j in enumerate(wi)}
        triggers = [i for i in wi if i not in taken and toks[i].norm not in self.known
                    and len(toks[i].norm) >= 4 and not toks[i].norm.isdigit()]
        # capitalised runs after a cue ("I really liked Forest Gump") also get a fuzzy look
        for k0, i in enumerate(wi):
            if i in taken or not toks[i].cap or i in ctx.first_of_sentence or ctx.caps_unreliable:
                continue
            run = [j for j in wi[k0:k0 + 5] if j not in taken]
            run = run[:next((x for x, j in enumerate(run) if not toks[j].cap and toks[j].norm not in STOP),
                            len(run))]
            if len(run) >= 2 and title_cue(toks, i, -10):
                rare = [j for j in run if toks[j].norm not in COMMON and toks[j].norm not in STOP]
                if rare and rare[0] not in triggers:
                    triggers.append(rare[0])
        for i in triggers:
            t = toks[i]
            if i in taken:
                continue
            if not any(c.isalpha() for c in t.norm):
                continue
            k = pos[i]
            window = [j for j in wi[max(0, k - 4):k + 5] if (j not in taken and clause_of[j] == clause_of[i])
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
                    if any(y - x > 2 for x, y in pairwise(sub)):
                        continue
                    q = " ".join(key_words([toks[j].norm for j in sub]))
                    if len(q) < 4 or self.titles.lookup(q):
                        continue
                    quoted = ctx.quoted(toks, sub[0], sub[-1])
                    capped = all(toks[j].cap for j in sub if toks[j].norm not in STOP)
                    if capped and not quoted and inside_longer_name(toks, sub[0], sub[-1], ctx):
                        continue
                    cue = title_cue(toks, sub[0], -10)
                    cutoff = 86.0 if quoted else 88.0 if (capped or cue) else 92.0
                    if len(q.split()) == 1 and not ((capped or cue) and len(q) >= 7):
                        cutoff += 2 if (capped or cue or quoted) else 5
                    found = process.extract(q, choices, scorer=fuzz.ratio, score_cutoff=cutoff, limit=6)
                    if not found:
                        continue
                    top = max(f[1] for f in found)
                    key_best = max((f for f in found if f[1] >= top - 2.5), key=lambda f: self._key_weight(f))
                    score = float(key_best[1]) + 0.5 * len(sub)
                    if best is None or score > best[0]:
                        best = (score, sub[0], sub[-1] + 1, str(key_best[0]))
            if best is None:
                continue
            score, a, b, key = best
            res = self.titles.resolve(self.titles.lookup(key))
            iid = res.item_id
            if iid is None or (self.titles.pop.get(iid, 0.0) < 0.3 and not ctx.quoted(toks, a, b - 1)):
                continue
            said = " ".join(x.text for x in toks[a:b])
            out.append(Mention("title", a, b, said, ids=[iid], via="fuzzy",
                                conf=min(0.95, score / 100.0 * 0.95)))
            taken.update(range(a, b))
        return out

    def _key_weight(self, found: tuple[str, float, int]) -> float:
        ids = self.titles.lookup(found[0])
        pop = max((self.titles.pop.get(i, 0.0) - (0.3 if i in self.titles.addon else 0.0) for i in ids),
                  default=0.0)
        return float(found[1]) + 6 * pop

    def unknown(self, text: str, toks: list[Token], ctx: Context,
                        blocked: set[int]) -> list[tuple[str, int, int]]:
        """Quoted names, and "a movie called X", that match nothing in the catalog."""
        out: list[tuple[str, int, int]] = []
        for a, b in ctx.quote_spans:
            ti = tok_range(toks, a + 1, b - 1)
            ti = [i for i in ti if toks[i].is_word]
            if not ti or any(i in blocked for i in ti):
                continue
            if self.attrs.lookup([toks[i].norm for i in ti]) is not None:
                continue
            name = text[a + 1:b - 1].strip()
            if 1 <= len(ti) <= 10:
                out.append((name, ti[0], ti[-1] + 1))
        called = r"\b(?:(?:a|the) (?:movie|film|game|show) (?:called|named|titled)|called|titled)\s+" \
                 r"((?:[A-Z0-9][\w'’:-]*\s?){1,6})"
        for m in re.finditer(called, text):
            ti = [i for i in tok_range(toks, m.start(1), m.end(1)) if toks[i].is_word]
            if not ti or any(i in blocked for i in ti) or any(ti[0] <= x[1] < x[2] for x in out):
                continue
            out.append((m.group(1).strip(), ti[0], ti[-1] + 1))
        return out
