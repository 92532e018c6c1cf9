"""Local-only mode with the real SmolLM2 model through llama.cpp: real picks, nothing leaves
the machine. By default a turn does not call so small a model (its order is the code's, see
Capabilities.orders_candidates); these tests ask it every turn (CHATREC_LLM_ORDER=on), as a
user who sets that does, and check the default too."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from chatrec.rank.reasons import item_facts, profile_titles
from chatrec.retrieve.filters import violations

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def local_rec(shared_data_dir: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from chatrec.recommender import Recommender
    from chatrec.settings import Settings
    from chatrec.store import SQLStore

    settings = Settings.load(env={}, data_dir=str(shared_data_dir), llm_order="on")
    store = SQLStore.sqlite(tmp_path_factory.mktemp("local") / "s.sqlite3")
    return Recommender(catalog="movies", backend="local", settings=settings, store=store)


def test_by_default_the_small_model_is_not_loaded(shared_data_dir: Path) -> None:
    """The default GGUF orders the candidates as the code already does: a default turn makes no
    call, warm-up does not load it (memory, start-up time), and the reply says who answered."""
    from chatrec.llm import create_backend
    from chatrec.llm.local import LocalLlamaBackend
    from chatrec.recommender import Recommender
    from chatrec.settings import Settings
    from chatrec.store import MemoryStore

    rec = Recommender(catalog="movies", backend="local", store=MemoryStore(),
                      settings=Settings.load(env={}, data_dir=str(shared_data_dir)))
    assert "model" not in rec.warm() and {"vocabulary", "first turn"} <= set(rec.warmed)
    reply = rec.session().send("I loved Interstellar and The Martian, but no horror please")
    assert reply.backend.startswith("chatrec (local:") and reply.backend.endswith("not asked)")
    assert len(reply.picks) == 4 and {p.source for p in reply.picks} == {"code"}
    assert "language model" not in reply.text  # nothing failed: no note
    local = create_backend("local", rec.settings)  # the process's one (cached) instance
    assert isinstance(local, LocalLlamaBackend) and not local.loaded


MESSAGES = [
    "I loved Interstellar and The Martian, but no horror please",
    "something funny from the 90s",
    "a heist movie like Ocean's Eleven, under two hours",
]


@pytest.mark.parametrize("message", MESSAGES)
def test_local_model_turn(local_rec, message: str, network_attempts) -> None:  # type: ignore[no-untyped-def]
    s = local_rec.session()
    reply = s.send(message)
    assert reply.backend.startswith("local:")
    assert 3 <= len(reply.picks) <= 5
    cat = local_rec.catalog
    ids = [p.item_id for p in reply.picks]
    assert len(ids) == len(set(ids))
    for p in reply.picks:
        item = cat.items[p.item_id]
        assert p.reason.strip()
        assert p.source in ("llm", "llm-order", "code")
        # the reason names an attribute or a fact the item really has, and claims nothing else
        ok, why = local_rec.ranker.grounding.check(
            p.reason, item, profile_titles(s.preferences, cat), item_facts(item, cat))
        assert ok, (p.reason, why)
    # after the turn, the picks are "recommended"; nothing else in the profile forbids them
    prefs = s.preferences
    for pid in ids:
        bad = [v for v in violations(cat.items[pid], prefs, cat) if "already recommended" not in v]
        assert not bad, (pid, bad)
    assert network_attempts.list() == []


def test_consecutive_turns_do_not_wait_for_each_other(local_rec) -> None:  # type: ignore[no-untyped-def]
    """The ranker stops reading the model's stream once it has its picks: the model must be
    free for the next turn at once (a stream left open held the model's lock: turn 2 hung)."""
    import threading

    s = local_rec.session()
    replies: list[object] = []

    def talk() -> None:
        for text in ("I loved Interstellar", "more like that", "something funny instead"):
            replies.append(s.send(text))

    t = threading.Thread(target=talk, daemon=True)
    t.start()
    t.join(timeout=300)  # a deadlock guard, not a speed target: each turn takes seconds
    assert not t.is_alive(), f"turn {len(replies) + 1} never finished"
    assert all(r.picks for r in replies)  # type: ignore[attr-defined]


def test_local_mode_opens_no_outside_connection(local_rec, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """Record every socket connection made during a local turn: loopback or none at all."""
    seen: list[object] = []
    real = socket.socket.connect

    def spy(self: socket.socket, address: object) -> None:
        seen.append(address)
        return real(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", spy)
    local_rec.session().send("I loved Interstellar, nothing with horror")
    outside = [a for a in seen
               if isinstance(a, tuple) and not str(a[0]).startswith(("127.", "::1"))]
    assert outside == []
