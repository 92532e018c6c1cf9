"""Static word lists for the understanding layer: stop words, common English, cue words.

Everything here is lower-case, accent-free and apostrophe-free (``don't`` is ``dont``),
matching :func:`chatrec.understand.text.tokenize` output.
"""

from __future__ import annotations


def word_set(s: str) -> frozenset[str]:
    """The whitespace-separated words of ``s`` as a frozenset (keeps long lists readable)."""
    return frozenset(s.split())


_words = word_set


# Function words: never significant inside a title, never an attribute on their own.
STOP = _words("""
a an the and or nor but if then than so of to in on at by for from with without into onto
over under about above below up down out off as is are was were be been being am do does did
doing done have has had having i me my mine myself we us our ours you your yours he him his she
her hers it its itself they them their theirs this that these those who whom whose which what
when where why how all any both each few more most other some such no not only own same too
very can could will would shall should may might must just also there here im ive id ill youre
youve theyre thats whats theres lets dont didnt doesnt isnt arent wasnt werent cant wont wouldnt
couldnt shouldnt havent hasnt hadnt yes yeah yep nope ok okay oh ah hmm um uh well please thanks
thank like really quite rather pretty bit lot lots kind sort maybe perhaps anyway though although
again ever even still yet already etc vs via per one ones
""")

# Common English words (plus chat words). A lower-case title made only of these needs a cue,
# quotes or capitals before it is taken as a title; an attribute that is one of these needs a
# curated reason (see ``attributes.GENERIC``).
COMMON = STOP | _words("""
about across act action actually add after afternoon against age ago agree air alive almost
alone along already alright always amazing american among amount angry animal another answer
anybody anyone anything anytime anywhere apart appear apple area arm army around arrive art
ask asked asking attack aunt autumn available average avoid awake away awesome awful baby back
bad badly bag ball band bank bar base basic bath battle beach bear beat beautiful beauty became
because become bed been before began begin beginning behind believe bell belong below beside
best better between beyond big bigger bird birth birthday black blind block blood blow blue
board boat body bone book bored boring born borrow boss both bother bottom box boy brain brave
bread break breakfast breath bright bring broke broken brother brought brown build building
built burn bus business busy buy cake call called calm came camp can car card care careful
carry case cat catch caught cause center central certain certainly chair chance change changed
character cheap check chicken chief child children choice choose church circle city class
clean clear clearly clever climb clock close closed clothes cloud club coat coffee cold collect
college color colour come comes coming company complete completely computer cool copy corner
correct cost could count country couple course cousin cover crazy cream create crime cross
crowd cry cup current cut cute dad daily damn dance danger dangerous dark date daughter day
days dead deal dear death decide decided deep definitely degree deliver design detail die died
different difficult dinner direct dirty discover dish do doctor dog doing dollar door double
doubt down draw dream dress drink drive driver drop dry during each ear early earn earth easily
east easy eat edge egg eight either else empty end ending enemy enjoy enjoyed enough enter
entire equal escape especially even evening event ever every everybody everyone everything
everywhere exact exactly example excellent except excited exciting exercise expect expensive
experience explain extra eye eyes face fact fail fair fall false family famous fan fans fantastic
far farm fast fat father favorite favourite fear feel feeling feet fell felt few field fight
figure fill film films final finally find fine finger finish finished fire first fish fit five
fix flat floor flower fly follow food foot for force forest forget forgot form forward found
four free fresh friend friends front fruit full fun funny future gain game games garden gave
general get gets getting gift girl girls give given glad glass go goes going gold gone good
got great green ground group grow guess guy guys hair half hall hand handle hands hang happen
happened happy hard hardly hate hated head health hear heard heart heat heavy hell hello help
here hero hey hi high hill himself hire history hit hold hole holiday home hope horse hot hotel
hour hours house huge human hundred hungry hurt husband ice idea ill important inside instead
interest interested interesting island itself job join joke journey jump just keep kept key
kid kids kill killed kind king kiss kitchen knew know knowing known lady lake land language
large last late later laugh law lay lazy lead learn least leave left leg less let letter level
lie life light like liked likes line list listen little live lived lives living local long
look looked looking looks lose lost loud love loved lovely low luck lucky lunch mad made main
make makes making man many map mark market married matter maybe meal mean means meant meet
member men message middle might mile milk mind mine minute minutes miss missing mistake modern
mom moment money month months moon morning mostly mother mountain mouth move movie movies much
music must name nature near nearly need needed neither never new news next nice night nine
nobody noise none normal north nose note nothing notice now number obviously ocean odd offer
office often old older once open or order original other others otherwise out outside over own
page paid pain paint pair paper parent parents park part party pass past pay peace people
perfect perhaps person phone pick picked picture piece place plan plane plant play played player
players playing plays please plenty point police poor popular possible power practice prefer
present pretty price probably problem promise pull push put queen question quick quickly quiet
quite race rain ran rather reach read ready real really reason recent red remember rest rich
ride right ring rise river road rock room round rule run running sad safe said sale same save
saw say says school sea season second secret see seem seems seen sell send sense serious set
seven several shake shall shape share she ship shoe shoot shop short should shot show shows
side sign simple since sing single sister sit six size skin sky sleep slow small smart smell
smile snow so soft some somebody someone something sometimes somewhere son song songs soon
sorry sound sounds south space speak special spend spent spring square stand star stars start
started state stay step still stop store story straight strange street strong student study
stuff stupid such sudden summer sun sure surprise sweet swim table take taken takes taking talk
tall taste tea teach team tell ten terrible test than thank thanks that thing things think
thinking third thought three through throw time times tired today together told tomorrow tonight
too took top total touch toward town track trade train travel tree trip trouble true truly
trust truth try trying turn twice two type under understand until upon use used useful usual
usually very view visit voice wait wake walk wall want wanted wants war warm was wash watch
watched watching water way ways weak wear weather week weekend weeks weird welcome well went
west wet what whatever wheel whenever while white whole wide wife wild win wind window winter
wish woman women wonder wonderful word words work worked world worry worse worst worth would
write wrong year years yellow yes yesterday young yourself zero lol haha cool nice awesome sure
thx ty pls plz idk tbh imo btw omg wow anyways gonna wanna gotta kinda sorta yea nah
recommend recommendation recommendations suggest suggestion suggestions option options help
looking watchable playable rewatch genre genres flick flicks show series episode episodes
something anything everything nothing someone tonight weekend evening mood feel feeling vibe
vibes atmosphere tone plot ending story stories characters character actor actors actress
director directors cast scene scenes trailer review reviews rating ratings rated stars classic
classics recent latest newer older released release fan fans kid kids family friends date
partner girlfriend boyfriend wife husband son daughter children
""")

# Words that introduce a title ("I loved ___", "something like ___").
TITLE_CUES = _words("""
like liked love loved loving adore adored enjoy enjoyed enjoying watched watch watching rewatched
saw seen see played play playing replayed finished beat completed hate hated dislike disliked
about than as including include includes fan favorite favourite fave called titled named mean
meant and or
""")

# Adverbs that may sit between a cue and the title ("I really loved ...").
CUE_FILLER = _words("really absolutely totally also just recently already both truly so too still once")

# Words that make the next words attribute context, not a title ("movies with love").
ATTR_CONTEXT = _words("with about featuring involving more less some lots plenty kind type sort")

# Verbs of having seen/played something.
SEEN_VERBS = _words("""seen saw watched watch played finished beat completed rewatched replayed
already own owned""")

# Positive sentiment words (clause polarity and "loved it" back-references).
POSITIVE = _words("""
love loved loving lovely like liked likes enjoy enjoyed enjoying adore adored great amazing
awesome fantastic favorite favourite fave brilliant excellent good incredible masterpiece perfect
best beautiful solid superb wonderful fun into dig digging rocks rocked classic gem underrated
""")

# Evaluations that make a preceding mention negative ("Titanic was boring").
NEGATIVE_EVAL = _words("""
terrible awful horrible boring overrated meh sucked sucks worst disappointing disappointment trash
garbage dull lame mediocre annoying stupid bad cringe cringey hated hate pointless tedious
forgettable weak bland slow unwatchable unplayable sappy cheesy corny pretentious disappointed
underwhelming bored bore bores letdown overhyped snoozefest waste bait pain slog chore mess flop
""")

# Forward negation triggers (scope: to the end of the clause).
NEGATORS = _words("""
no not nothing none never without hate hated hates hating dislike disliked dislikes detest
detested loathe loathed despise despised avoid avoiding skip skipping except excluding exclude
minus nor neither dont didnt doesnt isnt arent wasnt werent cant cannot wont less fewer
against anti nix havent hasnt hadnt wouldnt shouldnt couldnt aint barely
""")

# Words right after a negator that cancel it ("not sure", "don't mind", "never seen").
NEG_NEUTRALIZERS = _words("""
sure mind care know matter picky fussy only necessarily seen watched played heard tried think
remember recall bother worry wait
""")

# Words after a negator meaning "it's fine" ("don't mind horror" -> drop the dislike).
NEG_OK = _words("mind")

# Words that end a forward negation's reach inside a clause once something was negated
# ("no horror and lots of comedy").
POSITIVE_RESET = _words("""
like love want prefer enjoy lots plenty some more just only instead rather maybe something
preferably ideally especially mostly lot definitely
""")

# Pronouns that start a new clause after "and" ("..., and I love ...").
CLAUSE_PRONOUNS = _words("i im ive id ill we were it its thats they theyre my you he she that")

# Pronouns that point back to the previous clause's items ("saw Alien and loved it").
BACK_PRONOUNS = _words("it them that this those these both")

# Generic nouns for the kind of thing recommended.
ITEM_NOUNS = _words("""
movie movies film films flick flicks game games title titles one ones show shows picture pictures
thing things stuff something anything
""")

# Acronyms/abbreviations that are never titles.
NOT_ACRONYMS = _words("""
lol lmao rofl tbh imo imho btw omg idk irl asap fyi aka diy tv usa uk dlc fps rpg rts mmo mmorpg
vr pvp pve npc ai hd pc ps ps4 ps5 xbox ok okay pls plz thx np gg wtf afaik iirc ama tl dr tldr
ty yw nvm smh jk brb ttyl fomo sf scifi dvd cgi eta ceo fbi cia nyc la dc 2d 3d jrpg arpg moba
rpgs fpss coop f2p p2w mp sp ftl ios pdf hbo
""")

# Number words inside titles read as digits ("Ocean's Eleven" == "Ocean's 11").
NUMBER_KEYS: dict[str, str] = {
    "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
    "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13",
}

ROMAN: dict[str, str] = {
    "ii": "2", "iii": "3", "iv": "4", "vi": "6", "vii": "7", "viii": "8", "ix": "9", "xi": "11",
    "xii": "12", "xiii": "13", "xiv": "14", "xv": "15",
}
