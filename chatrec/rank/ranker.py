"""LLM ranking, validated; the code's own ranking where the model fails, is busy or is late.

The model sees the code's top candidates in compact form and must return
``{"picks": [{"id": <one of the candidate ids>, "reason": "..."}]}`` (ids are an enum in the
schema, so a constrained local model cannot even write another id), or, for a backend that does
not write reasons, only the order: ``{"picks":[3,1,...]}``, the candidates' numbers in the
prompt (an enum 1..N), mapped back to ids here: 15 output tokens for 4 picks where the catalog
ids took 32, and a numbered title per candidate where its id and facts took three times as many
prompt tokens (SmolLM2-135M on 2 cores reads a prompt token in about 6 ms and writes one in
25-35 ms). Every reply is validated again: unknown, duplicate or excluded ids and empty
or ungrounded reasons are dropped (see :mod:`chatrec.rank.grounding`), and the list is completed
from the code's ranking with template reasons built from the item's own data
(:mod:`chatrec.rank.reasons`).

There is one call per turn, with a deadline (``deadline_s``, settings.llm_deadline_s): a backend
busy with another call raises BackendBusy at once instead of queueing, and a backend still writing
when the deadline passes is no longer read (closing the stream frees a local model); either way
the picks the model made in time are kept, the code's ranking completes the list, and a note
tells the user. A :class:`~chatrec.llm.fallback.FallbackBackend` answers with its fallback when
the primary fails or is busy, and the notes say so.

Prompts put the fixed part first: the system prompt holds every instruction and the answer's
form (per catalog and pick count, so the same text every turn), the user message only the data
(profile, request, candidates), so llama.cpp's prompt cache only evaluates the varying tail.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chatrec.errors import BackendBusy, BackendError, ConfigError
from chatrec.llm.base import Generation, LLMBackend, Message
from chatrec.llm.fallback import FallbackBackend, FallbackStream
from chatrec.profile import Preferences
from chatrec.prompts import Prompt
from chatrec.rank.grounding import Grounding, clean_reason, looks_like_prose
from chatrec.rank.reasons import (
    ReasonWriter,
    describe_item,
    fact_line,
    item_facts,
    profile_titles,
)
from chatrec.retrieve.filters import violations
from chatrec.types import Candidate, Pick, ReasonSource

if TYPE_CHECKING:
    from chatrec.catalog import Catalog

log = logging.getLogger(__name__)

MODES = ("auto", "on", "off")
#: how long a turn waits for the model when settings.llm_deadline_s is unset, by what it is asked.
#: An order: a warm SmolLM2-135M call (~110 new prompt tokens, ~14 written) took 1.0 s (median)
#: and 1.4-1.9 s at worst on 2 cores shared with other work; 1.5 s lets a typical call finish and
#: keeps a turn under 2 s. Reasons too (~170 tokens written): a few seconds from a remote model.
ORDER_DEADLINE_S = 1.5
REASONS_DEADLINE_S = 8.0


@dataclass
class RankOutcome:
    """How the picks of one turn were made."""

    llm_used: bool = False
    llm_valid: int = 0  # picks the model chose that survived validation
    llm_dropped: list[str] = field(default_factory=list)  # why model picks were dropped
    reasons_replaced: int = 0  # model reasons replaced by template reasons (ungrounded)
    fallback: bool = False  # the code's ranking was used for some or all picks
    busy: bool = False  # the backend was answering another call: not asked
    late: bool = False  # the deadline passed while the model was still writing
    error: str | None = None
    backend: str | None = None  # the backend that answered (or failed last)
    notes: list[str] = field(default_factory=list)


def pick_schema(ids: list[str], n: int, reasons: bool = True) -> dict[str, Any]:
    """JSON schema of the model's answer: candidate ids are an enum; without reasons, the
    candidates' numbers (1..len(ids)) are."""
    if not reasons:
        k = min(n, len(ids))
        return {"type": "object",
                "properties": {"picks": {"type": "array", "minItems": k, "maxItems": k,
                                         "items": {"type": "integer",
                                                   "enum": list(range(1, len(ids) + 1))}}},
                "required": ["picks"]}
    return {
        "type": "object",
        "properties": {
            "picks": {
                "type": "array",
                "minItems": min(n, len(ids)),
                "maxItems": min(n, len(ids)),
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string", "enum": ids},
                        "reason": {"type": "string", "minLength": 12, "maxLength": 80},
                    },
                    "required": ["id", "reason"],
                },
            }
        },
        "required": ["picks"],
    }


class PickStreamParser:
    """Pulls the complete elements of the ``picks`` array out of a JSON text as it streams in:
    ``{"id":..., "reason":...}`` objects as they are; a bare id (string) as
    ``{"id": id, "reason": None}``; a candidate number as ``{"number": n, "reason": None}``."""

    def __init__(self) -> None:
        self.buf = ""
        self.pos: int | None = None  # where the next array element may start
        self._dec = json.JSONDecoder()

    def feed(self, chunk: str) -> list[dict[str, Any]]:
        self.buf += chunk
        out: list[dict[str, Any]] = []
        if self.pos is None:
            m = re.search(r'"picks"\s*:\s*\[', self.buf)
            if not m:
                return out
            self.pos = m.end()
        while True:
            i = self.pos
            while i < len(self.buf) and self.buf[i] in " \t\r\n,":
                i += 1
            if i >= len(self.buf) or self.buf[i] not in "{\"-0123456789":
                self.pos = i
                return out
            try:
                obj, end = self._dec.raw_decode(self.buf, i)
            except json.JSONDecodeError:
                self.pos = i
                return out
            if isinstance(obj, (int, float)) and end >= len(self.buf):
                self.pos = i  # "1" may yet become "12": a number ends at the next character
                return out
            self.pos = end
            if isinstance(obj, dict):
                out.append(obj)
            elif isinstance(obj, str):  # a bare id
                out.append({"id": obj, "reason": None})
            elif isinstance(obj, (int, float)):  # a candidate's number
                out.append({"number": obj, "reason": None})


def _past(gen: Generation) -> bool:
    left = gen.remaining()
    return left is not None and left <= 0


class Ranker:
    """Orders candidates with the LLM (when allowed) and writes grounded reasons.

    ``llm_reasons`` (settings.llm_reasons): "on" asks every backend for reasons, "off" only for
    an order, "auto" asks a backend whose capabilities say it writes reasons. ``llm_order``
    (settings.llm_order): whether a backend not asked for reasons is asked for an order ("auto":
    when its capabilities say its order beats the code's). ``deadline_s``
    (settings.llm_deadline_s): how long a turn waits for the model (0: no limit; None:
    ORDER_DEADLINE_S or REASONS_DEADLINE_S, by what the model is asked for).
    """

    def __init__(self, catalog: Catalog, prompts: dict[str, Prompt],
                 llm_reasons: str = "auto", deadline_s: float | None = None,
                 llm_order: str = "auto") -> None:
        for name, mode in (("llm_reasons", llm_reasons), ("llm_order", llm_order)):
            if mode not in MODES:
                raise ConfigError(f"{name}={mode!r}; use auto, on or off "
                                  f"(CHATREC_{name.upper()})")
        self.catalog = catalog
        self.prompts = prompts
        self.llm_reasons = llm_reasons
        self.llm_order = llm_order
        self.deadline_s = deadline_s
        self.grounding = Grounding(catalog)

    def writes_reasons(self, backend: LLMBackend) -> bool:
        """Whether to ask ``backend`` for reasons, or only for an order."""
        if self.llm_reasons != "auto":
            return self.llm_reasons == "on"
        return backend.capabilities.writes_reasons

    def asks(self, backend: LLMBackend | None) -> bool:
        """Whether a turn calls ``backend`` at all: for reasons, or for an order that can beat
        the code's."""
        if backend is None:
            return False
        if self.writes_reasons(backend) or self.llm_order == "on":
            return True
        return self.llm_order == "auto" and backend.capabilities.orders_candidates

    def messages(self, prefs: Preferences, request: str, cands: list[Candidate],
                 n: int, reasons: bool = True) -> list[Message]:
        """The call's messages: the fixed system prompt, then the turn's data."""
        lines = [self._line(k, c, reasons) for k, c in enumerate(cands, 1)]
        man = self.catalog.manifest
        kind = "rank" if reasons else "order"
        system = self.prompts[f"{kind}_system"].render(noun_plural=man.plural, n=n)
        user = self.prompts[f"{kind}_user"].render(
            profile=prefs.describe(), request=request.strip()[:300] or "(nothing new)",
            candidates="\n".join(lines))
        return [Message("system", system), Message("user", user)]

    def _line(self, k: int, c: Candidate, reasons: bool) -> str:
        """One candidate as the model sees it: with reasons, its facts under its id; for an
        order, its number and title (a title says much to a model in few tokens, and every
        prompt token costs about 6 ms to read for SmolLM2-135M on 2 cores)."""
        ties = self._ties(c)
        if reasons:
            facts = fact_line(c.item, self.catalog)
            return (f"id={c.item.id} | {describe_item(c.item, self.catalog)}"
                    + (f" | {facts}" if facts else "")
                    + (f" | matches: {', '.join(ties)}" if ties else ""))
        return f"{k}. {c.item.display_title}" + (f"; {', '.join(ties)}" if ties else "")

    def _ties(self, c: Candidate) -> list[str]:
        """What ties the candidate to the profile, in words the model can reuse."""
        bits = list(c.matched[:3])
        ref = self.catalog.get(c.because) if c.because else None
        if ref is not None:
            bits.append(f"like {ref.title}")
        return bits

    def code_pick(self, cand: Candidate, prefs: Preferences,
                  writer: ReasonWriter | None = None) -> Pick:
        """The code's pick of ``cand``; ``writer``: the reply's reason writer (its reasons
        differ in shape), else a fresh one."""
        writer = writer or ReasonWriter(self.catalog, prefs)
        return Pick(cand.item.id, cand.item.display_title, writer.reason(cand),
                    round(cand.score, 4), "code")

    def stream(self, prefs: Preferences, request: str, cands: list[Candidate], n: int,
               backend: LLMBackend | None, *, llm_candidates: int = 6, reasons: bool | None = None,
               outcome: RankOutcome | None = None) -> Iterator[Pick]:
        """Yield final picks one by one (the model's valid ones as they stream, then the rest).

        One call on ``backend`` (None: the code ranks alone) over the top ``llm_candidates``;
        ``reasons``: ask for reasons (True) or only an order (False); None decides with
        :meth:`asks` and :meth:`writes_reasons`. When the call fails, the code's ranking answers alone; either
        way ``outcome`` (when given) records how, with notes for the user.
        """
        out = outcome if outcome is not None else RankOutcome()
        chosen: list[str] = []
        writer = ReasonWriter(self.catalog, prefs)  # this reply's reasons differ in shape
        if backend is not None and cands and (reasons is not None or self.asks(backend)):
            with_reasons = self.writes_reasons(backend) if reasons is None else reasons
            yield from self._llm_picks(prefs, request, cands, n, backend, llm_candidates,
                                       with_reasons, chosen, out, writer)
        elif isinstance(backend, FallbackBackend):  # not asked; still say what is missing
            out.notes.extend(f"(The language model {f.backend} is unavailable: {f.error}. "
                             "Ranking without it.)" for f in backend.unavailable())
        for c in cands:
            if len(chosen) >= n:
                break
            if c.item.id in chosen:
                continue
            pick = self.code_pick(c, prefs, writer)
            chosen.append(pick.item_id)
            out.fallback = True
            yield pick
        if out.llm_used:
            out.notes.extend(self._outcome_notes(out, n))

    @staticmethod
    def _outcome_notes(out: RankOutcome, n: int) -> list[str]:
        """What the user is told when the model's answer did not make the picks; a partial
        answer that came in time is completed silently (Reply.meta records it)."""
        if out.busy:
            return ["(The language model is busy with other conversations; these picks come "
                    "from chatrec's own ranking.)"]
        if out.error:
            return ["The language model failed (" + out.error[:120] + "); these picks and "
                    "reasons come from chatrec's own ranking."]
        if out.late and out.llm_valid == 0:
            return ["(The language model was too slow this time; these picks come from "
                    "chatrec's own ranking.)"]
        if out.late:
            return [f"(The language model ran out of time after {out.llm_valid} of {n} picks; "
                    "chatrec's own ranking chose the rest.)"]
        if out.llm_valid == 0:
            return ["The language model's answer was unusable; these picks and reasons come "
                    "from chatrec's own ranking."]
        return []

    def _llm_picks(self, prefs: Preferences, request: str, cands: list[Candidate], n: int,
                   backend: LLMBackend, llm_candidates: int, reasons: bool, chosen: list[str],
                   out: RankOutcome, writer: ReasonWriter) -> Iterator[Pick]:
        """The model's valid picks, as they stream in before the deadline (appended to
        ``chosen``)."""
        shown = cands[: max(llm_candidates, n)]
        seconds = self.deadline_s if self.deadline_s is not None else (
            REASONS_DEADLINE_S if reasons else ORDER_DEADLINE_S)
        gen = Generation(max_tokens=(30 + 34 * n) if reasons else (12 + 6 * n)).within(seconds)
        out.llm_used = True
        out.backend = backend.name
        parser = PickStreamParser()
        stream: Iterator[str] | None = None
        try:
            stream = backend.stream_json(self.messages(prefs, request, shown, n, reasons),
                                         pick_schema([c.item.id for c in shown], n, reasons),
                                         gen=gen)
            for chunk in stream:
                if _past(gen):  # what comes after the deadline is not used
                    break
                for obj in parser.feed(chunk):
                    pick = self._validate(obj, shown, chosen, prefs, out, writer)
                    if pick is not None:
                        chosen.append(pick.item_id)
                        out.llm_valid = len(chosen)
                        yield pick
                        if len(chosen) >= n:
                            return
            if _past(gen):  # stopped reading, or the backend stopped at the deadline itself
                out.late = True
                log.info("LLM ranking stopped at the deadline (%s, %d valid picks)",
                         out.backend, out.llm_valid)
        except BackendBusy as e:
            out.busy, out.error = True, str(e)
            log.info("LLM ranking skipped: %s", e)
        except BackendError as e:
            if _past(gen):  # e.g. a request that timed out at the deadline
                out.late = True
            else:
                out.error = str(e)
            log.warning("LLM ranking failed (%s): %s", out.backend, e)
        except Exception as e:  # a backend bug must not cost the user their answer
            out.error = f"{type(e).__name__}: {e}"
            log.exception("LLM ranking crashed (%s)", out.backend)
        finally:
            close = getattr(stream, "close", None)
            if callable(close):
                close()  # release the model now (a local backend holds its lock while streaming)
            if isinstance(stream, FallbackStream):
                self._note_attempts(stream, out)

    @staticmethod
    def _note_attempts(stream: FallbackStream, out: RankOutcome) -> None:
        """Who answered a fallback call, and notes on who failed before it."""
        answered = stream.answered_by
        if answered is None:
            if stream.failures and all(f.unavailable for f in stream.failures):
                # no backend could even be made: the code ranks alone, as with none
                out.llm_used, out.backend, out.error = False, None, None
                out.notes.append(f"(The language model is unavailable: "
                                 f"{stream.failures[0].error}. Ranking without it.)")
            elif stream.failures:
                out.backend = stream.failures[-1].backend
            return
        out.backend = answered
        for f in stream.failures:
            if f.unavailable:
                out.notes.append(f"({f.backend} is unavailable: using {answered}.)")
            elif f.busy:
                out.notes.append(f"({f.backend} is busy with other conversations: "
                                 f"{answered} answered.)")
            else:
                out.notes.append(f"{f.backend} failed ({str(f.error)[:80]}); "
                                 f"{answered} answered instead.")

    @staticmethod
    def diagnostics(out: RankOutcome) -> dict[str, Any]:
        return {"llm_used": out.llm_used, "llm_valid": out.llm_valid,
                "llm_dropped": out.llm_dropped[:10], "reasons_replaced": out.reasons_replaced,
                "fallback": out.fallback, "busy": out.busy, "late": out.late,
                "error": out.error, "backend": out.backend}

    def _validate(self, obj: dict[str, Any], shown: list[Candidate], chosen: list[str],
                  prefs: Preferences, out: RankOutcome, writer: ReasonWriter) -> Pick | None:
        """The pick a parsed answer element makes, or None (and why, in ``out``)."""
        if "number" in obj:  # an order-only answer: the candidate's number in the prompt
            k = obj["number"]
            if not (isinstance(k, int) and 1 <= k <= len(shown)):
                out.llm_dropped.append(f"unknown number {str(k)[:20]}")
                return None
            iid = shown[k - 1].item.id
        else:
            iid = str(obj.get("id", "")).strip()
        by_id = {c.item.id: c for c in shown}
        if iid not in by_id:
            out.llm_dropped.append(f"unknown id {iid[:40]!r}")
            return None
        if iid in chosen:
            out.llm_dropped.append(f"duplicate id {iid}")
            return None
        cand = by_id[iid]
        bad = violations(cand.item, prefs, self.catalog)
        if bad:
            out.llm_dropped.append(f"{iid} excluded: {bad[0]}")
            return None
        if obj.get("reason") is None:  # order-only: the reason is written from the item's data
            return Pick(iid, cand.item.display_title, writer.reason(cand),
                        round(cand.score, 4), "llm-order")
        reason = clean_reason(str(obj.get("reason", "")))
        source: ReasonSource = "llm"
        if not reason:
            ok, why = False, "empty reason"
        elif not looks_like_prose(reason):
            ok, why = False, "not prose"
        else:
            ok, why = self.grounding.check(reason, cand.item, profile_titles(prefs, self.catalog),
                                           item_facts(cand.item, self.catalog))
        if not ok:
            out.reasons_replaced += 1
            log.info("reason for %s replaced: %s (%r)", iid, why, reason)
            reason = writer.reason(cand)
            source = "llm-order"  # the model chose the position; the reason is chatrec's
        return Pick(iid, cand.item.display_title, reason, round(cand.score, 4), source)
