"""Hard constraints from plain words: years and decades, runtime, price, rating, early access.

Every rule below only fires for a field the catalog declares; asking for a field the catalog
lacks gives a note instead ("This catalog has no runtime data, so I can't filter by length.").

Documented rules (``max_year`` is the catalog's latest year with at least 0.1% of the items,
2018 for both shipped catalogs; ``old_cutoff`` is the year before the decade holding the
catalog's 20th-percentile year: 1979 for movies, 2009 for games):

* ``90s`` / ``the 1990s`` / ``nineties`` -> year 1990..1999; ``early 90s`` 1990..1994,
  ``mid 90s`` 1993..1997, ``late 90s`` 1995..1999; several decades -> their union.
* ``before 1980`` -> year max 1979; ``after 2000`` -> min 2001; ``since 2010`` / ``2010 or
  later`` / ``2010+`` -> min 2010; ``between 1990 and 2005`` -> 1990..2005; ``from 1999`` ->
  1999..1999. A negation flips a bound: ``nothing before 1980`` -> min 1980.
* ``recent`` / ``new releases`` / ``latest`` -> min ``max_year - 5``; ``last 10 years`` ->
  min ``max_year - 10``; ``modern`` -> min ``max_year - 18``.
* ``older`` / ``old movies`` / ``classics`` -> max ``old_cutoff``; ``not too old`` -> min
  ``max_year - 28``.
* runtime: ``under two hours`` -> max 120; ``over 2 hours`` -> min 120; ``around 90 minutes``
  -> max 100; ``short`` / ``quick`` (movies) -> max 100; ``not too long`` -> max 120.
* price: ``under $10`` -> max 10; ``free`` / ``free to play`` -> max 0; ``cheap`` -> max 5;
  ``affordable`` / ``not too expensive`` -> max 10.
* rating: ``well rated`` / ``highly rated`` / ``good reviews`` -> min 3.8 on a 0-5 average
  (movies ``avg_rating``) and 4.0 on Steam-derived ratings (games ``rating``); ``at least 4
  stars`` -> min 4; ``8/10`` -> 4 on a /5 scale.
* ``no early access`` / ``finished games only`` -> ``early_access eq False``.
* lifting: ``any year`` / ``forget the year limit`` -> drop ``year``; ``older films are fine`` ->
  drop ``year:min``; ``any length`` -> drop runtime; ``price doesn't matter`` -> drop price.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from chatrec.profile import Constraint, Op

if TYPE_CHECKING:
    from chatrec.catalog import Catalog

_NUM_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
              "eight": 8, "nine": 9, "ten": 10, "fifteen": 15, "twenty": 20, "thirty": 30,
              "forty": 40, "forty-five": 45, "fifty": 50, "sixty": 60, "ninety": 90, "a": 1,
              "an": 1, "a couple": 2, "couple": 2, "a few": 3, "few": 3}
_DECADE_WORDS = {"twenties": 1920, "thirties": 1930, "forties": 1940, "fifties": 1950,
                 "sixties": 1960, "seventies": 1970, "eighties": 1980, "nineties": 1990}
_RATING_DEFAULT = {"avg_rating": 3.8, "rating": 4.0}


def _num(s: str) -> float:
    s = s.strip().lower()
    if s in _NUM_WORDS:
        return float(_NUM_WORDS[s])
    return float(s)


@dataclass
class CatalogFacts:
    """What the constraint rules need to know about a catalog."""

    year_field: str | None = None
    runtime_field: str | None = None
    price_field: str | None = None
    rating_field: str | None = None
    rating_scale: float = 5.0
    rating_default: float = 3.8
    early_access_field: str | None = None
    max_year: int = 2018
    old_cutoff: int = 1979
    is_games: bool = False

    @classmethod
    def from_catalog(cls, catalog: Catalog) -> CatalogFacts:
        man = catalog.manifest
        fields = man.fields
        f = cls(is_games=man.noun == "game" or man.name == "games")
        for name, spec in fields.items():
            if spec.role == "year" or (name == "year" and f.year_field is None):
                f.year_field = name
            if spec.role == "price" or (name == "price" and f.price_field is None):
                f.price_field = name
            if name in ("runtime", "duration", "length") or spec.unit == "min":
                f.runtime_field = f.runtime_field or name
            if name == "early_access" and spec.type == "bool":
                f.early_access_field = name
        f.rating_field = man.rating_field
        if f.rating_field:
            unit = fields[f.rating_field].unit or "/5"
            m = re.match(r"/(\d+)", unit)
            f.rating_scale = float(m.group(1)) if m else 5.0
            f.rating_default = _RATING_DEFAULT.get(f.rating_field, 0.76 * f.rating_scale)
        if f.year_field:
            years = Counter(y for it in catalog if isinstance(y := it.meta.get(f.year_field), int)
                            and not isinstance(y, bool))
            if years:
                total = sum(years.values())
                floor = max(3, int(total * 0.001))
                f.max_year = max((y for y, n in years.items() if n >= floor), default=max(years))
                acc = 0
                p20 = min(years)
                for y in sorted(years):
                    acc += years[y]
                    if acc >= 0.2 * total:
                        p20 = y
                        break
                f.old_cutoff = (p20 // 10) * 10 - 1
        return f


@dataclass
class Found:
    """Constraints, lifted fields and notes from one phrase at chars ``[start, end)``."""

    start: int
    end: int
    text: str
    constraints: list[tuple[str, Op, object]] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # "year" or "year:min"
    note: str = ""


_NEG_BEFORE = re.compile(r"\b(no|nothing|not|none|never|don'?t want( anything)?|nothing that'?s)\s+"
                         r"(\w+\s+){0,2}$")
_NUMBER = r"(\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|fifteen|twenty|thirty|" \
          r"forty|forty-five|fifty|sixty|ninety|an|a)"
_YEAR = r"((?:19|20)\d\d)"
_DECADE = (r"(?:the\s+)?(?:(early|mid|late)[\s-]*)?(?:'|(19|20))?(\d)0'?s\b")
_DECADE_WORD = r"(?:the\s+)?(?:(early|mid|late)[\s-]*)?(twenties|thirties|forties|fifties|sixties|" \
               r"seventies|eighties|nineties)\b"
_MEDIA = r"(?:movies?|films?|flicks?|games?|ones|stuff|titles|pictures|releases)"

_LE = r"(?:under|less than|shorter than|no longer than|not longer than|below|at most|max(?:imum)?|" \
      r"within|up to|<=?|no more than|not more than|tops)"
_GE = r"(?:over|more than|longer than|at least|min(?:imum)?|>=?|above|no less than|no shorter than)"
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


class ConstraintExtractor:
    """Regex rules over the lower-cased message; see the module docstring for the rules."""

    def __init__(self, facts: CatalogFacts) -> None:
        self.f = facts

    # --- helpers ------------------------------------------------------------------------
    def _note_missing(self, what: str, label: str) -> str:
        return f"This catalog has no {label} data, so I can't filter by {what}."

    def find(self, s: str) -> list[Found]:
        """All constraint phrases in ``s`` (lower-case, same length as the message)."""
        out: list[Found] = []
        taken: list[tuple[int, int]] = []

        def add(m: re.Match[str], cons: list[tuple[str, Op, object]] | None = None,
                dropped: list[str] | None = None, note: str = "", group: int = 0) -> None:
            a, b = m.span(group)
            if any(a < y and x < b for x, y in taken):
                return
            taken.append((a, b))
            out.append(Found(a, b, s[a:b], list(cons or []), list(dropped or []), note))

        def negated(m: re.Match[str]) -> bool:
            return bool(_NEG_BEFORE.search(s[max(0, m.start() - 30):m.start()]))

        self._lifts(s, add)
        self._years(s, add, negated)
        self._runtime(s, add, negated)
        self._price(s, add, negated)
        self._rating(s, add)
        self._early_access(s, add)
        out.sort(key=lambda x: x.start)
        return out

    # --- lifting ------------------------------------------------------------------------
    def _lifts(self, s: str, add: _Add) -> None:
        f = self.f
        dont_care = r"(?:doesn'?t matter|does not matter|don'?t matter|do not matter|is no (?:issue|object|" \
                    r"problem)|isn'?t an issue|aren'?t important|" \
                    r"is fine|are fine|is ok(?:ay)?|are ok(?:ay)?|is not important|isn'?t important|" \
                    r"don'?t care)"
        rules: list[tuple[str, str | None, list[str]]] = [
            (r"\b(?:any|whatever) (?:year|decade|era|release date|age)s?\b", f.year_field, ["year"]),
            (r"\b(?:forget|drop|remove|lose|ignore|scrap|never ?mind|no need for|get rid of|lift|"
             r"clear)(?: about)? (?:the |that |my )?(?:year|date|decade|era|release|age|old|new|"
             r"recent)\w*(?: (?:limit|filter|constraint|restriction|requirement|thing|range|cap))?",
             f.year_field, ["year"]),
            (r"\b(?:the )?(?:year|release date|decade|era|how old (?:it is|they are))\s+" + dont_care,
             f.year_field, ["year"]),
            (r"\b(?:don'?t|do not) care (?:about |what |how |when )(?:the )?(?:year|decade|era|old|"
             r"release date|it came out|they came out|it was made|it'?s from)", f.year_field, ["year"]),
            (r"\bold or new\b|\bnew or old\b", f.year_field, ["year"]),
            (r"\b(?:older|old|classic|black and white|earlier)(?: \w+)? (?:ones |stuff |movies |films |"
             r"games )?(?:are|is) (?:fine|ok(?:ay)?|good|great|welcome)(?: too| as well)?\b|"
             r"\bdon'?t mind (?:older|old|classic)\b", f.year_field, ["year:min"]),
            (r"\b(?:newer|new|recent|modern)(?: \w+)? (?:ones |stuff |movies |films |games )?(?:are|is) "
             r"(?:fine|ok(?:ay)?|good|welcome)(?: too| as well)?\b", f.year_field, ["year:max"]),
            (r"\bany (?:length|runtime|duration)\b|\b(?:length|runtime|duration|how long (?:it is|they "
             r"are))\s+" + dont_care + r"|\b(?:forget|drop|remove|ignore)(?: about)? (?:the )?"
             r"(?:length|runtime|duration)\w*(?: (?:limit|filter|thing))?|\blong(?:er)? (?:ones |"
             r"movies |films )?(?:are|is) (?:fine|ok(?:ay)?)\b", f.runtime_field, ["runtime"]),
            (r"\bany price\b|\b(?:price|cost|budget|money)\s+" + dont_care +
             r"|\b(?:forget|drop|remove|ignore)(?: about)? (?:the )?(?:price|budget|cost)\w*(?: (?:limit|"
             r"filter|cap|thing))?|\bmoney is no object\b|\bdon'?t care (?:about|what) (?:the )?"
             r"(?:price|cost|it costs)|\bexpensive (?:ones |games )?(?:are|is) (?:fine|ok(?:ay)?)\b|"
             r"\b(?:doesn'?t|don'?t|does not|do not) (?:have|need) to be (?:free|cheap)\b",
             f.price_field, ["price"]),
            (r"\b(?:any rating|(?:rating|ratings|reviews|score)\s+" + dont_care +
             r"|(?:forget|drop|ignore) (?:the )?(?:rating|ratings|reviews|score)\w*(?: (?:limit|filter|"
             r"thing))?|don'?t care about (?:the )?(?:rating|ratings|reviews))",
             f.rating_field, ["rating"]),
            (r"\bearly access (?:is|games are|ones are|stuff is) (?:fine|ok(?:ay)?|good)\b|"
             r"\bdon'?t mind early access\b", f.early_access_field, ["early_access"]),
        ]
        for pat, fld, drops in rules:
            for m in re.finditer(pat, s):
                if fld is None:
                    continue
                dropped = [d.replace("year", fld, 1) if d.startswith("year") else
                           (d if d != "rating" else fld) for d in drops]
                add(m, dropped=dropped)

    # --- years --------------------------------------------------------------------------
    def _years(self, s: str, add: _Add, negated: _Neg) -> None:
        f = self.f
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
            val = self._bound(m.group("v"), "max", inclusive)
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
            val = self._bound(m.group("v"), "min", inclusive)
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
        for m in re.finditer(r"\b(?:last|past) " + _NUMBER + r" years\b", s):
            add(m, [(y, "min", f.max_year - int(_num(m.group(1))))])
        for m in re.finditer(r"\bmodern\b(?! (?:warfare|day))", s):
            add(m, [(y, "min", f.max_year - 18)])
        for m in re.finditer(r"\b(?:not|nothing|none) (?:too |that |very |super )?old\b", s):
            add(m, [(y, "min", f.max_year - 28)])
        old = r"\b(?:old|older|classic|vintage|golden age|old-school|old school)\s+" + _MEDIA + \
              r"\b|\bclassics\b|\boldies\b|\bolder\b"
        for m in re.finditer(old, s):
            if f.is_games and "school" in m.group(0):
                continue  # old-school games: the "retro" attribute
            if negated(m):
                add(m, [(y, "min", f.max_year - 28)])
            else:
                add(m, [(y, "max", f.old_cutoff)])

    def _bound(self, g: str, which: str, inclusive: bool) -> int:
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

    # --- runtime ------------------------------------------------------------------------
    def _minutes(self, n: str, unit: str, half: str | None = None) -> int:
        v = _num(n)
        if unit.startswith("h"):
            v *= 60
            if half:
                v += 30
        return round(v)

    def _runtime(self, s: str, add: _Add, negated: _Neg) -> None:
        f = self.f
        r = f.runtime_field
        patterns: list[tuple[str, str]] = [
            (r"\b(?:only )?(?:have|got|with) (?:about |around |just )?(an hour and a half|"
             r"one and a half hours?|1\.5 hours?)", "max"),
            (r"\b(?:only )?(?:have|got) (?:about |around |just )?" + _NUMBER + r"\s*" + _TIME_UNIT, "max"),
            (r"\b" + _LE + r"\s+(an hour and a half|one and a half hours?|1\.5 hours?)", "max"),
            (r"\b" + _GE + r"\s+(an hour and a half|one and a half hours?|1\.5 hours?)", "min"),
            (r"\b" + _LE + r"\s+" + _NUMBER + r"(?:\s+and a half)?\s*" + _TIME_UNIT, "max"),
            (r"\b" + _GE + r"\s+" + _NUMBER + r"(?:\s+and a half)?\s*" + _TIME_UNIT, "min"),
            (r"\b(?:around|about|roughly|approximately|~)\s+" + _NUMBER + r"\s*" + _TIME_UNIT, "about"),
            (r"\b" + _NUMBER + r"\s*" + _TIME_UNIT + r"\s*(?:or less|or shorter|max(?:imum)?|tops|at most)",
             "max"),
            (r"\b" + _NUMBER + r"\s*" + _TIME_UNIT + r"\s*(?:or more|or longer|minimum|at least|plus)",
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
                    mins = self._minutes(n, unit, "and a half" if "and a half" in txt else None)
                if mins < 20 or mins > 400:
                    continue
                if r is None:
                    add(m, note=self._note_missing("length", "runtime"))
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
            short = r"\b(?:short|shorter|quick|brief)(?:\s+" + _MEDIA + r")?\b|\bquick watch\b"
            for m in re.finditer(short, s):
                if re.match(r"\bshort(?:er)? than\b", s[m.start():m.start() + 13]):
                    continue
                if negated(m):
                    continue
                add(m, [(r, "max", 100)])
            for m in re.finditer(r"\b(?:long|longer|lengthy|epic[- ]length)\s+(?:movies?|films?|ones)\b", s):
                if not negated(m):
                    add(m, [(r, "min", 140)])

    # --- price --------------------------------------------------------------------------
    def _price(self, s: str, add: _Add, negated: _Neg) -> None:
        f = self.f
        p = f.price_field
        money = r"(?:\$\s*(\d+(?:\.\d+)?)|(\d+(?:\.\d+)?|five|ten|fifteen|twenty|thirty|forty|fifty|sixty)" \
                r"\s*(?:\$|dollars?|bucks|usd|euros?|quid|pounds))"
        pats: list[tuple[str, str]] = [
            (r"\b" + _LE + r"\s+" + money, "max"),
            (r"(?:\bcheaper than|\bfor less than|\bfor under|\bsub)\s*" + money, "max"),
            (r"\b" + _GE + r"\s+" + money, "min"),
            (money + r"\s*(?:or less|or under|or cheaper|max(?:imum)?|tops|at most|budget|limit)", "max"),
            (r"\b(?:budget|limit|spend|spending)\s+(?:of|is|around|about)?\s*" + money, "max"),
        ]
        for pat, op in pats:
            for m in re.finditer(pat, s):
                vals = [g for g in m.groups() if g]
                if not vals:
                    continue
                v = _num(vals[0])
                if p is None:
                    add(m, note=self._note_missing("price", "price"))
                    continue
                if negated(m):
                    op2: Op = "min" if op == "max" else "max"
                    add(m, [(p, op2, v)])
                else:
                    add(m, [(p, "max" if op == "max" else "min", v)])
        free = r"\b(?:free[- ]to[- ]play|f2p|free(?! (?:time|will|from|of|form|roam\w*|speech|spirit|" \
               r"fall|style|ride|world))|costs? nothing|no cost|for nothing|without paying|" \
               r"not (?:want|willing) to pay)\b"
        for m in re.finditer(free, s):
            before = s[max(0, m.start() - 12):m.start()]
            if re.search(r"(feel|stress|hands|sugar|gluten|cruelty|ad|bug|gore|violence)[- ]$", before):
                continue
            after = s[m.end():m.end() + 14]
            if re.match(r"[- ]?(?:roam|form|fall|time|will|dlc|weekend|demo|update|trial)", after):
                continue
            if p is None:
                continue
            if negated(m) or re.search(r"\b(?:doesn'?t|don'?t|does not|do not) (?:have|need) to be $",
                                       s[max(0, m.start() - 30):m.start()]):
                continue
            add(m, [(p, "max", 0.0)])
        for m in re.finditer(r"\b(?:cheap|cheaper|inexpensive|budget|low[- ]cost|low price|bargain|"
                             r"not much money|on a budget)\b(?! than)", s):
            if p is None:
                continue
            if negated(m):
                continue
            add(m, [(p, "max", 5.0)])
        for m in re.finditer(r"\b(?:affordable|reasonably priced|not (?:too |that |very |super )?"
                             r"(?:expensive|pricey)|nothing (?:too |that |very )?(?:expensive|pricey))\b", s):
            if p is not None:
                add(m, [(p, "max", 10.0)])

    # --- rating -------------------------------------------------------------------------
    def _rating(self, s: str, add: _Add) -> None:
        f = self.f
        r = f.rating_field
        if r is None:
            return
        if f.is_games:
            for m in re.finditer(r"\boverwhelmingly positive\b", s):
                add(m, [(r, "min", 4.8)])
            for m in re.finditer(r"\bvery positive\b", s):
                add(m, [(r, "min", 4.4)])
            for m in re.finditer(r"\bmostly positive\b", s):
                add(m, [(r, "min", 3.7)])
        well = r"\b(?:well[- ]rated|highly[- ]rated|high[- ]rated|top[- ]rated|best[- ]rated|" \
               r"well[- ]reviewed|highly[- ]reviewed|critically[- ]acclaimed|acclaimed|" \
               r"rated (?:well|highly)|" \
               r"reviewed well|(?:good|great|high|positive|strong|excellent|solid) (?:reviews|ratings|" \
               r"rating|scores?|user reviews)|rave reviews|must be good|well liked|well-liked)\b"
        for m in re.finditer(well, s):
            add(m, [(r, "min", f.rating_default)])
        scale = f.rating_scale
        for m in re.finditer(r"\b(?:at least|min(?:imum)?|above|over|more than|rated|rating(?: of)?(?: at "
                             r"least)?)\s*(\d(?:\.\d)?)\s*(?:\+\s*)?(?:stars?|/ ?5|out of 5|"
                             r"or (?:more|higher|better|above))", s):
            add(m, [(r, "min", float(m.group(1)) * scale / 5.0)])
        for m in re.finditer(r"\b(\d(?:\.\d)?)\s*\+?\s*stars?(?: or (?:more|higher|better|above)|\+| and up)",
                             s):
            add(m, [(r, "min", float(m.group(1)) * scale / 5.0)])
        for m in re.finditer(r"\b(\d(?:\.\d)?)\s*(?:/|out of)\s*10\b", s):
            add(m, [(r, "min", round(float(m.group(1)) * scale / 10.0, 2))])

    # --- early access -------------------------------------------------------------------
    def _early_access(self, s: str, add: _Add) -> None:
        ea = self.f.early_access_field
        neg = r"\b(?:nothing|none|not|no|without|avoid)\b(?:(?!\bbut\b)[^.,;!?]){1,30}?" \
              r"\bin early[- ]access\b|" \
              r"\b(?:no|not|without|avoid|avoiding|skip|nothing (?:in|from)|hate|don'?t want|don'?t like|" \
              r"exclude|excluding|not in|aren'?t in|isn'?t in|no more|none of the|out of|anything but|" \
              r"sick of|tired of|not a fan of)\s+(?:any\s+|the\s+)?(?:games?\s+(?:in|from)\s+)?" \
              r"early[- ]access\b|\bearly[- ]access (?:games? )?(?:is|are) (?:a no|not ok|out|bad)\b"
        fin = r"\b(?:finished (?:games|ones|titles|products)|fully released|full releases?|" \
              r"complete(?:d)? games|released games|full games|out of early access|only finished)\b"
        only = r"\bearly[- ]access only\b|\bonly early[- ]access\b"
        if ea is None:
            return
        for m in re.finditer(neg, s):
            add(m, [(ea, "eq", False)])
        for m in re.finditer(fin, s):
            add(m, [(ea, "eq", False)])
        for m in re.finditer(only, s):
            add(m, [(ea, "eq", True)])


if TYPE_CHECKING:
    from collections.abc import Callable

    _Add = Callable[..., None]
    _Neg = Callable[[re.Match[str]], bool]


def to_constraints(found: list[Found], turn: int) -> list[Constraint]:
    """Profile constraints from extractor output (later phrases override earlier ones)."""
    out: dict[str, Constraint] = {}
    for fd in found:
        for fld, op, val in fd.constraints:
            c = Constraint(field=fld, op=op, value=val, turn=turn, text=fd.text.strip())
            out[c.key] = c
    return list(out.values())
