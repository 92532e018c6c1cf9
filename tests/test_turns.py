"""One conversation turn end to end through the public API, with the real embedding model and a
real Chroma index; the LLM is the scripted FakeLLM here (fault injection included). The real
SmolLM2 path is in test_local_model_turn.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatrec.errors import BackendReplyError, BackendUnavailable, InputError, SessionError
from chatrec.llm.fake import FakeLLM
from chatrec.llm.fallback import FallbackBackend
from chatrec.profile import Preferences
from chatrec.retrieve.filters import violations
from chatrec.types import Done, PickEvent, TextChunk

pytestmark = pytest.mark.slow


def test_first_message_gives_grounded_picks_without_horror(movies_rec) -> None:  # type: ignore[no-untyped-def]
    s = movies_rec.session()
    reply = s.send("I loved Interstellar and The Martian, but no horror please")
    assert 3 <= len(reply.picks) <= 5
    cat = movies_rec.catalog
    # the profile as the picks were chosen: before they were noted as recommended
    asked = Preferences.from_dict({**s.preferences.to_dict(), "recommended": []})
    for p in reply.picks:
        item = cat.items[p.item_id]  # every pick is a catalog item
        assert "horror" not in cat.attributes(item)
        assert p.reason.strip()
        assert violations(item, asked, cat) == []
    assert {p.item_id for p in reply.picks} <= set(s.preferences.recommended)
    assert {"109487", "134130"} <= set(s.preferences.liked_items)
    assert "horror" in s.preferences.disliked_attrs
    assert not {"109487", "134130"} & {p.item_id for p in reply.picks}


def test_stream_yields_text_then_picks_then_done(movies_rec) -> None:  # type: ignore[no-untyped-def]
    events = list(movies_rec.session().stream("a funny animated film for kids"))
    kinds = [type(e) for e in events]
    assert kinds[0] is TextChunk and kinds[-1] is Done
    assert PickEvent in kinds
    done = events[-1]
    assert isinstance(done, Done)
    assert [e.pick for e in events if isinstance(e, PickEvent)] == done.reply.picks


def test_already_recommended_are_not_repeated(movies_rec) -> None:  # type: ignore[no-untyped-def]
    s = movies_rec.session()
    first = s.send("space adventure movies")
    second = s.send("more please")
    assert not {p.item_id for p in first.picks} & {p.item_id for p in second.picks}


def test_greeting_gets_a_clarifying_question(movies_rec) -> None:  # type: ignore[no-untyped-def]
    reply = movies_rec.session().send("hi")
    assert reply.kind == "clarify" and not reply.picks
    assert reply.text.startswith("Hi!") and "movie" in reply.text


@pytest.mark.parametrize("text", ["", "   \n", "x" * 3000])
def test_bad_messages_raise_input_error(movies_rec, text: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError):
        movies_rec.session().send(text)


def test_session_resumes_after_restart(movies_rec, shared_data_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from chatrec.recommender import Recommender
    from chatrec.settings import Settings
    from chatrec.store import SQLStore

    settings = Settings.load(env={}, data_dir=str(shared_data_dir))
    path = tmp_path / "sessions.sqlite3"
    rec1 = Recommender("movies", "fake", settings=settings, store=SQLStore.sqlite(path), llm=FakeLLM())
    s = rec1.session()
    r = s.send("I loved Interstellar, nothing with horror")
    sid = s.session_id
    # a new process would build a new Recommender on the same files
    rec2 = Recommender("movies", "fake", settings=settings, store=SQLStore.sqlite(path), llm=FakeLLM())
    s2 = rec2.session(sid)
    assert s2.preferences == s.preferences
    assert s2.last_reply() is not None and s2.last_reply().picks == r.picks  # type: ignore[union-attr]
    with pytest.raises(SessionError):
        rec2.session("unknown-id")


@pytest.mark.parametrize("script,expect_note", [
    ([BackendUnavailable("server down")], "failed"),
    (["this is not json at all"], "unusable"),
    ([{"picks": [{"id": "does-not-exist", "reason": "Sci-Fi and space like you asked"}]}],
     "unusable"),
    ([{"nothing": 1}], "unusable"),
    ([BackendReplyError("empty reply")], "failed"),
])
def test_llm_faults_fall_back_to_code_ranking(movies_rec, script, expect_note: str) -> None:  # type: ignore[no-untyped-def]
    with movies_rec.override(llm=FakeLLM(script, default={"nothing": 1})):
        reply = movies_rec.session().send("I loved Interstellar, nothing with horror")
    assert len(reply.picks) >= 3
    assert all(p.source == "code" for p in reply.picks)
    assert any(expect_note in n for n in reply.notes), reply.notes
    assert expect_note in reply.text


def test_llm_order_and_grounded_reasons_are_used(movies_rec) -> None:  # type: ignore[no-untyped-def]
    def responder(messages, schema):  # type: ignore[no-untyped-def]
        ids = schema["properties"]["picks"]["items"]["properties"]["id"]["enum"]
        n = schema["properties"]["picks"]["minItems"]
        # reverse the code's order; a duplicate and an unknown id must be dropped
        chosen = list(reversed(ids))[:n]
        picks = [{"id": chosen[0], "reason": chosen[0]}, {"id": "nope", "reason": "x"}]
        picks += [{"id": i, "reason": "A Sci-Fi story about space, like you asked"} for i in chosen]
        return {"picks": picks}

    seen: list[list[str]] = []

    def recording(messages, schema):  # type: ignore[no-untyped-def]
        seen.append(schema["properties"]["picks"]["items"]["properties"]["id"]["enum"])
        return responder(messages, schema)

    with movies_rec.override(llm=FakeLLM(responder=recording)) as rec:
        reply = rec.session().send("I loved Interstellar")
    ids = [p.item_id for p in reply.picks]
    assert len(ids) == len(set(ids)) == len(reply.picks) >= 3
    assert ids == list(reversed(seen[0]))[:len(ids)]  # the model's order, not the code's
    cat = rec.catalog
    assert all(p.source in ("llm", "llm-order") for p in reply.picks)
    kept = [p for p in reply.picks if p.source == "llm"]
    assert kept, "no model reason survived validation"
    for p in kept:  # kept model reasons only claim what the item has
        assert rec.ranker.grounding.grounded(p.reason, cat.items[p.item_id])
        assert p.reason == "A Sci-Fi story about space, like you asked"


def test_feedback_changes_the_next_reply(movies_rec) -> None:  # type: ignore[no-untyped-def]
    s = movies_rec.session()
    r1 = s.send("I like science fiction")
    first = r1.picks[0].item_id
    s.feedback(first, "dislike")
    assert first in s.preferences.disliked_items
    r2 = s.send("more")
    assert first not in {p.item_id for p in r2.picks}
    with pytest.raises(InputError):
        s.feedback("not-an-id", "like")


def test_rank_and_add_turn_for_replay(movies_rec) -> None:  # type: ignore[no-untyped-def]
    s = movies_rec.session()
    s.add_turn("user", "I really liked The Matrix and Alien")
    s.add_turn("assistant", "Have you seen Blade Runner (1982)?")
    assert "2571" in s.preferences.liked_items
    picks = s.rank(50)
    assert len(picks) == 50
    assert "2571" not in {p.item_id for p in picks}


def test_failed_backend_hands_over_to_the_fallback(movies_rec) -> None:  # type: ignore[no-untyped-def]
    primary = FakeLLM([BackendUnavailable("connection refused")])
    primary.name = "openai:test"
    backup = FakeLLM()
    with movies_rec.override(llm=FallbackBackend(primary, backup)):
        reply = movies_rec.session().send("I loved Interstellar")
    assert len(reply.picks) == movies_rec.settings.n_picks
    assert {p.source for p in reply.picks} <= {"llm", "llm-order"}
    assert reply.backend == "fake"
    assert any("openai:test failed" in n and "fake answered instead" in n for n in reply.notes)
    assert len(primary.calls) == 1 and len(backup.calls) == 1


def test_rank_with_llm_rerank_orders_only_the_head(movies_rec) -> None:  # type: ignore[no-untyped-def]
    s = movies_rec.session()
    s.add_turn("user", "I loved The Matrix and Alien, more sci-fi please")
    plain = [p.item_id for p in s.rank(20)]
    head = plain[:6]
    flipped = {"picks": [{"id": i} for i in reversed(head)]}
    with movies_rec.override(llm=FakeLLM(replies=[flipped])):
        got = s.rank(20, rerank=6)
    ids = [p.item_id for p in got]
    assert ids[:6] == list(reversed(head)) and ids[6:] == plain[6:]
    assert {p.source for p in got[:6]} <= {"llm", "llm-order"} and got[6].source == "code"
    with pytest.raises(InputError):
        s.rank(10, rerank=31)


def test_a_question_about_an_unknown_title_changes_nothing(movies_rec) -> None:  # type: ignore[no-untyped-def]
    """"Would I like <a title the catalog lacks>?" answers "did you mean" and leaves the profile
    as it was (its words once became liked attributes: "harbor")."""
    s = movies_rec.session()
    s.send("I loved Interstellar")
    before = s.preferences.describe()
    reply = s.send("would I like The Copper Harbor?")
    assert "I don't have The Copper Harbor in this catalog" in reply.text, reply.text
    assert "did you mean" in reply.text
    assert s.preferences.describe() == before
    assert "harbor" not in s.describe_preferences().lower()
