"""Deterministic understanding of user messages (no LLM needed).

``Understander(catalog).parse(text, prefs, turn)`` returns an :class:`Understanding`: items
named (by title, alias, abbreviation, typo, or "the second one"), liked and disliked
attributes from the catalog's own vocabulary, hard constraints (years, runtime, price,
rating, early access, required features), lifted limits, references to the last picks,
the intent, and a cleaned-up positive text for retrieval. :func:`apply` writes it into the
profile and returns notes for the user.

Modules: ``text`` (tokens, clauses, title keys), ``lexicon`` (word lists), ``titles`` (the
title index), ``mentions`` (when words are a title: evidence rules, typos, unknown names),
``attributes`` (vocabulary + mood table), ``constraints`` (constraint rules), ``references``
("#2", "that one"), ``polarity`` (negation scope), ``parser`` (the Understander), ``model``
(result types and :func:`apply`), ``report`` (evaluation: ``python -m chatrec.understand.report``).
"""

from chatrec.understand.model import TitleMatch, Understanding, apply
from chatrec.understand.parser import Understander

__all__ = ["TitleMatch", "Understander", "Understanding", "apply"]
