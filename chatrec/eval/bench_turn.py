"""The in-process turn figures of ``python -m chatrec.eval bench``, in a process of their own so
that its peak RSS is its own:

* warm turns and the time to their first text, through ``Session.stream``, as configured
  (a small local model is not called: its order is the code's, see
  ``Capabilities.orders_candidates``);
* warm turns with the model asked for an order every turn (``llm_order="on"``), and the same
  ranking requests sent to a bare ``llama_cpp.Llama`` loaded from the same GGUF, interleaved
  with those turns (A B, then B A, ...), for the turn / bare-call ratio;
* ``Session.rank(50)`` after a one-line profile vs a bare Chroma query on the same collection.

What the bare model is asked is what the ranker really sent: one turn per message first runs
through :class:`RecordingBackend` (which also warms every part up), and its ranking call (the
messages, the JSON schema as a llama.cpp grammar, ``max_tokens``, ``temperature``) is replayed.

    python -m chatrec.eval.bench_turn --data-dir DIR --json out.json   # DIR: index built
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chatrec.llm import parse_backend_spec
from chatrec.llm.base import JSON_GEN, TEXT_GEN, Generation, LLMBackend, Message
from chatrec.llm.local import resolve_model_path  # also sets OMP_WAIT_POLICY, as the app does
from chatrec.types import Done, TextChunk

if TYPE_CHECKING:
    from chatrec.recommender import Recommender
    from chatrec.settings import Settings

TURNS = [
    "I loved Interstellar and The Martian, but no horror please",
    "something funny from the 90s",
    "a mind-bending thriller like Inception",
    "I like animated films for the whole family",
    "war movies, nothing before 1970",
    "a romantic comedy, under two hours",
]
PROFILES = ["I love heist films", "I loved Interstellar, nothing with horror",
            "animated films for the whole family"]


def peak_rss_mb() -> float:
    """This process's peak resident memory so far (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass(frozen=True)
class LLMCall:
    """What one backend call asked for (``schema`` None: free text)."""

    messages: list[Message]
    schema: dict[str, Any] | None
    gen: Generation


class RecordingBackend(LLMBackend):
    """Passes every call on to ``inner`` and keeps what was asked in ``calls``."""

    def __init__(self, inner: LLMBackend) -> None:
        self.inner = inner
        self.name = inner.name
        self.is_local = inner.is_local
        self.capabilities = inner.capabilities
        self.calls: list[LLMCall] = []

    def stream_text(self, messages: list[Message], *,
                    gen: Generation = TEXT_GEN) -> Iterator[str]:
        self.calls.append(LLMCall(list(messages), None, gen))
        return self.inner.stream_text(messages, gen=gen)

    def stream_json(self, messages: list[Message], schema: dict[str, Any], *,
                    gen: Generation = JSON_GEN) -> Iterator[str]:
        self.calls.append(LLMCall(list(messages), schema, gen))
        return self.inner.stream_json(messages, schema, gen=gen)


class BareLlama:
    """The GGUF of a local backend spec in a plain ``llama_cpp.Llama`` (n_ctx and n_threads as
    the app's settings): one chat completion per call, constrained by the call's schema when it
    has one."""

    def __init__(self, model: str | None, settings: Settings) -> None:
        from llama_cpp import Llama

        self.model_path = resolve_model_path(model or settings.model_path)
        self.llama: Any = Llama(model_path=str(self.model_path), n_ctx=settings.n_ctx,
                           n_threads=settings.n_threads or os.cpu_count(), verbose=False)
        self.grammars: dict[str, Any] = {}

    def grammar(self, schema: dict[str, Any]) -> Any:
        key = json.dumps(schema, sort_keys=True)
        if key not in self.grammars:
            from llama_cpp import LlamaGrammar

            self.grammars[key] = LlamaGrammar.from_json_schema(key, verbose=False)
        return self.grammars[key]

    def complete(self, call: LLMCall) -> dict[str, Any]:
        """One completion: its seconds, text, and prompt and completion token counts."""
        grammar = self.grammar(call.schema) if call.schema is not None else None
        t = time.perf_counter()
        out = self.llama.create_chat_completion(
            messages=[{"role": m.role, "content": m.content} for m in call.messages],
            max_tokens=call.gen.max_tokens, temperature=call.gen.temperature, grammar=grammar)
        seconds = time.perf_counter() - t
        usage = out.get("usage") or {}
        return {"s": seconds, "text": str(out["choices"][0]["message"]["content"] or ""),
                "prompt_tokens": usage.get("prompt_tokens"),
                "completion_tokens": usage.get("completion_tokens")}


def timed_turn(rec: Recommender, message: str) -> dict[str, Any]:
    """One turn in a new session: its seconds, seconds to the first text, how it was ranked."""
    s = rec.session()
    first = None
    t = time.perf_counter()
    for ev in s.stream(message):
        if first is None and isinstance(ev, TextChunk):
            first = time.perf_counter() - t
        if isinstance(ev, Done):
            reply = ev.reply
    total = time.perf_counter() - t
    return {"turn_s": total, "first_text_s": total if first is None else first,
            "kind": reply.kind, "model_order": bool(reply.meta.get("llm_valid")),
            "error": reply.meta.get("error"), "late": reply.meta.get("late"),
            "busy": reply.meta.get("busy")}


def ranking_calls(rec: Recommender, messages: list[str]) -> dict[str, Any]:
    """One turn per message through a :class:`RecordingBackend`: the last JSON call of each
    (the ranking), and how many backend calls each turn made."""
    if rec.llm is None:
        return {"calls": {}, "per_turn": []}
    recorder = RecordingBackend(rec.llm)
    calls: dict[str, LLMCall] = {}
    per_turn = []
    with rec.override(llm=recorder):
        for m in messages:
            before = len(recorder.calls)
            rec.session().send(m)
            made = recorder.calls[before:]
            per_turn.append(len(made))
            ranked = [c for c in made if c.schema is not None]
            if ranked:
                calls[m] = ranked[-1]
    return {"calls": calls, "per_turn": per_turn}


def measure_turns(rec: Recommender, messages: list[str], rounds: int) -> dict[str, Any]:
    """Warm turns, and bare calls interleaved with them when the backend is a local model."""
    recorded = ranking_calls(rec, messages)  # also the warm-up turn of every message
    out: dict[str, Any] = {"llm_calls_per_turn": recorded["per_turn"], "turns": [],
                           "bare_tokens": [], "bare_skipped": None,
                           "chatrec_peak_rss_mb": peak_rss_mb()}
    bare: BareLlama | None = None
    calls: dict[str, LLMCall] = recorded["calls"]
    spec = parse_backend_spec(rec.settings.backend)
    if spec.kind != "local" or rec.llm is None:
        out["bare_skipped"] = f"the backend is {rec.settings.backend!r}, not a local GGUF"
    elif not calls:
        out["bare_skipped"] = "no turn made a ranking call to the model"
    else:
        bare = BareLlama(spec.model, rec.settings)
        bare.complete(next(iter(calls.values())))  # warm-up
        out["bare_model"] = bare.model_path.name

    def bare_call(m: str) -> float | None:
        if bare is None or m not in calls:
            return None
        done = bare.complete(calls[m])
        out["bare_tokens"].append([done["prompt_tokens"], done["completion_tokens"]])
        return float(done["s"])

    for r in range(rounds):
        for m in messages:  # A B in even rounds, B A in odd ones
            before = bare_call(m) if r % 2 else None
            turn = timed_turn(rec, m) | {"message": m}
            turn["bare_s"] = before if r % 2 else bare_call(m)
            out["turns"].append(turn)
        print(f"bench turns: round {r + 1}/{rounds} done", file=sys.stderr, flush=True)
    out["bare_peak_rss_mb"] = peak_rss_mb()
    return out


def measure_rank(rec: Recommender, profiles: list[str], repeat: int, k: int = 50
                 ) -> dict[str, list[float]]:
    """``Session.rank(k)`` after a one-line profile vs ``collection.query`` of the profile's
    vector (computed once, outside the timing) on the same Chroma collection, interleaved."""
    rank_s: list[float] = []
    chroma_s: list[float] = []
    col = rec.index.collection
    for p in profiles:
        s = rec.session()
        s.add_turn("user", p)
        vec = rec.embedder.encode([p])
        s.rank(k)  # warm-up
        col.query(query_embeddings=vec, n_results=k)
        for _ in range(repeat):
            t = time.perf_counter()
            s.rank(k)
            rank_s.append(time.perf_counter() - t)
            t = time.perf_counter()
            col.query(query_embeddings=vec, n_results=k)
            chroma_s.append(time.perf_counter() - t)
    return {"rank_s": rank_s, "chroma_s": chroma_s}


def run(data_dir: str, catalog: str, backend: str, rounds: int, n_messages: int,
        rank_repeat: int) -> dict[str, Any]:
    from chatrec.rank.ranker import Ranker
    from chatrec.recommender import Recommender
    from chatrec.settings import Settings

    t0 = time.perf_counter()
    rec = Recommender(catalog, backend, settings=Settings.load(data_dir=data_dir))
    rec.warm()
    messages = TURNS[:n_messages]
    out: dict[str, Any] = {"init_s": time.perf_counter() - t0,
                           "backend": rec.llm.name if rec.llm is not None else None,
                           "default_asks_model": rec.pipeline.uses_llm()}
    out |= measure_rank(rec, PROFILES, rank_repeat)
    if not out["default_asks_model"]:
        for m in messages:
            timed_turn(rec, m)  # warm-up
        out["default_turns"] = [timed_turn(rec, m) | {"message": m}
                                for _ in range(rounds) for m in messages]
        out["default_peak_rss_mb"] = peak_rss_mb()
    s = rec.settings
    asked = Ranker(rec.catalog, rec.pipeline.prompts, llm_reasons=s.llm_reasons,
                   deadline_s=s.llm_deadline_s, llm_order="on")
    with rec.override(ranker=asked):
        out |= measure_turns(rec, messages, rounds)
    out.setdefault("default_turns", out["turns"])
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m chatrec.eval.bench_turn",
                                description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--data-dir", required=True, help="a data dir whose index is built")
    p.add_argument("--catalog", default="movies")
    p.add_argument("--backend", default="local")
    p.add_argument("--rounds", type=int, default=5, help="turns per message (after warm-up)")
    p.add_argument("--messages", type=int, default=len(TURNS), help=f"1..{len(TURNS)}")
    p.add_argument("--rank-repeat", type=int, default=5)
    p.add_argument("--json", required=True, help="write the raw figures here")
    args = p.parse_args(argv)
    out = run(args.data_dir, args.catalog, args.backend, args.rounds, args.messages,
              args.rank_repeat)
    Path(args.json).write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
