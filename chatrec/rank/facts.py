"""What chatrec may say about one item, read from the catalog's own fields, for any catalog.

The manifest says which fields exist and what role they play; this module reads them
generically: the description's hook (a role ``description`` field, else the prose of the item's
text), scores with the count behind them ("3.9/5 from 215 ratings", paired by field name), a
review label ("Very Positive Steam reviews"), the creator (role ``creator``, else a field named
like one), the length, and the item's most specific attribute terms (rare keywords and tags, not
the genres the card already shows, never a language code or an id). Reasons
(:mod:`chatrec.rank.reasons`) and answers (:mod:`chatrec.rank.answers`) are built from these.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chatrec.types import Item
from chatrec.vocab import normalize_term

if TYPE_CHECKING:
    from chatrec.catalog import Catalog
    from chatrec.catalog.manifest import FieldSpec

HOOK_CHARS = 140  # a hook longer than this is cut at a clause boundary (never mid-word)
MIN_COUNT = 10  # a score backed by fewer ratings than this is not cited
_CREATOR_NAMES = ("creator", "creators", "director", "directors", "developer", "developers",
                  "author", "authors", "writer", "writers", "artist", "artists", "brand",
                  "manufacturer", "studio", "designer", "designers")
_NEVER = re.compile(r"(?:^|_|\b)(?:lang|language|languages|code|id|ids|isbn|isbn13|url|link|"
                    r"image|img|sku|asin)(?:$|_|\b)")
_DESCRIPTION_NAMES = ("overview", "description", "summary", "synopsis", "plot", "blurb", "about")
_LENGTH_NAMES = ("runtime", "duration", "length", "minutes", "pages", "num_pages", "playtime",
                 "hours", "running_time")
_COUNT_WORDS = frozenset({"count", "counts", "num", "n", "number", "total", "nb"})
_SCORE_WORDS = frozenset({"avg", "average", "mean", "score", "rating", "ratings", "vote", "votes",
                          "stars"})
# a lead-in before the main clause: "In the 22nd century, ", "When Ripley's pod is found, ",
# "Recruited by the government, ", "Based on a true story, " (not when "which"/"who" follows)
_LEAD_IN = re.compile(r"^(?:(?:in|during|after|when|while|once|as|since|before|upon|amid|following|"
                      r"with|on|at|set|based|years|decades|months|having|although|though|because|"
                      r"if|from)\b|[A-Za-z]+(?:ed|ing)\b)[^,]{0,100},\s+(?!which\b|who\b|in which\b)"
                      r"(?=[a-z])", re.I)
_SENTENCE_END = re.compile(r"(?<=[a-z0-9\)\"'])[.!?](?=\s+[A-Z\"']|\s*$)")
# where a long sentence may end early: before a new clause, never at an appositive's comma
_CLAUSE = re.compile(r";\s|\s--\s|\s[—–]\s|,?\s(?:but|when|until|while|before|after|only to|"
                     r"and then|so that|unless|because)\s")
_PRONOUN = re.compile(r"^(?:he|she|they|it|his|her|their|its|this|these|those|and|but|or|so|yet|"
                      r"then|also)\b", re.I)
# Tags that describe the user's list, the store or the platform, or only an opinion, rather than
# the item: never cited as a fact ("in netflix queue", "dvd", "imdb top 250", "NSFW", "Moddable",
# "Gamepad", "Steam Achievements", "Great Soundtrack", "masterpiece", "10/10").
META_TAG = re.compile(
    r"\b(?:netflix|queue|dvd|blu-?ray|vhs|tivo|imdb|criterion|owned|to (?:see|watch|buy)|"
    r"want to|must see|seen|watched|recorded|my (?:list|favou?rites?)|favou?rites?|top \d+|"
    r"\d+ ?/ ?\d+|nsfw|moddable|mods?|gamepad|controller|steam|workshop|achievements?|"
    r"trading cards?|vr support|remote play|captions?|subtitles?|level editor|source sdk|"
    r"includes|soundtrack|early access|software|utilities|game development|gamemaker|"
    r"rpgmaker|benchmark|free to play|single-?player|multi-?player|massively multiplayer|"
    r"cross-platform|split screen|in-app purchases|stats|leaderboards|commentary|demo|dlc|"
    r"bd-r|pg-13|nc-17)\b"
    r"|^(?:great|good|best|awesome|amazing|addictive|classic|underrated|overrated|boring|bad|"
    r"worst|beautiful|masterpiece|must|fun|cool|nice|r|pg|\d+)$", re.I)
_SUBORDINATE = re.compile(r"^(?:when|while|after|as|if|although|though|because|since|before|once|"
                          r"in which|which|who|whose|where)\b", re.I)


@dataclass(frozen=True)
class Score:
    """A score people trust: ``value`` on ``scale`` (5, 10, 100) from ``count`` ratings."""

    value: float
    scale: float
    count: int | None
    count_label: str
    field: str

    @property
    def share(self) -> float:
        """The score as 0..1."""
        return self.value / self.scale if self.scale else 0.0

    def words(self) -> str:
        v = f"{self.value:.1f}" if self.scale <= 10 else f"{self.value:.0f}"
        out = f"{v}/{self.scale:g}"
        if self.count:
            out += f" from {self.count:,} {self.count_label}"
        return out


def _words(name: str) -> list[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", name)
    return [w.rstrip("s") if len(w) > 3 else w
            for w in re.split(r"[^a-z0-9]+", spaced.lower()) if w]


def _number(v: object) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


_GENERIC_LABELS = frozenset({"ratings", "rating", "votes", "reviews", "review", "user", "users",
                             "number", "pages", "runtime", "length", "duration", "count"})


def first_name(spec: FieldSpec) -> str:
    """The field's label for running text: "Ratings" -> "ratings", "Steam reviews" and "TMDB
    votes" as they are (a name keeps its capital)."""
    label = spec.label or spec.name
    first = label.split(" ")[0]
    return label[:1].lower() + label[1:] if first.lower() in _GENERIC_LABELS else label


def count_words(spec: FieldSpec) -> str:
    """What a count field counts, for "from 2,300 ratings": its label ("TMDB votes"), or for a
    label that names the count itself ("Vote count", "ratings_count") what is counted."""
    label = first_name(spec)
    ws = set(_words(label))
    if not ws & _COUNT_WORDS:
        return label
    for word, said in (("review", "reviews"), ("vote", "votes"), ("rating", "ratings")):
        if word in ws:
            return said
    return "ratings"


class ItemFacts:
    """Facts about the items of one catalog (fields resolved once from the manifest)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        man = catalog.manifest
        fields = man.fields
        self.description = next((f for f, s in fields.items() if s.role == "description"), None) \
            or next((f for f in fields if f.lower() in _DESCRIPTION_NAMES
                     and fields[f].type == "str"), None)
        self.creator = next((f for f, s in fields.items() if s.role == "creator"), None) \
            or next((f for f in fields if f.lower() in _CREATOR_NAMES
                     and fields[f].type in ("str", "list")), None)
        self.length = next((f for f in fields if f.lower() in _LENGTH_NAMES
                            and fields[f].type in ("int", "float")), None)
        self.display_fields = set(man.display_fields)
        vocab_size = {f: len(catalog.field_vocabulary(f)) for f in man.attribute_fields}
        # fields whose values say something: not codes, ids, links or languages
        self.term_fields = tuple(f for f in man.attribute_fields
                                 if not _NEVER.search(f.lower())
                                 and fields[f].role not in ("language", "link", "creator")
                                 and f != self.creator)
        # genre-like fields: named so, or few distinct values shown on the card
        self.genre_like = frozenset(
            f for f in self.term_fields if re.search(r"genre|categor", f.lower())
            or (f in self.display_fields and vocab_size[f] <= 80))
        self.scores = self._score_fields()
        self.review_label = next(
            (f for f, s in fields.items() if s.type == "str" and f not in man.attribute_fields
             and ({"review", "sentiment"} & set(_words(f) + _words(s.label)))), None)
        self.n_items = max(1, len(catalog))

    # --- fields -------------------------------------------------------------------------
    def _score_fields(self) -> list[tuple[str, float, str | None]]:
        """(score field, its scale, the count field paired with it by name) for every score."""
        man = self.catalog.manifest
        fields = man.fields
        scores: list[str] = []
        if man.rating_field:
            scores.append(man.rating_field)
        scores += [f for f, s in fields.items() if f not in scores and s.type in ("int", "float")
                   and (s.unit or "").startswith("/") and s.role != "popularity"]
        counts = [f for f, s in fields.items() if s.type in ("int", "float") and f not in scores
                  and not (s.unit or "") and (set(_words(f)) & _COUNT_WORDS
                                              or f == man.votes_field)
                  and set(_words(f)) & (_SCORE_WORDS | {"review", "rating"})]
        out: list[tuple[str, float, str | None]] = []
        for f in scores:
            unit = fields[f].unit or "/5"
            try:
                scale = float(unit.lstrip("/")) if unit.startswith("/") else 5.0
            except ValueError:
                scale = 5.0
            own = set(_words(f)) - {"avg", "average", "mean", "score"}
            pair = next((c for c in counts if own & (set(_words(c)) - _COUNT_WORDS)), None)
            out.append((f, scale, pair))
        return out

    # --- one item -----------------------------------------------------------------------
    def score(self, item: Item) -> Score | None:
        """The best-backed score of the item (the one with the most ratings behind it); a score
        from fewer than MIN_COUNT ratings is left out."""
        best: Score | None = None
        for f, scale, pair in self.scores:
            v = _number(item.meta.get(f))
            if v is None or v <= 0:
                continue
            n = _number(item.meta.get(pair)) if pair else None
            if pair and (n is None or n < MIN_COUNT):
                continue
            s = Score(v, scale, int(n) if n else None,
                      count_words(self.catalog.manifest.fields[pair]) if pair else "", f)
            if best is None or (s.count or 0) > (best.count or 0):
                best = s
        return best

    def review(self, item: Item) -> str | None:
        """A review label in words ("Very Positive Steam reviews"), when the catalog has one."""
        if self.review_label is None:
            return None
        v = item.meta.get(self.review_label)
        if not isinstance(v, str) or not v or any(c.isdigit() for c in v):
            return None
        return f"{v} {first_name(self.catalog.manifest.fields[self.review_label])}"

    def creators(self, item: Item) -> list[str]:
        """Who made the item (two at most; "A,B (Mac)" in one string is split)."""
        out: list[str] = []
        for v in item.values(self.creator) if self.creator else []:
            out += [x.strip() for x in re.split(r",(?=\S)|;", v) if x.strip()]
        return list(dict.fromkeys(out))[:2]

    def length_words(self, item: Item) -> str | None:
        """"1 h 57 min", "320 pages": the item's length as people say it (None: unknown)."""
        if self.length is None:
            return None
        v = _number(item.meta.get(self.length))
        if v is None or v <= 0:
            return None
        unit = self.catalog.manifest.fields[self.length].unit or ""
        if unit in ("min", "minutes") or self.length.lower() in ("runtime", "running_time"):
            h, m = divmod(round(v), 60)
            return f"{h} h {m} min" if h and m else (f"{h} h" if h else f"{m} min")
        return f"{v:g} {unit or first_name(self.catalog.manifest.fields[self.length])}".strip()

    def description_text(self, item: Item) -> str:
        """The item's description: its description field, else the prose of its text (the
        sentences that are not the title, a "Label: a, b" list or a few words)."""
        if self.description:
            v = item.meta.get(self.description)
            return v.strip() if isinstance(v, str) else ""
        parts = [p.strip() for p in re.split(r"(?<=[.!?])\s+", item.text)]
        prose = [p for p in parts if len(p.split()) >= 6 and not re.match(r"^[\w ]{1,30}:\s", p)
                 and not p.startswith((item.title, "By "))]
        return " ".join(prose)

    def hook(self, item: Item, limit: int = HOOK_CHARS) -> str | None:
        """The description's first sentence as a short clause: a lead-in like "In the 22nd
        century," dropped, cut at a clause boundary when long, never mid-word."""
        text = self.description_text(item)
        if not text:
            return None
        m = _SENTENCE_END.search(text)
        first = (text[:m.start()] if m else text).strip().rstrip(".!?")
        first = _LEAD_IN.sub("", first, count=1)
        if _SUBORDINATE.match(first) or _PRONOUN.match(first):
            return None  # a clause that needs what comes before or after it
        if len(first) > limit:
            cuts = [c.start() for c in _CLAUSE.finditer(first) if 40 <= c.start() <= limit]
            first = re.sub(r"[\s,]+(?:but|and|or|so|yet|then)$", "", first[:cuts[-1]]) if cuts \
                else first[:limit].rsplit(" ", 1)[0].rstrip(",;:-–— ") + "…"
        if len(first.split()) < 4:
            return None
        return first[0].upper() + first[1:]

    def terms(self, item: Item, skip: set[str] | None = None) -> list[str]:
        """The item's attribute values that say most about it: from non-genre fields, rarest
        first, not shown on the card; as the catalog writes them."""
        skip = set(skip or ())
        for f in self.display_fields & set(self.catalog.manifest.attribute_fields):
            skip |= {normalize_term(v) for v in item.values(f)}
        vocab = self.catalog.vocabulary()
        seen: set[str] = set()
        out: list[tuple[float, str]] = []
        for f in self.term_fields:
            if f in self.genre_like:
                continue
            for v in item.values(f):
                n = normalize_term(v)
                if not n or n in skip or n in seen or len(n) < 3 or META_TAG.search(v):
                    continue
                seen.add(n)
                out.append((vocab.get(n, 1) / self.n_items, v))
        # in a big catalog a term most items have says nothing about this one
        return [v for share, v in sorted(out, key=lambda x: x[0])
                if share <= 0.12 or self.n_items < 50]

    def spelling(self, item: Item, term: str) -> str | None:
        """How the item's own data writes ``term`` (a normal form): "co op" -> "Co-op"."""
        want = normalize_term(term)
        for f in self.catalog.manifest.attribute_fields:
            for v in item.values(f):
                if normalize_term(v) == want:
                    return v
        return None

    def idf(self, term: str) -> float:
        return math.log(self.n_items / (1 + self.catalog.vocabulary().get(term, 0)))

    def shared_terms(self, item: Item, other: Item) -> list[str]:
        """Specific terms the two items share (the item's wording), rarest first."""
        theirs = self.catalog.attributes(other)
        return [v for v in self.terms(item) if normalize_term(v) in theirs]
