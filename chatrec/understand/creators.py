"""Who made it: "by Agatha Christie", "not by Suzanne Collins", "anything by the director of
Alien", "same developer as Portal", in any catalog whose manifest gives a field the ``creator``
role (:meth:`chatrec.catalog.Catalog.role_field`).

* "by X" / "from X" / "made by X" -> a ``has`` constraint on the creator field: only X's items
  (a strong preference the user asked for; it is lifted like any constraint);
* "not by X" / "nothing by X" / "except X" -> a ``not_has`` constraint: never X, and later
  "not by Y" adds Y to the same exclusion;
* "by the author/director/developer of <title>", "same author as <title>" -> the creators of
  the named item.

A name matches a creator of the catalog in full ("agatha christie") or by a last name that
points at one creator ("christie"); other words after "by" are left to the other rules.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chatrec.profile import Constraint
from chatrec.understand.lexicon import COMMON, STOP, word_set
from chatrec.understand.text import Token, title_key, words

if TYPE_CHECKING:
    from chatrec.catalog import Catalog
    from chatrec.profile import Preferences
    from chatrec.understand.titles import TitleIndex

_TRIGGERS = word_set("by from")
_MADE = word_set("written directed made developed designed created published produced")
_ROLE_NOUNS = word_set("""author authors writer writers director directors developer developers
maker makers creator creators studio team people guy guys person designer designers""")
_NEG = word_set("not no nothing none except without avoid excluding exclude")
_WHOEVER = word_set("whoever")
_MAX_NAME = 6


@dataclass
class CreatorMatch:
    """Creator names found at tokens ``[start, end)``, wanted or excluded."""

    start: int
    end: int
    names: list[str]
    negative: bool
    said: str


class CreatorIndex:
    """The creators of one catalog, by their full name's words and by unique last names."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.field = catalog.role_field("creator")
        counts: Counter[str] = Counter()
        if self.field:
            for it in catalog:
                counts.update(it.values(self.field))
        self.names: dict[tuple[str, ...], str] = {}
        by_last: dict[str, Counter[str]] = defaultdict(Counter)
        for name, n in counts.most_common():
            ws = tuple(words(name))
            if not ws:
                continue
            self.names.setdefault(ws, name)
            if len(ws) > 1 and len(ws[-1]) >= 4 and ws[-1] not in COMMON and ws[-1] not in STOP:
                by_last[ws[-1]][name] += n
        self.last: dict[str, str] = {}
        for last, c in by_last.items():
            (top, n), total = c.most_common(1)[0], sum(c.values())
            if n >= 0.6 * total:
                self.last[last] = top

    def name_at(self, ws: list[str]) -> tuple[int, str] | None:
        """The longest creator name at the start of ``ws``: (words used, the name)."""
        for n in range(min(_MAX_NAME, len(ws)), 0, -1):
            hit = self.names.get(tuple(ws[:n]))
            if hit is not None and (n > 1 or len(ws[0]) >= 3):
                return n, hit
        if ws and ws[0] in self.last:
            return 1, self.last[ws[0]]
        return None

    def find(self, toks: list[Token], titles: TitleIndex, blocked: set[int]) -> list[CreatorMatch]:
        """Every creator phrase in the message, in order."""
        if self.field is None:
            return []
        out: list[CreatorMatch] = []
        wi = [i for i, t in enumerate(toks) if t.is_word and i not in blocked]
        norms = [toks[i].norm for i in wi]
        k = 0
        while k < len(wi):
            m = self._at(k, norms, titles)
            if m is None:
                k += 1
                continue
            start, end, names = m
            before = norms[max(0, start - 3):start]
            neg = any(w in _NEG for w in before) or (len(before) >= 2 and before[-2:] == ["anything",
                                                                                     "but"])
            a, b = wi[start], wi[end - 1]
            said = " ".join(t.text for t in toks[a:b + 1])
            out.append(CreatorMatch(a, b + 1, names, neg, said))
            k = end
        return out

    def _at(self, k: int, norms: list[str], titles: TitleIndex
            ) -> tuple[int, int, list[str]] | None:
        """A creator phrase starting at word ``k``: (first word, end word, names)."""
        w = norms[k]
        j = k + 1
        if w in _MADE and j < len(norms) and norms[j] == "by":
            j += 1  # "written by"
        elif w in _WHOEVER and j < len(norms) and norms[j] in _MADE:
            return self._of_title(k, j + 1, norms, titles)  # "whoever made Portal"
        elif w == "same" and j + 1 < len(norms) and norms[j] in _ROLE_NOUNS and norms[j + 1] == "as":
            return self._of_title(k, j + 2, norms, titles)  # "same author as Dune"
        elif w not in _TRIGGERS:
            return None
        if j + 2 < len(norms) and norms[j] == "the" and norms[j + 1] in _ROLE_NOUNS and \
                norms[j + 2] in ("of", "behind"):
            return self._of_title(k, j + 3, norms, titles)  # "by the director of Alien"
        hit = self.name_at(norms[j:])
        if hit is None:
            return None
        if w == "from" and len(hit[1].split()) == 1 and hit[0] == 1 and norms[j] in COMMON:
            return None  # "from space": a word, not the studio "Space"
        return k, j + hit[0], [hit[1]]

    def _of_title(self, k: int, j: int, norms: list[str], titles: TitleIndex
                  ) -> tuple[int, int, list[str]] | None:
        for n in range(min(8, len(norms) - j), 0, -1):
            ids = titles.lookup(title_key(" ".join(norms[j:j + n])))
            if not ids:
                continue
            res = titles.resolve(ids)
            iid = res.item_id or (res.ambiguous[0] if res.ambiguous else None)
            names = self.catalog.creators(iid) if iid else []
            if names:
                return k, j + n, names
        return None


def creator_constraints(found: list[CreatorMatch], field: str, prefs: Preferences,
                        turn: int) -> list[Constraint]:
    """Profile constraints for the creator phrases: the wanted names (the latest phrase wins)
    and every excluded name so far, this message's added to the profile's."""
    out: list[Constraint] = []
    want = [m for m in found if not m.negative]
    if want:
        names = list(dict.fromkeys(n for m in want for n in m.names))
        out.append(Constraint(field, "has", names if len(names) > 1 else names[0], turn,
                              " / ".join(m.said for m in want)))
    nots = [n for m in found if m.negative for n in m.names]
    if nots:
        prev = prefs.constraints.get(f"{field}:not_has")
        old = [] if prev is None else (prev.value if isinstance(prev.value, list) else [prev.value])
        names = list(dict.fromkeys([*old, *nots]))
        said = " / ".join(m.said for m in found if m.negative)
        out.append(Constraint(field, "not_has", names if len(names) > 1 else names[0], turn,
                              said if prev is None else f"{prev.text} / {said}"))
    return out
