"""An LLM that words the simulated user's turns (``simulate --user-backend NAME``).

The template user of :mod:`chatrec.eval.simulate` decides *what* is said (the liked titles, the
attribute revealed this turn, the rejection of the last picks); the LLM only rephrases it. Its
text is checked before it is sent, and the template turn is sent instead (and counted) when the
LLM fails, says nothing, drops a fact, or names the target:

* ``leak``: the target's title (normalised, year and leading article dropped) is in the text -
  rapidfuzz ``partial_ratio`` >= 90 for titles of 6+ characters, a whole-word match for shorter
  ones (a short title like "Up" would otherwise match inside any word);
* ``missing_fact``: a liked title (``partial_ratio`` >= 85), the attribute's value (the decade
  as "1990s" or "90s") or, after the first turn, a word of refusal is missing, or the text
  narrates ("the person wants ...") instead of speaking as the person;
* ``empty``: nothing left after cleaning; ``error``: the backend raised.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from chatrec.llm.base import Generation, LLMBackend, Message

LEAK_RATIO = 90.0
FACT_RATIO = 85.0
SHORT_TITLE = 6  # normalised titles shorter than this must match as whole words
MAX_CHARS = 400
GENERATION = Generation(max_tokens=64, temperature=0.0)  # a sentence or two, the same each run
FALLBACK_REASONS = ("leak", "missing_fact", "empty", "error")
REFUSAL = {"no", "not", "none", "nope", "nothing", "neither", "nor", "other", "else", "different",
           "another", "instead", "isnt", "arent", "wasnt", "werent"}
_NARRATION = re.compile(r"\b(the (person|user|seeker|customer)|they (want|like|are|would))\b")

SYSTEM = ("You play a person chatting with a movie recommender. Rewrite the person's message in "
          "your own casual words, in one or two sentences. Keep every fact listed: each movie "
          "title exactly as written, the genre, decade or topic, and, when it says so, that the "
          "last suggestions were not right. Add no other movie title and no new fact. Reply "
          "with the rewritten message only.")

_YEAR = re.compile(r"\s*\(\d{4}\)\s*$")
_ARTICLE = re.compile(r"^(the|a|an) ")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_PREFIX = re.compile(r"^\s*(rewritten( message)?|message|person|user|me)\s*:\s*", re.I)


def normalise(text: str) -> str:
    """Lower case, accents and apostrophes dropped, anything else not a letter or digit a blank."""
    d = unicodedata.normalize("NFKD", text)
    d = "".join(c for c in d if not unicodedata.combining(c)).lower()
    d = d.replace("'", "").replace("\u2019", "")
    return _NON_WORD.sub(" ", d).strip()


def title_forms(title: str) -> list[str]:
    """A title's normalised forms to look for: as is, and without a leading article."""
    t = normalise(_YEAR.sub("", title))
    return [f for f in dict.fromkeys((t, _ARTICLE.sub("", t))) if f]


def contains(text: str, phrase: str, ratio: float) -> bool:
    """Is normalised ``phrase`` in normalised ``text`` (fuzzy; short phrases as whole words)?"""
    from rapidfuzz import fuzz

    if not phrase:
        return False
    if len(phrase) < SHORT_TITLE:
        return re.search(rf"(?<![a-z0-9]){re.escape(phrase)}(?![a-z0-9])", text) is not None
    return fuzz.partial_ratio(phrase, text) >= ratio


def leaks(text: str, titles: list[str]) -> bool:
    """Does ``text`` name any of ``titles``?"""
    norm = normalise(text)
    return any(contains(norm, form, LEAK_RATIO) for t in titles for form in title_forms(t))


@dataclass
class Intent:
    """What one simulated turn says; ``template`` is the deterministic wording of it."""

    template: str
    seeds: list[str] = field(default_factory=list)  # liked titles named ("Title (Year)")
    attribute: tuple[str, str] | None = None  # (kind, value) revealed this turn
    reject: bool = False  # turns down the last picks

    def facts(self) -> list[str]:
        out = []
        if self.seeds:
            out.append("liked movies: " + "; ".join(self.seeds))
        if self.attribute:
            out.append(f"wants ({self.attribute[0]}): {self.attribute[1]}")
        if self.reject:
            out.append("the last suggestions were not what they want")
        return out


def missing_fact(text: str, intent: Intent) -> str | None:
    """The first fact of ``intent`` that ``text`` does not carry (or "the first person" when it
    narrates the person instead of speaking as them), or None."""
    norm = normalise(text)
    if _NARRATION.search(norm):
        return "the first person"
    for seed in intent.seeds:
        if not any(contains(norm, form, FACT_RATIO) for form in title_forms(seed)):
            return f"liked title {seed!r}"
    if intent.attribute:
        kind, value = intent.attribute
        forms = [normalise(value)]
        if kind == "decade" and len(forms[0]) == 5:  # "1990s" -> also "90s"
            forms.append(forms[0][2:])
        if not any(contains(norm, f, FACT_RATIO) for f in forms):
            return f"{kind} {value!r}"
    if intent.reject and not REFUSAL & set(norm.split()):
        return "the rejection"
    return None


def clean_reply(text: str) -> str:
    """The first paragraph, a "Message:"-style prefix and wrapping quotes dropped, capped."""
    t = text.strip().split("\n\n", 1)[0].strip()
    t = _PREFIX.sub("", t).strip().strip('"\u201c\u201d').strip()
    return " ".join(t.split())[:MAX_CHARS]


@dataclass
class LLMUser:
    """Rephrases template turns with ``backend``; counts what it sent and why it fell back."""

    backend: LLMBackend
    gen: Generation = GENERATION
    turns: int = 0
    rephrased: int = 0
    fallbacks: Counter[str] = field(default_factory=Counter)
    last_reason: str | None = None

    def prompt(self, intent: Intent) -> list[Message]:
        facts = "\n".join(f"- {f}" for f in intent.facts()) or "- (none)"
        return [Message("system", SYSTEM),
                Message("user", f"Message: {intent.template}\nFacts to keep:\n{facts}")]

    def say(self, intent: Intent, forbidden: list[str]) -> str:
        """The LLM's wording of ``intent``, or its template when that wording fails a check."""
        self.turns += 1
        try:
            raw = "".join(self.backend.stream_text(self.prompt(intent), gen=self.gen))
        except Exception as e:  # a failed call is a fallback, never a failed simulation
            return self._fallback("error", f"{type(e).__name__}: {e}", intent)
        text = clean_reply(raw)
        if not text:
            return self._fallback("empty", "", intent)
        if leaks(text, forbidden):
            return self._fallback("leak", text, intent)
        lost = missing_fact(text, intent)
        if lost is not None:
            return self._fallback("missing_fact", lost, intent)
        self.rephrased += 1
        self.last_reason = None
        return text

    def _fallback(self, reason: str, detail: str, intent: Intent) -> str:
        self.fallbacks[reason] += 1
        self.last_reason = f"{reason}: {detail}" if detail else reason
        return intent.template

    def summary(self) -> dict[str, object]:
        n_fb = sum(self.fallbacks.values())
        return {"backend": self.backend.name, "turns": self.turns, "rephrased": self.rephrased,
                "fallbacks": {r: self.fallbacks.get(r, 0) for r in FALLBACK_REASONS},
                "fallback_rate": round(n_fb / self.turns, 4) if self.turns else 0.0}
