"""What a message asks for: which clauses ask a question ("is it worth it?", "tell me about
#2"), and for a message that asks none, whether it wants recommendations, more of them, says
hello, or just chats."""

from __future__ import annotations

import re
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Question:
    """What a question about one item asks: ``kind`` is "why", "length", "scary", "kids",
    "about", "good", "fit" ("would I like X?") or "attr" ("is X funny?"); ``subject`` the
    words it asks about, as typed ("Alien", "the second one", "it"; empty when none)."""

    kind: str
    subject: str
    attr: str = ""  # "attr" questions: the word asked about ("is Liar Liar violent?")


_X = r"(?P<x>.{1,80}?)"
_END = r"[\s?.!]*$"
_QUESTIONS: list[tuple[str, re.Pattern[str]]] = [(k, re.compile(p)) for k, p in [
    ("why", r"^(?:but |so |and |ok,? |okay,? )?(?:why|how come|what makes you think|what made you|"
            r"reason for)\b(?: (?:did|do|would) you (?:pick|choose|suggest|recommend|pick out|"
            r"include|think)(?: i'?d like)?| (?:is|was))?\s*" + _X + "?" + _END),
    ("length", r"^(?:and |so )?(?:how long (?:is|does|will|would) " + _X + r"(?: take| last| run)?"
               r"(?: to (?:watch|play|read|finish|beat))?|what(?:'s| is) the (?:runtime|length|"
               r"running time|duration) of " + _X.replace("x", "x2") + r"|how many (?:pages|hours|"
               r"minutes) (?:is|does|has) " + _X.replace("x", "x3") + r"(?: have| take)?)" + _END),
    ("scary", r"^(?:and |so )?(?:is|was) " + _X + r" (?:(?:too|very|really|at all|that|a bit|"
              r"super) )?(?:scary|creepy|frightening|terrifying|spooky|horror|a horror \w+|gory|"
              r"disturbing|intense)(?: at all)?" + _END + r"|^(?:will|would|does|can) "
              + _X.replace("x", "x2") + r" (?:scare|frighten|terrify|give) (?:me|us|my)\b.*$"),
    ("kids", r"^(?:and |so )?(?:is|was|would) " + _X + r"(?: be)? (?:(?:ok|okay|good|fine|safe|"
             r"suitable|appropriate|alright|right|too much|too scary|too violent) for (?:kids|"
             r"children|a child|a kid|my kids?|my son|my daughter|the kids|little ones|families|"
             r"the family|a family|family|teens|a teenager|my \d+[- ]year[- ]old|a \d+[- ]year[- ]old)|"
             r"(?:kid|family|child)[- ]friendly)\b.*$|^(?:can|could) (?:my )?(?:kids|children|son|"
             r"daughter) (?:watch|play|read|see) " + _X.replace("x", "x2") + _END),
    ("about", r"^(?:(?:can|could) you )?(?:tell me (?:more |a bit |a little )?about|"
              r"more (?:info|details|information) (?:on|about)|describe|what(?:'s| is| was) "
              + _X.replace("x", "x2") + r" about\b)\s*" + _X + "?" + _END),
    ("good", r"^(?:and |so )?(?:is|was) " + _X + r" (?:any good|good|worth (?:it|watching|playing|"
             r"reading|a (?:watch|play|read|try))|well (?:liked|rated|reviewed)|popular)" + _END
             + r"|^how good is " + _X.replace("x", "x2") + _END),
    ("fit", r"^(?:and |so |ok,? |hmm,? )?(?:(?:do you think|would you say|you think) )?"
            r"(?:(?:would|will|do|did|might) (?:i|we)|(?:i|we)(?:'d| would| will| might)) "
            r"(?:like|love|enjoy|dig|be into) " + _X + _END
            + r"|^(?:should|could) (?:i|we) (?:watch|play|read|see|try|get|buy) "
            + _X.replace("x", "x2") + _END + r"|^(?:is|was|would) " + _X.replace("x", "x3")
            + r" (?:for me|my (?:kind of|type of|cup of tea)\b.*|(?:be )?(?:a )?good (?:fit|match|"
            r"pick|choice) for me)" + _END),
]]


_ATTR_Q = re.compile(r"^(?:and |so )?(?:is|was) " + _X + r" (?:(?:very|really|too|that|a bit|super|"
                     r"pretty|kind of|kinda) )?(?P<a>[a-z][a-z-]{2,})(?: at all)?" + _END)
_NOT_ATTR = word_set("""ok okay fine available out new old free cheap expensive long short good bad
better worse worth over done released finished there here on any""")


def question_of(text: str) -> Question | None:
    """The item question ``text`` asks, if any (the first that matches, in the order above)."""
    said = re.sub(r"\s+", " ", text.replace("’", "'")).strip()
    low = said.lower()  # the same length: a group's span is the user's own words in ``said``
    for kind, pat in _QUESTIONS:
        m = pat.match(low)
        if m:
            name = next((k for k, v in m.groupdict().items() if v), None)
            subject = said[m.start(name):m.end(name)] if name else ""
            return Question(kind, subject.strip(" ,.?!\"'"))
    m = _ATTR_Q.match(low)
    if m and m.group("a") not in _NOT_ATTR:
        return Question("attr", said[m.start("x"):m.end("x")].strip(" ,.?!\"'"), m.group("a"))
    return None
