"""Candidates for a profile: the vector index, the scorers, their fusion, and the hard filters.

``embed`` (MiniLM) -> ``index`` (Chroma) -> scorers (``collab``, ``attrsim``, ``conversations``)
-> ``candidates`` (fused features, ``learned`` ranker) ; ``filters`` keep every hard limit.
"""
