"""Ranking the candidates with the LLM, checking what it says, and the reasons shown to the user."""
