"""Deciding what a message says: each mention with its polarity becomes a liked, disliked,
seen or dropped item or attribute, a required feature, the anchor, or a question; then the
intent, and the positive text used as a retrieval query."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from chatrec.profile import Constraint
from chatrec.understand.intent import intent_of, question_clauses_of
from chatrec.understand.lexicon import COMMON, ITEM_NOUNS, POSITIVE, STOP
from chatrec.understand.model import TitleMatch, Understanding
from chatrec.understand.only import lifted_by, nothing_but, only_constraint, only_cue
from chatrec.understand.polarity import (
    ClauseInfo,
    Span,
    back_reference,
    clause_is_negative,
    polarity,
    seen_back,
)

if TYPE_CHECKING:
    from chatrec.profile import Preferences
    from chatrec.understand.mentions import Mention
    from chatrec.understand.text import Token
    from chatrec.understand.titles import TitleIndex

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


class Decider:
    """Decides what the mentions of one message mean for one catalog (see the module docstring)."""

    def __init__(self, titles: TitleIndex, spec_field: dict[str, str],
                 attr_field: dict[str, str] | None = None) -> None:
        self.titles = titles
        self.spec_field = spec_field
        self.attr_field = attr_field or {}  # term -> its attribute field, for "only X"
        self.spec_squashed = {_squash(t): t for t in spec_field}

    def decide(self, u: Understanding, mentions: list[Mention], toks: list[Token], info: ClauseInfo,
               clause_of: list[int], sent_of: list[int], low: str, prefs: Preferences, turn: int) -> None:
        """Fill ``u`` from ``mentions``: liked, disliked, seen and dropped items and attributes,
        required features, the anchor, ambiguous titles, the intent and the question item."""
        spans = [Span(m.start, m.end, clause_of[m.start], m.is_item) for m in mentions]
        why = bool(re.match(r"\s*(?:but |so |and |ok,? )?(?:why\b|how come\b|what makes you think|"
                            r"what made you|reason for)", low))
        question_clauses = question_clauses_of(toks, clause_of, sent_of)
        by_clause: dict[int, list[Mention]] = {}
        for m, sp in zip(mentions, spans):
            by_clause.setdefault(sp.clause, []).append(m)
        neg_clause = _negative_clauses(info, toks, clause_of, sent_of, by_clause)
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
                if p == "neg" and nothing_but(toks, m):
                    p = "pos"  # "nothing but horror"
                self._attr(u, m, p, toks, clause_of, turn)
                if p == "ok":  # "actually, comedies are fine too" lifts "only documentaries"
                    u.dropped_constraints.extend(lifted_by(m, prefs, self.attr_field))
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
            u.intent = intent_of(u, low, toks, prefs)
        _dedupe(u)

    def _attr(self, u: Understanding, m: Mention, p: str, toks: list[Token], clause_of: list[int],
              turn: int) -> None:
        if p not in ("neg", "ok", "drop", "unseen") and only_cue(toks, m, clause_of) and not any(
                t in self.spec_field or _squash(t) in self.spec_squashed for t in m.terms):
            c = only_constraint(m, self.attr_field, turn)  # "only documentaries": a hard limit
            if c is not None:
                u.constraints.append(c)
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
                if fld and spec and _required(toks, m, clause_of):
                    u.constraints.append(Constraint(fld, "has", spec, turn, m.said))
                else:
                    u.liked_attrs.append(term)


def _negative_clauses(info: ClauseInfo, toks: list[Token], clause_of: list[int],
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


def _required(toks: list[Token], m: Mention, clause_of: list[int]) -> bool:
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


def positive_text(toks: list[Token], mentions: list[Mention], info: ClauseInfo,
                  blocked: set[int], u: Understanding) -> str:
    """The words of a recommendation request that say what the user wants, for retrieval:
    not negated, not a title, constraint or filler (empty for other intents)."""
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
