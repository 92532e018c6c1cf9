"""Evaluation and benchmarks: ``python -m chatrec.eval <suite>``."""
