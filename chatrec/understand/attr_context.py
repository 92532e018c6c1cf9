"""When a matched attribute phrase is not a preference, and words that modify one.

:func:`attr_is_preference` rejects a phrase that, in its sentence, says something else:

* an evaluation of a named title that is the subject of its clause ("Up made me cry",
  "Limbo was too depressing", "The Revenant bored me to tears"): the item carries that opinion
  (liked or disliked), the profile does not get a new attribute, let alone a hard filter;
  a category noun stays ("Heat is my favourite heist movie");
* a description picking out an item ("It (2017), the clown one");
* a verb read as part of a phrase ("I love stories with ..." is not "love stories");
* the audience being away ("nothing animated, the kids are asleep").

:func:`modifier_mentions` adds what an adjective says about a genre next to it
("hard platformers" -> difficult).
"""

from __future__ import annotations

from chatrec.understand.attributes import AttributeIndex, AttrMatch
from chatrec.understand.lexicon import ITEM_NOUNS, word_set
from chatrec.understand.mentions import Mention
from chatrec.understand.text import Token

# Words between a title and its evaluation: copulas, verbs of effect, objects, degree words.
_PREDICATE_GLUE = word_set("""
is was are were s been be seems seemed feels felt looks looked sounds sounded made makes make got
gets me my us our so too way really pretty very kinda quite super just incredibly such a an to
absolutely honestly still totally bit little overly rather also and kind of bored bores scared
scares left leaves kept keeps moved moves blew blows broke breaks had has""")
_PREDICATE_VERBS = word_set("""is was are were s been be seems seemed feels felt looks looked sounds
sounded made makes make got gets bored bores scared scares left leaves kept keeps moved moves blew
blows broke breaks""")
# Who does the verb: "I love stories ..." (love is the verb, not part of "love stories").
_SUBJECTS = word_set("""i we you they he she really also just do dont didnt would d totally
absolutely still kinda always honestly both""")
_VERB_STARTS = word_set("love like")
_AUDIENCE_TERMS = frozenset({"family", "family friendly"})
_AWAY = word_set("asleep sleeping bed away gone out")
_AWAY_VERBS = word_set("are is were was went have has finally just already fell")
_HARD = word_set("hard tough brutal punishing")


def attr_is_preference(toks: list[Token], am: AttrMatch, items: list[Mention], clause_of: list[int]) -> bool:
    """False when the phrase at ``am`` is not something the user asks for or against."""
    prev = toks[am.start - 1].norm if am.start > 0 else ""
    nxt = toks[am.end].norm if am.end < len(toks) else ""
    if prev == "the" and nxt in ("one", "ones"):
        return False  # "the clown one"
    if toks[am.start].norm in _VERB_STARTS and am.end - am.start > 1 and prev in _SUBJECTS:
        return False  # "I love stories with an unreliable narrator"
    if any(t in _AUDIENCE_TERMS for t in am.terms) and _audience_away(toks, am.end, clause_of):
        return False
    return not _evaluates_title(toks, am, items, clause_of, nxt)


def _audience_away(toks: list[Token], end: int, clause_of: list[int]) -> bool:
    if end >= len(toks):
        return False
    c = clause_of[end - 1]
    after = [t.norm for i, t in enumerate(toks[end:end + 5], end) if t.is_word and clause_of[i] == c]
    return bool(after) and after[0] in _AWAY_VERBS and (any(w in _AWAY for w in after[1:])
                                                          or after[1:2] == ["at"])


def _evaluates_title(toks: list[Token], am: AttrMatch, items: list[Mention], clause_of: list[int],
                     nxt: str) -> bool:
    """The phrase is the predicate of a title that opens its clause ("Limbo was too depressing")."""
    c = clause_of[am.start]
    subj = [m for m in items if m.kind == "title" and m.ids and m.end <= am.start and clause_of[m.start] == c]
    if not subj or nxt in ITEM_NOUNS:
        return False  # "Heat is my favourite heist movie": a category, not a judgement
    t = subj[-1]
    opens = all(not toks[i].is_word or clause_of[i] != c for i in range(0, t.start))
    if not opens:
        return False
    between = [toks[i].norm for i in range(t.end, am.start) if toks[i].is_word]
    if not all(w in _PREDICATE_GLUE for w in between):
        return False
    # a verb must make it a predicate: "Borderlands 2 co-op with my roommate" has none
    return any(w in _PREDICATE_VERBS for w in [*between, toks[am.start].norm])


def modifier_mentions(toks: list[Token], found: list[AttrMatch], attrs: AttributeIndex,
                      blocked: set[int]) -> list[Mention]:
    """"hard platformers", "a tough roguelike": difficulty said by an adjective before a genre."""
    difficult = attrs.lookup(("challenging",))
    if not difficult:
        return []
    out: list[Mention] = []
    for am in found:
        j = am.start - 1
        if j < 0 or j in blocked or toks[j].norm not in _HARD or "science fiction" in am.terms:
            continue  # "hard sci-fi" is a genre of its own
        if not any(t in attrs.genre_like for t in am.terms):
            continue
        out.append(Mention("attr", j, j + 1, toks[j].text, terms=difficult))
        blocked.add(j)
    return out
