"""LLM ranking, validated; the code's own ranking where the model fails.

The model sees the code's top candidates in compact form and must return
``{"picks": [{"id": <one of the candidate ids>, "reason": "..."}]}`` (ids are an enum in the
schema, so a constrained local model cannot even write another id), or, for a backend that does
not write reasons, ``{"picks": [<id>, ...]}``. Every reply is validated again: unknown, duplicate
or excluded ids and empty or ungrounded reasons are dropped (see :mod:`chatrec.rank.grounding`),
and the list is completed from the code's ranking with template reasons built from the item's own
data (:mod:`chatrec.rank.reasons`). There is one call per turn; a
:class:`~chatrec.llm.fallback.FallbackBackend` answers it with its fallback when the primary
fails, and the outcome's notes tell the user.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chatrec.errors import BackendError, ConfigError
from chatrec.llm.base import Generation, LLMBackend, Message
from chatrec.llm.fallback import FallbackStream
from chatrec.profile import Preferences
from chatrec.prompts import Prompt
from chatrec.rank.grounding import Grounding, clean_reason, looks_like_prose
from chatrec.rank.reasons import describe_item, profile_titles, template_reason
from chatrec.retrieve.filters import violations
from chatrec.types import Candidate, Pick, ReasonSource

if TYPE_CHECKING:
    from chatrec.catalog import Catalog

log = logging.getLogger(__name__)

REASON_MODES = ("auto", "on", "off")


@dataclass
class RankOutcome:
    """How the picks of one turn were made."""

    llm_used: bool = False
    llm_valid: int = 0  # picks the model chose that survived validation
    llm_dropped: list[str] = field(default_factory=list)  # why model picks were dropped
    reasons_replaced: int = 0  # model reasons replaced by template reasons (ungrounded)
    fallback: bool = False  # the code's ranking was used for some or all picks
    error: str | None = None
    backend: str | None = None  # the backend that answered (or failed last)
    notes: list[str] = field(default_factory=list)


def pick_schema(ids: list[str], n: int, reasons: bool = True) -> dict[str, Any]:
    """JSON schema of the model's answer; candidate ids are an enum."""
    if not reasons:
        k = min(n, len(ids))
        return {"type": "object",
                "properties": {"picks": {"type": "array", "minItems": k, "maxItems": k,
                                         "items": {"type": "string", "enum": ids}}},
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
    """Pulls complete ``{"id":..., "reason":...}`` objects out of a JSON text as it streams in."""

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
            if i >= len(self.buf) or self.buf[i] not in "{\"":
                self.pos = i
                return out
            try:
                obj, end = self._dec.raw_decode(self.buf, i)
            except json.JSONDecodeError:
                self.pos = i
                return out
            self.pos = end
            if isinstance(obj, dict):
                out.append(obj)
            elif isinstance(obj, str):  # order-only answers: a bare id
                out.append({"id": obj, "reason": None})


class Ranker:
    """Orders candidates with the LLM (when allowed) and writes grounded reasons.

    ``llm_reasons`` (settings.llm_reasons): "on" asks every backend for reasons, "off" only for
    an order, "auto" asks a backend whose capabilities say it writes reasons.
    """

    def __init__(self, catalog: Catalog, prompts: dict[str, Prompt],
                 llm_reasons: str = "auto") -> None:
        if llm_reasons not in REASON_MODES:
            raise ConfigError(f"llm_reasons={llm_reasons!r}; use auto, on or off "
                              "(CHATREC_LLM_REASONS)")
        self.catalog = catalog
        self.prompts = prompts
        self.llm_reasons = llm_reasons
        self.grounding = Grounding(catalog)

    def writes_reasons(self, backend: LLMBackend) -> bool:
        """Whether to ask ``backend`` for reasons, or only for an order."""
        if self.llm_reasons != "auto":
            return self.llm_reasons == "on"
        return backend.capabilities.writes_reasons

    def messages(self, prefs: Preferences, request: str, cands: list[Candidate],
                 n: int, reasons: bool = True) -> list[Message]:
        lines = [f"id={c.item.id} | {describe_item(c.item, self.catalog)}{self._hint(c)}"
                 for c in cands]
        man = self.catalog.manifest
        kind = "rank" if reasons else "order"
        system = self.prompts[f"{kind}_system"].render(noun_plural=man.plural, n=n)
        user = self.prompts[f"{kind}_user"].render(
            profile=prefs.describe(), request=request.strip()[:300] or "(nothing new)",
            candidates="\n".join(lines), n=n)
        return [Message("system", system), Message("user", user)]

    def _hint(self, c: Candidate) -> str:
        """What ties the candidate to the profile, in words the model can reuse."""
        bits = list(c.matched[:3])
        ref = self.catalog.get(c.because) if c.because else None
        if ref is not None:
            bits.append(f"like {ref.title}")
        return (" | matches: " + ", ".join(bits)) if bits else ""

    def code_pick(self, cand: Candidate, prefs: Preferences) -> Pick:
        return Pick(cand.item.id, cand.item.display_title, template_reason(cand, prefs, self.catalog),
                    round(cand.score, 4), "code")

    def stream(self, prefs: Preferences, request: str, cands: list[Candidate], n: int,
               backend: LLMBackend | None, *, llm_candidates: int = 6, reasons: bool | None = None,
               outcome: RankOutcome | None = None) -> Iterator[Pick]:
        """Yield final picks one by one (the model's valid ones as they stream, then the rest).

        One call on ``backend`` (None: the code ranks alone) over the top ``llm_candidates``;
        ``reasons``: ask for reasons (True) or only an order (False); None decides with
        :meth:`writes_reasons`. When the call fails, the code's ranking answers alone; either
        way ``outcome`` (when given) records how, with notes for the user.
        """
        out = outcome if outcome is not None else RankOutcome()
        chosen: list[str] = []
        if backend is not None and cands:
            with_reasons = self.writes_reasons(backend) if reasons is None else reasons
            yield from self._llm_picks(prefs, request, cands, n, backend, llm_candidates,
                                       with_reasons, chosen, out)
        for c in cands:
            if len(chosen) >= n:
                break
            if c.item.id in chosen:
                continue
            pick = self.code_pick(c, prefs)
            chosen.append(pick.item_id)
            out.fallback = True
            yield pick
        if out.llm_used:
            if out.error:
                out.notes.append("The language model failed (" + out.error[:120] +
                                 "); these picks and reasons come from chatrec's own ranking.")
            elif out.llm_valid == 0:
                out.notes.append("The language model's answer was unusable; these picks and "
                                 "reasons come from chatrec's own ranking.")
            # a partial answer is completed silently: Reply.meta records it

    def _llm_picks(self, prefs: Preferences, request: str, cands: list[Candidate], n: int,
                   backend: LLMBackend, llm_candidates: int, reasons: bool, chosen: list[str],
                   out: RankOutcome) -> Iterator[Pick]:
        """The model's valid picks, as they stream in (appended to ``chosen``)."""
        by_id = {c.item.id: c for c in cands}
        shown = cands[: max(llm_candidates, n)]
        shown_ids = {c.item.id for c in shown}
        gen = Generation(max_tokens=(30 + 34 * n) if reasons else (16 + 12 * n))
        out.llm_used = True
        out.backend = backend.name
        parser = PickStreamParser()
        stream: Iterator[str] | None = None
        try:
            stream = backend.stream_json(self.messages(prefs, request, shown, n, reasons),
                                         pick_schema([c.item.id for c in shown], n, reasons),
                                         gen=gen)
            for chunk in stream:
                for obj in parser.feed(chunk):
                    pick = self._validate(obj, by_id, shown_ids, chosen, prefs, out)
                    if pick is not None:
                        chosen.append(pick.item_id)
                        out.llm_valid = len(chosen)
                        yield pick
                        if len(chosen) >= n:
                            return
        except BackendError as e:
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
            else:
                out.notes.append(f"{f.backend} failed ({str(f.error)[:80]}); "
                                 f"{answered} answered instead.")

    @staticmethod
    def diagnostics(out: RankOutcome) -> dict[str, Any]:
        return {"llm_used": out.llm_used, "llm_valid": out.llm_valid,
                "llm_dropped": out.llm_dropped[:10], "reasons_replaced": out.reasons_replaced,
                "fallback": out.fallback, "error": out.error, "backend": out.backend}

    def _validate(self, obj: dict[str, Any], by_id: dict[str, Candidate], shown: set[str],
                  chosen: list[str], prefs: Preferences, out: RankOutcome) -> Pick | None:
        iid = str(obj.get("id", "")).strip()
        if iid not in shown or iid not in by_id:
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
            return Pick(iid, cand.item.display_title, template_reason(cand, prefs, self.catalog),
                        round(cand.score, 4), "llm-order")
        reason = clean_reason(str(obj.get("reason", "")))
        source: ReasonSource = "llm"
        if not reason:
            ok, why = False, "empty reason"
        elif not looks_like_prose(reason):
            ok, why = False, "not prose"
        else:
            ok, why = self.grounding.check(reason, cand.item, profile_titles(prefs, self.catalog))
        if not ok:
            out.reasons_replaced += 1
            log.info("reason for %s replaced: %s (%r)", iid, why, reason)
            reason = template_reason(cand, prefs, self.catalog)
            source = "llm-order"  # the model chose the position; the reason is chatrec's
        return Pick(iid, cand.item.display_title, reason, round(cand.score, 4), source)
