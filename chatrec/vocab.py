"""Normalising attribute words so that what users say and what catalogs store meet.

``normalize_term("Sci-Fi") == normalize_term("science fiction") == "science fiction"``.
"""

from __future__ import annotations

import functools
import re
import unicodedata

# Spellings that mean the same attribute. Keys and values are already lower-case.
SYNONYMS: dict[str, str] = {
    "sci-fi": "science fiction",
    "scifi": "science fiction",
    "sci fi": "science fiction",
    "sf": "science fiction",
    "romcom": "romantic comedy",
    "rom-com": "romantic comedy",
    "rom com": "romantic comedy",
    "children": "family",
    "kids": "family",
    "childrens": "family",
    "animated": "animation",
    "cartoon": "animation",
    "cartoons": "animation",
    "docs": "documentary",
    "documentaries": "documentary",
    "musicals": "musical",
    "westerns": "western",
    "thrillers": "thriller",
    "comedies": "comedy",
    "dramas": "drama",
    "romances": "romance",
    "romantic": "romance",
    "horrors": "horror",
    "scary": "horror",
    "war movies": "war",
    "film noir": "film-noir",
    "noir": "film-noir",
    "coop": "co-op",
    "co op": "co-op",
    "cooperative": "co-op",
    "singleplayer": "single-player",
    "single player": "single-player",
    "multiplayer": "multi-player",
    "multi player": "multi-player",
    "rogue-like": "roguelike",
    "rogue like": "roguelike",
    "rogue-lite": "rogue-lite",
    "roguelite": "rogue-lite",
    "f2p": "free to play",
    "free-to-play": "free to play",
    "fps": "fps",
    "first person shooter": "fps",
    "first-person shooter": "fps",
    "rpg": "rpg",
    "role playing": "rpg",
    "role-playing": "rpg",
    "role playing game": "rpg",
    "jrpg": "jrpg",
    "mmo": "mmorpg",
    "puzzles": "puzzle",
    "platformers": "platformer",
    "shooters": "shooter",
    "zombies": "zombies",
    "zombie": "zombies",
    "vampires": "vampire",
    "robots": "robot",
    "aliens": "alien",
    "superheroes": "superhero",
    "super hero": "superhero",
    "time-travel": "time travel",
    "dystopian": "dystopia",
    "post apocalyptic": "post-apocalyptic",
    "postapocalyptic": "post-apocalyptic",
}

_SPACE = re.compile(r"\s+")


@functools.lru_cache(maxsize=1 << 16)
def normalize_term(term: str) -> str:
    """Lower-case, accent-free, single-spaced, with known synonyms folded together (remembered:
    a turn normalizes the same catalog terms many times)."""
    t = unicodedata.normalize("NFKD", term)
    t = "".join(c for c in t if not unicodedata.combining(c)).lower().strip()
    t = _SPACE.sub(" ", t.replace("_", " "))
    t = t.strip(" .,;:!?\"'")
    return SYNONYMS.get(t, t)
