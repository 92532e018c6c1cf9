"""Pieces the constraint rules share: number words, regex fragments for amounts and bounds,
the note for a field the catalog lacks, and the types of the callbacks rules report through."""

from __future__ import annotations

import re
from collections.abc import Callable

_NUM_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
              "eight": 8, "nine": 9, "ten": 10, "fifteen": 15, "twenty": 20, "thirty": 30,
              "forty": 40, "forty-five": 45, "fifty": 50, "sixty": 60, "ninety": 90, "a": 1,
              "an": 1, "a couple": 2, "couple": 2, "a few": 3, "few": 3}

NUMBER = r"(\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|fifteen|twenty|thirty|" \
         r"forty|forty-five|fifty|sixty|ninety|an|a)"
MEDIA = r"(?:movies?|films?|flicks?|games?|ones|stuff|titles|pictures|releases)"
AT_MOST = r"(?:under|less than|shorter than|no longer than|not longer than|below|at most|max(?:imum)?|" \
          r"within|up to|<=?|no more than|not more than|tops)"
AT_LEAST = r"(?:over|more than|longer than|at least|min(?:imum)?|>=?|above|no less than|no shorter than)"

# ``add(match, constraints=None, dropped=None, note="", group=0)`` records one phrase
AddFound = Callable[..., None]
# ``negated(match)``: a negation ("no", "nothing", "don't want") comes just before the match
Negated = Callable[[re.Match[str]], bool]


def to_number(s: str) -> float:
    s = s.strip().lower()
    if s in _NUM_WORDS:
        return float(_NUM_WORDS[s])
    return float(s)


def missing_note(what: str, label: str) -> str:
    return f"This catalog has no {label} data, so I can't filter by {what}."
