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

The year and runtime rules live in :mod:`chatrec.understand.time_constraints`, the facts they
read in :mod:`chatrec.understand.catalog_facts`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from chatrec.profile import Constraint, Op
from chatrec.understand.catalog_facts import CatalogFacts
from chatrec.understand.constraint_patterns import (
    AT_LEAST,
    AT_MOST,
    AddFound,
    Negated,
    missing_note,
    to_number,
)
from chatrec.understand.time_constraints import runtime_constraints, year_constraints


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


class ConstraintExtractor:
    """Regex rules over the lower-cased message; see the module docstring for the rules."""

    def __init__(self, facts: CatalogFacts) -> None:
        self.f = facts

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
        year_constraints(self.f, s, add, negated)
        runtime_constraints(self.f, s, add, negated)
        self._price(s, add, negated)
        self._rating(s, add)
        self._early_access(s, add)
        out.sort(key=lambda x: x.start)
        return out

    # --- lifting ------------------------------------------------------------------------
    def _lifts(self, s: str, add: AddFound) -> None:
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

    # --- price --------------------------------------------------------------------------
    def _price(self, s: str, add: AddFound, negated: Negated) -> None:
        f = self.f
        p = f.price_field
        money = r"(?:\$\s*(\d+(?:\.\d+)?)|(\d+(?:\.\d+)?|five|ten|fifteen|twenty|thirty|forty|fifty|sixty)" \
                r"\s*(?:\$|dollars?|bucks|usd|euros?|quid|pounds))"
        pats: list[tuple[str, str]] = [
            (r"\b" + AT_MOST + r"\s+" + money, "max"),
            (r"(?:\bcheaper than|\bfor less than|\bfor under|\bsub)\s*" + money, "max"),
            (r"\b" + AT_LEAST + r"\s+" + money, "min"),
            (money + r"\s*(?:or less|or under|or cheaper|max(?:imum)?|tops|at most|budget|limit)", "max"),
            (r"\b(?:budget|limit|spend|spending)\s+(?:of|is|around|about)?\s*" + money, "max"),
        ]
        for pat, op in pats:
            for m in re.finditer(pat, s):
                vals = [g for g in m.groups() if g]
                if not vals:
                    continue
                v = to_number(vals[0])
                if p is None:
                    add(m, note=missing_note("price", "price"))
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
    def _rating(self, s: str, add: AddFound) -> None:
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
    def _early_access(self, s: str, add: AddFound) -> None:
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


def to_constraints(found: list[Found], turn: int) -> list[Constraint]:
    """Profile constraints from extractor output (later phrases override earlier ones)."""
    out: dict[str, Constraint] = {}
    for fd in found:
        for fld, op, val in fd.constraints:
            c = Constraint(field=fld, op=op, value=val, turn=turn, text=fd.text.strip())
            out[c.key] = c
    return list(out.values())
