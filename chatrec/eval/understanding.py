"""Measure the understanding layer.

``python -m chatrec.eval.understanding`` runs the labeled suite
(``tests/data/understanding_suite.jsonl``) and prints precision/recall/F1 per category:

* ``titles``: items linked by name (any polarity; question/anchor items named by title),
  unknown titles and ambiguous mentions;
* ``attributes``: liked + disliked attribute terms (polarity ignored; an expected entry may
  list alternatives, any one of which counts; ``optional_attrs`` are neither rewarded nor
  penalised);
* ``constraints``: ``[field, op, value]`` (numbers within 0.011), plus expected notes;
* ``negation``: disliked items and attributes (what must be filtered out);
* ``revisions``: lifted constraints, dropped attributes and items;
* ``references``: items reached through "#2"/"the first one"/"that", anchors and
  questions about earlier picks;
* ``intents``: accuracy.

``python -m chatrec.eval.understanding --inspired PATH/dev.tsv`` scores the SEEKER turns of
INSPIRED (Hayati et al., 2020) for genre and movie-mention recall/precision against its
per-utterance annotations. The path is an argument: nothing here reads ../shared by itself.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chatrec.catalog import load_catalog
from chatrec.profile import Preferences
from chatrec.understand.model import Understanding, apply
from chatrec.understand.parser import Understander
from chatrec.understand.text import strip_year, title_key
from chatrec.vocab import normalize_term

DEFAULT_SUITE = Path(__file__).resolve().parents[2] / "tests" / "data" / "understanding_suite.jsonl"
CATEGORIES = ("titles", "attributes", "constraints", "negation", "revisions", "references")


@dataclass
class PRF:
    """True positives, false positives, false negatives."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, other: PRF) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn


@dataclass
class SuiteResult:
    """Per-category scores, intent accuracy and the failures (for ``--verbose``)."""

    scores: dict[str, PRF] = field(default_factory=lambda: {c: PRF() for c in CATEGORIES})
    intent_ok: int = 0
    turns: int = 0
    failures: list[str] = field(default_factory=list)
    parse_ms: list[float] = field(default_factory=list)
    construct_s: dict[str, float] = field(default_factory=dict)

    @property
    def intent_accuracy(self) -> float:
        return self.intent_ok / self.turns if self.turns else 1.0


def _sets(expected: set[Any], predicted: set[Any]) -> PRF:
    return PRF(len(expected & predicted), len(predicted - expected), len(expected - predicted))


def _groups(expected: list[Any], optional: list[Any], predicted: list[str]) -> PRF:
    """Score attribute terms where each expected entry may be a list of alternatives."""
    groups = [set(g) if isinstance(g, list) else {g} for g in expected]
    opt = {x for g in optional for x in (g if isinstance(g, list) else [g])}
    pred = set(predicted)
    tp = sum(1 for g in groups if g & pred)
    fn = len(groups) - tp
    covered = set().union(*groups) if groups else set()
    fp = len(pred - covered - opt)
    return PRF(tp, fp, fn)


def _constraint_facts(items: list[Any]) -> set[tuple[str, str, str]]:
    out = set()
    for f, op, v in items:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            out.add((str(f), str(op), str(v).lower()))
        else:
            out.add((str(f), str(op), f"{round(float(v) * 100) / 100:.2f}"))
    return out


def score_turn(u: Understanding, exp: dict[str, Any], picks: list[str]) -> dict[str, PRF]:
    """Scores of one parsed turn against its expectation."""
    def res(x: str) -> str:
        if x.startswith("#"):
            k = int(x[1:])
            return picks[k - 1] if 0 < k <= len(picks) else x
        return x

    out: dict[str, PRF] = {}
    # titles
    exp_titles: set[tuple[str, str]] = set()
    for k in ("liked_items", "disliked_items", "seen_items"):
        exp_titles |= {("item", x) for x in exp.get(k, []) if not x.startswith("#")}
    for k in ("question_item", "anchor"):
        x = exp.get(k)
        if x and not x.startswith("#"):
            exp_titles.add(("item", x))
    exp_titles |= {("unknown", x.lower()) for x in exp.get("unknown_titles", [])}
    exp_titles |= {("ambiguous", title_key(m)) for m, _ in exp.get("ambiguous", [])}
    pred_titles: set[tuple[str, str]] = set()
    for ms in (u.liked_items, u.disliked_items, u.seen_items):
        pred_titles |= {("item", m.item_id) for m in ms if m.via != "reference"}
    for k, v in (("question_item", u.question_item), ("anchor", u.anchor)):
        e = exp.get(k)
        if v and ((e and not e.startswith("#")) or (not e and v not in picks)):
            pred_titles.add(("item", v))
    pred_titles |= {("unknown", x.lower()) for x in u.unknown_titles}
    pred_titles |= {("ambiguous", title_key(m)) for m, _ in u.ambiguous}
    out["titles"] = _sets(exp_titles, pred_titles)
    # references
    pol = {"liked_items": "like", "disliked_items": "dislike", "seen_items": "seen"}
    exp_refs = {(pol[k], res(x)) for k in pol for x in exp.get(k, []) if x.startswith("#")}
    for k, tag in (("anchor", "anchor"), ("question_item", "question")):
        x = exp.get(k)
        if x and x.startswith("#"):
            exp_refs.add((tag, res(x)))
    pred_refs = {(pol[k], m.item_id) for k in pol for m in getattr(u, k) if m.via == "reference"}
    for k, tag, v in (("anchor", "anchor", u.anchor), ("question_item", "question", u.question_item)):
        e = exp.get(k)
        if v and ((e and e.startswith("#")) or (not e and v in picks)):
            pred_refs.add((tag, v))
    out["references"] = _sets(exp_refs, pred_refs)
    # attributes (polarity ignored)
    out["attributes"] = _groups(exp.get("liked_attrs", []) + exp.get("disliked_attrs", []),
                                exp.get("optional_attrs", []), u.liked_attrs + u.disliked_attrs)
    # negation: what must be filtered out
    neg = _groups(exp.get("disliked_attrs", []), exp.get("optional_attrs", []), u.disliked_attrs)
    neg.add(_sets({res(x) for x in exp.get("disliked_items", [])}, {m.item_id for m in u.disliked_items}))
    out["negation"] = neg
    # constraints (+ notes)
    cons = _sets(_constraint_facts(exp.get("constraints", [])),
                 _constraint_facts([(c.field, c.op, c.value) for c in u.constraints]))
    for word in exp.get("notes", []):
        if any(word in n for n in u.notes):
            cons.tp += 1
        else:
            cons.fn += 1
    out["constraints"] = cons
    # revisions
    exp_rev = {("dc", x) for x in exp.get("dropped_constraints", [])}
    exp_rev |= {("da", x) for x in exp.get("dropped_attrs", [])}
    exp_rev |= {("di", res(x)) for x in exp.get("dropped_items", [])}
    pred_rev = {("dc", x) for x in u.dropped_constraints} | {("da", x) for x in u.dropped_attrs}
    pred_rev |= {("di", x) for x in u.dropped_items}
    out["revisions"] = _sets(exp_rev, pred_rev)
    return out


def run_suite(path: Path = DEFAULT_SUITE,
              understanders: dict[str, Understander] | None = None) -> SuiteResult:
    """Parse every turn of the suite (profile carried across a case's turns) and score it."""
    result = SuiteResult()
    us: dict[str, Understander] = dict(understanders or {})
    cases = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for case in cases:
        name = case["catalog"]
        if name not in us:
            catalog = load_catalog(name)
            catalog.vocabulary()  # the catalog's own cache, shared with the rest of chatrec
            t0 = time.perf_counter()
            us[name] = Understander(catalog)
            result.construct_s[name] = time.perf_counter() - t0
        und = us[name]
        prefs = Preferences()
        for n, turn in enumerate(case["turns"], 1):
            picks = list(turn.get("picks") or [])
            if picks:
                prefs.note_recommended(picks)
            t0 = time.perf_counter()
            u = und.parse(turn["user"], prefs, n)
            result.parse_ms.append((time.perf_counter() - t0) * 1000)
            exp = turn["expect"]
            scores = score_turn(u, exp, picks)
            bad = [c for c, s in scores.items() if s.fp or s.fn]
            for c, s in scores.items():
                result.scores[c].add(s)
            result.turns += 1
            if u.intent == exp.get("intent", "recommend"):
                result.intent_ok += 1
            else:
                bad.append("intent")
            if bad:
                result.failures.append(f"{case['id']}#{n} {turn['user']!r} [{', '.join(bad)}]\n"
                                       f"    expected {json.dumps(exp, ensure_ascii=False)}\n"
                                       f"    got      {_describe(u)}")
            apply(u, prefs, n)
    return result


def _describe(u: Understanding) -> str:
    d: dict[str, Any] = {}
    for k in ("liked_items", "disliked_items", "seen_items"):
        v = getattr(u, k)
        if v:
            d[k] = [f"{m.item_id}:{m.label}({m.via})" for m in v]
    for k in ("liked_attrs", "disliked_attrs", "dropped_constraints", "dropped_attrs", "dropped_items",
              "unknown_titles", "ambiguous", "notes"):
        v = getattr(u, k)
        if v:
            d[k] = v
    if u.constraints:
        d["constraints"] = [[c.field, c.op, c.value] for c in u.constraints]
    for k in ("anchor", "question_item"):
        if getattr(u, k):
            d[k] = getattr(u, k)
    d["intent"] = u.intent
    return json.dumps(d, ensure_ascii=False)


def print_suite(result: SuiteResult, verbose: bool = False, out: Any = sys.stdout) -> None:
    if verbose:
        for f in result.failures:
            print(f, file=out)
        print(file=out)
    print(f"understanding suite: {result.turns} turns", file=out)
    print(f"{'category':<12} {'P':>6} {'R':>6} {'F1':>6}   tp/fp/fn", file=out)
    for c in CATEGORIES:
        s = result.scores[c]
        print(f"{c:<12} {s.precision:6.3f} {s.recall:6.3f} {s.f1:6.3f}   {s.tp}/{s.fp}/{s.fn}", file=out)
    print(f"{'intents':<12} accuracy {result.intent_accuracy:.3f} ({result.intent_ok}/{result.turns})",
          file=out)
    ms = sorted(result.parse_ms)
    if ms:
        print(f"parse: median {ms[len(ms) // 2]:.1f} ms, p95 {ms[int(len(ms) * 0.95)]:.1f} ms, "
              f"max {ms[-1]:.1f} ms", file=out)
    for name, secs in result.construct_s.items():
        print(f"construct Understander({name}): {secs:.2f} s", file=out)


# ----------------------------------------------------------------------------------------
# INSPIRED
# ----------------------------------------------------------------------------------------
def _split(cell: str) -> list[str]:
    return [x.strip() for x in (cell or "").split(";") if x.strip()]


def run_inspired(path: Path, verbose: bool = False, out: Any = sys.stdout) -> dict[str, float]:
    """Genre and movie-mention recall/precision on INSPIRED SEEKER utterances."""
    csv.field_size_limit(1 << 30)
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    catalog = load_catalog("movies")
    und = Understander(catalog)
    by_key: dict[str, list[str]] = defaultdict(list)
    for it in catalog:
        by_key[title_key(it.title)].append(it.id)
        for a in it.aliases:
            by_key[title_key(a)].append(it.id)

    def link(annot: str) -> str | None:
        t, year = strip_year(annot)
        ids = list(dict.fromkeys(by_key.get(title_key(t), [])))
        if year is not None:
            ids = [i for i in ids if catalog.items[i].year is not None
                   and abs((catalog.items[i].year or 0) - year) <= 1]
        return ids[0] if len(ids) == 1 else (ids[0] if ids else None)

    genre_vocab = {normalize_term(g) for r in rows for g in _split(r.get("genres", ""))}
    for fld in ("genres", "tmdb_genres"):
        if fld in catalog.manifest.fields:
            genre_vocab |= set(catalog.field_vocabulary(fld))
    m_all = m_found = m_cat = m_cat_found = 0
    p_total = p_ok = p_ok_lenient = 0
    g = PRF()
    g_explicit = PRF()
    prefs_by_dialog: dict[str, Preferences] = {}
    n_utts = 0
    for r in rows:
        if r.get("speaker", "").upper() != "SEEKER":
            continue
        n_utts += 1
        prefs = prefs_by_dialog.setdefault(r.get("dialog_id", ""), Preferences())
        text = r.get("text", "")
        u = und.parse(text, prefs, 1)
        apply(u, prefs, 1)
        annots = _split(r.get("movies", ""))
        gold_ids = {i for a in annots if (i := link(a))}
        gold_keys = {title_key(strip_year(a)[0]) for a in annots}
        pred = [m.item_id for m in u.liked_items + u.disliked_items + u.seen_items if m.via != "reference"]
        if u.question_item and u.question_item not in prefs.last_picks:
            pred.append(u.question_item)
        pred = list(dict.fromkeys(pred))
        m_all += len(annots)
        m_cat += len(gold_ids)
        m_cat_found += len(gold_ids & set(pred))
        m_found += sum(1 for a in annots if (i := link(a)) and i in pred)
        p_total += len(pred)
        p_ok += sum(1 for i in pred if i in gold_ids)
        p_ok_lenient += sum(1 for i in pred
                            if i in gold_ids or title_key(catalog.items[i].title) in gold_keys)
        gold_g = {normalize_term(x) for x in _split(r.get("genres", ""))}
        pred_g: set[str] = set()
        explicit: set[str] = set()
        for t in u.liked_attrs + u.disliked_attrs:
            # a compound term counts as the genres it names ("romantic comedy" -> romance, comedy)
            got = {t} if t in genre_vocab else {normalize_term(w) for w in t.split()} & genre_vocab
            pred_g |= got
            said = u.attr_labels.get(t, "")
            if got and ({normalize_term(w) for w in said.split()} & (got | {t}) or normalize_term(said) == t
                        or any(normalize_term(w[:-1]) in got for w in said.split() if w.endswith("s"))):
                explicit |= got
        g.add(_sets(gold_g, pred_g))
        g_explicit.add(_sets(gold_g, explicit))
        if verbose and (set(pred) != gold_ids or gold_g != pred_g):
            print(f"{text!r}\n    movies gold={annots} pred={[catalog.items[i].display_title for i in pred]}"
                  f"\n    genres gold={sorted(gold_g)} pred={sorted(pred_g)}", file=out)
    res = {
        "utterances": n_utts,
        "movie_mentions": m_all,
        "movie_mentions_in_catalog": m_cat,
        "movie_recall_all": m_found / m_all if m_all else 1.0,
        "movie_recall_in_catalog": m_cat_found / m_cat if m_cat else 1.0,
        "movie_precision": p_ok / p_total if p_total else 1.0,
        "movie_precision_lenient": p_ok_lenient / p_total if p_total else 1.0,
        "movie_predictions": p_total,
        "genre_precision": g.precision,
        "genre_recall": g.recall,
        "genre_f1": g.f1,
        "genre_gold": g.tp + g.fn,
        "genre_precision_explicit": g_explicit.precision,
        "genre_recall_explicit": g_explicit.recall,
    }
    print(f"INSPIRED {path.name}: {n_utts} SEEKER utterances", file=out)
    print(f"movie mentions: {m_all} annotated, {m_cat} of them in the catalog; {p_total} predicted", file=out)
    print(f"  recall (all annotated)       {res['movie_recall_all']:.3f}", file=out)
    print(f"  recall (in-catalog only)     {res['movie_recall_in_catalog']:.3f}", file=out)
    print(f"  precision (strict id)        {res['movie_precision']:.3f}", file=out)
    print(f"  precision (same title, any year) {res['movie_precision_lenient']:.3f}", file=out)
    print(f"genres: {g.tp + g.fn} annotated; P {g.precision:.3f} R {g.recall:.3f} F1 {g.f1:.3f} "
          f"(tp/fp/fn {g.tp}/{g.fp}/{g.fn}; predictions outside the genre vocabulary are not scored)",
          file=out)
    print(f"genres named in so many words (no mood/synonym inference): P {g_explicit.precision:.3f} "
          f"R {g_explicit.recall:.3f} F1 {g_explicit.f1:.3f}", file=out)
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m chatrec.eval.understanding", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--suite", type=Path, default=DEFAULT_SUITE, help="labeled suite (JSONL)")
    ap.add_argument("--inspired", type=Path, help="an INSPIRED dialog .tsv (e.g. dev.tsv)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every miss")
    args = ap.parse_args(argv)
    if args.inspired:
        run_inspired(args.inspired, args.verbose)
        return 0
    print_suite(run_suite(args.suite), args.verbose)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
