"""Fast unit tests of settings, prompts, profile, filters, store and the pick parser."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from chatrec.errors import ConfigError, PromptError, SessionError
from chatrec.profile import Constraint, Preferences
from chatrec.prompts import REQUIRED, load_prompt, load_prompts, variables_of
from chatrec.rank import PickStreamParser, clean_reason, pick_schema
from chatrec.settings import REPO_DIR, Settings
from chatrec.store import MemoryStore, SQLiteStore, TurnRecord
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
    text = prompts["rank_user"].render(profile="p", request="r", candidates="c", n=3)
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


# --- reasons and the streaming pick parser ------------------------------------------------------


@pytest.mark.parametrize("raw,want", [
    ("  A <b>bold</b> pick  ", "A bold pick"),
    ("see https://evil.example/x now", "see now"),
    ("[click](http://x.y) here", "click here"),
    ("line\x00one\nline two", "line one line two"),
])
def test_clean_reason(raw: str, want: str) -> None:
    assert clean_reason(raw) == want


def test_clean_reason_caps_length() -> None:
    assert len(clean_reason("word " * 200)) <= 200


def test_pick_stream_parser_yields_objects_as_they_close() -> None:
    text = '{"picks": [{"id": "1", "reason": "a, b {x}"}, {"id": "2", "reason": "c"}]}'
    p = PickStreamParser()
    got = []
    for ch in text:
        got.extend(p.feed(ch))
    assert [g["id"] for g in got] == ["1", "2"]


def test_pick_schema_enumerates_ids() -> None:
    s = pick_schema(["a", "b", "c"], 2)
    item = s["properties"]["picks"]["items"]
    assert item["properties"]["id"]["enum"] == ["a", "b", "c"]
    assert s["properties"]["picks"]["minItems"] == 2


# --- session store ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sqlite", "memory"])
def test_store_roundtrip(kind: str, tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.db") if kind == "sqlite" else MemoryStore()
    store.create("abc", "movies", {"turn": 0})
    store.append("abc", {"turn": 1}, [TurnRecord(0, "user", "hi"),
                                      TurnRecord(1, "assistant", "hello", {"text": "hello"})])
    rec = store.load("abc")
    assert rec is not None and rec.state == {"turn": 1}
    assert [t.role for t in rec.turns] == ["user", "assistant"]
    assert rec.turns[1].reply == {"text": "hello"}
    assert store.load("nope") is None
    with pytest.raises(SessionError):
        store.append("nope", {}, [])


def test_sqlite_store_survives_reopen_and_threads(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = SQLiteStore(path)
    for n in range(8):
        store.create(f"s{n}", "movies", {"turn": 0})

    def work(n: int) -> None:
        for k in range(20):
            store.append(f"s{n}", {"turn": k + 1}, [TurnRecord(k, "user", f"{n}-{k}")])

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    again = SQLiteStore(path)
    for n in range(8):
        rec = again.load(f"s{n}")
        assert rec is not None and rec.state["turn"] == 20
        assert [t.text for t in rec.turns] == [f"{n}-{k}" for k in range(20)]


def test_order_only_schema_and_parser() -> None:
    s = pick_schema(["a", "b", "c"], 2, reasons=False)
    assert s["properties"]["picks"]["items"] == {"type": "string", "enum": ["a", "b", "c"]}
    p = PickStreamParser()
    got = []
    for ch in '{"picks": ["b", "a"]}':
        got.extend(p.feed(ch))
    assert got == [{"id": "b", "reason": None}, {"id": "a", "reason": None}]


def test_grounding_ignores_the_users_own_titles(movies_rec) -> None:  # type: ignore[no-untyped-def]
    from chatrec.profile import Preferences
    from chatrec.rank import profile_titles

    cat = movies_rec.catalog
    g = movies_rec.ranker.grounding
    children = next(i for i, it in cat.items.items() if it.title == "Children of Men")
    taken = next(i for i, it in cat.items.items() if it.title == "Taken")
    reason = "Action, Crime from 2008: people who liked Children of Men rate it highly."
    assert not g.grounded(reason, cat.items[taken])  # "children" reads as a family claim
    p = Preferences()
    p.like_item(children, cat.items[children].display_title, 1)
    assert g.grounded(reason, cat.items[taken], profile_titles(p, cat))
    assert not g.grounded("A family film: people who liked Children of Men rate it highly.",
                          cat.items[taken], profile_titles(p, cat))


def test_grounding_accepts_a_term_inside_one_the_item_has() -> None:
    from chatrec.catalog import Catalog
    from chatrec.rank import Grounding

    cat = Catalog.from_folder(Path(__file__).resolve().parents[1] / "catalogs" / "games")
    g = Grounding(cat)
    local = next(it for it in cat if "local co-op" in cat.attributes(it)
                 and "co-op" not in cat.attributes(it))
    online = next(it for it in cat if "co-op" not in " ".join(cat.attributes(it))
                  and "action" in cat.attributes(it))
    reason = "Action from 2017: matches what you asked for (couch co op)."
    assert g.grounded(reason, local)  # "co-op" is true of a local co-op game
    ok, why = g.check(reason, online)
    assert not ok and "co-op" in why  # ... and still false of a game with no co-op at all
