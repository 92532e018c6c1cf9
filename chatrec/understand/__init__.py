"""Deterministic understanding of user messages (no LLM needed).

``Understander(catalog).parse(text, prefs, turn)`` returns an :class:`Understanding`: items
named (by title, alias, abbreviation, typo, or "the second one"), liked and disliked
attributes from the catalog's own vocabulary, hard constraints (years, runtime, price,
rating, early access, required features), lifted limits, references to the last picks,
the intent, and a cleaned-up positive text for retrieval. :func:`apply` writes it into the
profile and returns notes for the user.

Modules: ``text`` (tokens, clauses, title keys), ``lexicon`` (word lists), ``titles`` (the
title index), ``mentions`` (mention and message-context types), ``title_finder`` (exact titles,
typos, unknown names), ``title_evidence`` (when words are a title), ``attributes`` (vocabulary +
mood table), ``attr_context`` (when an attribute is a preference), ``catalog_facts`` (the fields
constraints use), ``constraints`` (constraint rules; years and runtime in ``time_constraints``,
shared pieces in ``constraint_patterns``), ``comparatives`` ("cheaper than that"),
``references`` ("#2", "that one"), ``polarity`` (negation scope), ``decide`` (mentions ->
liked/disliked/seen/asked), ``intent`` (questions and intents), ``parser`` (the Understander),
``model`` (result types and :func:`apply`), ``llm_extract`` (the optional LLM extractor).
Evaluation: ``python -m chatrec.eval.understanding``.
"""

from chatrec.understand.model import TitleMatch, Understanding, apply
from chatrec.understand.parser import Understander

__all__ = ["TitleMatch", "Understander", "Understanding", "apply"]
