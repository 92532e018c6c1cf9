"""The Chroma index on a small catalog written in the test (HashingEmbedder: no model load)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from chatrec.catalog import Catalog
from chatrec.profile import Constraint, Preferences
from chatrec.retrieve.embed import HashingEmbedder, load_shipped_embeddings, write_shipped_embeddings
from chatrec.retrieve.filters import build_where, violations
from chatrec.retrieve.index import VectorIndex, build_collection, chroma_client, collection_name
from chatrec.settings import Settings

ITEMS = [
    ("1", "Space Voyage", 1995, ["Sci-Fi", "Adventure"], 120, "astronauts travel to a far planet"),
    ("2", "Haunted Manor", 1999, ["Horror"], 95, "a ghost story in an old manor house"),
    ("3", "Star Rescue", 2010, ["Sci-Fi", "Action"], 140, "a rescue mission among the stars in space"),
    ("4", "Laugh Riot", 1985, ["Comedy"], 88, "friends on a funny road trip"),
    ("5", "Alien Night", 2001, ["Sci-Fi", "Horror"], 101, "an alien hunts the crew of a space ship"),
    ("6", "Quiet Drama", 1970, ["Drama"], None, "a family drama in a small town"),
]


def write_catalog(folder: Path, texts: dict[str, str] | None = None) -> Catalog:
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {
        "name": "tiny", "title": "Tiny", "noun": "movie", "plural": "movies",
        "items": "items.jsonl", "ratings": None,
        "fields": {"year": {"type": "int", "label": "Year", "role": "year"},
                   "genres": {"type": "list", "label": "Genres", "role": "attribute"},
                   "runtime": {"type": "int", "label": "Runtime", "unit": "min"}},
        "attribute_fields": ["genres"], "display_fields": ["year", "genres", "runtime"],
        "popularity_field": None, "rating_field": None, "link_field": None,
        "attribution": "test data",
    }
    (folder / "catalog.json").write_text(json.dumps(manifest))
    rows = []
    for iid, title, year, genres, runtime, text in ITEMS:
        meta: dict[str, object] = {"year": year, "genres": genres}
        if runtime is not None:
            meta["runtime"] = runtime
        t = (texts or {}).get(iid, f"{title}. {' '.join(genres)}. {text}")
        rows.append(json.dumps({"id": iid, "title": title, "text": t, "meta": meta}))
    (folder / "items.jsonl").write_text("\n".join(rows) + "\n")
    return Catalog.from_folder(folder)


class CountingEmbedder(HashingEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.texts = 0

    def encode(self, texts, *, batch_size=64, show_progress=False):  # type: ignore[no-untyped-def]
        self.texts += len(texts)
        return super().encode(texts)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.load(env={}, data_dir=str(tmp_path / "data"))


def test_build_query_and_filters(tmp_path: Path, settings: Settings) -> None:
    cat = write_catalog(tmp_path / "tiny")
    idx = VectorIndex.open(cat, HashingEmbedder(), settings)
    assert idx.count() == len(ITEMS)
    hits = idx.query_text(["space stars astronauts"], 3)
    assert {h.item_id for h in hits} & {"1", "3", "5"}
    prefs = Preferences()
    prefs.dislike_attr("horror", 1)
    prefs.set_constraint(Constraint("year", "min", 1990))
    where = build_where(prefs, cat)
    got = {h.item_id for h in idx.query_text(["space"], 10, where)}
    assert got == {"1", "3"}  # horror and pre-1990 items never come back
    assert all(not violations(cat.items[i], prefs, cat) for i in got)
    ids, vecs = idx.vectors(["1", "nope", "3"])
    assert ids == ["1", "3"] and vecs.shape == (2, 384)


def test_missing_value_never_passes_a_limit(tmp_path: Path, settings: Settings) -> None:
    cat = write_catalog(tmp_path / "tiny")
    idx = VectorIndex.open(cat, HashingEmbedder(), settings)
    prefs = Preferences()
    prefs.set_constraint(Constraint("runtime", "max", 200))
    got = {h.item_id for h in idx.query_text(["drama family"], 10, build_where(prefs, cat))}
    assert "6" not in got  # runtime unknown


def test_changed_catalog_gets_a_new_index_and_old_is_dropped(tmp_path: Path,
                                                             settings: Settings) -> None:
    emb = HashingEmbedder()
    cat1 = write_catalog(tmp_path / "tiny")
    VectorIndex.open(cat1, emb, settings)
    cat2 = write_catalog(tmp_path / "tiny", texts={"4": "a changed description"})
    assert cat1.content_hash != cat2.content_hash
    VectorIndex.open(cat2, emb, settings)
    names = [c if isinstance(c, str) else c.name for c in chroma_client(settings).list_collections()]
    assert collection_name(cat2, emb) in names and collection_name(cat1, emb) not in names


def test_interrupted_build_resumes(tmp_path: Path, settings: Settings) -> None:
    emb = CountingEmbedder()
    cat = write_catalog(tmp_path / "tiny")
    client = chroma_client(settings)
    col = client.create_collection(collection_name(cat, emb), embedding_function=None,
                                   metadata={"complete": False, "hnsw:space": "cosine"})
    first = list(cat)[:2]
    col.add(ids=[it.id for it in first], embeddings=HashingEmbedder().encode([it.text for it in first]),
            metadatas=[{"attrs": ["-"]} for _ in first])
    idx = VectorIndex.open(cat, emb, settings)
    assert idx.count() == len(ITEMS)
    assert emb.texts == len(ITEMS) - 2  # only the missing items were embedded


def test_shipped_vectors_are_used_only_when_they_match(tmp_path: Path, settings: Settings) -> None:
    emb = CountingEmbedder()
    cat = write_catalog(tmp_path / "tiny")
    vecs = HashingEmbedder().encode([it.text for it in cat])
    write_shipped_embeddings(cat, emb, vecs)
    got = load_shipped_embeddings(cat, emb)
    assert got is not None and np.allclose(got, vecs, atol=1e-2)
    VectorIndex.open(cat, emb, settings)
    assert emb.texts == 0  # nothing embedded: the shipped vectors were used
    # a changed text invalidates them: the catalog is embedded for real
    cat2 = write_catalog(tmp_path / "tiny", texts={"2": "a different text"})
    (tmp_path / "tiny" / "embeddings.json").write_text(
        (tmp_path / "tiny" / "embeddings.json").read_text())
    assert load_shipped_embeddings(cat2, emb) is None
    VectorIndex.open(cat2, emb, Settings.load(env={}, data_dir=str(tmp_path / "data2")))
    assert emb.texts == len(ITEMS)


class RecordingEmbedder(HashingEmbedder):
    """Keeps the texts of every encode call, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[list[str]] = []

    def encode(self, texts, *, batch_size=64, show_progress=False):  # type: ignore[no-untyped-def]
        self.calls.append(list(texts))
        return super().encode(texts)


def test_build_embeds_shortest_texts_first_and_each_vector_stays_with_its_item(
        tmp_path: Path, settings: Settings) -> None:
    emb = RecordingEmbedder()
    cat = write_catalog(tmp_path / "tiny")
    client = chroma_client(settings)
    col = build_collection(client, collection_name(cat, emb), cat, emb, batch=2)
    assert [len(c) for c in emb.calls] == [2, 2, 2]  # chunks of the batch size
    lengths = [len(t) for call in emb.calls for t in call]
    assert lengths == sorted(lengths) and len(lengths) == len(ITEMS)
    got = col.get(ids=[it.id for it in cat], include=["embeddings"])
    stored = dict(zip(got["ids"], got["embeddings"], strict=True))
    for it in cat:
        assert np.allclose(stored[it.id], HashingEmbedder().encode([it.text])[0], atol=1e-6)
    VectorIndex(cat, emb, col).warm()  # Chroma's first query, done before any turn

