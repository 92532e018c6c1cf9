"""Attributes from the catalog's own vocabulary, plus a curated table of moods and phrasings.

A user's words are matched on word boundaries, longest n-gram first (1-5 words), against the
normalized terms of the catalog's ``attribute_fields`` (genres, tags, keywords, Steam specs).
Only terms that exist in *this* catalog are ever output, so ``"relaxing"`` gives
``relaxing``/``casual`` for games and nothing for movies.

Rules for which vocabulary terms can be matched at all:

* a term must be on at least ``min_count`` items (3), except genre fields (any count);
* a term in :data:`GENERIC` or :data:`JUNK` never matches ("movie", "good", "in netflix queue");
* a single-word term that is an everyday English word (``lexicon.COMMON``: "love", "time",
  "friends") matches only if it is a genre or in :data:`ALLOW_COMMON` ("space", "war").

Rare terms (on 1 or 2 items: "time loop", "wuxia", "unreliable narrator") are specific enough
that a user naming them means them, so :meth:`AttributeIndex.add_rare` admits them when the
user's words are the *whole* term and the term is not everyday language: several words at least
one of which is not a common word, or one word that is neither common English nor frequent in
the catalog's descriptions; never a title's own name. They are matched after titles (never as
evidence against a title) and never by plural-stripping a common word.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

from chatrec.understand.lexicon import (
    COMMON,
    NEGATIVE_EVAL,
    POSITIVE,
    STOP,
    word_set,
)
from chatrec.understand.text import Token, words
from chatrec.vocab import SYNONYMS, normalize_term

if TYPE_CHECKING:
    from chatrec.catalog import Catalog

# Never attributes, whatever the catalog says.
GENERIC = word_set("""
spirit vein
movie movies film films game games good great best new old classic classics story stories fun
awesome bad boring overrated predictable watch play like love favorite favourite nice cool
experience gaming software utilities tutorial benchmark mod mods modern stats standing seated
soundtrack sequel remake remade unique class race writing books future memory death life time
friends friend man woman people world one two three day night home end city masterpiece cult
favorites classic
""") | frozenset({
    "feature film", "based on a book", "based on novel", "level editor", "includes level editor",
    "game demo",
})

JUNK = frozenset({
    "in netflix queue", "duringcreditsstinger", "aftercreditsstinger", "imdb top 250",
    "06 oscar nominated best movie - animation", "oscar (best actress)", "bad plot", "plot holes",
    "woman director", "based on novel", "feature film", "steam achievements",
    "steam trading cards", "steam cloud", "steam leaderboards", "downloadable content",
    "captions available", "commentary available", "includes source sdk",
    "steam turn notifications", "valve anti-cheat enabled",
    "steamvr collectibles", "game demo", "keyboard / mouse", "mouse only", "steam machine",
    "360 video", "mods (require hl2)", "mods (require hl1)", "free to play", "early access",
    "shakespeare sort of", "movie business", "animal movie", "good dialogue",
    "masterpiece", "cult film", "cult classic",
})

# Words of review tags, which describe an opinion, not what an item is about.
_CRITIQUE = POSITIVE | NEGATIVE_EVAL | word_set("""
acting actors dialogue ending plot script writing cinematography performance performances poor
powerful enjoyable masterpiece must see seen rewatch rewatchable quality""")

_ADJ_SUFFIXES = ("ing", "ed", "ous", "ful", "ive", "able", "ible", "ical", "less", "ish", "ly", "est", "er")

# Everyday words that are still good attributes.
ALLOW_COMMON = word_set("""
space war crime family history music dark nature police magic science sports drama cute funny
difficult short racing fighting building horror comedy romance western animation documentary fantasy
thriller action adventure casual strategy simulation puzzle arcade retro sad epic quirky mystery
musical military prison school detective survival zombies robot alien dystopia heist spy pirates
ninja samurai vampire superhero christmas war racing sport football soccer boxing baseball
basketball golf chess fishing hunting trains dogs horses anime violence gore violent realistic
relaxing psychological political politics religion emotional creepy weird surreal clever smart witty
gritty beautiful colorful stylized experimental abstract minimalist
""")

# Mood words and everyday phrasings -> groups of candidate terms. Each group outputs its first
# term that exists in the catalog's vocabulary (so one mood word gives at most one term per
# group). Keys are normalized phrases (see text.words).
MOOD: dict[str, tuple[tuple[str, ...], ...]] = {}


def _mood(phrases: str, *groups: tuple[str, ...]) -> None:
    for p in phrases.split("|"):
        MOOD[" ".join(words(p))] = groups


_mood("light|lighthearted|light hearted|light-hearted|something light|easy watching|easy going|"
      "easygoing|not too serious|not serious|silly|goofy|laugh|laughs|make me laugh|comedic|"
      "hilarious|funny|humorous|humor|humour|fun", ("comedy",))
_mood("feel good|feel-good|feelgood|uplifting|cheerful|cheer me up|upbeat|"
      "feel better", ("feel-good", "comedy"))
_mood("for the kids|for kids|for my kids|with my kids|with the kids|for children|for my children|"
      "with my children|kid friendly|kid-friendly|family friendly|family-friendly|childrens|kids|"
      "my kids|the kids|children|my children|my kid|for my kid|with my kid|for a kid|with the kid|"
      "my little one|my little ones|"
      "for the whole family|for the family|for my son|for my daughter|kids movie|kids movies|"
      "kids game|kids games", ("family friendly", "family"))
_mood("dark|bleak|grim|depressing", ("dark",))
_mood("gritty", ("gritty", "dark"))
_mood("disturbing|unsettling|messed up", ("disturbing", "dark"))
_mood("scary|creepy|spooky|frightening|terrifying|horrifying|chilling|jump scares|"
      "jumpscares|scare me|scares", ("horror",))
_mood("mind-bending|mind bending|mindbending|mind-blowing|mind blowing|mindblowing|trippy|"
      "mind fuck|mindfuck|mess with your head|messes with your head|brain twisting",
      ("mind-bending", "mindfuck", "psychological"), ("twist ending",))
_mood("makes you think|make you think|make me think|thought provoking|thought-provoking|"
      "cerebral|philosophical", ("thought-provoking", "philosophical", "psychological"))
_mood("twist|twists|plot twist|plot twists|twisty|twist ending|surprise ending",
      ("twist ending", "plot twist"))
_mood("relaxing|relaxed|relax|chill|chilled|calm|calming|cozy|cosy|laid back|laid-back|peaceful|zen|"
      "unwind|soothing|comfy|low stress|low-stress|stress free|stress-free|wholesome and chill",
      ("relaxing",), ("casual",))
_mood("sad|tearjerker|tear jerker|tear-jerker|make me cry|made me cry|makes me cry|cry|"
      "emotional|touching|heartbreaking|heart breaking", ("emotional", "sad"))
_mood("heartwarming|heart warming|heart-warming|wholesome", ("heartwarming", "feel-good", "cute"))
_mood("cute|adorable", ("cute",))
_mood("action packed|action-packed|explosions|adrenaline|high octane|lots of action|"
      "lot of action", ("action",))
_mood("intense|edge of my seat|edge of your seat|edge-of-your-seat|suspenseful|gripping|tense|"
      "nail biting|nail-biting|thrilling|suspense", ("suspense", "thriller"))
_mood("epic", ("epic",))
_mood("violent|violence|brutal", ("violence", "violent"))
_mood("gory|gore|bloody|splatter", ("gore", "violence"))
_mood("quirky|offbeat|off-beat|weird|strange|bizarre|eccentric", ("quirky", "surreal", "weird"))
_mood("surreal|dreamlike|dreamy", ("surreal", "dreamlike"))
_mood("clever|witty|smart", ("clever", "witty", "intelligent"))
_mood("challenging|difficult|punishing|hardcore|souls-like|soulslike|souls like|really hard|"
      "very hard|too hard|that hard|so hard|super hard|hard games|hard game|tough|brutal but fair|"
      "hard but fair|tough but fair", ("difficult",))
_mood("microtransactions|micro transactions|micro-transactions|in-app purchases|in app purchases|"
      "pay to win|pay-to-win|p2w|loot boxes|lootboxes", ("in-app purchases",))
_mood("story driven|story-driven|good story|great story|strong story|narrative driven|"
      "narrative-driven|story heavy|story based|story-based|deep story|rich story|story rich",
      ("story rich",))
_mood("with friends|with my friends|with a friend|with buddies|with my buddies|with my buddy|"
      "with my partner|with my girlfriend|with my boyfriend|with my wife|with my husband|"
      "with my brother|with my sister|cooperative|co-operative|together with", ("co-op",))
_mood("couch co-op|couch coop|couch co op|local co-op|local coop|same couch",
      ("local co-op", "shared/split screen"))
_mood("split screen|split-screen|splitscreen", ("shared/split screen", "split screen"))
_mood("controller support|controller|gamepad|gamepad support|play with a controller|"
      "controller friendly", ("full controller support",))
_mood("retro|old school|old-school|oldschool|8-bit|8 bit|16-bit|16 bit", ("retro",))
_mood("pixel art|pixel graphics|pixelated|pixel", ("pixel graphics",))
_mood("nostalgic|nostalgia", ("nostalgia", "nostalgic", "retro"))
_mood("true story|based on a true story|based on true story|real events|based on real events|"
      "true events|real story|based on real life|real life story", ("based on true story",
                                                                       "true story",
                                                                       "based on a true story"))
_mood("biopic|biographical|biography", ("biography", "biopic"))
_mood("whodunit|whodunnit|murder mystery|murder mysteries", ("murder", "mystery"), ("mystery",))
_mood("ww2|wwii|world war 2|world war two|second world war|world war ii", ("world war ii",))
_mood("ww1|wwi|world war 1|world war one|first world war|world war i|great war", ("world war i",))
_mood("outer space|in space|space travel|spaceship|spaceships|space ships|starships|space exploration",
      ("space",))
_mood("space opera", ("space opera", "space"))
_mood("comic book|comic books|comics|based on a comic", ("based on comic book", "comic book", "superhero"))
_mood("superhero|superheroes|super hero|super heroes|superheros", ("superhero",))
_mood("undead", ("zombies",))
_mood("extraterrestrial|extraterrestrials", ("alien",))
_mood("robots|androids|android|cyborg|cyborgs", ("robot",))
_mood("dinosaur|dinosaurs|dinos|dino", ("dinosaur", "dinosaurs"))
_mood("christmas|xmas|holiday movie|holiday season", ("christmas",))
_mood("love story|love stories|romantic|romance|romances", ("romance",))
_mood("teen|teens|teenager|teenagers|teen movie", ("teenager", "high school"))
_mood("heist|heists|robbery|robberies|caper|bank robbery", ("heist",))
_mood("spy|spies|espionage|secret agent|secret agents", ("spy", "espionage"))
_mood("martial arts|kung fu|karate|kung-fu", ("martial arts",))
_mood("mafia|mob|mobster|mobsters|gangster|gangsters|organized crime", ("mafia", "gangster"))
_mood("pirate|pirates", ("pirates", "pirate"))
_mood("real time strategy|real-time strategy|rts", ("rts",))
_mood("city builder|city building|city-building|city builders|build a city|build cities|"
      "building a city|building cities", ("city builder",))
_mood("resource management|manage resources|managing resources", ("resource management",))
_mood("walking sim|walking simulator|walking sims", ("walking simulator",))
_mood("puzzler|puzzlers|puzzle game|puzzle games|puzzles|brain teasers", ("puzzle",))
_mood("platforming|platformer|platformers", ("platformer",))
_mood("exploring|explore|exploration", ("exploration",))
_mood("vr|virtual reality", ("vr",))
_mood("female protagonist|female lead|strong female lead|woman lead|heroine|female hero|"
      "female main character|girl power", ("female protagonist", "strong female lead", "girl power"))
_mood("beautiful|gorgeous|stunning|visually stunning|great visuals|beautiful visuals|"
      "great graphics|good graphics|beautiful graphics|pretty graphics|nice graphics|"
      "cinematography", ("visually appealing", "beautiful", "colorful"))
_mood("great soundtrack|good soundtrack|great music|good music|amazing soundtrack|"
      "amazing music|beautiful music", ("great soundtrack",))
_mood("atmospheric|atmosphere|moody", ("atmospheric",))
_mood("lovecraft|lovecraftian|cosmic horror|cthulhu", ("lovecraftian",))
_mood("sandbox|sandbox game", ("sandbox",))
_mood("open world|open-world|openworld|free roam|free-roam", ("open world",))
_mood("multiplayer|multi player|multi-player|online multiplayer", ("multi-player",))
_mood("single player|singleplayer|single-player|solo|play alone|by myself|on my own",
      ("single-player",))
_mood("co-op|coop|co op", ("co-op",))
_mood("online co-op|online coop", ("online co-op",))
_mood("pvp|player versus player|player vs player", ("pvp",))
_mood("mmo|mmos|mmorpg|mmorpgs", ("mmorpg", "massively multiplayer"))
_mood("shooters|shooter|shoot em up|shoot 'em up", ("shooter",))
_mood("first person|first-person|fps|first person shooter|first-person shooter", ("fps", "first-person"))
_mood("roguelike|roguelikes|rogue-like|rogue like|rogue-likes", ("roguelike",))
_mood("roguelite|roguelites|rogue-lite|rogue lite", ("rogue-lite",))
_mood("deckbuilder|deck builder|deck-builder|deck building|card game|card games",
      ("card game",))
_mood("farming|farm|farming sim|farming game", ("agriculture", "farming"))
_mood("survival game|survival games|survival", ("survival",))
_mood("crafting", ("crafting",))
_mood("turn based|turn-based|turnbased", ("turn-based",))
_mood("hack and slash|hack n slash|hack-and-slash", ("hack and slash",))
_mood("point and click|point-and-click|point & click", ("point & click",))
_mood("time travel|time-travel|time traveling|time travelling", ("time travel",))
_mood("time loop|time loops|groundhog day", ("time loop",))
_mood("post apocalyptic|post-apocalyptic|postapocalyptic|apocalypse|apocalyptic|end of the world",
      ("post-apocalyptic", "apocalypse"))
_mood("dystopian|dystopia|dystopias", ("dystopia",))
_mood("zombie|zombies|zombie apocalypse", ("zombies",))
_mood("serial killer|serial killers", ("serial killer",))
_mood("anime|animes|japanese animation", ("anime",))
_mood("cartoon|cartoons|animated|animation", ("animation",))
_mood("documentary|documentaries|docs|docu", ("documentary",))
_mood("musical|musicals", ("musical",))
_mood("sci fi|sci-fi|scifi|science fiction|science-fiction|sf", ("science fiction",))
_mood("rom com|romcom|rom-com|romantic comedy|romantic comedies", ("romantic comedy", "romance"))
_mood("black comedy|dark comedy|dark humor|dark humour|black humor", ("dark comedy", "black comedy",
                                                                       "dark humor"))
_mood("psychological thriller|psychological thrillers", ("psychological thriller", "psychological"),
      ("thriller",))
_mood("noir|film noir|film-noir", ("film-noir",))
_mood("western|westerns|cowboy|cowboys", ("western",))
_mood("war movie|war movies|war film|war films|war game|war games", ("war",))
_mood("sports|sport|sports game|sports games", ("sports", "sport"))
_mood("racing|racing game|racing games|cars|driving", ("racing", "driving"))
_mood("stealth", ("stealth",))
_mood("medieval|middle ages|knights", ("medieval",))
_mood("vampire|vampires", ("vampire",))
_mood("witch|witches|witchcraft", ("witch",))
_mood("ghost|ghosts|ghost story|ghost stories|haunted|haunted house",
      ("ghosts", "ghost", "haunted house"))
_mood("supernatural|paranormal", ("supernatural", "paranormal"))
_mood("short|quick|short game|short games|finish in an afternoon|in one sitting|one sitting|"
      "in an afternoon|a few hours long|couple of hours long", ("short",))
_mood("crude|crude humor|crude humour|raunchy|gross-out|gross out|vulgar|toilet humor", ("crude humor",))
_mood("permadeath|perma death|perma-death", ("perma death",))


@dataclass(frozen=True)
class AttrMatch:
    """Attribute terms found at tokens ``[start, end)`` of the message."""

    start: int
    end: int
    terms: tuple[str, ...]
    said: str  # the user's words


class AttributeIndex:
    """Phrase (tuple of normalized words) -> catalog terms, for one catalog."""

    def __init__(self, catalog: Catalog, min_count: int = 3) -> None:
        vocab = catalog.vocabulary()
        man = catalog.manifest
        genre_terms: set[str] = set()
        for f in man.attribute_fields:
            if "genre" in f.lower():
                genre_terms |= set(catalog.field_vocabulary(f))
        self.vocab = vocab
        # terms people use as genre words ("horror", "survival"): a capitalised one is still
        # the genre, not a title that happens to share the word
        self.genre_like = genre_terms | {t for t, n in vocab.items() if n >= 100}
        self.is_games = man.noun == "game" or man.name == "games"
        self.accepted: set[str] = set()
        for term, n in vocab.items():
            if self._acceptable(term, n, term in genre_terms, min_count):
                self.accepted.add(term)
        self.phrases: dict[tuple[str, ...], tuple[str, ...]] = {}
        for term in self.accepted:
            ws = tuple(words(term))
            if ws:
                self._put(ws, (term,))
                for pl in _plurals(ws):
                    if len(pl) == 1 and pl[0] in COMMON and pl[0] not in ALLOW_COMMON:
                        continue  # "trains" is a tag, "train" is just a word
                    self.phrases.setdefault(pl, (term,))
        for syn, target in SYNONYMS.items():
            t = normalize_term(target)
            if t in self.accepted:
                self.phrases.setdefault(tuple(words(syn)), (t,))
        mood: dict[tuple[str, ...], tuple[str, ...]] = {}
        for phrase, groups in MOOD.items():
            out: list[str] = []
            for g in groups:
                for cand in g:
                    c = normalize_term(cand)
                    if c in vocab and c not in JUNK and (vocab[c] >= min_count or c in genre_terms):
                        if c not in out:
                            out.append(c)
                        break
            if out:
                key = tuple(phrase.split())
                mood[key] = tuple(out)
                for pl in _plurals(key):
                    mood.setdefault(pl, tuple(out))
        self.phrases.update(mood)
        # "heist movie" -> "heist": a phrase ending in a generic noun means the shorter term
        for key in list(self.phrases):
            if len(key) >= 2 and key[-1] in ("movie", "movies", "film", "films", "game", "games") and \
                    self.phrases.get(key[:-1]):
                self.phrases[key] = self.phrases[key[:-1]]
        for t in GENERIC:
            self.phrases.pop(tuple(t.split()), None)
        if self.is_games:
            self.phrases.pop(("fun",), None)
        self.phrases.pop(("sf",), None)  # "SF" is as often San Francisco
        self.max_len = max((len(k) for k in self.phrases), default=1)
        self.words: set[str] = {w for k in self.phrases for w in k if w not in STOP}
        self.rare: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._rare_candidates = [t for t, n in vocab.items() if 0 < n < min_count and t not in genre_terms
                                 and t not in JUNK and t not in GENERIC]

    def add_rare(self, is_title: Callable[[str], bool], english: dict[str, int]) -> None:
        """Admit the rare terms (see the module docstring); ``english``: word -> descriptions using it."""
        for term in self._rare_candidates:
            ws = tuple(words(term))
            if not ws or len(ws) > 4 or ws in self.phrases or any(w.isdigit() for w in ws):
                continue
            if len(ws) == 1:
                w = ws[0]
                if w in COMMON or len(w) < 5 or english.get(w, 0) >= 10 or w.endswith(_ADJ_SUFFIXES):
                    continue  # everyday words; adjectives judge ("confusing"), nouns say what it's about
            elif all(w in COMMON for w in ws):
                continue  # "deep sea", "long night": everyday phrases
            if (len(ws) > 1 and is_title(term)) or any(w in _CRITIQUE for w in ws):
                continue  # a title's name; a review tag ("great acting", "powerful ending")
            self.rare.setdefault(ws, (term,))
            for pl in _plurals(ws):
                if pl not in self.phrases:
                    self.rare.setdefault(pl, (term,))
        self.max_len = max([self.max_len, *(len(k) for k in self.rare)])

    def _put(self, ws: tuple[str, ...], terms: tuple[str, ...]) -> None:
        if ws not in self.phrases:
            self.phrases[ws] = terms

    @staticmethod
    def _acceptable(term: str, n: int, is_genre: bool, min_count: int) -> bool:
        if term in JUNK or term in GENERIC or not term.strip():
            return False
        ws = words(term)
        if not ws or len(ws) > 5 or all(w.isdigit() for w in ws):
            return False
        if is_genre:
            return True
        if n < min_count:
            return False
        if len(ws) == 1 and ws[0] in COMMON and ws[0] not in ALLOW_COMMON:
            return False
        return not all(w in STOP for w in ws)

    def lookup(self, ws: Iterable[str]) -> tuple[str, ...] | None:
        return self.phrases.get(tuple(ws))

    def find(self, toks: list[Token], blocked: set[int], rare: bool = False) -> list[AttrMatch]:
        """Longest-first phrase matches over word tokens not in ``blocked`` (``rare``: rare terms too).

        Words of one phrase may be separated only by ``-`` or ``/`` (``co-op``, ``split/screen``).
        """
        idx = [i for i, t in enumerate(toks) if t.is_word]
        out: list[AttrMatch] = []
        k = 0
        while k < len(idx):
            i = idx[k]
            if i in blocked:
                k += 1
                continue
            found = None
            for n in range(min(self.max_len, len(idx) - k), 0, -1):
                span = idx[k:k + n]
                if any(j in blocked for j in span):
                    continue
                if not _joined(toks, span):
                    continue
                key = tuple(toks[j].norm for j in span)
                terms = self.phrases.get(key)
                if not terms and rare and key in self.rare and not (k > 0 and toks[idx[k - 1]].norm == "for"):
                    terms = self.rare[key]  # not after "for": "for halloween night" is an occasion
                if terms:
                    found = (n, span, terms)
                    break
            if found is None:
                k += 1
                continue
            n, span, terms = found
            said = " ".join(toks[j].text for j in span)
            out.append(AttrMatch(span[0], span[-1] + 1, terms, said))
            k += n
        return out


def _joined(toks: list[Token], span: list[int]) -> bool:
    for a, b in pairwise(span):
        between = toks[a + 1:b]
        if any(t.norm not in ("-", "/", "'") for t in between):
            return False
    return True


def _plurals(ws: tuple[str, ...]) -> list[tuple[str, ...]]:
    last = ws[-1]
    out: list[str] = []
    if last.endswith("y") and len(last) > 3:
        out.append(last[:-1] + "ies")
    if last.endswith(("s", "x", "ch", "sh")):
        out.append(last + "es")
        if last.endswith("s") and len(last) > 4:
            out.append(last[:-1])  # "zombies" -> "zombie"
    else:
        out.append(last + "s")
    return [(*ws[:-1], o) for o in out]
