"""Fault injection end to end: a misbehaving OpenAI-compatible server made here, on loopback, and
full conversation turns through the public API. Each fault class: what the user sees. And the
turn's budget (fast, on a tiny catalog of one's own with the named doubles): a busy model is not
waited for, a slow one is not read past the deadline, and the turn is stored either way."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from chatrec.errors import BackendBusy
from chatrec.llm.base import Capabilities, LLMBackend
from chatrec.llm.fake import FailingLLM, FakeLLM, SlowLLM
from chatrec.retrieve.embed import HashingEmbedder
from chatrec.settings import Settings
from chatrec.store import MemoryStore

MODE = {"fault": "ok"}


def _sse(payload: dict) -> bytes:
    return f"data: {json.dumps(payload)}\n\n".encode()


class Misbehaving(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        n = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(n) or b"{}")
        fault = MODE["fault"]
        if fault == "hang":
            time.sleep(5)
            return
        if fault in ("500", "429"):
            self.send_response(int(fault))
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"error": {"message": "injected failure"}}')
            return
        if fault == "garbage":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"<html>this is not the API you are looking for</html>")
            return
        # a well-formed streamed tool call whose arguments are "wrong" for the fault at hand
        ids = body["tools"][0]["function"]["parameters"]["properties"]["picks"]["items"]
        enum = ids["properties"]["id"]["enum"] if "properties" in ids else ids["enum"]
        if fault == "outside":
            args = {"picks": [{"id": "999999999", "reason": "An invented film about space"}]}
        elif fault == "empty":
            args = {}
        else:
            args = {"picks": [{"id": i, "reason": "A Sci-Fi adventure in space"} for i in enum[:4]]}
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        call = {"index": 0, "id": "call_1", "type": "function",
                "function": {"name": body["tools"][0]["function"]["name"],
                             "arguments": json.dumps(args)}}
        self.wfile.write(_sse({"id": "x", "object": "chat.completion.chunk", "created": 0,
                               "model": "m", "choices": [{"index": 0, "delta": {
                                   "role": "assistant", "tool_calls": [call]},
                                   "finish_reason": None}]}))
        self.wfile.write(_sse({"id": "x", "object": "chat.completion.chunk", "created": 0,
                               "model": "m", "choices": [{"index": 0, "delta": {},
                                                          "finish_reason": "tool_calls"}]}))
        self.wfile.write(b"data: [DONE]\n\n")


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Misbehaving)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/v1"
    srv.shutdown()


@pytest.fixture(scope="module")
def rec(server: str, shared_data_dir: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from chatrec.recommender import Recommender
    from chatrec.settings import Settings
    from chatrec.store import SQLStore

    settings = Settings.load(env={}, data_dir=str(shared_data_dir), openai_base_url=server,
                             openai_api_key="sk-test-secret-key", llm_timeout_s=2.0,
                             llm_max_retries=1, structured_output="function_calling")
    store = SQLStore.sqlite(tmp_path_factory.mktemp("faults") / "s.sqlite3")
    return Recommender("movies", "openai:test-model", settings=settings, store=store)


# fault -> (how picks are made, words in the reply)
FAULTS = [
    ("ok", {"llm"}, None),
    ("500", {"code"}, "language model failed"),
    ("429", {"code"}, "language model failed"),
    ("hang", {"code"}, "language model failed"),
    ("garbage", {"code"}, "language model failed"),
    ("outside", {"code"}, "unusable"),
    ("empty", {"code"}, "unusable"),
]


@pytest.mark.slow
@pytest.mark.parametrize("fault,sources,says", FAULTS)
def test_every_fault_still_answers(rec, fault: str, sources: set[str], says: str | None) -> None:  # type: ignore[no-untyped-def]
    MODE["fault"] = fault
    try:
        t = time.perf_counter()
        reply = rec.session().send("I loved Interstellar, nothing with horror")
        elapsed = time.perf_counter() - t
    finally:
        MODE["fault"] = "ok"
    assert len(reply.picks) == 4
    assert all(p.item_id in rec.catalog.items for p in reply.picks)
    assert {p.source for p in reply.picks} <= sources | {"llm-order"}
    if says:
        assert says in reply.text, reply.text
    else:
        assert not reply.notes
    assert "sk-test-secret-key" not in json.dumps(reply.to_dict())
    assert elapsed < 30  # bounded retries and timeouts


@pytest.mark.slow
def test_key_is_never_stored(rec) -> None:  # type: ignore[no-untyped-def]
    MODE["fault"] = "500"
    try:
        s = rec.session()
        s.send("I loved Interstellar")
    finally:
        MODE["fault"] = "ok"
    stored = rec.store.load(s.session_id)
    assert "sk-test-secret-key" not in json.dumps(stored.state)
    assert all("sk-test-secret-key" not in (t.text + json.dumps(t.reply)) for t in stored.turns)


# --- the turn's budget (fast: a tiny catalog, the named doubles) ----------------------------------
SHOP_CSV = """sku,name,about,tags
1,Rocket Lamp,A lamp shaped like a space rocket,space|lamp|kids
2,Star Map,A poster of the night sky and its constellations,space|poster
3,Moon Globe,A glowing globe of the moon,space|lamp
4,Garden Gnome,A gnome for the garden,garden
5,Planet Mobile,The solar system to hang over a bed,space|kids
6,Astronaut Mug,A mug with an astronaut,space|kitchen
7,Comet Clock,A wall clock with a comet,space|clock
"""
ORDER_ONLY = Capabilities(writes_reasons=False, extracts_preferences=False)


@pytest.fixture(scope="module")
def shop_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    from chatrec.importer import add

    folder = tmp_path_factory.mktemp("shop")
    src = folder / "shop.csv"
    src.write_text(SHOP_CSV)
    settings = Settings.load(env={}, data_dir=str(folder / "data"))
    add("shop", src, settings=settings, embedder=HashingEmbedder(), id="sku", title="name",
        text="about,tags", noun="gift")
    return settings


def shop_turn(settings: Settings, llm: LLMBackend, **changes: object):  # type: ignore[no-untyped-def]
    from chatrec.recommender import Recommender

    rec = Recommender("shop", settings=settings.replace(**changes), embedder=HashingEmbedder(),
                      store=MemoryStore(), llm=llm)
    s = rec.session()
    start = time.perf_counter()
    reply = s.send("something with space for my kids")
    return rec, s, reply, time.perf_counter() - start


def test_a_busy_model_is_not_waited_for(shop_settings: Settings) -> None:
    busy = FailingLLM(BackendBusy("the local model is busy with another conversation"))
    rec, s, reply, _ = shop_turn(shop_settings, busy)
    assert len(reply.picks) == 4 and {p.source for p in reply.picks} == {"code"}
    note = ("(The language model is busy with other conversations; these picks come from "
            "chatrec's own ranking.)")
    assert reply.notes[-1] == note and reply.text.endswith(note)
    assert reply.meta["busy"] is True and reply.meta["llm_valid"] == 0
    turns = rec.store.load(s.session_id).turns  # nothing is lost: the turn is stored as shown
    assert [t.role for t in turns] == ["user", "assistant"] and turns[1].text == reply.text


def test_a_slow_model_is_not_read_past_the_deadline(shop_settings: Settings) -> None:
    # '{"picks": [1, 2, 3, 4]}' in 3-character chunks 0.3 s apart: 2.4 s to read it all
    slow = SlowLLM(0.0, FakeLLM(capabilities=ORDER_ONLY, chunk_size=3), chunk_delay_s=0.3)
    rec, s, reply, elapsed = shop_turn(shop_settings, slow, llm_deadline_s=0.5)
    assert elapsed < 2.0
    assert len(reply.picks) == 4 and {p.source for p in reply.picks} == {"code"}
    assert reply.meta["late"] is True
    assert "too slow this time" in reply.text and "too slow this time" in reply.notes[-1]
    assert rec.store.load(s.session_id).turns[-1].text == reply.text


def test_picks_made_in_time_are_kept(shop_settings: Settings) -> None:
    # '{"picks":[2,1,' arrives at once, '3,4]}' a second later, after the deadline
    fast_then_slow = SlowLLM(0.0, FakeLLM(['{"picks":[2,1,3,4]}'], capabilities=ORDER_ONLY,
                                          chunk_size=14), chunk_delay_s=1.0)
    _, _, reply, elapsed = shop_turn(shop_settings, fast_then_slow, llm_deadline_s=0.3)
    assert elapsed < 2.0
    assert [p.source for p in reply.picks][:2] == ["llm-order", "llm-order"]
    assert reply.meta["llm_valid"] == 2 and reply.meta["late"] is True
    assert "ran out of time after 2 of 4 picks" in reply.text
