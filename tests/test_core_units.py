"""Fast unit tests of settings, prompts, profile and filters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chatrec.errors import ConfigError, PromptError
from chatrec.profile import Constraint, Preferences
from chatrec.prompts import REQUIRED, load_prompt, load_prompts, variables_of
from chatrec.settings import REPO_DIR, Settings
from chatrec.types import Item

# --- settings -----------------------------------------------------------------------------


def test_settings_precedence() -> None:
    env = {"CHATREC_N_PICKS": "3", "CHATREC_CATALOG": "games", "OPENAI_API_KEY": "sk-secret",
           "CHATREC_USE_LLM": "false"}
    s = Settings.load(env=env, catalog="movies")
    assert s.catalog == "movies"  # argument beats environment
    assert s.n_picks == 3 and s.use_llm is False  # environment beats default
    assert s.openai_api_key == "sk-secret"
    assert "sk-secret" not in repr(s) and s.public_dict()["openai_api_key"] == "***"


@pytest.mark.parametrize("env,needle", [
    ({"CHATREC_N_PICKS": "many"}, "CHATREC_N_PICKS"),
    ({"CHATREC_N_PICKS": "0"}, "n_picks"),
    ({"CHATREC_STRUCTURED_OUTPUT": "xml"}, "structured_output"),
    ({"CHATREC_USE_LLM": "perhaps"}, "use_llm"),
])
def test_settings_errors_name_the_setting(env: dict[str, str], needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        Settings.load(env=env)


def test_settings_unknown_override() -> None:
    with pytest.raises(ConfigError, match="unknown setting"):
        Settings.load(env={}, n_pickz=3)


# --- prompts ------------------------------------------------------------------------------


def test_shipped_prompts_load_and_render() -> None:
    prompts = load_prompts(REPO_DIR / "prompts")
    assert set(prompts) == set(REQUIRED)
    text = prompts["rank_system"].render(noun_plural="movies", n=3)
    assert '{"picks"' in text  # literal braces survive formatting


def test_prompt_variable_mismatch(tmp_path: Path) -> None:
    (tmp_path / "rank_user.txt").write_text("{profile} {candidates} {n} {oops}")
    with pytest.raises(PromptError, match="oops"):
        load_prompt(tmp_path, "rank_user")
    with pytest.raises(PromptError, match="missing"):
        load_prompt(tmp_path, "nope")


def test_prompt_render_checks_values() -> None:
    p = load_prompts(REPO_DIR / "prompts")["rank_system"]
    with pytest.raises(PromptError):
        p.render(noun_plural="movies")
    assert variables_of("a {b} {{c}}") == {"b"}


# --- profile and constraints ----------------------------------------------------------------


def _item(**meta: object) -> Item:
    return Item(id="1", title="T", text="t", meta=dict(meta))  # type: ignore[arg-type]


@pytest.mark.parametrize("c,meta,ok", [
    (Constraint("year", "min", 1990), {"year": 1995}, True),
    (Constraint("year", "min", 1990), {"year": 1980}, False),
    (Constraint("year", "min", 1990), {}, False),  # unknown never satisfies a hard limit
    (Constraint("runtime", "max", 120), {"runtime": 120}, True),
    (Constraint("price", "max", 10.0), {"price": 9.99}, True),
    (Constraint("price", "max", 0.0), {"price": 4.99}, False),
    (Constraint("early_access", "eq", False), {"early_access": False}, True),
    (Constraint("early_access", "eq", False), {"early_access": True}, False),
    (Constraint("specs", "has", "Co-op"), {"specs": ["Single-player", "Co-op"]}, True),
    (Constraint("specs", "has", "co op"), {"specs": ["Co-op"]}, True),
    (Constraint("specs", "not_has", "Co-op"), {"specs": ["Co-op"]}, False),
])
def test_constraint_allows(c: Constraint, meta: dict[str, object], ok: bool) -> None:
    assert c.allows(_item(**meta)) is ok


def test_preferences_roundtrip_and_describe() -> None:
    p = Preferences()
    p.like_item("109487", "Interstellar (2014)", 1)
    p.like_attr("Sci-Fi", 1)
    p.dislike_attr("horror", 1)
    p.set_constraint(Constraint("year", "min", 1990, 1, "90s or later"))
    p.note_recommended(["1", "2"])
    q = Preferences.from_dict(json.loads(json.dumps(p.to_dict())))
    assert q == p
    d = q.describe()
    assert "Interstellar (2014)" in d and "horror" in d and "year 1990+" in d
    # liking a disliked thing moves it, never keeps both
    q.like_attr("horror", 2)
    assert "horror" in q.liked_attrs and "horror" not in q.disliked_attrs
    assert {"1", "2", "109487"} <= q.excluded_ids()
