"""Mentions found in a message, and the per-message context the title rules read.

A :class:`Mention` is a title, a reference to a past pick ("the second one") or an attribute,
by token range. :class:`Context` holds what the title rules ask of the whole message: quoted
spans, sentence starts, whether capitals mean anything. Finding title mentions is
:mod:`chatrec.understand.title_finder`; when words count as a title is
:mod:`chatrec.understand.title_evidence`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from chatrec.understand.lexicon import STOP, word_set
from chatrec.understand.text import Token

QUOTE = re.compile(r"\"([^\"]{2,100})\"|(?:^|(?<=[\s(]))'([^']{2,80}?)'(?=$|[\s.,!?;:)])|\*([^*]{2,80})\*")
TITLE_FUNCTION_WORDS = word_set("the a an of and in into on to for with from at by or")


@dataclass
class Mention:
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


@dataclass
class Context:
    toks: list[Token]
    quote_spans: list[tuple[int, int]]
    first_of_sentence: set[int]
    caps_unreliable: bool
    attr_ranges: set[tuple[int, int]]
    question: bool = False
    word_count: int = 0
    attr_tokens: set[int] = field(default_factory=set)

    def inside_quote(self, toks: list[Token], first: int, last: int) -> bool:
        a, b = toks[first].start, toks[last].end
        return any(qa <= a and b <= qb for qa, qb in self.quote_spans)

    def quoted(self, toks: list[Token], first: int, last: int) -> bool:
        a, b = toks[first].start, toks[last].end
        for qa, qb in self.quote_spans:
            if qa <= a and b <= qb:
                inner = [t for t in toks if t.is_word and qa < t.start and t.end < qb]
                sig_in = [t for t in inner if t.norm not in STOP]
                sig_span = [t for t in toks[first:last + 1] if t.is_word and t.norm not in STOP]
                if not sig_in:  # '"Up"', '"Her"': only function words, so all of them count
                    sig_in = inner
                    sig_span = [t for t in toks[first:last + 1] if t.is_word]
                slack = 1 if len(sig_in) >= 4 else 0
                return len(sig_span) >= max(1, len(sig_in) - slack)
        return False


def tok_range(toks: list[Token], a: int, b: int) -> list[int]:
    return [i for i, t in enumerate(toks) if t.start >= a and t.end <= b]
