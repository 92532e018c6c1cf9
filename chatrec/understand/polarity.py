"""Polarity with scope: is a mention liked, disliked, seen, asked about, or lifted?

Works per clause (see :func:`chatrec.understand.text.clauses`). A forward negator ("no", "not",
"without", "hate", "anything but", "except", "too") covers the rest of its clause, across
"or"/"and" lists, until a positive word after something was negated ("no horror and lots of
comedy"). An evaluation after a mention ("Titanic was boring", "horror isn't my thing") makes
it negative. A clause with no mentions of its own that says "loved it" / "hated it" passes its
polarity back to the previous clause's items ("saw Alien and loved it").
"""

from __future__ import annotations

from dataclasses import dataclass

from chatrec.understand.lexicon import (
    BACK_PRONOUNS,
    NEG_NEUTRALIZERS,
    NEG_OK,
    NEGATIVE_EVAL,
    NEGATORS,
    POSITIVE,
    POSITIVE_RESET,
    SEEN_VERBS,
)
from chatrec.understand.text import Token

_NEG_PAIRS = {("anything", "but"), ("everything", "but"), ("all", "but"), ("other", "than"),
              ("apart", "from"), ("rather", "than"), ("instead", "of"), ("sick", "of"),
              ("tired", "of"), ("stay", "away"), ("steer", "clear"), ("turned", "off"),
              ("put", "off"), ("do", "without"), ("no", "more"), ("enough", "of"), ("over", "it"),
              ("done", "with"), ("fed", "up")}
_AFTER_NEG_OBJECTS = {"for", "my", "thing", "like", "liked", "enjoy", "enjoyed", "good", "great",
                      "interest", "interested", "into", "fan", "cup", "work", "worth", "fun", "appeal",
                      "favorite", "favourite", "love", "loved", "do", "did", "care", "scary", "funny",
                      "bad"}
_OK_AFTER = {"fine", "ok", "okay", "alright", "acceptable", "allowed", "good"}
_DROP_WORDS = {("changed", "my", "mind"), ("change", "my", "mind"), ("never", "mind"),
               ("forget", "about"), ("scratch",), ("remove",), ("take", "off"), ("forget",),
               ("nevermind",), ("ignore",), ("drop",), ("undo",)}
_WANT_VERBS = {"want", "wanna", "meaning", "planning", "plan", "hoping", "hope", "going", "gonna", "list"}


@dataclass
class Span:
    """A mention's token range and clause, for polarity decisions."""

    start: int
    end: int
    clause: int
    is_item: bool


class ClauseInfo:
    """Per-clause cue positions for one message."""

    def __init__(self, toks: list[Token], clause_of: list[int], ignore: set[int] | None = None) -> None:
        ignore = ignore or set()
        self.toks = toks
        self.clause_of = clause_of
        self.norm = [t.norm for t in toks]
        self.neg_at: list[int] = []  # forward negators
        self.ok_at: list[int] = []   # "don't mind X"
        self.neutral_at: set[int] = set()
        self.unseen_at: set[int] = set()
        n = len(toks)
        for i, t in enumerate(toks):
            if not t.is_word or i in ignore:
                continue
            w = t.norm
            nxt = toks[i + 1].norm if i + 1 < n else ""
            prev = toks[i - 1].norm if i > 0 else ""
            if (prev, w) in _NEG_PAIRS or (w, nxt) in _NEG_PAIRS:
                if (w, nxt) in _NEG_PAIRS and w != "no":
                    continue  # the pair is marked at its second word
                self.neg_at.append(i)
                continue
            if w == "too" and i + 1 < n and toks[i + 1].is_word:
                self.neg_at.append(i)
                continue
            if w not in NEGATORS:
                continue
            if w == "no" and (not nxt or nxt in {",", ".", "!", "?", "thanks", "thank", "problem",
                                                   "worries", "idea", "matter", "way", "clue"}):
                continue
            follow = self._next_content(i)
            if follow in NEG_OK:
                self.ok_at.append(i)
                continue
            if follow in NEG_NEUTRALIZERS:
                if follow in SEEN_VERBS or follow in ("heard", "tried"):
                    self.unseen_at.add(i)
                self.neutral_at.add(i)
                continue
            if w in ("not", "never") and prev in ("if", "whether", "or"):
                continue
            self.neg_at.append(i)

    def _next_content(self, i: int) -> str:
        for j in range(i + 1, min(i + 5, len(self.toks))):
            t = self.toks[j]
            if not t.is_word:
                return ""
            if t.norm in ("really", "even", "actually", "have", "to", "particularly", "necessarily",
                          "exactly", "honestly", "ever", "quite", "so", "too", "been", "much"):
                if t.norm in ("necessarily",):
                    return "necessarily"
                continue
            return t.norm
        return ""

    def words_in(self, clause: int, a: int, b: int) -> list[tuple[int, str]]:
        return [(i, self.toks[i].norm) for i in range(max(0, a), min(b, len(self.toks)))
                if self.clause_of[i] == clause and self.toks[i].is_word]

    def clause_range(self, clause: int) -> tuple[int, int]:
        idx = [i for i, c in enumerate(self.clause_of) if c == clause]
        return (idx[0], idx[-1] + 1) if idx else (0, 0)


def polarity(info: ClauseInfo, m: Span, spans: list[Span]) -> str:
    """``pos`` | ``neg`` | ``seen`` | ``unseen`` | ``ok`` | ``drop`` for one mention."""
    c = m.clause
    lo, hi = info.clause_range(c)
    before = info.words_in(c, lo, m.start)
    after = info.words_in(c, m.end, hi)
    # lifting: "changed my mind about X", "forget X", "X is fine", "don't mind X"
    bw = [w for _, w in before]
    for pat in _DROP_WORDS:
        k = len(pat)
        for j in range(len(bw) - k + 1):
            if tuple(bw[j:j + k]) == pat:
                return "drop"
    if any(lo <= i < m.start for i in info.ok_at):
        return "ok"
    aw = [w for _, w in after]
    if len(aw) >= 2 and aw[0] in ("is", "are", "s", "would", "will", "seems", "sounds") and \
            (aw[1] in _OK_AFTER or (len(aw) >= 3 and aw[1] in ("be", "actually", "totally", "now",
                                                                "also") and aw[2] in _OK_AFTER)) and \
            not any(w in ("not", "isnt", "arent") for w in aw[:2]):
        return "ok"
    if (bw[-3:] and bw[-3:] in (["i", "m", "ok"], ["im", "ok", "with"], ["im", "fine", "with"],
                               ["open", "to"])) or bw[-2:] in (["ok", "with"], ["fine", "with"],
                                                             ["open", "to"]):
        return "ok"
    # forward negation
    neg = False
    for q in info.neg_at:
        if not (lo <= q < m.start) or info.clause_of[q] != c:
            continue
        # a positive word after a negated mention ends the negation's reach
        reset = False
        for r, w in info.words_in(c, q + 1, m.start):
            if w in POSITIVE_RESET and any(q < s.start < r and s.clause == c for s in spans):
                reset = True
                break
        if info.toks[q].norm == "too" and m.start - q > 3:
            continue
        if not reset:
            neg = True
    if any(lo <= q < m.start for q in info.unseen_at) and not neg:
        return "unseen"
    if neg:
        return "neg"
    # backward evaluation
    aw_all = [w for _, w in after]
    joined = " ".join(aw_all)
    vetoes = ("a hard no", "a no go", "a big no", "a firm no", "a no for me", "is out", "are out",
              "a dealbreaker", "a deal breaker", "let down", "a turn off", "a turnoff")
    if aw_all and (aw_all[-1] == "no" or aw_all[-2:] in (["no", "thanks"], ["no", "way"], ["no", "please"])
                   or any(x in joined for x in vetoes)):
        return "neg"  # "slapstick no", "horror is a hard no"
    for k, (i, w) in enumerate(after):
        if w == "too" and k + 1 < len(after) and after[k + 1][1] not in ("and", "or", "but", "please") \
                and not any(m.end < s.start <= i + 2 and s.clause == c for s in spans):
            return "neg"  # "Titanic was way too long"
        if w in NEGATIVE_EVAL:
            prev = after[k - 1][1] if k > 0 else ""
            if prev in ("not", "isnt", "wasnt", "arent", "werent", "never"):
                return "pos"
            if any(s.start > m.end and s.start < i and s.clause == c and s.is_item == m.is_item
                   for s in spans):
                break
            return "neg"
        if w in NEGATORS and w not in ("less", "no") and \
                any(x in _AFTER_NEG_OBJECTS for _, x in after[k + 1:k + 4]):
            if any(s.start > m.end and s.start <= i + 3 and s.clause == c for s in spans):
                break  # the negation is about a later mention ("sci-fi as long as it isn't too scary")
            return "neg"
    has_pos = any(w in POSITIVE for _, w in before + after)
    if has_pos:
        return "pos"
    if any(w in _WANT_VERBS for w in bw):
        return "pos"
    if any(w in SEEN_VERBS for w in bw) or "already" in aw:
        return "seen"
    return "pos"


def back_reference(info: ClauseInfo, clause: int) -> str | None:
    """A clause like "and loved it" / ", hated it": its polarity, when it refers back."""
    lo, hi = info.clause_range(clause)
    ws = [w for _, w in info.words_in(clause, lo, hi)]
    if not any(w in BACK_PRONOUNS for w in ws):
        return None
    negs = [i for i in info.neg_at if lo <= i < hi]
    if any(w in NEGATIVE_EVAL for w in ws) or (negs and any(w in POSITIVE for w in ws)):
        return "neg"
    if any(w in POSITIVE for w in ws) and not negs:
        return "pos"
    return None


def clause_is_negative(info: ClauseInfo, clause: int) -> bool:
    lo, hi = info.clause_range(clause)
    return any(lo <= q < hi for q in info.neg_at)


def seen_back(info: ClauseInfo, clause: int, prev_clause: int) -> bool:
    """"not the last one, seen it": a bare "not" on an item, explained by the next clause saying it
    was seen/owned already; the item is seen, not disliked."""
    lo, hi = info.clause_range(clause)
    if hi <= lo or any(lo <= q < hi for q in info.neg_at):
        return False
    ws = [w for _, w in info.words_in(clause, lo, hi)]
    plo, phi = info.clause_range(prev_clause)
    pws = [w for _, w in info.words_in(prev_clause, plo, phi)]
    if any(w in NEGATIVE_EVAL or (w in NEGATORS and w not in ("not", "no", "nah")) for w in ws + pws):
        return False
    return any(w in SEEN_VERBS for w in ws) and any(w in BACK_PRONOUNS or w == "already" for w in ws)
