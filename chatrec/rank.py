"""LLM ranking and reasons, validated; the code's own ranking when the model fails.

The model sees the code's top candidates in compact form and must return
``{"picks": [{"id": <one of the candidate ids>, "reason": "..."}]}`` (ids are an enum in the
schema, so a constrained local model cannot even write another id). Every reply is validated
again: unknown, duplicate or excluded ids and empty or ungrounded reasons are dropped, and the
list is completed from the code's ranking with template reasons built from the item's own data.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chatrec.errors import BackendError
from chatrec.filters import violations
from chatrec.llm.base import LLMBackend, Message
from chatrec.profile import Preferences
from chatrec.prompts import Prompt
from chatrec.types import Candidate, Item, Pick, ReasonSource
from chatrec.vocab import SYNONYMS

if TYPE_CHECKING:
    from chatrec.catalog import Catalog

log = logging.getLogger(__name__)

MAX_REASON_CHARS = 200
_MARKUP = re.compile(r"<[^>]{0,200}>|\[([^\]]*)\]\([^)]*\)|https?://\S+|[`*_#]{1,3}")
_CTRL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_WORD = re.compile(r"[a-z0-9][a-z0-9'\-]*")


@dataclass
class RankOutcome:
    """How the picks of one turn were made."""

    picks: list[Pick] = field(default_factory=list)
    llm_used: bool = False
    llm_valid: int = 0  # picks the model chose that survived validation
    llm_dropped: list[str] = field(default_factory=list)  # why model picks were dropped
    reasons_replaced: int = 0  # model reasons replaced by template reasons (ungrounded)
    fallback: bool = False  # the code's ranking was used for some or all picks
    error: str | None = None
    backend: str | None = None  # the backend that answered (or failed last)
    notes: list[str] = field(default_factory=list)


def clean_reason(text: str) -> str:
    """Plain text only: no markup, links or control characters; one line, length-capped."""
    t = _CTRL.sub(" ", str(text))
    t = _MARKUP.sub(lambda m: m.group(1) or "", t)
    t = re.sub(r"\s+", " ", t).strip().strip('"').strip()
    if len(t) > MAX_REASON_CHARS:
        t = t[: MAX_REASON_CHARS - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return t


def _normalized_words(text: str) -> str:
    t = " " + " ".join(_WORD.findall(text.lower())) + " "
    for variant, canon in SYNONYMS.items():
        if f" {variant} " in t:
            t = t.replace(f" {variant} ", f" {variant} {canon} ")
    return t


def _mentions(norm_text: str, term: str) -> bool:
    words = " ".join(_WORD.findall(term.lower()))
    return bool(words) and f" {words} " in norm_text


def looks_like_prose(text: str) -> bool:
    """Rejects the degenerate output small models produce ("1.1.1.1", one word repeated)."""
    words = _WORD.findall(text.lower())
    if len(words) < 3:
        return False
    if sum(c.isalpha() or c.isspace() for c in text) < 0.8 * len(text):
        return False
    top = Counter(words).most_common(1)[0][1]
    if top > max(3, len(words) // 3):
        return False
    return not re.search(r"(.{1,6}?)\1{3,}", text)


class Grounding:
    """Checks that a reason only claims attributes the item has, and names at least one."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        claim: set[str] = set()
        for f in catalog.manifest.attribute_fields:
            spec = catalog.manifest.fields.get(f)
            if spec is None:
                continue
            vocab = catalog.field_vocabulary(f)
            # genre-like fields are small and every term in them is a checkable claim
            if len(vocab) <= 80:
                claim |= {t for t in vocab if len(t) >= 3}
        self.claim_vocab = frozenset(claim)

    def claims(self, reason: str, ignore: Iterable[str] = ()) -> set[str]:
        norm = _without(_normalized_words(reason), ignore)
        return {t for t in self.claim_vocab if _mentions(norm, t)}

    def check(self, reason: str, item: Item, ignore: Iterable[str] = ()) -> tuple[bool, str]:
        """(ok, why). ``ignore``: titles the reason may name (the user's items: "people who
        liked Children of Men" claims nothing about family films)."""
        attrs = self.catalog.attributes(item)
        norm = _without(_normalized_words(reason), ignore)
        # what the item's own terms cover is not another claim ("Massively Multiplayer" is a
        # genre it has, not a claim of the "multi-player" spec)
        rest = _without(norm, sorted((t for t in attrs if len(t) >= 3), key=len, reverse=True))
        # a term inside one the item has is true of it ("co-op" of a "local co-op" game)
        own = " ".join(_normalized_words(t) for t in attrs)
        false = {t for t in self.claim_vocab
                 if t not in attrs and _mentions(rest, t) and not _mentions(own, t)}
        if false:
            return False, f"claims {sorted(false)} which the item does not have"
        if not any(_mentions(norm, t) for t in attrs if len(t) >= 3):
            return False, "names none of the item's attributes"
        return True, ""

    def grounded(self, reason: str, item: Item, ignore: Iterable[str] = ()) -> bool:
        return self.check(reason, item, ignore)[0]


def profile_titles(prefs: Preferences, catalog: Catalog) -> list[str]:
    """Titles a reason may name without claiming anything: the user's items, with and without
    the year."""
    ids = list(prefs.liked_items) + list(prefs.seen_items) + list(prefs.disliked_items)
    if prefs.anchor:
        ids.append(prefs.anchor)
    out: list[str] = []
    for i in ids:
        it = catalog.get(i)
        if it is not None:
            out += [it.display_title, it.title, _short(it.display_title)]
    return out


def _without(norm_text: str, phrases: Iterable[str]) -> str:
    for p in phrases:
        n = _normalized_words(p).strip()
        if n:
            norm_text = norm_text.replace(n, " ")
    return norm_text


def describe_item(item: Item, catalog: Catalog, max_terms: int = 5) -> str:
    """The compact facts the model sees for one item."""
    m = item.meta
    bits = [item.display_title]
    genres = item.values("genres")[:4]
    if genres:
        bits.append(", ".join(genres))
    terms: list[str] = []
    for f in catalog.manifest.attribute_fields:
        if f == "genres":
            continue
        for v in item.values(f):
            if v.lower() not in {t.lower() for t in terms + genres}:
                terms.append(v)
            if len(terms) >= max_terms:
                break
        if len(terms) >= max_terms:
            break
    if terms:
        bits.append(", ".join(terms))
    if isinstance(m.get("runtime"), int):
        bits.append(f"{m['runtime']} min")
    price = m.get("price")
    if isinstance(price, (int, float)) and not isinstance(price, bool):
        bits.append("free" if float(price) == 0 else f"${float(price):.2f}")
    return " | ".join(bits)


def template_reason(cand: Candidate, prefs: Preferences, catalog: Catalog) -> str:
    """A reason built from the item's own data and what the user said: always grounded."""
    item = cand.item
    genres = item.values("genres")[:3] or [v for f in catalog.manifest.attribute_fields
                                           for v in item.values(f)][:3]
    head = ", ".join(genres) if genres else catalog.manifest.noun.capitalize()
    if item.year:
        head += f" from {item.year}"
    why: list[str] = []
    if cand.matched:
        labels = [prefs.liked_attrs[t].label if t in prefs.liked_attrs else t for t in cand.matched]
        why.append("matches what you asked for (" + ", ".join(labels[:3]) + ")")
    ref_item = catalog.get(cand.because) if cand.because else None
    ref = ref_item.title if ref_item else None
    if ref and cand.signals.get("collab", 0.0) > 0.05:
        why.append(f"people who liked {_short(ref)} rate it highly")
    elif ref and cand.signals.get("dense", 0.0) > 0.45:
        why.append(f"close in themes to {_short(ref)}")
    if cand.signals.get("conv_popularity", 0.0) >= 0.7 and len(why) < 2:
        why.append("often recommended when people ask for suggestions")
    if not why:
        extra = [t for t in item.values("keywords")[:2] + item.values("tags")[:2]]
        if extra:
            why.append("about " + _join(extra[:2]))
        elif cand.signals.get("popularity", 0.0) > 0.8:
            why.append(f"one of the best-known {catalog.manifest.plural} here")
    text = head + (": " + "; ".join(why) if why else "")
    return clean_reason(text[0].upper() + text[1:] + ".")


def _short(label: str) -> str:
    return re.sub(r"\s*\(\d{4}\)$", "", label)


def _join(xs: list[str]) -> str:
    xs = [x for x in xs if x]
    if len(xs) <= 1:
        return "".join(xs)
    return ", ".join(xs[:-1]) + " and " + xs[-1]


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
    """Orders candidates with the LLM (when allowed) and writes grounded reasons."""

    def __init__(self, catalog: Catalog, prompts: dict[str, Prompt]) -> None:
        self.catalog = catalog
        self.prompts = prompts
        self.grounding = Grounding(catalog)

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
               backend: LLMBackend | None, *, llm_candidates: int = 6, reasons: bool = True,
               outcome: RankOutcome | None = None, fallback: LLMBackend | None = None,
               reasons_for: Callable[[LLMBackend], bool] | None = None) -> Iterator[Pick]:
        """Yield final picks one by one (the model's valid ones as they stream, then the rest).

        When ``backend`` fails before giving any pick and a ``fallback`` backend is configured,
        the fallback is asked instead; when both fail, the code's ranking answers alone.
        """
        out = outcome if outcome is not None else RankOutcome()
        by_id = {c.item.id: c for c in cands}
        chosen: list[str] = []
        tried = [b for b in (backend, fallback) if b is not None]
        for attempt, b in enumerate(tried):
            if not cands or (attempt > 0 and (chosen or not out.error)):
                break
            if attempt > 0:
                out.notes.append(f"{tried[0].name} failed ({(out.error or '')[:80]}); "
                                 f"{b.name} answered instead.")
                out.error = None
            with_reasons = reasons_for(b) if reasons_for is not None else reasons
            shown = cands[: max(llm_candidates, n)]
            out.llm_used = True
            out.backend = b.name
            parser = PickStreamParser()
            try:
                stream = b.stream_json(
                    self.messages(prefs, request, shown, n, with_reasons),
                    pick_schema([c.item.id for c in shown], n, with_reasons),
                    max_tokens=(30 + 34 * n) if with_reasons else (16 + 12 * n))
                for chunk in stream:
                    for obj in parser.feed(chunk):
                        pick = self._validate(obj, by_id, {c.item.id for c in shown}, chosen,
                                              prefs, out)
                        if pick is not None:
                            chosen.append(pick.item_id)
                            out.picks.append(pick)
                            yield pick
                            if len(chosen) >= n:
                                break
                    if len(chosen) >= n:
                        break
            except BackendError as e:
                out.error = str(e)
                log.warning("LLM ranking failed (%s): %s", b.name, e)
            except Exception as e:  # a backend bug must not cost the user their answer
                out.error = f"{type(e).__name__}: {e}"
                log.exception("LLM ranking crashed (%s)", b.name)
            out.llm_valid = len(chosen)
        for c in cands:
            if len(chosen) >= n:
                break
            if c.item.id in chosen:
                continue
            pick = self.code_pick(c, prefs)
            chosen.append(pick.item_id)
            out.picks.append(pick)
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
