"""A catalog's learned ranker: file validation, loading, and its effect on the ranking."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from chatrec.catalog import Catalog
from chatrec.errors import CatalogError
from chatrec.profile import Preferences
from chatrec.retrieve.candidates import FEATURES, CandidateGenerator, Weights, for_novelty, novelty_factor
from chatrec.retrieve.learned import LearnedRanker, for_catalog
from tests.retrieve.test_candidates import MemoryIndex, write_tiny

POP = FEATURES.index("popularity")


def ranker_dict(hidden: int = 2, **over: Any) -> dict[str, Any]:
    d: dict[str, Any] = {"features": list(FEATURES), "weights": [0.0] * len(FEATURES),
                         "A": np.zeros((hidden, len(FEATURES))).tolist(),
                         "b": [0.0] * hidden, "v": [0.0] * hidden}
    d.update(over)
    return d


def test_score_is_linear_plus_v_dot_tanh() -> None:
    w = [0.0] * len(FEATURES)
    w[POP] = 1.0
    A = [[1.0] + [0.0] * (len(FEATURES) - 1)]
    r = LearnedRanker.from_dict(ranker_dict(hidden=1, weights=w, A=A, b=[0.5], v=[2.0]),
                                source="x", features=FEATURES)
    X = np.zeros((3, len(FEATURES)), dtype=np.float32)
    X[:, 0] = [0.0, 1.0, -0.5]
    X[:, POP] = [0.2, 0.4, 0.9]
    term = 2.0 * np.tanh(X[:, 0] + 0.5)
    assert np.allclose(r.term(X), term)
    assert np.allclose(r.score(X), X[:, POP] + term)
    assert r.term(X[:0]).shape == (0,)
    again = LearnedRanker.from_dict(r.to_dict(), source="x", features=FEATURES)
    assert np.allclose(again.score(X), r.score(X))


@pytest.mark.parametrize(("over", "message"), [
    ({"features": ["dense", "talk"]}, "refit it"),
    ({"A": [[0.0, 1.0]]}, "do not fit"),
    ({"v": [0.0]}, "do not fit"),
    ({"weights": [1.0]}, "do not fit"),
    ({"A": None}, "do not fit"),
    ({"features": 7}, "not a ranker file"),
])
def test_bad_files_say_the_fix(over: dict[str, Any], message: str) -> None:
    with pytest.raises(CatalogError, match=message) as ei:
        LearnedRanker.from_dict(ranker_dict(**over), source="/c/ranker.json", features=FEATURES)
    assert "/c/ranker.json" in str(ei.value)


def test_novelty_scales_popularity_weights_only() -> None:
    w = np.ones(len(FEATURES), dtype=np.float32)
    assert (novelty_factor(0.0), novelty_factor(0.25), novelty_factor(0.5),
            novelty_factor(1.0), novelty_factor(3.0)) == (1.0, 0.5, 0.0, -1.0, -1.0)
    v = for_novelty(w, 1.0)
    assert v[POP] == -1.0 and v[FEATURES.index("dense")] == 1.0 and w[POP] == 1.0  # a copy
    assert np.array_equal(Weights().vector(0.25), for_novelty(Weights().vector(), 0.25))


def with_ranker(folder: Path, ranker: dict[str, Any] | None) -> Catalog:
    manifest = json.loads((folder / "catalog.json").read_text())
    manifest["ranker"] = "ranker.json"
    (folder / "catalog.json").write_text(json.dumps(manifest))
    if ranker is not None:
        (folder / "ranker.json").write_text(json.dumps(ranker))
    return Catalog.from_folder(folder)


def test_catalog_without_ranker_ranks_linearly(tmp_path: Path) -> None:
    cat = Catalog.from_folder(write_tiny(tmp_path / "tinymovies"))
    assert cat.manifest.ranker_file is None and for_catalog(cat, FEATURES) is None
    assert CandidateGenerator(cat, MemoryIndex(cat), None).learned() is None  # type: ignore[arg-type]


def test_missing_ranker_file_names_it(tmp_path: Path) -> None:
    cat = with_ranker(write_tiny(tmp_path / "tinymovies"), None)
    with pytest.raises(CatalogError, match=r"ranker\.json"):
        for_catalog(cat, FEATURES)


def test_ranker_replaces_the_linear_weights(tmp_path: Path) -> None:
    # a ranker strongly against popularity: with it, the least popular allowed item leads
    A = np.zeros((1, len(FEATURES)))
    A[0, POP] = 3.0
    cat = with_ranker(write_tiny(tmp_path / "tinymovies"),
                      ranker_dict(hidden=1, A=A.tolist(), b=[0.0], v=[-50.0]))
    index = MemoryIndex(cat)
    only_pop = {**{f: 0.0 for f in FEATURES}, "popularity": 1.0}
    g = CandidateGenerator(cat, index, None, weights=Weights(**only_pop))  # type: ignore[arg-type]
    assert g.learned() is not None
    assert g.generate(Preferences(), k=3)[0].item.id == "7"  # the least popular item (0.05)
    linear = CandidateGenerator(cat, index, None,  # type: ignore[arg-type]
                                weights=Weights(**only_pop, learned=False))
    assert linear.learned() is None
    assert linear.generate(Preferences(), k=3)[0].item.id == "4"  # the most popular (0.95)
    neutral = Preferences()
    neutral.novelty = 0.5  # the knob's neutral point: the term is off
    assert g.generate(neutral, k=3)[0].item.id != "7"
