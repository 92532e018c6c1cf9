"""The LLM-worded simulated user (``simulate --user-backend``): the checks on its text, the
fallback to the template turn, and a real run with the shipped local GGUF model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chatrec.eval import llm_user, offline, simulate
from chatrec.llm.base import Message
from chatrec.llm.fake import FailingLLM, FakeLLM


@pytest.fixture(scope="module")
def sim_rec(shared_data_dir: Path) -> Any:
    return offline.make_recommender("movies", "fake", shared_data_dir)


# --- the checks -------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "titles", "want"), [
    ("Something like the matrix, please", ["The Matrix (1999)"], True),
    ("Something like MATRIX!", ["The Matrix"], True),  # no article, case, punctuation
    ("something like Termintor 2", ["Terminator 2: Judgment Day"], False),  # partial only
    ("Termintor 2: Judgement Day maybe", ["Terminator 2: Judgment Day"], True),  # fuzzy
    ("I'd like a sci-fi movie from the 1990s.", ["The Matrix (1999)"], False),
    ("Cheer me up with a comedy", ["Up (2009)"], True),  # a short title: whole word
    ("A superhero film, please", ["Up (2009)"], False),  # ... never inside a word
    ("Amélie was lovely", ["Amelie"], True),
])
def test_leaks(text: str, titles: list[str], want: bool) -> None:
    assert llm_user.leaks(text, titles) is want


def test_missing_fact() -> None:
    intent = llm_user.Intent("t", ["Heat (1995)", "Alien (1979)"], ("decade", "1990s"))
    assert llm_user.missing_fact("I loved Heat and Alien; something from the 90s", intent) is None
    assert "Alien" in str(llm_user.missing_fact("I loved Heat, from the 1990s", intent))
    assert "decade" in str(llm_user.missing_fact("I loved Heat and Alien", intent))
    reject = llm_user.Intent("t", [], ("genre", "Comedy"), reject=True)
    assert llm_user.missing_fact("Those aren't it, a comedy please", reject) is None
    assert llm_user.missing_fact("Great, a comedy please", reject) == "the rejection"
    assert llm_user.missing_fact("The person wants no comedy they don't like", reject) == \
        "the first person"


def _echo(messages: list[Message], schema: dict[str, Any] | None) -> str:
    """A "rephrasing" that returns the template itself (always keeps every fact)."""
    return messages[-1].content.split("\n", 1)[0].removeprefix("Message: ")


def test_say_falls_back_and_counts() -> None:
    intent = llm_user.Intent("No, not those. Something from the 1990s.", [],
                             ("decade", "1990s"), reject=True)
    user = llm_user.LLMUser(FakeLLM(["Not those - I want Heat!", "", "Sure!", _echo]))
    said = [user.say(intent, ["Heat (1995)"]) for _ in range(4)]
    assert said[:3] == [intent.template] * 3 and said[3] == intent.template
    assert FailingLLM().name and llm_user.LLMUser(FailingLLM()).say(intent, []) == intent.template
    s = user.summary()
    assert s["turns"] == 4 and s["rephrased"] == 1
    assert s["fallbacks"] == {"leak": 1, "missing_fact": 1, "empty": 1, "error": 0}
    assert "[" not in str(llm_user.clean_reply('Message: "Hi there"\n\nextra'))
    assert llm_user.clean_reply('Message: "Hi there"\n\nextra') == "Hi there"


# --- end to end -------------------------------------------------------------------------------
@pytest.mark.slow
def test_leaking_llm_user_falls_back_to_the_template(sim_rec: Any, tmp_path: Path,
                                                     network_attempts: Any) -> None:
    rows = offline.ratings_of(sim_rec)
    users, _ = simulate.build_users(sim_rec, rows, limit=3)
    titles = [sim_rec.catalog.items[u.target].title for u in users]
    leaking = FakeLLM(responder=lambda m, s: f"No, not those. Maybe {' or '.join(titles)}?")
    base = simulate.evaluate(sim_rec, limit=3, max_turns=2, progress=False)
    res = simulate.evaluate(sim_rec, limit=3, max_turns=2, progress=False, user_backend=leaking)
    sent = sum(len(ex["messages"]) for ex in res["examples"])
    u = res["user_llm"]
    assert res["user"] == "llm:fake" and u["turns"] == sent == len(leaking.calls) > 0
    assert u["fallbacks"]["leak"] == sent and u["rephrased"] == 0 and u["fallback_rate"] == 1.0
    # every turn sent is the template turn: the run is the template run
    assert [ex["messages"] for ex in res["examples"]] == [ex["messages"] for ex in base["examples"]]
    assert res["success_by_turn"] == base["success_by_turn"]
    assert base["user"] == "template" and base["user_llm"] is None
    _, mp = simulate.write_outputs(res, tmp_path, "sim_llm")
    text = mp.read_text()
    assert "LLM user `fake`" in text and f"leak {sent}" in text
    assert json.loads((tmp_path / "sim_llm.json").read_text())["user_llm"]["turns"] == sent


@pytest.mark.slow
def test_echoing_llm_user_is_accepted(sim_rec: Any) -> None:
    res = simulate.evaluate(sim_rec, limit=2, max_turns=2, progress=False,
                            user_backend=FakeLLM(responder=_echo))
    u = res["user_llm"]
    assert u["turns"] > 0 and u["rephrased"] == u["turns"] and u["fallback_rate"] == 0.0


@pytest.mark.slow
def test_local_model_user(sim_rec: Any, network_attempts: Any) -> None:
    """2 users x 2 turns worded by the shipped SmolLM2 GGUF (llama.cpp), nothing leaves."""
    from chatrec.llm import create_backend

    backend = create_backend("local", sim_rec.settings)
    assert backend.name.startswith("local:")
    res = simulate.evaluate(sim_rec, limit=2, max_turns=2, progress=False,
                            user_backend=backend)
    u = res["user_llm"]
    sent = sum(len(ex["messages"]) for ex in res["examples"])
    assert res["users"] == 2 and u["turns"] == sent >= 2
    assert u["rephrased"] + sum(u["fallbacks"].values()) == u["turns"]
    assert res["errors"] == 0
    for ex, o in zip(res["examples"], res["outcomes"], strict=True):
        item = sim_rec.catalog.items[o["target"]]
        assert not any(llm_user.leaks(m, [item.title]) for m in ex["messages"])
        assert all(m.strip() for m in ex["messages"])
    assert network_attempts.list() == []
