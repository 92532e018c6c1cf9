"""Text plumbing for the understanding layer: folding, tokens with offsets, clauses, title keys.

Every matcher works on the same tokens, so a title key, an attribute phrase and a user's words
meet on equal terms: lower-case, accents stripped, apostrophes dropped (``don't`` -> ``dont``),
hyphens split (``co-op`` -> ``co op``), ``&`` read as ``and``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from chatrec.understand.lexicon import CLAUSE_PRONOUNS, NUMBER_KEYS, ROMAN

_DROP_CHARS = {"\u2122", "\u00ae", "\u00a9"}  # trademark, registered, copyright
_QUOTE_MAP = {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00b4": "'", "`": "'",
              "\u2013": "-", "\u2014": "-", "\u00ab": '"', "\u00bb": '"'}


def _fold_char(ch: str) -> str:
    d = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    if d and d[0].isascii():
        return d[0]
    return ch if ch.isalnum() else " "


class _FoldTable(dict[int, str]):
    """``str.translate`` table that folds any character on first sight (one char per char)."""

    def __missing__(self, o: int) -> str:
        v = _fold_char(chr(o))
        self[o] = v
        return v


_FOLD = _FoldTable({i: chr(i) for i in range(128)})
_FOLD.update({ord(k): v for k, v in _QUOTE_MAP.items()})
_FOLD.update({ord(k): " " for k in _DROP_CHARS})


def fold(text: str) -> str:
    """Accent-free text of the *same length* (one char per char), typographic quotes made plain.

    Offsets in the folded text are offsets in the original, so spans map back 1:1.
    """
    return text.translate(_FOLD)


@dataclass(frozen=True)
class Token:
    """One token: ``text`` as typed, ``norm`` for matching, char offsets into the message."""

    text: str
    norm: str
    start: int
    end: int
    kind: str  # "word" | "punct"

    @property
    def is_word(self) -> bool:
        return self.kind == "word"

    @property
    def cap(self) -> bool:
        """Starts with a capital letter or is a number (title-case evidence)."""
        c = self.text[:1]
        return c.isupper() or c.isdigit()


_TOKEN = re.compile(r"[A-Za-z0-9\u00c0-\uffff]+(?:'[A-Za-z]+)*|[&]|[.,;:!?()\"\[\]/#$%+-]")


def tokenize(text: str) -> list[Token]:
    """Tokens of ``text`` (offsets refer to ``text``)."""
    folded = fold(text)
    toks: list[Token] = []
    for m in _TOKEN.finditer(folded):
        raw = m.group(0)
        if raw == "&":
            toks.append(Token(text[m.start():m.end()], "and", m.start(), m.end(), "word"))
        elif raw[0].isalnum():
            norm = raw.lower().replace("'", "")
            toks.append(Token(text[m.start():m.end()], norm, m.start(), m.end(), "word"))
        else:
            toks.append(Token(raw, raw, m.start(), m.end(), "punct"))
    return toks


_WORD = re.compile(r"[A-Za-z0-9\u00c0-\uffff]+(?:'[A-Za-z]+)*|&")


def words(text: str) -> list[str]:
    """Normalized word tokens of ``text`` (the words :func:`tokenize` would give)."""
    f = fold(text).lower()
    ws = _WORD.findall(f)
    if "'" in f:
        ws = [w.replace("'", "") for w in ws]
    if "&" in f:
        ws = ["and" if w == "&" else w for w in ws]
    return ws


_YEAR_TAIL = re.compile(r"\s*\((\d{4})(?:\s*-\s*\d{0,4})?\)\s*$")
_TRAILING_ARTICLE = re.compile(r"^(?P<rest>.+),\s*(?P<art>the|a|an|les|la|le|il|el|los|las|das|"
                               r"die|der)$", re.IGNORECASE)  # "Misérables, Les" (MovieLens)
LEADING_ARTICLES = frozenset({"the", "a", "an"})


def strip_year(title: str) -> tuple[str, int | None]:
    """``"Interstellar (2014)"`` -> ``("Interstellar", 2014)``."""
    if not title.rstrip().endswith(")"):
        return title, None
    m = _YEAR_TAIL.search(title)
    if m and m.start() > 0:
        return title[: m.start()], int(m.group(1))
    return title, None


def key_words(ws: list[str]) -> list[str]:
    """Title-key form of normalized words: no leading article, roman numerals as digits."""
    if len(ws) > 1 and ws[0] in LEADING_ARTICLES:
        ws = ws[1:]
    out = [ws[0]] if ws else []
    for w in ws[1:]:
        if w in ROMAN:
            out.append(ROMAN[w])
        elif w in NUMBER_KEYS:
            out.append(NUMBER_KEYS[w])
        elif w == "v":
            out.append("5")
        elif w == "x":
            out.append("10")
        else:
            out.append(w)
    return out


def title_key(title: str) -> str:
    """The lookup key of a title: ``"Matrix, The (1999)"`` and ``"the matrix"`` -> ``"matrix"``."""
    t, _ = strip_year(title.strip())
    if "," in t:
        m = _TRAILING_ARTICLE.match(t.strip())
        if m:
            t = f"{m.group('art')} {m.group('rest')}"
    return " ".join(key_words(words(t)))


# --------------------------------------------------------------------------------------
# clauses
# --------------------------------------------------------------------------------------
_HARD_BOUNDARY = {".", ";", "!", "?", "(", ")", "[", "]"}
_SOFT_BOUNDARY = {",", ":"}
_CONTRAST = {"but", "though", "although", "however", "whereas", "otherwise", "yet", "unless", "provided"}
_BUT_NEGATING = {"anything", "everything", "all", "nothing"}


def clauses(toks: list[Token]) -> tuple[list[int], list[int]]:
    """Clause index per token, and sentence index per token.

    A clause ends at ``. ; ! ? ,`` and before ``but/though/however``, and before ``and`` +
    a pronoun (``..., and I love ...``). ``anything but`` is a negation, not a boundary.
    """
    clause_of: list[int] = []
    sentence_of: list[int] = []
    c = s = 0
    # "Thief (2014) was a letdown": a year tag in brackets belongs to the title, not a boundary
    year_tag: set[int] = set()
    for i in range(1, len(toks) - 2):
        if toks[i].norm == "(" and toks[i - 1].is_word and toks[i + 2].norm == ")" and \
                re.fullmatch(r"(?:19|20)\d\d", toks[i + 1].norm):
            year_tag.update((i, i + 2))
    for i, t in enumerate(toks):
        n = t.norm
        if t.kind == "punct" and i not in year_tag and (n in _HARD_BOUNDARY or n in _SOFT_BOUNDARY):
            clause_of.append(c)
            sentence_of.append(s)
            c += 1
            if n in _HARD_BOUNDARY:
                s += 1
            continue
        if t.is_word and n in _CONTRAST:
            prev = toks[i - 1].norm if i > 0 else ""
            if not (n == "but" and prev in _BUT_NEGATING):
                c += 1
        elif t.is_word and n == "as" and i + 2 < len(toks) and toks[i + 1].norm == "long" and \
                toks[i + 2].norm == "as" and not (i > 0 and toks[i - 1].norm == "so"):
            c += 1  # "... as long as it isn't scary"
        elif t.is_word and n in ("and", "so", "because", "cause", "since", "while") and \
                i + 1 < len(toks) and toks[i + 1].norm in CLAUSE_PRONOUNS:
            c += 1
        clause_of.append(c)
        sentence_of.append(s)
    return clause_of, sentence_of
