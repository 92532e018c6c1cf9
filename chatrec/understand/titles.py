"""The title index: catalog titles and aliases by normalized key, curated abbreviations,
automatic acronyms, fuzzy look-up for typos, and popularity-aware disambiguation.

Keys come from :func:`chatrec.understand.text.title_key`: ``"The Matrix (1999)"``,
``"Matrix, The"`` and ``"the matrix"`` all give ``"matrix"``. Each item is indexed under
several keys, each with a *level* (lower is stronger):

0. the title and its aliases;
1. the title without edition words or an owner prefix (``"Sid Meier's Civilization V"`` ->
   ``"civilization 5"``; ``"... Skyrim Special Edition"`` -> ``"... skyrim"``), and curated
   abbreviations (``LOTR``, ``CS:GO``);
2. the part before ``:`` or `` - `` (``"Dark Souls: Prepare To Die Edition"`` -> ``"dark souls"``);
3. the part after ``:`` when it is distinctive (``"Skyrim"``, ``"The Two Towers"``);
4. automatic acronyms of popular multi-word titles, kept only when unique.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process

from chatrec.understand.lexicon import (
    COMMON,
    NOT_ACRONYMS,
    STOP,
    word_set,
)
from chatrec.understand.text import key_words, strip_year, title_key, words
from chatrec.understand.title_rank import (
    COMPANION,
    bare_title,
    clearly_more_rated,
    known_prior,
    popularity_prior,
    rating_counts,
)

if TYPE_CHECKING:
    from chatrec.catalog import Catalog
    from chatrec.types import Item

_ADDON = re.compile(
    r"\b(soundtrack|ost|dlc|season pass|pack|skins?|costumes?|bundle|upgrade|demo|dedicated server|"
    r"sdk|art ?book|wallpapers?|add-?on|booster|coins?|membership|outfits?|expansion pass|"
    r"character pack|map pack|content pack|mod tools|editor|benchmark|trailer)\b", re.IGNORECASE)
_EDITION = re.compile(
    r"\s*[-:(]?\s*\b(game of the year|goty|special|enhanced|definitive|complete|deluxe|gold|"
    r"ultimate|collector'?s|anniversary|legendary|premium|standard|digital deluxe|director'?s cut|"
    r"hd|remastered|remaster|classic|redux|reloaded|extended|platinum|royal)\b"
    r"(\s+(edition|version|collection|cut))?\)?\s*$", re.IGNORECASE)
_EDITION_TAILS = frozenset({
    "edition", "version", "collection", "cut", "goty", "hd", "remastered", "remaster", "classic",
    "redux", "reloaded", "extended", "platinum", "royal", "special", "enhanced", "definitive",
    "complete", "deluxe", "gold", "ultimate", "anniversary", "legendary", "premium", "standard"})


def _strip_edition(name: str) -> str:
    """``"Skyrim Special Edition"`` -> ``"Skyrim"`` (cheap test first: most titles have none)."""
    tail = name.rstrip(" )").rsplit(None, 1)[-1].lower() if name.strip() else ""
    if tail not in _EDITION_TAILS:
        return name
    return _EDITION.sub("", name)


_OWNER = re.compile(r"^(?:[A-Z][\w.]*\s){0,2}[A-Z][\w.]*'s\s+(?=\S+\s+\S)")
_SPLIT_SUB = re.compile(r"\s*(?::|\s-\s|\s\u2013\s)\s*")

# Curated abbreviations and franchise names: what people type -> (title, year or None).
# Entries whose title is not in the catalog are ignored, so one table serves every catalog.
CURATED: dict[str, tuple[str, int | None]] = {
    # movies
    "lotr": ("The Lord of the Rings: The Fellowship of the Ring", 2001),
    "lord of the rings": ("The Lord of the Rings: The Fellowship of the Ring", 2001),
    "fellowship of the ring": ("The Lord of the Rings: The Fellowship of the Ring", 2001),
    "two towers": ("The Lord of the Rings: The Two Towers", 2002),
    "return of the king": ("The Lord of the Rings: The Return of the King", 2003),
    "lotr 2": ("The Lord of the Rings: The Two Towers", 2002),
    "lotr 3": ("The Lord of the Rings: The Return of the King", 2003),
    "harry potter": ("Harry Potter and the Sorcerer's Stone", 2001),
    "star wars": ("Star Wars: Episode IV - A New Hope", 1977),
    "a new hope": ("Star Wars: Episode IV - A New Hope", 1977),
    "empire strikes back": ("Star Wars: Episode V - The Empire Strikes Back", 1980),
    "esb": ("Star Wars: Episode V - The Empire Strikes Back", 1980),
    "return of the jedi": ("Star Wars: Episode VI - Return of the Jedi", 1983),
    "rotj": ("Star Wars: Episode VI - Return of the Jedi", 1983),
    "phantom menace": ("Star Wars: Episode I - The Phantom Menace", 1999),
    "revenge of the sith": ("Star Wars: Episode III - Revenge of the Sith", 2005),
    "force awakens": ("Star Wars: Episode VII - The Force Awakens", 2015),
    "t2": ("Terminator 2: Judgment Day", 1991),
    "terminator 2": ("Terminator 2: Judgment Day", 1991),
    "et": ("E.T. the Extra-Terrestrial", 1982),
    "e t": ("E.T. the Extra-Terrestrial", 1982),
    "gotg": ("Guardians of the Galaxy", 2014),
    "bttf": ("Back to the Future", 1985),
    "2001": ("2001: A Space Odyssey", 1968),
    "avengers": ("The Avengers", 2012),
    "infinity war": ("Avengers: Infinity War - Part I", 2018),
    "mad max": ("Mad Max: Fury Road", 2015),
    "hp": ("Harry Potter and the Sorcerer's Stone", 2001),
    "jp": ("Jurassic Park", 1993),
    "godfather": ("The Godfather", 1972),
    "godfather 2": ("The Godfather: Part II", 1974),
    "godfather part 2": ("The Godfather: Part II", 1974),
    "indiana jones": ("Raiders of the Lost Ark (Indiana Jones and the Raiders of the Lost Ark)", 1981),
    "raiders of the lost ark": ("Raiders of the Lost Ark (Indiana Jones and the Raiders of the Lost Ark)",
                                1981),
    "pirates of the caribbean": ("Pirates of the Caribbean: The Curse of the Black Pearl", 2003),
    "potc": ("Pirates of the Caribbean: The Curse of the Black Pearl", 2003),
    "hunger games": ("The Hunger Games", 2012),
    "shawshank": ("The Shawshank Redemption", 1994),
    "2049": ("Blade Runner 2049", 2017),
    "eternal sunshine": ("Eternal Sunshine of the Spotless Mind", 2004),
    "dr strangelove": ("Dr. Strangelove or: How I Learned to Stop Worrying and Love the Bomb", 1964),
    "strangelove": ("Dr. Strangelove or: How I Learned to Stop Worrying and Love the Bomb", 1964),
    "batman begins": ("Batman Begins", 2005),
    # games
    "csgo": ("Counter-Strike: Global Offensive", None),
    "cs go": ("Counter-Strike: Global Offensive", None),
    "cs": ("Counter-Strike", None),
    "counterstrike": ("Counter-Strike", None),
    "css": ("Counter-Strike: Source", None),
    "tf2": ("Team Fortress 2", None),
    "hl": ("Half-Life", None),
    "hl2": ("Half-Life 2", None),
    "gta": ("Grand Theft Auto V", None),
    "gta 5": ("Grand Theft Auto V", None),
    "gta5": ("Grand Theft Auto V", None),
    "gtav": ("Grand Theft Auto V", None),
    "gta 4": ("Grand Theft Auto IV", None),
    "gta4": ("Grand Theft Auto IV", None),
    "gta iv": ("Grand Theft Auto IV", None),
    "gta san andreas": ("Grand Theft Auto: San Andreas", None),
    "san andreas": ("Grand Theft Auto: San Andreas", None),
    "gta vice city": ("Grand Theft Auto: Vice City", None),
    "vice city": ("Grand Theft Auto: Vice City", None),
    "gta 3": ("Grand Theft Auto III", None),
    "pubg": ("PLAYERUNKNOWN'S BATTLEGROUNDS", None),
    "battlegrounds": ("PLAYERUNKNOWN'S BATTLEGROUNDS", None),
    "skyrim": ("The Elder Scrolls V: Skyrim Special Edition", None),
    "oblivion": ("The Elder Scrolls IV: Oblivion\u00ae Game of the Year Edition", None),
    "morrowind": ("The Elder Scrolls III: Morrowind\u00ae Game of the Year Edition", None),
    "new vegas": ("Fallout: New Vegas", None),
    "fnv": ("Fallout: New Vegas", None),
    "fallout nv": ("Fallout: New Vegas", None),
    "fo4": ("Fallout 4", None),
    "fo3": ("Fallout 3: Game of the Year Edition", None),
    "fallout 3": ("Fallout 3: Game of the Year Edition", None),
    "kotor": ("STAR WARS\u2122 - Knights of the Old Republic\u2122", None),
    "kotor 2": ("STAR WARS\u2122 Knights of the Old Republic\u2122 II - The Sith Lords\u2122", None),
    "dota": ("Dota 2", None),
    "dota2": ("Dota 2", None),
    "civ": ("Sid Meier's Civilization\u00ae V", None),
    "civ 5": ("Sid Meier's Civilization\u00ae V", None),
    "civ5": ("Sid Meier's Civilization\u00ae V", None),
    "civilization": ("Sid Meier's Civilization\u00ae V", None),
    "civ 6": ("Sid Meier's Civilization\u00ae VI", None),
    "civ6": ("Sid Meier's Civilization\u00ae VI", None),
    "civ 4": ("Sid Meier's Civilization\u00ae IV", None),
    "witcher 3": ("The Witcher\u00ae 3: Wild Hunt", None),
    "the witcher 3": ("The Witcher\u00ae 3: Wild Hunt", None),
    "tw3": ("The Witcher\u00ae 3: Wild Hunt", None),
    "witcher": ("The Witcher\u00ae 3: Wild Hunt", None),
    "mgsv": ("METAL GEAR SOLID V: THE PHANTOM PAIN", None),
    "mgs5": ("METAL GEAR SOLID V: THE PHANTOM PAIN", None),
    "phantom pain": ("METAL GEAR SOLID V: THE PHANTOM PAIN", None),
    "ds3": ("DARK SOULS\u2122 III", None),
    "ds2": ("DARK SOULS\u2122 II", None),
    "dark souls 1": ("DARK SOULS\u2122: Prepare To Die\u2122 Edition", None),
    "aoe2": ("Age of Empires II HD", None),
    "aoe 2": ("Age of Empires II HD", None),
    "age of empires 2": ("Age of Empires II HD", None),
    "ck2": ("Crusader Kings II", None),
    "eu4": ("Europa Universalis IV", None),
    "hoi4": ("Hearts of Iron IV", None),
    "stardew": ("Stardew Valley", None),
    "l4d": ("Left 4 Dead", None),
    "l4d2": ("Left 4 Dead 2", None),
    "left for dead": ("Left 4 Dead", None),
    "left for dead 2": ("Left 4 Dead 2", None),
    "cod4": ("Call of Duty\u00ae 4: Modern Warfare\u00ae", None),
    "mw2": ("Call of Duty\u00ae: Modern Warfare\u00ae 2", None),
    "poe": ("Path of Exile", None),
    "r6": ("Tom Clancy's Rainbow Six\u00ae Siege", None),
    "r6s": ("Tom Clancy's Rainbow Six\u00ae Siege", None),
    "rainbow six": ("Tom Clancy's Rainbow Six\u00ae Siege", None),
    "siege": ("Tom Clancy's Rainbow Six\u00ae Siege", None),
    "gmod": ("Garry's Mod", None),
    "garrys mod": ("Garry's Mod", None),
    "tboi": ("The Binding of Isaac", None),
    "ori": ("Ori and the Blind Forest", None),
    "rocket league": ("Rocket League\u00ae", None),
    "bioshock": ("BioShock\u2122", None),
    "ffxv": ("FINAL FANTASY XV WINDOWS EDITION", None),
    "ff15": ("FINAL FANTASY XV WINDOWS EDITION", None),
    "ff7": ("FINAL FANTASY VII", None),
    "ffvii": ("FINAL FANTASY VII", None),
    "ff 7": ("FINAL FANTASY VII", None),
    "final fantasy 7": ("FINAL FANTASY VII", None),
    "payday": ("PAYDAY 2", None),
    "payday 2": ("PAYDAY 2", None),
    "borderlands": ("Borderlands 2", None),
    "mass effect": ("Mass Effect", None),
    "rimworld": ("RimWorld", None),
    "undertale": ("Undertale", None),
    "gw2": ("Guild Wars 2", None),
    "wow": ("World of Warcraft", None),
    "sts": ("Slay the Spire", None),
    "dst": ("Don't Starve Together", None),
    "dont starve": ("Don't Starve Together", None),
    "witcher 2": ("The Witcher 2: Assassins of Kings Enhanced Edition", None),
    "the witcher 2": ("The Witcher 2: Assassins of Kings Enhanced Edition", None),
    "sekiro": ("Sekiro\u2122: Shadows Die Twice", None),
    "celeste": ("Celeste", None),
    "hades": ("Hades", None),
}

# Abbreviations that only count when typed in capitals or with a cue ("I loved ET").
CURATED_NEEDS_EVIDENCE = frozenset({"et", "e t", "hp", "jp", "cs", "css", "hl", "poe", "wow", "sts", "dst",
                                    "civ", "siege", "ori", "2001", "2049", "r6",
                                    "witcher", "civilization", "battlegrounds", "oblivion", "hades",
                                    "celeste"})


# First names: a title's first word that is a first name ("Bruce Almighty") is no short name.
FIRST_NAMES = word_set("""
aaron adam alan albert alex alexander alice amanda amy andrew angela anna anne anthony arthur
barbara ben benjamin bill billy bob bobby brad brian bruce carl carol caroline charles charlie
charlotte chris christian christopher claire daniel danny dave david dennis diana donald donna
dorothy douglas dwayne eddie edward elizabeth ellen emily emma eric frank fred gary george grace
greg harry helen henry jack jackie jacob jake james jane janet jason jeff jennifer jenny jerry
jessica jim jimmy joe john johnny jonathan joseph josh julia julie justin karen kate katie keith
kelly ken kevin larry laura lee leo linda lisa louis lucy luke margaret maria mark martin mary matt
matthew max megan michael mike nancy nick nicholas nicole oliver patrick paul peter philip rachel
ralph richard rick robert robin roger ronald rose ryan sam samuel sandra sarah scott sean simon
sophie stanley stephen steve steven susan thomas tim timothy tom tommy tony victor walter wayne
william willy
""")


@dataclass
class Resolution:
    """The outcome of resolving a key: one item, or several when context can't decide."""

    item_id: str | None
    ambiguous: list[str] = field(default_factory=list)
    confidence: float = 1.0


class TitleIndex:
    """All the ways a catalog's items can be named, with fast exact and fuzzy look-up."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.items = catalog.items
        self.pop: dict[str, float] = {}
        self.addon: set[str] = set()
        self.keys: dict[str, dict[str, int]] = defaultdict(dict)  # key -> item_id -> best level
        self.comma_keys: set[str] = set()
        self.needs_evidence: set[str] = set()
        self.curated_keys: set[str] = set()
        self.max_words = 1
        self.pop = known_prior(catalog)  # how well known: popularity, else 0.9 for all
        self.rank = popularity_prior(catalog)  # among same-named items: popularity, else votes
        self.counts = rating_counts(catalog)  # votes or ratings, without a popularity role
        for it in catalog:
            if _ADDON.search(it.title) or COMPANION.search(it.title) or \
                    "Downloadable Content" in it.values("specs") or catalog.is_addon(it):
                self.addon.add(it.id)
            self._index_item(it)
        self._add_curated()
        self._add_acronyms()
        self._add_first_words()
        self.title_words: set[str] = set()
        fuzzy_keys: list[str] = []
        postings: dict[str, list[int]] = defaultdict(list)
        for k, ids in self.keys.items():
            if len(k) < 3 or min(ids.values()) > 1:
                continue
            idx = len(fuzzy_keys)
            fuzzy_keys.append(k)
            for w in k.split():
                postings[w].append(idx)
        self.title_words = set(postings)
        self.fuzzy_keys = fuzzy_keys
        self.postings = dict(postings)
        self.word_list = sorted(self.title_words)

    # --- building -----------------------------------------------------------------------
    def _add(self, key: str, item_id: str, level: int) -> None:
        if not key:
            return
        cur = self.keys[key].get(item_id)
        if cur is None or level < cur:
            self.keys[key][item_id] = level
        n = key.count(" ") + 1
        if n > self.max_words:
            self.max_words = n

    def _index_item(self, it: Item) -> None:
        names = [it.title, *it.aliases]
        for i, name in enumerate(names):
            name, _ = strip_year(name)
            k = title_key(name)
            self._add(k, it.id, 0)
            if "," in name and i == 0:
                self.comma_keys.add(k)
            if i > 0 and re.search(r",\s*(the|a|an)$", name, re.IGNORECASE):
                continue  # a MovieLens "Matrix, The" alias: same key as the title
            bare = bare_title(name)  # "The Hunger Games (The Hunger Games, #1)"
            if bare != name:
                self._add(title_key(bare), it.id, 1)
            stripped = _strip_edition(name)
            if stripped != name and stripped.strip():
                self._add(title_key(stripped), it.id, 1)
            owner = _OWNER.match(name) if "'s " in name else None
            if owner:
                rest = name[owner.end():]
                self._add(title_key(rest), it.id, 1)
                stripped_rest = _strip_edition(rest)
                if stripped_rest.strip():
                    self._add(title_key(stripped_rest), it.id, 1)
            parts = ([p for p in _SPLIT_SUB.split(name) if p.strip()]
                     if (":" in name or " - " in name or "\u2013" in name) else [name])
            if len(parts) > 2:
                for n_parts in range(2, len(parts)):  # "Avengers Infinity War"
                    self._add(title_key(" ".join(parts[:n_parts])), it.id, 1)
            if len(parts) > 1:
                base = title_key(parts[0])
                if base and len(base) >= 3 and not base.replace(" ", "").isdigit() and \
                        not (" " in base and base.split()[0] in FIRST_NAMES):
                    self._add(base, it.id, 2)
                    owner = _OWNER.match(parts[0]) if "'s " in parts[0] else None
                    if owner:
                        self._add(title_key(parts[0][owner.end():]), it.id, 2)
                sub = parts[-1] if len(parts) == 2 else " ".join(parts[1:])
                sub_clean = _strip_edition(sub).strip() or sub
                sk = title_key(sub_clean)
                sig = [w for w in sk.split() if w not in STOP]
                if len(sig) >= 2 and self.pop[it.id] >= 0.5 and it.id not in self.addon:
                    self._add(sk, it.id, 3)

    def _find(self, title: str, year: int | None) -> str | None:
        ids = self.keys.get(title_key(title), {})
        best = [i for i, lv in ids.items() if lv == 0] or list(ids)
        if year is not None:
            best = [i for i in best if self.items[i].year == year] or []
        if not best:
            return None
        return max(best, key=lambda i: self.pop.get(i, 0.0))

    def _add_curated(self) -> None:
        for alias, (title, year) in CURATED.items():
            iid = self._find(title, year)
            if iid is None:
                continue
            k = " ".join(key_words(words(alias)))
            # a curated name overrides weaker keys, and plain full titles of *other* items
            # only when it names a franchise (e.g. "lord of the rings" -> the 2001 film)
            self.keys[k] = {i: lv for i, lv in self.keys.get(k, {}).items() if i == iid}
            self.keys[k][iid] = 0
            self.curated_keys.add(k)
            if alias in CURATED_NEEDS_EVIDENCE:
                self.needs_evidence.add(k)

    def _add_acronyms(self) -> None:
        acr: dict[str, set[str]] = defaultdict(set)
        for it in self.catalog:
            if self.pop[it.id] < 0.5 or it.id in self.addon:
                continue
            name, _ = strip_year(it.title)
            for variant in {name, _SPLIT_SUB.split(name)[0]}:
                ws = key_words(words(variant))
                if len(ws) < 3:
                    continue
                a = "".join(w if w.isdigit() else w[0] for w in ws)
                if len(a) >= 3:
                    acr[a].add(it.id)
        for a, ids in acr.items():
            if len(ids) != 1 or a in COMMON or a in NOT_ACRONYMS or a in self.keys:
                continue
            iid = next(iter(ids))
            if self.pop[iid] >= 0.9:
                self.keys[a][iid] = 4
                self.needs_evidence.add(a)

    def _add_first_words(self) -> None:
        """"Kerbal" for "Kerbal Space Program": a distinctive first word of one popular title.

        Kept only when no other known item starts with that word; it needs capitals or a cue.
        """
        firsts: dict[str, set[str]] = defaultdict(set)
        for k, ids in self.keys.items():
            ws = k.split()
            if len(ws) < 2:
                continue
            for i, lv in ids.items():
                if lv <= 1 and self.pop.get(i, 0.0) >= 0.5 and i not in self.addon:
                    firsts[ws[0]].add(i)
        for w, owners in firsts.items():
            if len(owners) != 1 or len(w) < 5 or w in COMMON or w in STOP or w.isdigit() or w in self.keys \
                    or w in FIRST_NAMES:
                continue
            iid = next(iter(owners))
            if self.pop[iid] >= 0.9:
                self.keys[w][iid] = 3
                self.needs_evidence.add(w)

    # --- look-up ------------------------------------------------------------------------
    def lookup(self, key: str) -> dict[str, int]:
        """Item id -> level for an exact key (empty when unknown)."""
        return self.keys.get(key, {})

    def label(self, item_id: str) -> str:
        it = self.items[item_id]
        return it.display_title

    def resolve(self, ids: dict[str, int] | list[str], year: int | None = None,
                context: set[str] | frozenset[str] = frozenset(), typed: str = "",
                era: str = "") -> Resolution:
        """Pick one item among same-named candidates.

        Order: the strongest key level; a matching year; an item the user already talked
        about (``context``); not an add-on (soundtrack, DLC); then popularity, which must lead
        by >= 0.1, or the most rated when it is clearly so, or the answer is ambiguous.
        """
        if isinstance(ids, list):
            ids = {i: 0 for i in ids}
        if not ids:
            return Resolution(None)
        best_level = min(ids.values())
        cands = [i for i, lv in ids.items() if lv == best_level]
        conf = (1.0, 0.95, 0.9, 0.85, 0.8)[min(best_level, 4)]
        if year is not None:
            by_year = [i for i in cands if self.items[i].year == year]
            if not by_year:
                by_year = [i for i, _ in ids.items() if self.items[i].year == year]
            if by_year:
                cands = by_year
        if len(cands) > 1:
            ctx = [i for i in cands if i in context]
            if len(ctx) == 1:
                return Resolution(ctx[0], confidence=conf)
            main = [i for i in cands if i not in self.addon]
            if main:
                cands = main
        if len(cands) > 1 and era in ("new", "old"):
            dated = [i for i in cands if self.items[i].year]
            if dated:
                pick = (max if era == "new" else min)(dated, key=lambda i: self.items[i].year or 0)
                return Resolution(pick, confidence=conf * 0.9)
        if len(cands) > 1 and typed:
            same = [i for i in cands if " ".join(words(strip_year(self.items[i].title)[0])) == typed]
            if len(same) == 1:
                return Resolution(same[0], confidence=conf * 0.95)
        if len(cands) == 1:
            return Resolution(cands[0], confidence=conf)
        ranked = sorted(cands, key=lambda i: -self.rank.get(i, 0.0))
        top, second = ranked[0], ranked[1]
        if self.rank.get(top, 0.0) - self.rank.get(second, 0.0) >= 0.1 or \
                clearly_more_rated(self.counts, top, second):
            return Resolution(top, confidence=conf * 0.95)
        close = [i for i in ranked if self.rank.get(top, 0.0) - self.rank.get(i, 0.0) < 0.1]
        return Resolution(None, ambiguous=close[:4], confidence=conf * 0.5)

    def candidates_for(self, word: str, exact_only: bool = False) -> set[int]:
        """Indexes into :attr:`fuzzy_keys` of keys holding ``word`` or (unless ``exact_only``) a
        word within edit distance of it. Very common words (> 3000 keys) give nothing."""
        out: set[int] = set()
        post = self.postings.get(word)
        if post is not None and len(post) <= 3000:
            out.update(post)
        if exact_only or len(word) < 3:
            return out
        for sim, _score, _ in process.extract(word, self.word_list, scorer=fuzz.ratio,
                                              score_cutoff=78, limit=8):
            p = self.postings.get(sim)
            if p is not None and len(p) <= 3000:
                out.update(p)
        return out
