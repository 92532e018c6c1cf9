"""When words in a message are a title and not ordinary language: the evidence rules.

The rules: quotes, capitals (unless the message is Title Case or shouted), a cue before
("loved", "watched", "like"), an evaluation after ("... was great"), the whole message, or words
no dictionary knows. Common single words ("Up", "It", "Heat") need more than a capital letter.
:class:`chatrec.understand.title_finder.TitleFinder` asks :class:`TitleEvidence` about every
span whose key is a title.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from chatrec.understand.lexicon import (
    ATTR_CONTEXT,
    COMMON,
    CUE_FILLER,
    NEGATIVE_EVAL,
    NOT_ACRONYMS,
    POSITIVE,
    STOP,
    TITLE_CUES,
    word_set,
)
from chatrec.understand.mentions import TITLE_FUNCTION_WORDS, Context
from chatrec.understand.text import Token
from chatrec.understand.titles import FIRST_NAMES, TitleIndex

if TYPE_CHECKING:
    from chatrec.catalog import Catalog
    from chatrec.understand.attributes import AttributeIndex

_FIRST_NAMES = word_set("""
tom john james robert michael david chris christopher brad leonardo will matt ryan jennifer julia
meryl sandra scarlett emma anne natalie keanu denzel morgan samuel jack steven martin quentin
stanley alfred ridley wes tim george harrison clint adam jim jason jonah bill ben kevin sean daniel
hugh johnny al robin nicolas nicole kate cate angelina charlize emily jessica amy mark paul peter
jeff jake joaquin christian heath margot zoe reese
""")
_PRONOUNS = word_set("it her him his she he they them this that these those we you i me my its")
_POST_EVAL = word_set("""
great good amazing awesome fantastic brilliant excellent incredible terrible awful boring bad
overrated fun funny scary my one the so too really pretty very underrated perfect a an such also
definitely probably easily still
""")
_UNITS = word_set("""
times x hours hour hrs minutes mins min years year stars star bucks dollars percent players people
seasons episodes days weeks months of
""")
_DEMONYMS = word_set("""
american african british english french german italian spanish japanese chinese korean indian irish
scottish russian mexican canadian australian european asian swedish danish norwegian dutch brazilian
greek polish christian jewish muslim catholic
""")
_OBJ_PRONOUNS = word_set("her him us them me")
_INDEFINITE = word_set("""everything something anything nothing everyone someone anyone nobody
everybody somebody""")
# Capitalised in any sentence, so a capital says nothing ("something for Friday night").
_CALENDAR = word_set("""monday tuesday wednesday thursday friday saturday sunday january february
april june july august september october november december christmas halloween easter""")
_CHAT_WORDS = word_set("""
thanks thank ok okay cool great nice bye sure yes yeah yep no nope lol lmao haha hmm hi hello hey
perfect awesome wow fine alright maybe definitely absolutely exactly same agreed interesting true
right wonderful excellent sounds good
""")
_Q_CUES = word_set("is was about watch play seen played watched heard try")
# "Up made me cry", "Heat blew my mind": a sentence-initial title as the subject of a verb of
# feeling or effect, followed by its object. Adverbs may sit between ("Big still makes me laugh").
_SUBJECT_VERBS = word_set("""
made makes scared scares terrified terrifies bored bores blew blows broke breaks wrecked wrecks
destroyed destroys moved moves touched ruined ruins changed changes haunts haunted creeped freaked
gave gives kept keeps left leaves taught won wins deserves deserved holds stuck reminds reminded
shaped defined slaps slapped hooked""")
_VERB_OBJECTS = word_set("me my us our everyone everybody people him her them you your the a an")
_ADVERBS = word_set("""still really honestly totally absolutely just always never kinda literally
actually genuinely completely seriously lowkey truly basically""")
# Evaluations after "X is/was" that make a capitalised X the subject being judged.
_EVAL_ADJ = word_set("""
disturbing haunting hilarious beautiful sad scary creepy heartbreaking moving gorgeous stunning
intense tense confusing touching emotional insane wild bonkers genius iconic legendary unforgettable
depressing stressful terrifying unsettling weird bleak gripping magical charming adorable cute sweet
lovely breathtaking way pure total totally criminally kinda absolutely honestly truly just peak
""")
# What may follow a capitalised everyday word mid-sentence for it to be a title ("showing the kids
# Up tonight"), as opposed to emphasis or a phrase ("a Big fan of").
_TITLE_FOLLOW = word_set("""
and or but is was s has had with again last tonight yesterday today twice before after when because
so at on in for too as by from yet though still then over""") | _SUBJECT_VERBS
# A person named like a title ("my friend Anastasia", "I watched it with Carrie", "Carrie and I",
# "Anastasia says hi"): who people are to the speaker, the possessives before them, verbs that
# share an evening, and verbs whose subject is a person, not a work.
_KIN = word_set("""
friend friends buddy pal mate bestie sister sis brother bro wife husband hubby spouse partner
girlfriend boyfriend gf bf fiance fiancee daughter son kid kids child niece nephew mom mum mother
dad father grandma grandpa grandmother grandfather granny aunt uncle cousin roommate flatmate
colleague coworker boss neighbor neighbour teacher classmate baby toddler""")
_KIN_OWNER = word_set("my our his her your their")
_KIN_FILLER = word_set("best little big older younger oldest youngest old new dear girl boy")
_GIVE_VERBS = word_set("""show showed showing shown give gave giving buy bought get got take took
read reading introduce introduced""")
_SHARED = word_set("""watch watched watching rewatch rewatched see saw seen seeing go went going gone
play played playing hang hanging hung out binge binged it them this that one movie movies film films
show game games something night evening date""")
_PERSON_VERBS = word_set("""wants wanted told tells asked asks thinks thought recommended
recommends suggested suggests prefers preferred loves likes hates enjoys watches agrees agreed
insists insisted""")
# "Anastasia says hi", but "Arrival says a lot about language": a work can say things too.
_SAYS = word_set("says said")
_GREETINGS = word_set("hi hello hey hiya bye thanks i we you he she they")
_AFTER_PERSON = word_set("""and or last tonight yesterday today tomorrow this on at in for when because
but so who again sometimes later next""")

# Words after which a capital may just restart the sentence ("ok Up for anything").
_SOFT_START = word_set("""ok okay so well hmm lol yeah yes no nah hey hi oh also and but then anyway
btw tbh honestly ps plus um uh ah""")


def _item_noun_after(toks: list[Token], last: int) -> bool:
    j = last + 1
    if j < len(toks) and toks[j].norm in ("movie", "film", "game", "series", "franchise", "trilogy",
                                            "films", "movies", "games"):
        return toks[j - 1].cap or toks[j - 1].norm.isdigit()
    return False


def person_named(toks: list[Token], first: int, last: int) -> bool:
    """The word at ``first`` (a single word) names a person the speaker knows, not a work:
    "my (best) friend Anastasia", "watched it with Carrie (last night)", "Carrie and I",
    "me and Carrie", "Anastasia says hi". Quotes decide before this is asked."""
    if first != last:
        return False
    ws = [t.norm if t.is_word else "" for t in toks]
    nxt = ws[last + 1] if last + 1 < len(toks) else ""
    after = toks[last + 1].norm if last + 1 < len(toks) else ""
    if nxt in ("and", "&") and last + 2 < len(toks) and ws[last + 2] in ("i", "me"):
        return True
    if nxt in _PERSON_VERBS or (nxt in _SAYS and last + 2 < len(toks) and ws[last + 2] in _GREETINGS):
        return True
    j = first - 1
    if j >= 1 and ws[j] == "and" and ws[j - 1] == "me":
        return True
    if j >= 0 and ws[j] in _KIN:
        k = j - 1
        while k >= 0 and ws[k] in _KIN_FILLER:
            k -= 1
        return k >= 0 and ws[k] in _KIN_OWNER and not (k >= 1 and ws[k - 1] in _GIVE_VERBS)
    if j >= 1 and ws[j] == "with" and (nxt == "" or nxt in _AFTER_PERSON or not after[:1].isalnum()):
        before = {w for w in ws[max(0, j - 6):j]}
        return bool(before & _SHARED)
    return False


def _subject_of_verb(toks: list[Token], last: int) -> bool:
    """The words before ``last + 1`` are followed by a verb of effect and its object."""
    j = last + 1
    while j < len(toks) and toks[j].is_word and toks[j].norm in _ADVERBS:
        j += 1
    if j + 1 >= len(toks) or toks[j].norm not in _SUBJECT_VERBS:
        return False
    return toks[j + 1].is_word and toks[j + 1].norm in _VERB_OBJECTS


def english_words(catalog: Catalog) -> dict[str, int]:
    """Words of the catalog's descriptions and how many items use them, minus each item's own
    title: a word many descriptions use ("closer", "perfect") is English, not a title."""
    df: dict[str, int] = {}
    word = re.compile(r"[a-z]{4,}")
    for it in catalog:
        own = set(word.findall(it.title.lower()))
        for w in set(word.findall(it.text.lower())) - own:
            df[w] = df.get(w, 0) + 1
    return df


class TitleEvidence:
    """How sure we are that a span whose key is a title names it (see the module docstring)."""

    def __init__(self, catalog: Catalog, titles: TitleIndex, attrs: AttributeIndex,
                 english: dict[str, int]) -> None:
        self.catalog = catalog
        self.titles = titles
        self.attrs = attrs
        self.english = english

    def confidence(self, toks: list[Token], span: list[int], key: str, ids: dict[str, int],
                   ctx: Context, last_end: int) -> float | None:
        """How sure we are that these words name a title (None: they don't)."""
        first, last = span[0], span[-1]
        kw = key.split()
        sig = [w for w in kw if w not in STOP]
        pop = max(self.titles.pop.get(i, 0.0) for i in ids)
        if ctx.quoted(toks, first, last):
            return 1.0
        if ctx.inside_quote(toks, first, last):
            return None  # part of a quoted name: the whole quote must match
        nxt = toks[last + 1].norm if last + 1 < len(toks) else ""
        if nxt in ("one", "ones") and not toks[first].cap:
            return None  # "the clown one": a description
        cue = title_cue(toks, first, last_end) or _item_noun_after(toks, last)
        if not cue and ctx.question and first > 0 and toks[first - 1].norm in _Q_CUES:
            cue = True
        after2 = toks[last + 2] if last + 2 < len(toks) else None
        post = after2 is not None and (
            (nxt in ("is", "was", "were", "s") and (after2.norm in _POST_EVAL or after2.norm in _EVAL_ADJ
                                                    or after2.norm in POSITIVE
                                                    or after2.norm in NEGATIVE_EVAL))
            or (nxt in ("has", "had", "stars", "starring", "features") and after2.cap))
        whole = ctx.word_count == sum(1 for j in range(first, last + 1) if toks[j].is_word)
        list_next = nxt in ("and", "or", ",", "&") and last + 2 < len(toks) and toks[last + 2].cap \
            and toks[last + 2].norm not in ("i", "im", "ive", "id")
        sent_initial = first in ctx.first_of_sentence
        shouted = all(toks[j].text.isupper() and len(toks[j].text) >= 3 and toks[j].norm in COMMON
                      for j in span)
        capped = (not ctx.caps_unreliable and not shouted
                  and all(toks[j].cap for j in span if toks[j].norm not in STOP)
                  and toks[first].cap and (bool(sig) or all(toks[j].cap for j in span)))
        subj = sent_initial and toks[first].cap and not ctx.caps_unreliable and _subject_of_verb(toks, last) \
            and not (len(kw) == 1 and kw[0] in _PRONOUNS and kw[0] not in _OBJ_PRONOUNS)  # "It made me"
        mid_caps = _mid_caps(toks, span, kw, nxt, ctx)
        if inside_longer_name(toks, first, last, ctx):
            return None  # "Paul Rudd", "Motherless Brooklyn": part of a longer capitalised name
        if nxt.isdigit() and len(nxt) <= 2 and not (last + 2 < len(toks) and toks[last + 2].norm in _UNITS):
            return None  # "Frozen 2" when only "Frozen" is in the catalog
        year_tag = last + 3 < len(toks) and toks[last + 1].norm == "(" and \
            re.fullmatch(r"(?:19|20)\d\d", toks[last + 2].norm) is not None
        if year_tag and any(self.catalog.items[i].year == int(toks[last + 2].norm) for i in ids):
            return 0.95  # "IT (2017)"
        if len(kw) == 1 and not year_tag and person_named(toks, first, last):
            return None  # "my friend Anastasia", "I watched it with Carrie"
        if len(sig) == 1 and sig[0] in _DEMONYMS and len(kw) == 1:
            return None  # "American", "African": adjectives are capitalised anyway
        if len(kw) == 1 and kw[0] in _CALENDAR and not (cue or post or whole or year_tag):
            return None
        if len(kw) == 1 and kw[0] in _INDEFINITE and not (cue or year_tag):
            return None  # "Everything is too expensive": a pronoun that subjects take anyway
        strong_caps = capped and (not sent_initial or len(sig) >= 2 or (cue and len(sig) >= 1))
        all_caps_typed = all(toks[j].text.isupper() for j in span) and \
            sum(len(toks[j].text) for j in span) >= 2
        article = toks[first].norm in ("the", "a", "an") and toks[first].cap and len(span) > 1
        numeric = all(toks[j].norm.isdigit() for j in span)
        attr_terms = self.attrs.lookup(kw) or (self.attrs.lookup([*kw, "s"]) if len(kw) == 1 else None)
        attr_equal = (first, last + 1) in ctx.attr_ranges or attr_terms is not None
        the_popular = toks[first].norm == "the" and len(sig) >= 2 and pop >= 0.9 and attr_terms is None
        if not attr_equal and not capped and not the_popular:
            content = [j for j in span if toks[j].norm not in STOP]
            attr_equal = bool(content) and all(j in ctx.attr_tokens for j in content)
        if numeric:
            prev = toks[first - 1].norm if first > 0 else ""
            spelled = not any(toks[j].text[:1].isdigit() for j in span)
            # "I think Seven is his best", "Seven wrecked me": a number word typed with a capital
            # mid-sentence, or as the subject of a verb, is a name
            if spelled and capped and (subj or post or mid_caps):
                cue = True
            if not cue or prev in ("than", "about", "in", "from", "before", "after", "since", "under",
                                   "over", "around", "$", "like") or nxt in _UNITS:
                return None
            return 0.85
        levels = set(ids.values())
        if attr_equal and (levels == {4} or len(key.replace(" ", "")) <= 3):
            return None  # an acronym or short code that is also an attribute ("WW2", "VR")
        if key in self.titles.curated_keys and key not in self.titles.needs_evidence and \
                not (len(kw) == 1 and kw[0] in COMMON) and not attr_equal:
            return 0.9
        if key in self.titles.needs_evidence:
            if attr_equal:
                return None
            if all_caps_typed and not ctx.caps_unreliable and key not in NOT_ACRONYMS:
                return 0.9
            if (cue or strong_caps) and len(key.replace(" ", "")) >= 3:
                return 0.85
            if cue and capped:
                return 0.85
            if capped and (post or whole or list_next or subj) and not attr_equal:
                return 0.8
            return None
        if attr_equal:
            genre = any(t in self.attrs.genre_like for t in (attr_terms or ()))
            if not capped and not genre and pop >= 0.9 and title_cue(toks, first, last_end) and \
                    first > 0 and toks[first - 1].norm in ("and", "or", ","):
                return 0.8  # "the terminator and predator": continues a list of titles
            if not capped or pop < 0.5:
                return None
            if genre:
                return 0.85 if (cue or article) and not sent_initial and pop >= 0.9 else None
            if article or (not sent_initial and (cue or pop >= 0.8)) or post or whole or list_next or subj:
                return 0.85
            return None
        if len(kw) == 1 and kw[0] in ("i", "a", "s", "t", "d", "m"):
            return None
        pronoun = len(kw) == 1 and kw[0] in _PRONOUNS
        if pronoun and capped and kw[0] in _OBJ_PRONOUNS and nxt in ("is", "was"):
            return 0.85  # "Her is ..." can only be the title
        if pronoun and not (cue or subj or mid_caps):
            return None  # "So, It seems ...": a capital is not enough for "It", "Her", "Up"
        if whole and len(kw) == 1 and (kw[0] in _CHAT_WORDS or kw[0] in POSITIVE or kw[0] in NEGATIVE_EVAL):
            return None  # "Perfect!", "LOL"
        weak_single = len(span) == 1 and (not sig or sig[0] in COMMON or self.english.get(sig[0], 0) >= 10
                                           or sig[0] in _FIRST_NAMES or sig[0] in FIRST_NAMES)
        if sent_initial and len(span) == 1 and nxt == "of" and not cue:
            return None  # "Signs of a good thriller": a noun phrase, not a title
        if weak_single and not (cue or post or list_next or whole or year_tag or subj or mid_caps):
            return None  # "Man to Animal fighting", "in Manhattan", "Keanu": a capital is not enough
        person = bool(sig) and (sig[0] in _FIRST_NAMES or sig[0] in FIRST_NAMES)
        if weak_single and person and not (year_tag or _item_noun_after(toks, last)):
            return None  # "I really like Keanu": a person
        if len(sig) == 1 and len(kw) <= 2 and pop < 0.5 and not year_tag:
            return None  # an obscure one-word title: more likely a film the catalog doesn't have
        if strong_caps:
            if not sig and len(span) == 1 and sent_initial:
                return None
            return 0.95
        if capped and (post or whole or list_next or subj) and not (pronoun and not subj):
            return 0.85
        if not sig:
            return None
        rare = [w for w in sig if w not in COMMON and w not in self.attrs.words and not w.isdigit()]
        if len(sig) == 1:  # one word must not be an everyday word either ("closer", "perfect")
            rare = [w for w in rare if self.english.get(w, 0) < 10]
        prev = toks[first - 1].norm if first > 0 and toks[first - 1].is_word else ""
        if whole and rare:
            return 0.85
        if rare and post and len(sig) == 1 and self.english.get(rare[0], 0) < 10:
            return 0.8  # "internship is my favorite movie"
        if toks[first].norm == "the" and len(sig) >= 2 and pop >= 0.9:
            return 0.8  # "the lion king": an article before a popular title
        if cue:
            if rare or (len(sig) >= 2 and pop >= 0.8) or len(sig) >= 3:
                return 0.9
            return None
        if prev in ATTR_CONTEXT:
            return None
        if len(sig) >= 2 and rare and pop >= 0.3:
            return 0.85
        if len(sig) >= 3 and pop >= 0.8 and len(kw) >= 4:
            return 0.8
        if len(sig) >= 2 and len(kw) >= 4 and pop >= 0.5:
            return 0.8  # "how to train your dragon": four words in a row are no accident
        if len(sig) == 1 and rare and len(rare[0]) >= 5 and pop >= 0.9 and \
                self.english.get(rare[0], 0) < 10:
            return 0.8
        if len(sig) == 1 and rare and capped and len(rare[0]) >= 4 and pop >= 0.3:
            return 0.8  # "Subnautica terrified me": capitalised and no English word
        return None


def _mid_caps(toks: list[Token], span: list[int], kw: list[str], nxt: str, ctx: Context) -> bool:
    """An everyday word typed with a capital mid-sentence ("showing the kids Up tonight").

    Only Title-case (not shouted), not right after an interjection or a comma that may
    restart the sentence, and followed by what can follow a name, not a noun it modifies.
    """
    first = span[0]
    if len(span) != 1 or len(kw) != 1 or kw[0] not in COMMON or ctx.caps_unreliable:
        return False
    t = toks[first]
    if first in ctx.first_of_sentence or not t.text[:1].isupper() or \
            (len(t.text) > 1 and not t.text[1:].islower()):
        return False
    if kw[0] in _PRONOUNS and kw[0] not in _OBJ_PRONOUNS:
        return False  # "It", "This": capitalised by habit or by a sentence restart
    prev = toks[first - 1] if first > 0 else None
    if prev is None or not prev.is_word or prev.norm in _SOFT_START or prev.norm in ("i", "im"):
        return False
    j = first - 1
    while j > 0 and toks[j].norm in TITLE_FUNCTION_WORDS:
        j -= 1
    if j < first - 1 and toks[j].is_word and toks[j].text[:1].isupper():
        return False  # "Bad Boys for Life": the end of a longer capitalised name
    return nxt == "" or nxt in _TITLE_FOLLOW or not nxt[:1].isalnum()


def inside_longer_name(toks: list[Token], first: int, last: int, ctx: Context) -> bool:
    """The words sit inside a longer run of capitalised words (a person, another title)."""
    a, b = first - 1, last + 1
    before = a >= 0 and toks[a].is_word and toks[a].cap and a not in ctx.first_of_sentence and \
        toks[a].norm not in STOP and toks[a].norm not in TITLE_CUES and not toks[a].text.endswith("'s") \
        and not toks[a].norm.isdigit() and not toks[a].text.isupper()
    after = b < len(toks) and toks[b].is_word and toks[b].cap and toks[b].norm not in STOP and \
        not toks[b].norm.isdigit() and toks[b].norm not in ("i", "im", "ive", "id") and \
        not toks[b].text.isupper()
    link = ("of", "for", "in", "on", "at", "de", "du", "von", "van", ":")
    joined = b + 1 < len(toks) and (toks[b].text == "&" or toks[b].norm in link) \
        and toks[b + 1].cap and toks[b + 1].is_word and toks[b + 1].norm not in ("i", "im", "ive", "id")
    sub = b + 1 < len(toks) and toks[b].norm == ":" and toks[b + 1].is_word and not toks[b + 1].cap
    # "Spider-Man": the words are the first half of a hyphenated compound
    compound = b + 1 < len(toks) and toks[b].norm == "-" and toks[b].start == toks[last].end and \
        toks[b + 1].is_word and toks[b + 1].start == toks[b].end
    return before or after or joined or sub or compound


def title_cue(toks: list[Token], first: int, last_end: int) -> bool:
    """A word before ``first`` that introduces a title ("loved", "watched", "the movie", "my
    favourite is"); "and"/"or" only right after the title that ended at ``last_end``."""
    j = first - 1
    while j >= 0 and toks[j].is_word and toks[j].norm in CUE_FILLER:
        j -= 1
    if j < 0:
        return False
    t = toks[j]
    if t.norm == '"':
        return True
    if t.is_word and t.norm in TITLE_CUES:
        if t.norm in ("and", "or"):
            k = j - 1
            while k >= 0 and toks[k].norm in (",", "the"):
                k -= 1
            return k + 1 == last_end or (k + 1 >= last_end > 0 and k < last_end)
        return True
    if t.norm == "," and last_end > 0 and j == last_end and toks[first].cap:
        return True
    if t.norm == ":" and j > 0 and toks[j - 1].norm in ("favorite", "favourite", "favorites"):
        return True
    favs = ("favorite", "favourite", "fave", "favorites", "favourites")
    if t.norm in ("is", "was", "s") and any(toks[k].norm in favs for k in range(max(0, j - 3), j)):
        return True  # "my favourite (movie) is Up"
    # "the movie How to Lose a Guy in 10 Days"
    return t.norm in ("movie", "film", "game", "show") and j > 0 and \
        toks[j - 1].norm in ("the", "a", "that")
