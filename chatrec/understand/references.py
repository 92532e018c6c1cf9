"""References to the previous reply's picks: "the second one", "#1", "the first two", "that one".

Positions are 1-based; ``-1`` is the last pick. A demonstrative ("that one", "more like that")
resolves to a title named earlier in the same message if there is one, else to the first of
the previous picks (the one the reply led with).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chatrec.understand.text import title_key

_ORD = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
        "fifth": 5, "5th": 5, "sixth": 6, "6th": 6, "last": -1, "final": -1, "top": 1,
        "middle": 0}
_CARD = {"two": 2, "three": 3, "four": 4, "five": 5, "2": 2, "3": 3, "4": 4, "5": 5}
_NOUN = r"(?:one|ones|pick|picks|option|options|movie|movies|film|films|game|games|suggestion|" \
        r"suggestions|recommendation|recommendations|choice|choices|title|titles|item|items|entry)"
_AFTER_OK = re.compile(r"^\s*(?:$|[.,!?;:)]|and\b|or\b|is\b|was\b|looks?\b|sounds?\b|seems?\b|please\b|"
                       r"but\b|though\b|too\b|already\b|again\b|about\b|instead\b|from\b|you\b|"
                       r"i'?ve\b|were\b|are\b|on\b|in\b|would\b|will\b|has\b|had\b|might\b|then\b|"
                       r"though\b|for\b|because\b|so\b)")


@dataclass(frozen=True)
class RefMatch:
    """A reference at chars ``[start, end)`` to pick positions (1-based, -1 = last, 0 = every)."""

    start: int
    end: int
    positions: tuple[int, ...]
    text: str
    demonstrative: bool = False


_ORDW = r"(first|second|third|fourth|fifth|sixth|last|1st|2nd|3rd|4th|5th|6th)"
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b(?:the )?" + _ORDW + r"(?: one)?,?(?: and| or| &)(?: the)? " + _ORDW
                + r"(?: (?:ones|one|picks|movies|films|games|options))?\b"), "ordlist"),
    (re.compile(r"\b(?:the )?(first|top|last) (two|three|four|five|2|3|4|5)(?: " + _NOUN + r"| of them)?\b"),
     "plural"),
    (re.compile(r"\b(?:all|each|every one) (?:of )?(?:them|those|these|the above|your (?:picks|suggestions|"
                r"recommendations))\b|\bthem all\b|\ball (?:three|four|five|3|4|5)(?: of them)?\b|"
                r"\bboth(?: of (?:them|those|these))?(?=\s*(?:$|[.,!?;]|are\b|look|sound|seem|already))"),
     "all"),
    (re.compile(r"\b(?:seen|watched|played|own|have|tried|saw|finished|beat) #?([1-9])(?: and| &) "
                r"#?([1-9])\b"), "numlist"),
    (re.compile(r"(?:#\s?|\bnumber |\bno\. ?|\boption |\bpick |\bchoice |\bitem |\bsuggestion |"
                r"\brecommendation )([1-9])\b"), "number"),
    (re.compile(r"\b(the )?(first|second|third|fourth|fifth|sixth|last|final|1st|2nd|3rd|4th|5th|6th|"
                r"top|middle)(?: (" + _NOUN[3:-1] + r"))?\b"), "ordinal"),
    (re.compile(r"\b(?:that|this) (?:one|movie|film|game|pick|title|suggestion)\b|"
                r"\b(?:those|these) (?:ones|movies|films|games|picks|two|three)\b"), "demo"),
    (re.compile(r"\b(?:more|something|anything|stuff|movies?|films?|games?|ones?|similar|somewhat|"
                r"kinda|kind of|a bit|just) like (?:that|this|it|those|these)\b(?! (?:is|was|are|one|"
                r"movie|film|game|kind|sort|type))"), "demo_tail"),
    (re.compile(r"\bsimilar to (?:that|this|it|those)\b|\b(?:cheaper|older|newer|more recent|shorter|"
                r"longer|less expensive|pricier) than (?:that|this|it)\b"), "demo_tail"),
    (re.compile(r"\b(?:seen|watched|played|finished|beat) (?:that|this|it|them|those)(?: one| already)?\b"),
     "demo_tail"),
    (re.compile(r"\bnot (?:that|this|it)\b(?!'s| is| was| much| many| bad| sure)"), "demo_tail"),
    (re.compile(r"\bwhat(?:'s| is| was) (?:that|this|it) (?:one )?about\b|\b(?:is|was) (?:that|this|it) "
                r"(?:one )?(?:any good|good|scary|funny|long|violent|for kids|worth)"), "demo_tail"),
    (re.compile(r"\bwhy (?:that|this|it|those|these)\b(?! (?:is|was|are|were))|\bwhy did you (?:pick|choose|"
                r"suggest|recommend|pick out) (?:that|this|it|those|these|them)\b"), "demo_tail"),
]

_DEMO_WORD = re.compile(r"\b(that|this|it|those|these|them)\b")


def find_refs(s: str) -> list[RefMatch]:
    """References in ``s`` (lower-cased, same length as the message), left to right."""
    out: list[RefMatch] = []
    taken: list[tuple[int, int]] = []

    def add(a: int, b: int, pos: tuple[int, ...], demo: bool = False) -> None:
        if any(a < y and x < b for x, y in taken):
            return
        taken.append((a, b))
        out.append(RefMatch(a, b, pos, s[a:b], demo))

    for pat, kind in _PATTERNS:
        for m in pat.finditer(s):
            if kind == "plural":
                n = _CARD[m.group(2)]
                pos = tuple(range(1, n + 1)) if m.group(1) in ("first", "top") else tuple(-i for i in
                                                                                         range(n, 0, -1))
                add(m.start(), m.end(), pos)
            elif kind == "all":
                txt = m.group(0)
                pos = (1, 2) if txt.startswith("both") else (0,)
                add(m.start(), m.end(), pos)
            elif kind == "ordlist":
                add(m.start(), m.end(), (_ORD[m.group(1)], _ORD[m.group(2)]))
            elif kind == "numlist":
                a1, a2 = m.start(1), m.end(2)
                add(a1 - (1 if s[a1 - 1] == "#" else 0), a2, (int(m.group(1)), int(m.group(2))))
            elif kind == "number":
                add(m.start(), m.end(), (int(m.group(1)),))
            elif kind == "ordinal":
                the, word, noun = m.group(1), m.group(2), m.group(3)
                if not the and not noun:
                    continue
                if word in ("top", "middle") and not noun:
                    continue
                after = s[m.end():m.end() + 20]
                if noun:
                    if re.match(r"^\s+(?:i|you|we|they|that i|he|she|time)\b", after):
                        continue
                elif not _AFTER_OK.match(after):
                    continue
                before = s[max(0, m.start() - 12):m.start()]
                if not the and (noun != "one" or re.search(r"\b(?:my|a|his|her|their|our|your|its)\s*$",
                                                           before)):
                    continue
                if re.search(r"\b(?:at|for) $", before) and not noun:
                    continue  # "at the first", "for the last" (time expressions)
                pos = (_ORD[word],) if word != "middle" else (0,)
                if word == "middle":
                    continue
                add(m.start(), m.end(), pos)
            elif kind == "demo":
                txt = m.group(0)
                if txt.split()[0] in ("those", "these"):
                    add(m.start(), m.end(), (0,), True)
                else:
                    add(m.start(), m.end(), (1,), True)
            else:
                dm = list(_DEMO_WORD.finditer(m.group(0)))
                if not dm:
                    continue
                d = dm[-1]
                a, b = m.start() + d.start(), m.start() + d.end()
                word = d.group(1)
                pos = (0,) if word in ("those", "these", "them") else (1,)
                tail = re.match(r" one\b", s[b:b + 4])
                add(a, b + (4 if tail else 0), pos, True)
    out.sort(key=lambda r: r.start)
    return out


def resolve(ref: RefMatch, picks: list[str]) -> list[str]:
    """Item ids the reference points at (empty when the position is out of range)."""
    if not picks:
        return []
    out: list[str] = []
    for p in ref.positions:
        if p == 0:
            out.extend(x for x in picks if x not in out)
        elif p < 0 and -p <= len(picks):
            if picks[p] not in out:
                out.append(picks[p])
        elif 0 < p <= len(picks) and picks[p - 1] not in out:
            out.append(picks[p - 1])
    return out


def named_pick(text: str, shown: dict[str, str]) -> str | None:
    """The earlier pick (id -> title, oldest first) whose title the message names ("why
    Arrival?" two replies later): the longest title key found as whole words; then the one
    named with its article ("The Arrival" over "Arrival" only when "the" was said); then the
    latest pick."""
    said = f" {title_key(text)} "
    plain = " " + " ".join(re.findall(r"[a-z0-9]+", text.lower())) + " "
    best: tuple[int, int, int, str] | None = None
    for k, (item_id, title) in enumerate(shown.items()):
        key = title_key(title)
        if not key or f" {key} " not in said:
            continue
        whole = " " + " ".join(re.findall(r"[a-z0-9]+", title.lower())) + " "
        rank = (len(key), len(whole) if whole in plain else 0, k, item_id)
        if best is None or rank > best:
            best = rank
    return best[3] if best else None
