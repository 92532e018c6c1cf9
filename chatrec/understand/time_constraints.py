"""Constraint rules on time: release years and decades, and runtime (the rules are listed in
:mod:`chatrec.understand.constraints`)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from chatrec.understand.constraint_patterns import (
    AT_LEAST,
    AT_MOST,
    MEDIA,
    NUMBER,
    AddFound,
    Negated,
    missing_note,
    to_number,
)

if TYPE_CHECKING:
    from chatrec.profile import Op
    from chatrec.understand.catalog_facts import CatalogFacts

_DECADE_WORDS = {"twenties": 1920, "thirties": 1930, "forties": 1940, "fifties": 1950,
                 "sixties": 1960, "seventies": 1970, "eighties": 1980, "nineties": 1990}
_YEAR = r"((?:19|20)\d\d)"
_DECADE = (r"(?:the\s+)?(?:(early|mid|late)[\s-]*)?(?:'|(19|20))?(\d)0'?s\b")
_DECADE_WORD = r"(?:the\s+)?(?:(early|mid|late)[\s-]*)?(twenties|thirties|forties|fifties|sixties|" \
               r"seventies|eighties|nineties)\b"
_TIME_UNIT = r"(hours?|hrs?|h|minutes?|mins?|m)\b"


def _decade_range(mod: str | None, century: str | None, digit: str) -> tuple[int, int]:
    d = int(digit)
    start = int(century) * 100 + d * 10 if century else (2000 + d * 10 if d <= 1 else 1900 + d * 10)
    lo, hi = start, start + 9
    if mod == "early":
        hi = start + 4
    elif mod == "mid":
        lo, hi = start + 3, start + 7
    elif mod == "late":
        lo = start + 5
    return lo, hi


def year_constraints(f: CatalogFacts, s: str, add: AddFound, negated: Negated) -> None:
    """Years and decades: ranges, "before"/"after" bounds, "recent", "old" (module docstring of
    :mod:`chatrec.understand.constraints`)."""
    y = f.year_field
    if y is None:
        return
    dec = _DECADE
    explicit = [0]

    def add_x(m: re.Match[str], cons: list[tuple[str, Op, object]]) -> None:
        explicit[0] += 1
        add(m, cons)
    for m in re.finditer(r"\b(?:between|from) " + _YEAR + r" (?:and|to|through|till|until) " + _YEAR
                         + r"\b|\b" + _YEAR + r"\s*(?:-|to|through)\s*" + _YEAR + r"\b", s):
        a = m.group(1) or m.group(3)
        b = m.group(2) or m.group(4)
        lo, hi = sorted((int(a), int(b)))
        add_x(m, [(y, "min", lo), (y, "max", hi)])
    for m in re.finditer(r"\b(?P<w>before|earlier than|prior to|pre[- ]?|older than|no later than|"
                         r"until|up to|up until|till)\s*(?:the\s+)?(?P<v>" + _YEAR[1:-1] + r"|" + dec
                         + r")", s):
        inclusive = m.group("w") in ("until", "till", "up to", "up until", "no later than")
        val = _bound(m.group("v"), "max", inclusive)
        if negated(m):
            add_x(m, [(y, "min", val + 1)])
        else:
            add_x(m, [(y, "max", val)])
    for m in re.finditer(r"\b(?P<w>after|later than|newer than|post[- ]?|more recent than|since|"
                         r"starting(?: from| in)?|no earlier than|no older than|from)\s*(?:the\s+)?"
                         r"(?P<v>" + _YEAR[1:-1] + r"|" + dec + r")(?P<tail>\s*(?:on(?:wards?)?\b|"
                         r"and (?:later|after|up|newer)\b|or (?:later|after|newer)\b|forward\b|\+))?",
                         s):
        w = m.group("w")
        if w == "from" and not m.group("tail"):
            continue  # "from 1999" / "from the 90s": a range, handled below
        inclusive = w.startswith(("since", "starting", "no ", "from"))
        val = _bound(m.group("v"), "min", inclusive)
        if negated(m):
            add_x(m, [(y, "max", val - 1)])
        else:
            add_x(m, [(y, "min", val)])
    for m in re.finditer(_YEAR + r"\s*(?:\+|or (?:later|newer|after)|and (?:later|newer|up|after)|"
                         r"onwards?|on)\b", s):
        add_x(m, [(y, "min", int(m.group(1)))])
    for m in re.finditer(_YEAR + r"\s*(?:or (?:earlier|before|older)|and (?:earlier|before|older))\b", s):
        add_x(m, [(y, "max", int(m.group(1)))])
    ranges: list[tuple[re.Match[str], int, int]] = []
    for m in re.finditer(r"(?<![\w$])" + dec, s):
        if re.search(r"\b(?:my|our|their|his|her|your|in his|in her)\s*(?:early |mid |late )?$",
                     s[max(0, m.start() - 12):m.start()]):
            continue
        lo, hi = _decade_range(m.group(1), m.group(2), m.group(3))
        ranges.append((m, lo, hi))
    for m in re.finditer(_DECADE_WORD, s):
        if re.search(r"\b(?:my|our|their|his|her|your)\s*(?:early |mid |late )?$",
                     s[max(0, m.start() - 12):m.start()]):
            continue
        start = _DECADE_WORDS[m.group(2)]
        lo, hi = _decade_range(m.group(1), str(start // 100), str(start % 100 // 10))
        ranges.append((m, lo, hi))
    in_year = r"\b(?:from|in|released in|made in|came out in|of)\s+" + _YEAR + r"\b(?!\s*(?:\)|-|to\b))"
    for m in re.finditer(in_year, s):
        ranges.append((m, int(m.group(1)), int(m.group(1))))
    good = [(m, lo, hi) for m, lo, hi in ranges if not negated(m)]
    if good:
        lo = min(r[1] for r in good)
        hi = max(r[2] for r in good)
        first = True
        for m, _, _ in good:
            add_x(m, [(y, "min", lo), (y, "max", hi)] if first else [])
            first = False
    if explicit[0]:
        return  # "90s classics": the decade wins over the vague words
    rec = r"\b(?:recent|recently released|new releases?|newer|newest|latest|brand new|current|" \
          r"new (?:movies|films|games|ones|stuff|titles)|(?:last|past) (?:few|couple(?: of)?) years)\b"
    for m in re.finditer(rec, s):
        if negated(m):
            add(m, [(y, "max", f.max_year - 5)])
        else:
            add(m, [(y, "min", f.max_year - 5)])
    for m in re.finditer(r"\b(?:last|past) " + NUMBER + r" years\b", s):
        add(m, [(y, "min", f.max_year - int(to_number(m.group(1))))])
    for m in re.finditer(r"\bmodern\b(?! (?:warfare|day))", s):
        add(m, [(y, "min", f.max_year - 18)])
    for m in re.finditer(r"\b(?:not|nothing|none) (?:too |that |very |super )?old\b", s):
        add(m, [(y, "min", f.max_year - 28)])
    old = r"\b(?:old|older|classic|vintage|golden age|old-school|old school)\s+" + MEDIA + \
          r"\b|\bclassics\b|\boldies\b|\bolder\b"
    for m in re.finditer(old, s):
        if f.is_games and "school" in m.group(0):
            continue  # old-school games: the "retro" attribute
        if negated(m):
            add(m, [(y, "min", f.max_year - 28)])
        else:
            add(m, [(y, "max", f.old_cutoff)])


def _bound(g: str, which: str, inclusive: bool) -> int:
    """The year bound for ``before X`` (which="max") / ``after X`` (which="min").

    ``before 1980`` -> 1979, ``until 1980`` -> 1980, ``before the 90s`` -> 1989,
    ``after 2000`` -> 2001, ``since 2010`` -> 2010, ``after the 90s`` -> 2000,
    ``since the 90s`` -> 1990.
    """
    m = re.match(_DECADE, g)
    if m and not re.fullmatch(_YEAR, g):
        lo, hi = _decade_range(m.group(1), m.group(2), m.group(3))
        if which == "max":
            return hi if inclusive else lo - 1
        return lo if inclusive else hi + 1
    v = int(g)
    if inclusive:
        return v
    return v - 1 if which == "max" else v + 1


def _minutes(n: str, unit: str, half: str | None = None) -> int:
    v = to_number(n)
    if unit.startswith("h"):
        v *= 60
        if half:
            v += 30
    return round(v)


def runtime_constraints(f: CatalogFacts, s: str, add: AddFound, negated: Negated) -> None:
    """Runtime: "under two hours", "around 90 minutes", "short", "not too long"."""
    r = f.runtime_field
    patterns: list[tuple[str, str]] = [
        (r"\b(?:only )?(?:have|got|with) (?:about |around |just )?(an hour and a half|"
         r"one and a half hours?|1\.5 hours?)", "max"),
        (r"\b(?:only )?(?:have|got) (?:about |around |just )?" + NUMBER + r"\s*" + _TIME_UNIT, "max"),
        (r"\b" + AT_MOST + r"\s+(an hour and a half|one and a half hours?|1\.5 hours?)", "max"),
        (r"\b" + AT_LEAST + r"\s+(an hour and a half|one and a half hours?|1\.5 hours?)", "min"),
        (r"\b" + AT_MOST + r"\s+" + NUMBER + r"(?:\s+and a half)?\s*" + _TIME_UNIT, "max"),
        (r"\b" + AT_LEAST + r"\s+" + NUMBER + r"(?:\s+and a half)?\s*" + _TIME_UNIT, "min"),
        (r"\b(?:around|about|roughly|approximately|~)\s+" + NUMBER + r"\s*" + _TIME_UNIT, "about"),
        (r"\b" + NUMBER + r"\s*" + _TIME_UNIT + r"\s*(?:or less|or shorter|max(?:imum)?|tops|at most)",
         "max"),
        (r"\b" + NUMBER + r"\s*" + _TIME_UNIT + r"\s*(?:or more|or longer|minimum|at least|plus)",
         "min"),
    ]
    for pat, op in patterns:
        for m in re.finditer(pat, s):
            txt = m.group(0)
            if "half" in txt and ("hour and a half" in txt or "one and a half" in txt or "1.5" in txt):
                mins = 90
            else:
                n = m.group(1)
                unit = m.group(2) if m.lastindex and m.lastindex >= 2 else "min"
                if unit == "m" and not re.search(r"\d\s*m\b", txt):
                    continue
                mins = _minutes(n, unit, "and a half" if "and a half" in txt else None)
            if mins < 20 or mins > 400:
                continue
            if r is None:
                add(m, note=missing_note("length", "runtime"))
                continue
            if op == "about":
                add(m, [(r, "max", mins + 10)])
            elif negated(m):
                add(m, [(r, "min" if op == "max" else "max", mins)])
            else:
                add(m, [(r, op, mins)])
    if r is not None:
        for m in re.finditer(r"\b(?:not (?:too |that |very |super |overly )?long|nothing (?:too |"
                             r"that |very |super |overly )?long|not a long one)\b", s):
            add(m, [(r, "max", 120)])
        short = r"\b(?:short|shorter|quick|brief)(?:\s+" + MEDIA + r")?\b|\bquick watch\b"
        for m in re.finditer(short, s):
            if re.match(r"\bshort(?:er)? than\b", s[m.start():m.start() + 13]):
                continue
            if negated(m):
                continue
            add(m, [(r, "max", 100)])
        for m in re.finditer(r"\b(?:long|longer|lengthy|epic[- ]length)\s+(?:movies?|films?|ones)\b", s):
            if not negated(m):
                add(m, [(r, "min", 140)])
