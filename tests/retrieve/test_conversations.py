"""The conversation log (chatrec.retrieve.conversations): parsing, its three signals, leave-out for honest
evaluation, and its use by the candidate generator; plus the shipped movies log."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from chatrec.catalog import Catalog
from chatrec.errors import CatalogError
from chatrec.retrieve import conversations
from chatrec.retrieve.candidates import CandidateGenerator, Weights
from chatrec.retrieve.conversations import ConversationModel, read_log, talk_text
from chatrec.retrieve.embed import HashingEmbedder
from tests.retrieve.test_candidates import MemoryIndex, prefs_liking, write_tiny

LOG = [
    {"id": "c1", "turns": [
        {"role": "user", "text": "I loved Space Rocket, want more space adventures", "items": ["1"]},
        {"role": "assistant", "text": "Try Star Voyage", "items": ["3"]}]},
    {"id": "c2", "turns": [
        {"role": "user", "text": "space adventures please, like Space Rocket", "items": ["1"]},
        {"role": "assistant", "text": "Star Voyage, and Galaxy Quest Line", "items": ["3", "8"]}]},
    {"id": "c3", "turns": [
        {"role": "user", "text": "something funny tonight", "items": []},
        {"role": "assistant", "text": "Funny Bones!", "items": ["5", "not-in-catalog"]}]},
]


def write_log(folder: Path, rows: list[dict[str, object]], gz: bool = True) -> Path:
    path = folder / ("conversations.jsonl.gz" if gz else "conversations.jsonl")
    data = "".join(json.dumps(r) + "\n" for r in rows).encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


@pytest.fixture()
def tiny_log(tmp_path: Path) -> tuple[Catalog, ConversationModel]:
    folder = write_tiny(tmp_path / "tinymovies")
    write_log(folder, LOG)
    manifest = json.loads((folder / "catalog.json").read_text())
    manifest["conversations"] = "conversations.jsonl.gz"
    (folder / "catalog.json").write_text(json.dumps(manifest))
    cat = Catalog.from_folder(folder)
    conversations._CACHE.clear()  # each test gets its own cache folder
    model = ConversationModel.from_catalog(cat, HashingEmbedder(dim=64), tmp_path / "cache")
    assert model is not None
    return cat, model


def test_read_log_contexts_and_seeds(tiny_log: tuple[Catalog, ConversationModel]) -> None:
    cat, model = tiny_log
    assert [c.conversation for c in model.contexts] == ["c1", "c2", "c3"]
    c2 = model.contexts[1]
    pos = {i: n for n, i in enumerate(cat.items)}
    assert c2.seeds == (pos["1"],) and c2.items == (pos["3"], pos["8"])
    assert c2.talk == "space adventures please, like Space Rocket"
    assert model.contexts[2].items == (pos["5"],)  # unknown ids are dropped, not fatal
    assert model.sources == {"c1", "c2", "c3"}


def test_three_signals(tiny_log: tuple[Catalog, ConversationModel]) -> None:
    cat, model = tiny_log
    ids = list(cat.items)
    pop = dict(zip(ids, model.popularity, strict=True))
    assert pop["3"] == 1.0 and 0 < pop["8"] < 1 and pop["5"] > 0 and pop["4"] == 0
    co = dict(zip(ids, model.comention(["1"]), strict=True))
    assert co["3"] == 1.0 and co["8"] == 0.5 and co["5"] == 0.0
    emb = HashingEmbedder(dim=64)
    ctx = dict(zip(ids, model.context(emb.encode(["space adventures"])[0], k=1), strict=True))
    assert max(ctx, key=lambda i: ctx[i]) in {"3", "8"} and ctx["5"] == 0.0
    assert not model.context(None).any() and not model.comention(["nope"]).any()


def test_without_drops_a_conversation(tiny_log: tuple[Catalog, ConversationModel]) -> None:
    cat, model = tiny_log
    ids = list(cat.items)
    held = model.without({"c2"})
    assert held.sources == {"c1", "c3"} and len(held.vectors) == 2
    assert dict(zip(ids, held.popularity, strict=True))["8"] == 0.0  # only c2 recommended it
    assert model.without({"elsewhere"}) is model
    assert not model.without({"c1", "c2", "c3"}).popularity.any()


def test_bad_log_names_file_and_line(tmp_path: Path) -> None:
    path = write_log(tmp_path, [LOG[0], {"turns": []}], gz=False)
    with pytest.raises(CatalogError, match=r"conversations.jsonl: line 2: .*'id'"):
        read_log(path, {"1": 0})
    path.write_text(json.dumps({"id": "x", "turns": [{"role": "narrator", "items": []}]}) + "\n")
    with pytest.raises(CatalogError, match="line 1: role must be"):
        read_log(path, {})


def test_context_vectors_are_cached(tiny_log: tuple[Catalog, ConversationModel], tmp_path: Path) -> None:
    cached = list((tmp_path / "cache").glob("conversations-*-hashing.npy"))
    assert len(cached) == 1 and np.load(cached[0]).shape == (3, 64)


def test_generator_uses_the_log(tiny_log: tuple[Catalog, ConversationModel]) -> None:
    cat, model = tiny_log
    index = MemoryIndex(cat)
    gen = CandidateGenerator(cat, index, None, weights=Weights.only("comention"),  # type: ignore[arg-type]
                             conversations=model)
    out = gen.generate(prefs_liking("1"), "", k=3)
    assert out[0].item.id == "3" and out[0].signals["comention"] == 1.0
    talk = talk_text(["hi", "something funny tonight"])
    out = CandidateGenerator(cat, index, None, weights=Weights.only("conv_context"),  # type: ignore[arg-type]
                             conversations=model).generate(prefs_liking(), "", k=3, talk=talk)
    assert out[0].item.id == "5"
    # without a log every conversation feature is 0 and nothing breaks
    bare = CandidateGenerator(cat, index, None, weights=Weights())  # type: ignore[arg-type]
    assert all(c.signals["conv_popularity"] == 0.0 for c in bare.generate(prefs_liking("1"), "", k=5))


def test_talk_text_keeps_latest_words() -> None:
    assert talk_text(["a", " ", "b"]) == "a b"
    assert talk_text(["x" * 2000, "end"]).endswith("end") and len(talk_text(["x" * 2000])) == 1500


@pytest.mark.slow
def test_shipped_movies_log(movies_rec) -> None:  # type: ignore[no-untyped-def]
    model = movies_rec.conversations
    assert model is not None and len(model.contexts) > 2000 and 850 < len(model.sources) <= 901
    assert model.vectors.shape == (len(model.contexts), 384)
    top = [movies_rec.catalog.items[model.item_ids[j]].title for j in np.argsort(-model.popularity)[:30]]
    assert any("Get Out" in t or "Deadpool" in t or "Avengers" in t for t in top)
