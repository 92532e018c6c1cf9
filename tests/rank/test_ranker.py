"""The ranker on the shipped movies catalog with test-double backends: one call, validated picks,
the code's ranking for the rest, and the notes the user sees when a backend fails or falls back."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from chatrec.catalog import Catalog
from chatrec.errors import BackendBusy, BackendUnavailable, ConfigError
from chatrec.llm.base import Capabilities, LLMBackend
from chatrec.llm.fake import FailingLLM, FakeLLM, SlowLLM
from chatrec.llm.fallback import Deferred, FallbackBackend
from chatrec.profile import Preferences
from chatrec.prompts import load_prompts
from chatrec.rank.ranker import (
    ORDER_DEADLINE_S,
    REASONS_DEADLINE_S,
    PickStreamParser,
    Ranker,
    RankOutcome,
    pick_schema,
)
from chatrec.rank.reasons import template_reason
from chatrec.settings import Settings
from chatrec.types import Candidate, Pick

INTERSTELLAR = "109487"
# The Matrix, Empire Strikes Back, A New Hope, Aliens, Inception, Saving Private Ryan, Godfather
IDS = ["2571", "1196", "260", "1200", "79132", "2028", "858"]
ORDER_ONLY = Capabilities(writes_reasons=False, extracts_preferences=False)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.from_folder(Path(__file__).resolve().parents[2] / "catalogs" / "movies")


@pytest.fixture(scope="module")
def ranker(catalog: Catalog) -> Ranker:
    return Ranker(catalog, load_prompts(Settings().prompts_dir))


@pytest.fixture()
def prefs() -> Preferences:
    p = Preferences()
    p.like_item(INTERSTELLAR, "Interstellar (2014)", 1)
    return p


@pytest.fixture()
def cands(catalog: Catalog) -> list[Candidate]:
    return [Candidate(catalog.items[i], 1.0 - k / 10) for k, i in enumerate(IDS)]


def rank(ranker: Ranker, prefs: Preferences, cands: list[Candidate], backend: LLMBackend | None,
         **kw: Any) -> tuple[list[Pick], RankOutcome]:
    out = RankOutcome()
    picks = list(ranker.stream(prefs, "space", cands, 4, backend, outcome=out, **kw))
    return picks, out


def named(name: str, llm: FakeLLM) -> FakeLLM:
    llm.name = name
    return llm


# --- one call, validated ----------------------------------------------------------------------
def test_the_models_valid_picks_come_first_then_the_codes(ranker: Ranker, prefs: Preferences,
                                                        cands: list[Candidate]) -> None:
    grounded = template_reason(cands[3], prefs, ranker.catalog)
    llm = FakeLLM([{"picks": [
        {"id": IDS[3], "reason": grounded},
        {"id": IDS[3], "reason": grounded},  # duplicate
        {"id": "999999", "reason": "An invented film about space"},  # not a candidate
        {"id": IDS[4], "reason": "A romantic comedy about horses."},  # ungrounded: replaced
    ]}])
    picks, out = rank(ranker, prefs, cands, llm)
    assert [p.item_id for p in picks] == [IDS[3], IDS[4], IDS[0], IDS[1]]
    assert [p.source for p in picks] == ["llm", "llm-order", "code", "code"]
    assert picks[0].reason == grounded
    assert picks[1].reason == template_reason(cands[4], prefs, ranker.catalog)
    assert out.llm_used and out.llm_valid == 2 and out.reasons_replaced == 1 and out.fallback
    assert out.backend == "fake" and out.error is None and out.notes == []
    assert len(out.llm_dropped) == 2 and "duplicate" in out.llm_dropped[0]
    (call,) = llm.calls
    assert call.gen.max_tokens == 30 + 34 * 4 and call.gen.temperature == 0.0
    assert call.gen.deadline is not None  # REASONS_DEADLINE_S from the call
    shown = call.schema["properties"]["picks"]["items"]["properties"]["id"]["enum"]
    assert shown == IDS[:6]  # the top llm_candidates
    assert Ranker.diagnostics(out)["llm_valid"] == 2


def test_an_excluded_pick_is_dropped(ranker: Ranker, prefs: Preferences,
                                     cands: list[Candidate]) -> None:
    prefs.dislike_attr("horror", 1)  # Aliens is a horror film
    llm = FakeLLM([{"picks": [{"id": IDS[3], "reason": "x"}]}])
    picks, out = rank(ranker, prefs, cands, llm)
    assert out.llm_valid == 0 and out.llm_dropped == [f"{IDS[3]} excluded: is horror, which you "
                                                      "don't want"]
    assert [p.source for p in picks] == ["code"] * 4


def test_the_code_ranks_alone_without_a_backend(ranker: Ranker, prefs: Preferences,
                                                cands: list[Candidate]) -> None:
    picks, out = rank(ranker, prefs, cands, None)
    assert [p.item_id for p in picks] == IDS[:4] and {p.source for p in picks} == {"code"}
    assert not out.llm_used and out.notes == [] and out.backend is None


def test_an_unusable_answer_says_so(ranker: Ranker, prefs: Preferences,
                                    cands: list[Candidate]) -> None:
    picks, out = rank(ranker, prefs, cands, FakeLLM([{"picks": []}]))
    assert [p.item_id for p in picks] == IDS[:4]
    assert out.notes == ["The language model's answer was unusable; these picks and reasons "
                         "come from chatrec's own ranking."]


def test_stops_reading_once_it_has_enough(ranker: Ranker, prefs: Preferences,
                                          cands: list[Candidate]) -> None:
    picks = list(ranker.stream(prefs, "", cands, 2, FakeLLM()))  # the fake's reply has 2+ picks
    assert len(picks) == 2 and {p.source for p in picks} <= {"llm", "llm-order"}


# --- reasons or only an order ------------------------------------------------------------------
@pytest.mark.parametrize(("mode", "capabilities", "reasons"), [
    ("auto", Capabilities(), True), ("auto", ORDER_ONLY, False),
    ("on", ORDER_ONLY, True), ("off", Capabilities(), False),
])
def test_reasons_follow_the_mode_and_the_backends_capabilities(
        catalog: Catalog, prefs: Preferences, cands: list[Candidate], mode: str,
        capabilities: Capabilities, reasons: bool) -> None:
    ranker = Ranker(catalog, load_prompts(Settings().prompts_dir), llm_reasons=mode)
    llm = FakeLLM(capabilities=capabilities)
    assert ranker.writes_reasons(llm) is reasons
    picks, _ = rank(ranker, prefs, cands, llm)
    (call,) = llm.calls
    assert call.schema == pick_schema(IDS[:6], 4, reasons)
    assert call.gen.max_tokens == (30 + 34 * 4 if reasons else 12 + 6 * 4)
    assert call.messages == ranker.messages(prefs, "space", cands[:6], 4, reasons)
    if not reasons:  # the model orders; chatrec words every reason
        assert {p.source for p in picks} == {"llm-order"}


def test_an_explicit_reasons_argument_wins(ranker: Ranker, prefs: Preferences,
                                           cands: list[Candidate]) -> None:
    llm = FakeLLM()
    rank(ranker, prefs, cands, llm, reasons=False)
    assert llm.calls[0].schema == pick_schema(IDS[:6], 4, reasons=False)


def test_a_bad_reasons_mode(catalog: Catalog) -> None:
    with pytest.raises(ConfigError, match="CHATREC_LLM_REASONS"):
        Ranker(catalog, {}, llm_reasons="sometimes")


# --- failures and fallbacks: what the user is told ---------------------------------------------
def test_a_failed_backend_hands_over_to_the_fallback(ranker: Ranker, prefs: Preferences,
                                                     cands: list[Candidate]) -> None:
    primary = named("openai:test", FakeLLM([BackendUnavailable("connection refused")]))
    backup = FakeLLM()
    picks, out = rank(ranker, prefs, cands, FallbackBackend(primary, backup))
    assert len(picks) == 4 and {p.source for p in picks} <= {"llm", "llm-order"}
    assert out.backend == "fake" and out.error is None and out.llm_used
    assert out.notes == ["openai:test failed (connection refused); fake answered instead."]
    assert len(primary.calls) == len(backup.calls) == 1


def test_a_backend_unavailable_at_creation_is_named(ranker: Ranker, prefs: Preferences,
                                                    cands: list[Candidate]) -> None:
    def missing() -> LLMBackend:
        raise BackendUnavailable("model file /m.gguf does not exist")

    picks, out = rank(ranker, prefs, cands, FallbackBackend(Deferred("local", missing), FakeLLM()))
    assert len(picks) == 4 and out.backend == "fake"
    assert out.notes == ["(local is unavailable: using fake.)"]


def test_with_no_backend_available_the_code_ranks_alone(ranker: Ranker, prefs: Preferences,
                                                        cands: list[Candidate]) -> None:
    def missing() -> LLMBackend:
        raise BackendUnavailable("set OPENAI_API_KEY")

    picks, out = rank(ranker, prefs, cands, FallbackBackend(Deferred("openai", missing)))
    assert [p.item_id for p in picks] == IDS[:4] and {p.source for p in picks} == {"code"}
    assert not out.llm_used and out.backend is None and out.error is None
    assert out.notes == ["(The language model openai is unavailable: set OPENAI_API_KEY. "
                         "Ranking without it.)"]


def test_a_missing_model_is_named_when_its_fallback_is_not_asked(
        ranker: Ranker, prefs: Preferences, cands: list[Candidate]) -> None:
    """openai cannot be created and its fallback (a small local model) is not asked for an
    order: the code ranks, and the user still learns that the model they chose is missing."""
    def missing() -> LLMBackend:
        raise BackendUnavailable("set OPENAI_API_KEY")

    small = named("local:small", FakeLLM(capabilities=Capabilities(
        writes_reasons=False, orders_candidates=False)))
    picks, out = rank(ranker, prefs, cands, FallbackBackend(Deferred("openai", missing), small))
    assert [p.item_id for p in picks] == IDS[:4] and small.calls == []
    assert not out.llm_used
    assert out.notes == ["(The language model openai is unavailable: set OPENAI_API_KEY. "
                         "Ranking without it.)"]


def test_when_every_backend_fails_the_code_answers(ranker: Ranker, prefs: Preferences,
                                                   cands: list[Candidate]) -> None:
    llm = FallbackBackend(FailingLLM("connection refused"),
                          named("local", FakeLLM([BackendUnavailable("out of memory")])))
    picks, out = rank(ranker, prefs, cands, llm)
    assert [p.item_id for p in picks] == IDS[:4] and {p.source for p in picks} == {"code"}
    assert out.llm_used and out.backend == "local"
    assert out.error == ("every LLM backend failed: fake:failing: connection refused; "
                         "local: out of memory")
    assert out.notes == [f"The language model failed ({out.error[:120]}); these picks and "
                         "reasons come from chatrec's own ranking."]


def test_a_plain_backend_failure(ranker: Ranker, prefs: Preferences,
                                 cands: list[Candidate]) -> None:
    picks, out = rank(ranker, prefs, cands, FailingLLM("HTTP 500"))
    assert [p.item_id for p in picks] == IDS[:4]
    assert out.error == "HTTP 500" and out.backend == "fake:failing"
    assert out.notes[0].startswith("The language model failed (HTTP 500)")


def test_a_backend_bug_costs_no_answer(ranker: Ranker, prefs: Preferences,
                                       cands: list[Candidate]) -> None:
    picks, out = rank(ranker, prefs, cands, FakeLLM([KeyError("oops")]))
    assert len(picks) == 4 and out.error is not None and "KeyError" in out.error


# --- the deadline: a busy model is not waited for, a slow one not read past it ---------------
BUSY_NOTE = ("(The language model is busy with other conversations; these picks come from "
             "chatrec's own ranking.)")


def order_ranker(catalog: Catalog, deadline_s: float | None) -> Ranker:
    return Ranker(catalog, load_prompts(Settings().prompts_dir), llm_reasons="off",
                  deadline_s=deadline_s)


@pytest.mark.parametrize(("deadline_s", "reasons", "seconds"), [
    (None, False, ORDER_DEADLINE_S), (None, True, REASONS_DEADLINE_S), (2.5, True, 2.5),
    (0.0, False, None),
])
def test_every_call_carries_the_turns_deadline(catalog: Catalog, prefs: Preferences,
                                               cands: list[Candidate], deadline_s: float | None,
                                               reasons: bool, seconds: float | None) -> None:
    ranker = Ranker(catalog, load_prompts(Settings().prompts_dir), deadline_s=deadline_s)
    llm = FakeLLM()
    start = time.monotonic()
    rank(ranker, prefs, cands, llm, reasons=reasons)
    deadline = llm.calls[0].gen.deadline
    if seconds is None:
        assert deadline is None  # 0: no limit
    else:
        assert deadline is not None and 0 <= deadline - start - seconds < 0.5


def test_a_busy_backend_is_not_waited_for(ranker: Ranker, prefs: Preferences,
                                          cands: list[Candidate]) -> None:
    busy = FailingLLM(BackendBusy("the local model is busy with another conversation"))
    picks, out = rank(ranker, prefs, cands, busy)
    assert [p.item_id for p in picks] == IDS[:4] and {p.source for p in picks} == {"code"}
    assert out.busy and out.llm_used and out.llm_valid == 0
    assert out.notes == [BUSY_NOTE]
    assert Ranker.diagnostics(out)["busy"] is True


def test_the_deadline_mid_stream_keeps_the_picks_made_in_time(
        catalog: Catalog, prefs: Preferences, cands: list[Candidate]) -> None:
    # chunks '{"pi' 'cks"' ':[3,' '1,5,' '2]}' arrive 0.5 s apart; the deadline (1.25 s) passes
    # while the fourth is on its way: the model's first pick (3) is kept, the rest is the code's
    reply = FakeLLM(['{"picks":[3,1,5,2]}'], chunk_size=4)
    slow = SlowLLM(0.0, reply, chunk_delay_s=0.5)
    start = time.monotonic()
    picks, out = rank(order_ranker(catalog, 1.25), prefs, cands, slow)
    assert time.monotonic() - start < 1.9  # the last chunk was never waited for
    assert [p.item_id for p in picks] == [IDS[2], IDS[0], IDS[1], IDS[3]]
    assert [p.source for p in picks] == ["llm-order", "code", "code", "code"]
    assert out.late and out.llm_valid == 1 and out.error is None
    assert out.notes == ["(The language model ran out of time after 1 of 4 picks; chatrec's "
                         "own ranking chose the rest.)"]


def test_a_model_too_slow_for_any_pick(catalog: Catalog, prefs: Preferences,
                                       cands: list[Candidate]) -> None:
    slow = SlowLLM(0.4, FakeLLM(['{"picks":[3,1,5,2]}'], chunk_size=4), chunk_delay_s=0.4)
    start = time.monotonic()
    picks, out = rank(order_ranker(catalog, 0.2), prefs, cands, slow)
    assert time.monotonic() - start < 0.8  # stopped after the first (late) chunk
    assert [p.item_id for p in picks] == IDS[:4] and {p.source for p in picks} == {"code"}
    assert out.late and out.llm_valid == 0
    assert out.notes == ["(The language model was too slow this time; these picks come from "
                         "chatrec's own ranking.)"]


def test_an_error_after_the_deadline_is_lateness(catalog: Catalog, prefs: Preferences,
                                                 cands: list[Candidate]) -> None:
    # e.g. a remote request that timed out at the deadline (the turn's remaining time)
    timed_out = SlowLLM(0.3, FailingLLM("the LLM server did not answer in time"))
    _, out = rank(order_ranker(catalog, 0.1), prefs, cands, timed_out)
    assert out.late and out.error is None and "too slow" in out.notes[0]


def test_a_busy_primary_hands_over_to_the_fallback(ranker: Ranker, prefs: Preferences,
                                                   cands: list[Candidate]) -> None:
    local = named("local:smol", FakeLLM([BackendBusy("busy with another conversation")]))
    picks, out = rank(ranker, prefs, cands, FallbackBackend(local, named("openai:m", FakeLLM())))
    assert {p.source for p in picks} <= {"llm", "llm-order"} and not out.busy
    assert out.backend == "openai:m"
    assert out.notes == ["(local:smol is busy with other conversations: openai:m answered.)"]


def test_every_member_busy_or_unavailable_is_a_busy_model(ranker: Ranker, prefs: Preferences,
                                                          cands: list[Candidate]) -> None:
    llm = FallbackBackend(FailingLLM("no key"), FailingLLM(BackendBusy("busy")))
    picks, out = rank(ranker, prefs, cands, llm)
    assert {p.source for p in picks} == {"code"} and out.busy
    assert out.notes == [BUSY_NOTE]


# --- the schema and the streaming parser --------------------------------------------------------
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


def test_order_only_schema_and_parser() -> None:
    s = pick_schema(["a", "b", "c"], 2, reasons=False)
    assert s["properties"]["picks"]["items"] == {"type": "integer", "enum": [1, 2, 3]}
    assert s["properties"]["picks"]["minItems"] == s["properties"]["picks"]["maxItems"] == 2
    p = PickStreamParser()
    got = []
    for ch in '{"picks":[12,3,"x"]}':  # fed one character at a time: "1" is not yet 1
        got.extend(p.feed(ch))
    assert got == [{"number": 12, "reason": None}, {"number": 3, "reason": None},
                   {"id": "x", "reason": None}]


# --- an order as candidate numbers ------------------------------------------------------------
def test_order_only_numbers_are_mapped_to_the_shown_candidates(
        catalog: Catalog, prefs: Preferences, cands: list[Candidate]) -> None:
    ranker = Ranker(catalog, load_prompts(Settings().prompts_dir), llm_reasons="off")
    llm = FakeLLM([{"picks": [3, 3, 9, 0, 1, 6]}])  # a repeat, two out of range (6 shown)
    picks, out = rank(ranker, prefs, cands, llm)
    assert [p.item_id for p in picks] == [IDS[2], IDS[0], IDS[5], IDS[1]]
    assert [p.source for p in picks] == ["llm-order"] * 3 + ["code"]
    assert out.llm_valid == 3 and out.notes == []
    assert out.llm_dropped == [f"duplicate id {IDS[2]}", "unknown number 9", "unknown number 0"]


def test_the_order_prompt_numbers_short_lines_under_a_fixed_system_prompt(
        catalog: Catalog, prefs: Preferences, cands: list[Candidate]) -> None:
    ranker = Ranker(catalog, load_prompts(Settings().prompts_dir), llm_reasons="off")
    system, user = ranker.messages(prefs, "space", cands[:6], 4, reasons=False)
    lines = user.content.split("Candidates:\n")[1].splitlines()
    assert [line.split(". ")[0] for line in lines] == ["1", "2", "3", "4", "5", "6"]
    assert lines[0] == "1. The Matrix (1999)" and IDS[0] not in user.content
    cands[1].because = INTERSTELLAR  # what ties a candidate to the profile follows its title
    lines = ranker.messages(prefs, "space", cands[:6], 4, reasons=False)[1].content.splitlines()
    assert "2. Star Wars: Episode V - The Empire Strikes Back (1980); like Interstellar" in lines
    # the system prompt holds every instruction and is the same for every turn (prompt cache)
    other = Preferences()
    other.like_item("2571", "The Matrix (1999)", 1)
    assert ranker.messages(other, "heists", cands[3:], 4, reasons=False)[0] == system
    assert '{"picks": [' in system.content and "profile" not in system.content.split("\n")[-1]


def test_with_reasons_the_model_still_sees_the_ids(ranker: Ranker, prefs: Preferences,
                                                   cands: list[Candidate]) -> None:
    system, user = ranker.messages(prefs, "space", cands[:6], 4, reasons=True)
    assert f"id={IDS[0]} | The Matrix (1999)" in user.content
    assert '"reason"' in system.content and "{" not in user.content


@pytest.mark.parametrize(("order", "orders_well", "called"), [
    ("auto", True, True), ("auto", False, False), ("on", False, True), ("off", True, False)])
def test_a_model_whose_order_adds_nothing_is_not_called(
        catalog: Catalog, prefs: Preferences, cands: list[Candidate], order: str,
        orders_well: bool, called: bool) -> None:
    """A backend that does not write reasons is asked for an order only when its order can beat
    the code's (Capabilities.orders_candidates, settings.llm_order); otherwise the turn makes no
    call and the code's ranking answers, with no note."""
    llm = FakeLLM(capabilities=Capabilities(writes_reasons=False, orders_candidates=orders_well))
    ranker = Ranker(catalog, load_prompts(Settings().prompts_dir), llm_order=order)
    picks, out = rank(ranker, prefs, cands, llm)
    assert ranker.asks(llm) is called and ranker.asks(None) is False
    assert (len(llm.calls) == 1) is called and out.llm_used is called
    if not called:
        assert [p.item_id for p in picks] == IDS[:len(picks)] and len(picks) == 4
        assert {p.source for p in picks} == {"code"} and out.notes == []


def test_llm_order_is_checked(catalog: Catalog) -> None:
    with pytest.raises(ConfigError, match="CHATREC_LLM_ORDER"):
        Ranker(catalog, {}, llm_order="sometimes")
    with pytest.raises(ConfigError, match="CHATREC_LLM_ORDER"):
        Settings(llm_order="never").validate()
