""""Only X": an attribute the user restricts the picks to, as a hard constraint.

"only documentaries please", "just comedies", "nothing but horror", "puzzle games only" each
become a :class:`~chatrec.profile.Constraint` ``<field> has <term>`` on the attribute field
that carries the term most often (genres before keywords for "documentary"), filtered like
every other limit; the term is also liked, so reasons and the request order see it. "Actually,
comedies are fine too" (another attribute declared fine) lifts it again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatrec.profile import Constraint
from chatrec.vocab import normalize_term

if TYPE_CHECKING:
    from chatrec.catalog import Catalog
    from chatrec.profile import Preferences
    from chatrec.understand.mentions import Mention
    from chatrec.understand.text import Token

_CUES = ("only", "just", "exclusively", "solely")
_BETWEEN = ("a", "an", "the", "some", "good", "great", "pure", "straight")  # "only the ..."
_AFTER = ("only", "exclusively")  # "documentaries only"


def attribute_fields_of(catalog: Catalog) -> dict[str, str]:
    """Each attribute term -> the attribute field carrying it on the most items."""
    best: dict[str, tuple[int, str]] = {}
    for f in catalog.manifest.attribute_fields:
        for term, n in catalog.field_vocabulary(f).items():
            if n > best.get(term, (0, ""))[0]:
                best[term] = (n, f)
    return {t: f for t, (_, f) in best.items()}


def only_cue(toks: list[Token], m: Mention, clause_of: list[int]) -> bool:
    """True when the mention is restricted: "only X", "just X", "nothing but X", "X only"."""
    c = clause_of[m.start]
    j = m.start - 1
    while j >= 0 and toks[j].is_word and toks[j].norm in _BETWEEN and m.start - j <= 2:
        j -= 1
    if j >= 0 and toks[j].is_word and toks[j].norm in _CUES and (
            j == m.start - 1 or toks[j].norm != "just"):  # "just a comedy": simply, not only
        return True
    if nothing_but(toks, m):
        return True
    k = m.end
    while k < len(toks) and toks[k].is_word and toks[k].norm in ("movies", "films", "games",
                                                                  "books", "shows", "stuff"):
        k += 1
    return (k < len(toks) and toks[k].is_word and clause_of[k] == c
            and toks[k].norm in _AFTER)


def nothing_but(toks: list[Token], m: Mention) -> bool:
    """"nothing but horror": a restriction that reads like a negation."""
    ws = [t.norm for t in toks[max(0, m.start - 3):m.start] if t.is_word]
    return ws[-2:] == ["nothing", "but"] or ws[-2:] == ["none", "but"]


def only_constraint(m: Mention, fields: dict[str, str], turn: int) -> Constraint | None:
    """The constraint for a restricted mention: its term said in the user's words when one
    is (``relaxing`` over ``casual``), else its first; None when no field carries it."""
    said = normalize_term(m.said)
    terms = [t for t in m.terms if t in fields]
    if not terms:
        return None
    term = next((t for t in terms if t == said or said.startswith(t) or t.startswith(said)),
                terms[0])
    return Constraint(fields[term], "has", term, turn, m.said)


def lifted_by(m: Mention, prefs: Preferences, fields: dict[str, str]) -> list[str]:
    """Keys of "only" constraints (``has`` on an attribute field) that "<another attribute>
    is fine too" lifts."""
    if any(t in prefs.disliked_attrs for t in m.terms):
        return []  # "ok, gore is fine": un-disliking, not widening
    attr_fields = set(fields.values())
    return [c.key for c in prefs.constraints.values() if c.op == "has"
            and c.field in attr_fields and normalize_term(str(c.value)) not in m.terms]
