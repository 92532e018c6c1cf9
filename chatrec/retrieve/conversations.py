"""What real recommenders suggested in real conversations: a catalog's optional dialogue log.

A catalog may ship ``conversations.jsonl.gz`` (manifest key ``"conversations"``): one dialogue a
line, ``{"id": ..., "turns": [{"role": "user"|"assistant", "text": ..., "items": [ids]}]}``,
with ``items`` the catalog ids a turn names. The movies catalog ships the ReDial dialogues
(Li et al., 2018) this way. Three candidate signals come from it (:class:`ConversationModel`):

* ``popularity``: how often people recommended an item in conversation (log scale, 0..1) --
  what people ask for in a chat is not what they rate most on MovieLens;
* ``comention``: items recommended right after the user's items were talked about;
* ``context``: the items recommended in the past contexts whose user words are closest to this
  user's words (nearest neighbours of the MiniLM embedding of everything the user said).

Evaluation on the same dialogues must not learn from the dialogue it scores:
:meth:`ConversationModel.without` drops conversations by id.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from chatrec.errors import CatalogError

if TYPE_CHECKING:
    from chatrec.catalog import Catalog
    from chatrec.retrieve.embed import Embedder

CONTEXT_CHARS = 1500  # the user's words kept for a context (the latest ones)
NEIGHBOURS = 100  # past contexts that vote in ``context``
_CACHE: dict[str, ConversationModel] = {}
_LOCK = threading.Lock()


def talk_text(user_texts: list[str]) -> str:
    """Everything the user said, latest words kept: the text a context is embedded from."""
    return " ".join(t.strip() for t in user_texts if t and t.strip())[-CONTEXT_CHARS:]


@dataclass(frozen=True)
class Context:
    """One recommender turn that named items, with what came before it."""

    conversation: str
    talk: str  # the user's words before this turn
    seeds: tuple[int, ...]  # catalog positions named earlier in the conversation
    items: tuple[int, ...]  # catalog positions this turn recommended


def read_log(path: Path, index: dict[str, int]) -> list[Context]:
    """Parse a conversation log into contexts; a bad line raises naming the file and line."""
    out: list[Context] = []
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    d = json.loads(line)
                    cid = str(d["id"])
                    turns = d["turns"]
                    if not isinstance(turns, list):
                        raise ValueError("'turns' must be a list")
                except (ValueError, KeyError, TypeError) as e:
                    raise CatalogError(f"{path}: line {n}: not a conversation: {e}") from None
                said: list[str] = []
                seen: list[int] = []
                for t in turns:
                    role = t.get("role")
                    items = [index[i] for i in map(str, t.get("items") or []) if i in index]
                    if role == "user":
                        said.append(str(t.get("text") or ""))
                    elif role == "assistant" and items:
                        out.append(Context(cid, talk_text(said), tuple(dict.fromkeys(seen)),
                                           tuple(dict.fromkeys(items))))
                    elif role not in ("user", "assistant"):
                        raise CatalogError(f"{path}: line {n}: role must be 'user' or "
                                           f"'assistant', got {role!r}")
                    seen.extend(items)
    except OSError as e:
        raise CatalogError(f"{path}: cannot read: {e}") from None
    return out


class ConversationModel:
    """Conversation popularity, co-mentions and nearest past contexts over one catalog."""

    def __init__(self, item_ids: list[str], contexts: list[Context], vectors: np.ndarray) -> None:
        self.item_ids = item_ids
        self.index = {i: n for n, i in enumerate(item_ids)}
        self.contexts = contexts
        self.vectors = np.asarray(vectors, dtype=np.float32)
        self.sources = frozenset(c.conversation for c in contexts)
        n = len(item_ids)
        pop = np.zeros(n, dtype=np.float32)
        rows: list[int] = []
        cols: list[int] = []
        k_rows: list[int] = []
        k_cols: list[int] = []
        for ci, c in enumerate(contexts):
            for i in c.items:
                pop[i] += 1
                k_rows.append(ci)
                k_cols.append(i)
                for s in c.seeds:
                    if s != i:
                        rows.append(s)
                        cols.append(i)
        top = float(pop.max()) if n else 0.0
        self.popularity = (np.log1p(pop) / np.log1p(top)).astype(np.float32) if top > 0 else pop
        self.co = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(n, n))
        self.context_items = sp.csr_matrix(
            (np.ones(len(k_rows), dtype=np.float32), (k_rows, k_cols)), shape=(len(contexts), n))

    @classmethod
    def from_catalog(cls, catalog: Catalog, embedder: Embedder,
                     cache_dir: Path | None = None) -> ConversationModel | None:
        """The catalog's model (cached per catalog and embedder), or None without a log."""
        name = catalog.manifest.conversations_file
        if not name:
            return None
        path = catalog.path / name
        key = f"{catalog.name}:{catalog.content_hash}:{embedder.name}"
        with _LOCK:
            if key not in _CACHE:
                index = {i: n for n, i in enumerate(catalog.items)}
                contexts = read_log(path, index)
                vectors = context_vectors(path, contexts, embedder, cache_dir)
                _CACHE[key] = cls(list(catalog.items), contexts, vectors)
            return _CACHE[key]

    def without(self, conversation_ids: set[str] | frozenset[str]) -> ConversationModel:
        """The same model learned without these conversations (for honest evaluation)."""
        keep = [n for n, c in enumerate(self.contexts) if c.conversation not in conversation_ids]
        if len(keep) == len(self.contexts):
            return self
        return ConversationModel(self.item_ids, [self.contexts[n] for n in keep],
                                 self.vectors[keep] if len(keep) else self.vectors[:0])

    # --- the three signals (arrays over the catalog, 0..1) ---------------------------
    def comention(self, seed_ids: list[str]) -> np.ndarray:
        rows = [self.index[s] for s in seed_ids if s in self.index]
        if not rows:
            return np.zeros(len(self.item_ids), dtype=np.float32)
        s = np.asarray(self.co[rows].sum(axis=0), dtype=np.float32).ravel()
        return s / max(float(s.max()), 1e-9)

    def context(self, talk_vector: np.ndarray | None, k: int = NEIGHBOURS) -> np.ndarray:
        """Similarity-weighted votes of the ``k`` past contexts nearest to the user's words."""
        out = np.zeros(len(self.item_ids), dtype=np.float32)
        if talk_vector is None or len(self.contexts) == 0:
            return out
        sims = self.vectors @ np.asarray(talk_vector, dtype=np.float32)
        k = min(k, len(sims))
        nb = np.argpartition(-sims, k - 1)[:k]
        w = np.maximum(sims[nb], 0.0)
        out = np.asarray(self.context_items[nb].T @ w, dtype=np.float32).ravel()
        return out / max(float(out.max()), 1e-9)


def context_vectors(path: Path, contexts: list[Context], embedder: Embedder,
                    cache_dir: Path | None) -> np.ndarray:
    """Embeddings of every context's words: shipped beside the log for the default embedder,
    else computed once and cached under ``cache_dir``."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    shipped = path.parent / "conversations.f16.npy"
    meta = path.parent / "conversations.json"
    if shipped.exists() and meta.exists():
        m: dict[str, Any] = json.loads(meta.read_text(encoding="utf-8"))
        if m.get("embedder") == embedder.name and m.get("log_sha256") == digest:
            v = np.load(shipped).astype(np.float32)
            if len(v) == len(contexts):
                return v
    cached = cache_dir / f"conversations-{digest[:16]}-{embedder.name}.npy" if cache_dir else None
    if cached is not None and cached.exists():
        v = np.load(cached)
        if len(v) == len(contexts):
            return np.asarray(v, dtype=np.float32)
    v = embedder.encode([c.talk or "-" for c in contexts]) if contexts else \
        np.zeros((0, embedder.dim), dtype=np.float32)
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        np.save(cached, np.asarray(v, dtype=np.float16))
    return np.asarray(v, dtype=np.float32)


def write_shipped_vectors(path: Path, embedder: Embedder, index: dict[str, int]) -> int:
    """Embed a log's contexts and store them beside it (the build script calls this)."""
    contexts = read_log(path, index)
    v = embedder.encode([c.talk or "-" for c in contexts])
    np.save(path.parent / "conversations.f16.npy", np.asarray(v, dtype=np.float16))
    meta = {"embedder": embedder.name, "log_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "contexts": len(contexts), "chars": CONTEXT_CHARS}
    (path.parent / "conversations.json").write_text(json.dumps(meta, indent=2) + "\n")
    return len(contexts)
