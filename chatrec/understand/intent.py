"""What a message asks for: which clauses ask a question ("is it worth it?", "tell me about
#2"), and for a message that asks none, whether it wants recommendations, more of them, says
hello, or just chats."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from chatrec.understand.lexicon import word_set

if TYPE_CHECKING:
    from chatrec.profile import Preferences
    from chatrec.understand.model import Understanding
    from chatrec.understand.text import Token

_MORE = re.compile(r"^(?:(?:ok(?:ay)?|sure|hmm+|alright|cool|nice|thanks?|thank you)[ ,.!]*)?"
                   r"(?:(?:can you |could you |please )?(?:show|give|get|find|suggest|recommend)(?: me)? )?"
                   r"(?:some |a few |any )?"
                   r"(?:more|others?|other (?:ones|options|picks|suggestions|titles|movies|films|games)|"
                   r"something else|anything else|what else(?: (?:have you got|do you have|you got|is there|"
                   r"ya got))?|different ones|new ones|another(?: one)?|"
                   r"(?:got |have you got |do you have )?any ?more|"
                   r"next(?: ones?| batch| page)?|more (?:options|please|of (?:those|these|them)|picks|"
                   r"suggestions|recommendations|ideas)|keep (?:going|them coming)|again)"
                   r"(?: please| pls)?[ .!?]*$")
_GREETING = word_set("""rec recs
hi hello hey hiya howdy yo greetings morning evening afternoon good there sup whats up how are you
doing today hows going it help me can could would you please i need a recommendation recommendations
suggestion suggestions suggest something what should watch play tonight movie game film im looking
for to some want some ideas any thanks hope well day nice meet dear bot chatrec assistant tell give
find anything recommend know do have got ok okay so um new
""")
_OTHER = word_set("""
thanks thank you ok okay cool great nice bye goodbye awesome perfect got it lol haha sure alright
fine sounds good will do cheers later see ya yes no yep nope maybe hmm interesting wow
""")
_ASK_START = word_set("""
would will do does did is was are should could can have has what whats how tell who which any whos
hows
""")
_REQUEST = re.compile(r"\b(?:can you|could you|would you|will you|do you have|have you got|got any|any "
                      r"(?:recommendations|suggestions|ideas)|recommend|suggest|what should i|what would you|"
                      r"is there (?:anything|something)|are there|do you know (?:any|of any|some)|"
                      r"something like|anything like|similar to|looking for)\b")


def question_clauses_of(toks: list[Token], clause_of: list[int], sent_of: list[int]) -> set[int]:
    """Clauses that ask about something ("..., is it worth it?", "tell me about #2")."""
    out: set[int] = set()
    sents: dict[int, list[int]] = {}
    for i in range(len(toks)):
        sents.setdefault(sent_of[i], []).append(i)
    for idx in sents.values():
        ends_q = any(toks[i].norm == "?" for i in idx)
        ws = [(i, toks[i].norm) for i in idx if toks[i].is_word]
        if not ws:
            continue
        text = " ".join(w for _, w in ws)
        start: int | None = None
        m = re.search(r"\b(?:tell me (?:more |a bit |a little )?about|more (?:info|details) (?:on|about)|"
                      r"what (?:is|s|was) .{1,60} about)\b", text)
        if m:
            start = ws[len(text[:m.start()].split())][0]
        elif ends_q:
            seen_c: set[int] = set()
            for i, w in ws:
                c = clause_of[i]
                if c in seen_c:
                    continue
                seen_c.add(c)
                clause_words = " ".join(x for j, x in ws if clause_of[j] == c)
                if (w in _ASK_START and not _REQUEST.search(clause_words)) or \
                        clause_words.startswith(("what about", "how about")):
                    start = i
                    break
        if start is None:
            continue
        out |= {clause_of[i] for i in idx if i >= start}
    return out


def intent_of(u: Understanding, low: str, toks: list[Token], prefs: Preferences) -> str:
    """The intent of a message with no question in it: "recommend", "more", "greeting", "other"."""
    if u.has_content or u.notes:
        return "recommend"
    ws = [t.norm for t in toks if t.is_word]
    plain = " ".join(ws)
    if _MORE.match(low.strip()) or plain in ("more", "show me more", "other options", "next"):
        return "more"
    if set(ws) <= _OTHER:
        return "other"
    if set(ws) <= _GREETING:
        if any(w in ("hi", "hello", "hey", "hiya", "howdy", "yo", "greetings", "morning", "evening",
                     "afternoon", "sup") for w in ws) or not prefs.has_positive_signal:
            return "greeting"
        return "recommend"
    return "recommend"
