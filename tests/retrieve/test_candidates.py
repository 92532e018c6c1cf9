"""Unit tests of the candidate scorers and their fusion, on a tiny synthetic catalog with ratings,
an in-memory vector index (hashing embedder) and no model."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from chatrec.catalog import Catalog
from chatrec.errors import CatalogError
from chatrec.profile import Preferences
from chatrec.retrieve.candidates import (
    FEATURES,
    POPULARITY_FEATURES,
    CandidateGenerator,
    Weights,
    _minmax,
    series_key,
)
from chatrec.retrieve.collab import CollaborativeModel
from chatrec.retrieve.embed import HashingEmbedder
from chatrec.retrieve.index import Hit

# id, title, genres, popularity
ITEMS = [
    ("1", "Space Rocket", ["Sci-Fi"], 0.9),
    ("2", "Space Rocket 2", ["Sci-Fi"], 0.5),
    ("3", "Star Voyage", ["Sci-Fi"], 0.4),
    ("4", "Laugh Riot", ["Comedy"], 0.95),
    ("5", "Funny Bones", ["Comedy"], 0.2),
    ("6", "Ghost House", ["Horror"], 0.6),
    ("7", "Quiet Drama", ["Drama"], 0.05),
    ("8", "Galaxy Quest Line", ["Sci-Fi", "Comedy"], 0.3),
]
# users 1-4 watch sci-fi together, users 5-7 comedies; user 8 watches everything
RATINGS = {1: ["1", "2", "3", "8"], 2: ["1", "3", "8"], 3: ["1", "2", "3"], 4: ["1", "3"],
           5: ["4", "5", "8"], 6: ["4", "5"], 7: ["4", "5", "6"], 8: [i for i, *_ in ITEMS]}


def write_tiny(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {
        "name": "tinymovies", "title": "Tiny", "noun": "movie", "plural": "movies",
        "items": "items.jsonl", "ratings": "ratings.csv",
        "fields": {"year": {"type": "int", "label": "Year", "role": "year"},
                   "genres": {"type": "list", "label": "Genres", "role": "attribute"},
                   "score": {"type": "float", "label": "Score", "role": "popularity"}},
        "attribute_fields": ["genres"], "display_fields": ["year", "genres"],
        "popularity_field": "score", "rating_field": None, "link_field": None,
        "attribution": "test data",
    }
    (folder / "catalog.json").write_text(json.dumps(manifest), encoding="utf-8")
    rows = [{"id": i, "title": t, "aliases": [], "text": f"{t}. {' '.join(g)} film.",
             "meta": {"year": 2000, "genres": g, "score": p}} for i, t, g, p in ITEMS]
    (folder / "items.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows),
                                        encoding="utf-8")
    lines = ["user_id,item_id,rating,timestamp"]
    for u, ids in RATINGS.items():
        lines += [f"{u},{i},{4.0 if int(i) % 2 else 3.0},0" for i in ids]
    (folder / "ratings.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


class MemoryIndex:
    """The VectorIndex interface over numpy (filters are left to the generator's own check)."""

    def __init__(self, catalog: Catalog) -> None:
        self.embedder = HashingEmbedder(dim=64)
        self.ids = list(catalog.items)
        self.vecs = self.embedder.encode([catalog.items[i].text for i in self.ids])
        self.queries = 0

    def query(self, vectors: np.ndarray, k: int, where: dict[str, Any] | None = None) -> list[Hit]:
        self.queries += 1
        sims = (self.vecs @ np.asarray(vectors).T).max(axis=1)
        order = np.argsort(-sims)[:k]
        return [Hit(self.ids[j], float(sims[j])) for j in order]

    def vectors(self, item_ids: list[str]) -> tuple[list[str], np.ndarray]:
        found = [i for i in item_ids if i in self.ids]
        if not found:
            return [], np.zeros((0, self.embedder.dim), dtype=np.float32)
        return found, self.vecs[[self.ids.index(i) for i in found]]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Catalog, MemoryIndex, CollaborativeModel]:
    cat = Catalog.from_folder(write_tiny(tmp_path_factory.mktemp("tiny") / "tinymovies"))
    model = CollaborativeModel.from_catalog(cat)
    assert model is not None
    return cat, MemoryIndex(cat), model


def generator(tiny: tuple[Catalog, MemoryIndex, CollaborativeModel],
              weights: Weights | None = None) -> CandidateGenerator:
    cat, index, model = tiny
    return CandidateGenerator(cat, index, model, weights=weights)  # type: ignore[arg-type]


def prefs_liking(*ids: str, disliked: tuple[str, ...] = ()) -> Preferences:
    p = Preferences()
    for n, i in enumerate(ids):
        p.like_item(i, i, n + 1, "user")
    for i in disliked:
        p.dislike_item(i, i, 1, "user")
    return p


# --- pure helpers ------------------------------------------------------------------------
@pytest.mark.parametrize(("title", "key"), [
    ("Toy Story 3", "toy story"), ("Toy Story", "toy story"), ("Rocky IV", "rocky"),
    ("Alien: Covenant", "alien"), ("Up", "up"), ("Part 2", "part 2"),
])
def test_series_key(title: str, key: str) -> None:
    assert series_key(title) == key


@pytest.mark.parametrize(("x", "want"), [
    ([], []), ([2.0, 2.0], [1.0, 1.0]), ([0.0, 0.0], [0.0, 0.0]), ([1.0, 3.0, 2.0], [0.0, 1.0, 0.5]),
])
def test_minmax(x: list[float], want: list[float]) -> None:
    assert _minmax(np.array(x, dtype=np.float32)).tolist() == pytest.approx(want)


# --- collaborative model -------------------------------------------------------------------
def test_collab_api(tiny: tuple[Catalog, MemoryIndex, CollaborativeModel]) -> None:
    cat, _, m = tiny
    assert m.item_ids == list(cat.items) and m.index["1"] == 0
    want = [sum(i in ids for ids in RATINGS.values()) for i, *_ in ITEMS]
    assert m.counts.tolist() == want == [5, 3, 5, 4, 4, 2, 1, 4]
    assert m.neighbours is not None and m.neighbours.shape == (8, 8)
    assert m.similarities(["1", "nope"]).shape == (1, 8)
    assert m.similarities(["nope"]).shape == (0, 8)


@pytest.mark.parametrize(("liked", "best_in", "worst_in"), [
    (["1"], {"2", "3", "8"}, {"4", "5", "6", "7"}),   # sci-fi watchers
    (["4"], {"5", "6", "8"}, {"1", "2", "3"}),        # comedy watchers
    (["1", "4"], {"5", "3"}, {"7"}),                  # the later-liked item weighs more
])
def test_collab_scores_follow_co_watching(tiny: tuple[Catalog, MemoryIndex, CollaborativeModel],
                                          liked: list[str], best_in: set[str],
                                          worst_in: set[str]) -> None:
    _, _, m = tiny
    s = m.scores(liked)
    assert s.shape == (8,)
    if len(liked) == 1:
        assert s[m.index[liked[0]]] == 0.0  # an item is not its own neighbour
    top = max(best_in, key=lambda i: s[m.index[i]])
    assert all(s[m.index[top]] > s[m.index[w]] for w in worst_in)


def test_collab_recency_and_dislikes(tiny: tuple[Catalog, MemoryIndex, CollaborativeModel]) -> None:
    _, _, m = tiny
    sci_last = m.scores(["4", "1"])  # sci-fi liked last
    com_last = m.scores(["1", "4"])
    assert sci_last[m.index["3"]] > com_last[m.index["3"]]
    assert com_last[m.index["5"]] > sci_last[m.index["5"]]
    with_dislike = m.scores(["1"], ["4"])
    assert with_dislike[m.index["5"]] < m.scores(["1"])[m.index["5"]]


def test_predict_rating_range(tiny: tuple[Catalog, MemoryIndex, CollaborativeModel]) -> None:
    _, _, m = tiny
    r = m.predict_rating("3", ["1"], [])
    assert r is not None and 1.0 <= r <= 5.0
    assert m.predict_rating("nope", ["1"], []) is None


# --- popularity prior ---------------------------------------------------------------------
def test_prior_blends_popularity_and_rating_counts(
        tiny: tuple[Catalog, MemoryIndex, CollaborativeModel]) -> None:
    g = generator(tiny)
    prior = g.prior()
    assert set(prior) == {i for i, *_ in ITEMS}
    assert all(0.0 <= v <= 1.0 for v in prior.values())
    assert prior["1"] > prior["7"]  # popular and widely rated beats obscure and rarely rated
    assert g.popular(2) == sorted(prior, key=lambda i: -prior[i])[:2]


def test_after_warm_a_turn_builds_no_table(tiny: tuple[Catalog, MemoryIndex, CollaborativeModel],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from chatrec.retrieve.attrsim import AttributeSimilarity

    cat, _, _ = tiny
    g = generator(tiny)
    g.warm()

    def built_lazily(*args: object) -> None:
        raise AssertionError("computed during the turn, not in warm()")

    monkeypatch.setattr(AttributeSimilarity, "from_catalog", built_lazily)
    monkeypatch.setattr(cat, "popularity", built_lazily)
    monkeypatch.setattr(cat, "votes", built_lazily)
    p = prefs_liking("1")
    p.like_attr("comedy", 1, source="user")
    out = g.generate(p, "funny space", k=5)  # prior, votes, similarity: all from warm()
    assert any(c.signals["similar"] > 0 for c in out)


# --- fusion ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("weights", "liked", "expect_first"), [
    (Weights.only("collab"), ["1"], {"3", "8"}),
    (Weights.only("popularity"), [], {"4"}),
    (Weights(), ["4"], {"5", "8", "1"}),
])
def test_generate_by_weights(tiny: tuple[Catalog, MemoryIndex, CollaborativeModel],
                             weights: Weights, liked: list[str], expect_first: set[str]) -> None:
    g = generator(tiny, weights)
    p = prefs_liking(*liked)
    if not liked:
        p.like_attr("comedy", 1, source="user")
    out = g.generate(p, "", k=5)
    assert out and out[0].item.id in expect_first
    assert not set(liked) & {c.item.id for c in out}  # named items are never candidates
    asked = [not liked and "comedy" in g.catalog.attributes(c.item) for c in out]
    assert asked == sorted(asked, reverse=True)  # what was asked for first (retrieve.requested)
    for tier in (True, False):  # the fused score orders within
        scores = [c.score for c, a in zip(out, asked, strict=True) if a == tier]
        assert scores == sorted(scores, reverse=True)


def test_filters_series_and_explanations(tiny: tuple[Catalog, MemoryIndex, CollaborativeModel]) -> None:
    g = generator(tiny)
    p = prefs_liking("3", disliked=("6",))
    out = g.generate(p, "space", k=8)
    ids = [c.item.id for c in out]
    assert "6" not in ids and "3" not in ids
    assert not ({"1", "2"} <= set(ids))  # one "Space Rocket" per list
    assert all(c.because in (None, "3") for c in out)
    assert set(out[0].signals) == {"dense", "talk", "collab", "similar", "attrs", "popularity",
                                   "conv_popularity", "comention", "conv_context", "same_series"}


def test_thin_profile_leans_on_popularity(tiny: tuple[Catalog, MemoryIndex, CollaborativeModel]) -> None:
    w_on = replace(Weights.only("popularity"), collab=0.2, popularity_thin=5.0)
    w_off = replace(Weights.only("popularity"), collab=0.2, popularity_thin=0.0)
    p = prefs_liking("3")
    on = generator(tiny, w_on).generate(p, "", k=8)
    off = generator(tiny, w_off).generate(p, "", k=8)
    assert on[0].score > off[0].score
    top = max(on, key=lambda c: c.signals["popularity"]).item.id
    assert [c.item.id for c in on].index(top) <= [c.item.id for c in off].index(top)


def test_no_signal_falls_back_to_popular_allowed(
        tiny: tuple[Catalog, MemoryIndex, CollaborativeModel]) -> None:
    g = generator(tiny)
    p = Preferences()
    p.dislike_attr("comedy", 1, source="user")
    out = g.generate(p, "", k=3)
    assert out and all("Comedy" not in c.item.values("genres") for c in out)


# --- the novelty knob -------------------------------------------------------------------------
def test_novelty_turns_popularity_against(tiny: tuple[Catalog, MemoryIndex, CollaborativeModel]) -> None:
    w = Weights()
    assert np.allclose(w.vector(0.5)[[FEATURES.index(f) for f in POPULARITY_FEATURES]], 0.0)
    assert (w.vector(1.0)[FEATURES.index("popularity")] == -w.popularity)
    g = generator(tiny, replace(Weights.only("popularity"), dense=0.1))
    p = prefs_liking()
    p.like_attr("comedy", 1, source="user")
    popular = g.generate(p, "", k=3)
    p.set_novelty(1.0)
    lesser = g.generate(p, "", k=3)
    assert popular[0].item.id == "4" and lesser[0].item.id != "4"
    assert lesser[0].signals["popularity"] < popular[0].signals["popularity"]


# --- attribute similarity (the games' "collaborative" view) and add-ons -----------------------
def test_attribute_similarity(tiny: tuple[Catalog, MemoryIndex, CollaborativeModel]) -> None:
    from chatrec.retrieve.attrsim import AttributeSimilarity

    cat, _, _ = tiny
    sim = AttributeSimilarity.from_catalog(cat)
    s = dict(zip(sim.item_ids, sim.scores(["3"]), strict=True))
    assert s["3"] == 0.0  # the seed itself
    assert s["1"] == s["2"] > s["8"] > 0 and s["4"] == s["6"] == 0.0  # sci-fi > sci-fi comedy > rest
    with_neg = dict(zip(sim.item_ids, sim.scores(["3"], ["4"]), strict=True))
    assert with_neg["8"] < s["8"]  # a disliked comedy pulls the sci-fi comedy down
    assert not sim.scores([]).any()
    g = generator(tiny, Weights.only("similar"))
    out = g.generate(prefs_liking("3"), "", k=3)
    assert out[0].item.id in {"1", "2"} and out[0].signals["similar"] == 1.0


def test_addons_only_when_asked(tmp_path: Path) -> None:
    folder = write_tiny(tmp_path / "tinyaddons")
    manifest = json.loads((folder / "catalog.json").read_text())
    manifest["addons"] = {"field": "genres", "values": ["Comedy"]}  # comedies play the add-ons
    (folder / "catalog.json").write_text(json.dumps(manifest))
    cat = Catalog.from_folder(folder)
    assert cat.is_addon(cat.items["4"]) and not cat.is_addon(cat.items["1"])
    g = CandidateGenerator(cat, MemoryIndex(cat), None, weights=Weights.only("popularity"))  # type: ignore[arg-type]
    plain = {c.item.id for c in g.generate(Preferences(), "", k=8)}
    assert plain and not plain & {"4", "5", "8"}
    asked = {c.item.id for c in g.generate(Preferences(), "", k=8, talk="any DLC worth it?")}
    assert {"4", "5"} <= asked
    manifest["addons"] = {"field": "nope", "values": ["x"]}
    (folder / "catalog.json").write_text(json.dumps(manifest))
    with pytest.raises(CatalogError, match="addons"):
        Catalog.from_folder(folder)


def test_deep_features_scale_with_the_history(tiny: tuple[Catalog, MemoryIndex, CollaborativeModel]) -> None:
    from chatrec.retrieve.candidates import DEEP_AT

    g = generator(tiny)
    p = prefs_liking("3")
    s = g.signals(p, "")
    depth = 1 / DEEP_AT
    assert np.allclose(s.column("collab_deep"), depth * s.column("collab"))
    assert np.allclose(s.column("dense_deep"), depth * s.column("dense"))
    assert not s.column("conv_popularity_deep").any()  # no conversation log here
    assert not s.column("votes").any()  # no votes_field in this catalog


def test_votes_feature_is_log_scaled(tmp_path: Path) -> None:
    folder = write_tiny(tmp_path / "tinymovies")
    manifest = json.loads((folder / "catalog.json").read_text())
    manifest["fields"]["votes"] = {"type": "int", "label": "Votes"}
    manifest["votes_field"] = "votes"
    (folder / "catalog.json").write_text(json.dumps(manifest))
    rows = [json.loads(x) for x in (folder / "items.jsonl").read_text().splitlines()]
    for r in rows:
        r["meta"]["votes"] = {"1": 9999, "4": 99}.get(r["id"], 0)
    (folder / "items.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    cat = Catalog.from_folder(folder)
    g = CandidateGenerator(cat, MemoryIndex(cat), None)  # type: ignore[arg-type]
    v = g.votes()
    assert v["1"] == pytest.approx(1.0) and v["4"] == pytest.approx(0.5, abs=0.01)
    assert v["7"] == 0.0
    s = g.signals(Preferences(), "")
    col = dict(zip(s.ids, s.column("votes"), strict=True))
    assert col["1"] == pytest.approx(1.0) and col["7"] == 0.0
