"""The novelty knob in words: "hidden gems" turns it up, "something popular" turns it down."""

from __future__ import annotations

import re

LESSER_KNOWN = 0.8  # the knob's value when the user asks for lesser-known picks

_NOT = r"(?:not|nothing|no)\s+(?:too\s+|so\s+|very\s+|that\s+)?"
_UP = re.compile(
    r"\b(?:hidden\s+gems?|lesser[\s-]+known|less[\s-]+known|little[\s-]+known|under[\s-]?rated|"
    r"under\s+the\s+radar|obscure|off\s+the\s+beaten\s+(?:path|track)|deep\s+cuts?|"
    r"less\s+popular|not\s+(?:so\s+|too\s+|very\s+)?(?:popular|mainstream|well[\s-]+known)|"
    r"nothing\s+(?:too\s+|so\s+)?(?:mainstream|popular)|"
    r"(?:i|we)\s+(?:probably\s+)?(?:haven'?t|have\s+not|never)\s+heard\s+of)\b")
_DOWN = re.compile(
    r"\b(?:(?:something|anything|some|more)\s+(?:more\s+)?(?:popular|mainstream|well[\s-]+known)|"
    r"mainstream|blockbusters?|crowd[\s-]+pleasers?|big\s+hits?|"
    r"(?:popular|well[\s-]+known)\s+(?:ones?|stuff|picks?|titles?))\b")


def novelty_of(low: str) -> float | None:
    """The knob a message sets (``low``: the lower-cased message), or None if it says nothing."""
    if _UP.search(low):
        return LESSER_KNOWN
    m = _DOWN.search(low)
    if m and not re.search(_NOT + r"$", low[: m.start()]):
        return 0.0
    return None
