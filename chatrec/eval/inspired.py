"""Replay INSPIRED dialogues (Hayati et al., EMNLP 2020) through the public API and measure
Recall@k of ``Session.rank``, with the protocol of :mod:`chatrec.eval.redial`.

    python -m chatrec.eval inspired --dialogues ../shared/data/inspired-dev/dev.tsv \
        --catalog movies --backend fake --limit 20 --presets dense,collab,fused \
        --json /tmp/inspired.json --markdown /tmp/inspired.md

Data: ``dev.tsv`` has one utterance a row (``dialog_id``, ``utt_id``, ``speaker`` SEEKER /
RECOMMENDER, ``text``, ``text_with_placeholder``, ``movies`` = "Title (Year)" separated by ";",
``movie_dict`` = {"Title (Year)": n}). INSPIRED marks a movie in ``text_with_placeholder`` as
``[MOVIE_TITLE_<n>]`` (``n`` indexes ``movie_dict``); genres, people and plots get placeholders
too (``[MOVIE_GENRE_0]``, ``[MOVIE_P_ACTOR_0]``, ``[MOVIE_PLOT]``), and that column sometimes
drops the words after the last placeholder. So a turn's text is the original ``text`` (quotes
written ``QUOTATION_MARK`` restored, runs of U+FFFD read as an apostrophe) in which every movie
the row marks (placeholders and ``movies``) is rendered as "Title (Year)" where its words are
found (exactly, without a leading article, or as the run of words with rapidfuzz ratio
>= 85); a title not found
is left as typed (``rendered_share`` in the result says how often that happens).

Protocol: consecutive utterances of one speaker are one turn (seeker -> "user", recommender ->
"assistant"); every recommender turn with ``movies`` is a rank point whose targets are those
movies; :func:`chatrec.eval.redial.replay_turns` feeds the earlier turns with ``add_turn`` and
scores ``session.rank(50)`` per weights preset. A movie that cannot be linked to the catalog is a
miss. INSPIRED's annotations are noisy (e.g. "Hi there!" labelled *Being There*): the figures
count them as they are.
"""

from __future__ import annotations

import argparse
import ast
import csv
import json
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chatrec.eval import beyond, redial
from chatrec.eval.common import default_data_dir, make_recommender, run_main
from chatrec.eval.metrics import rate

if TYPE_CHECKING:
    from chatrec.retrieve.candidates import Weights

REPO = Path(__file__).resolve().parents[2]
SHARED_DEV = REPO.parent / "shared" / "data" / "inspired-dev" / "dev.tsv"
SAMPLE = REPO / "tests" / "data" / "inspired_sample.tsv"
ROLES = {"SEEKER": "user", "RECOMMENDER": "assistant"}
PUBLISHED = ("`../shared/data/SOURCES.md` (\"Published figures on these sets\") lists no "
             "published figures on INSPIRED; none are compared here.")

_PLACEHOLDER = re.compile(r"\[MOVIE_TITLE_(\d+)\]")
_YEAR = re.compile(r"\s*\(\d{4}\)\s*$")
_SPACES = re.compile(r"\s+")
_MOJIBAKE = re.compile("\ufffd+")
_ARTICLE = re.compile(r"^(the|a|an)\s+", re.I)
_WORDS = re.compile(r"[^\s,;()]+")
MIN_ALIGN = 85.0


def default_dialogues() -> Path:
    """The shared INSPIRED dev set when it is there, else the sample shipped with the tests."""
    return SHARED_DEV if SHARED_DEV.exists() else SAMPLE


# --- data ---------------------------------------------------------------------------------
def load_rows(path: str | Path) -> list[dict[str, str]]:
    """The TSV's rows (csv quoting off: INSPIRED writes quotes as ``QUOTATION_MARK``)."""
    csv.field_size_limit(1 << 24)
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def split_movies(cell: str) -> list[str]:
    """``"A (1999);  B (2001)"`` -> ``["A (1999)", "B (2001)"]`` (unique, in order)."""
    names = (_SPACES.sub(" ", x).strip() for x in (cell or "").split(";"))
    return list(dict.fromkeys(n for n in names if n))


def movie_index(cell: str) -> dict[int, str]:
    """``movie_dict`` ("{'Title (Year)': 0, ...}") -> {0: "Title (Year)"}; {} when unreadable."""
    try:
        d = ast.literal_eval(cell) if cell and cell.strip() else {}
    except (ValueError, SyntaxError):
        return {}
    if not isinstance(d, dict):
        return {}
    return {int(v): _SPACES.sub(" ", str(k)).strip() for k, v in d.items()
            if isinstance(v, int)}


def marked_movies(row: dict[str, str]) -> list[str]:
    """The movies a row marks: its ``[MOVIE_TITLE_n]`` placeholders, then its ``movies``."""
    index = movie_index(row.get("movie_dict", ""))
    placed = [index[int(n)] for n in _PLACEHOLDER.findall(row.get("text_with_placeholder", ""))
              if int(n) in index]
    return list(dict.fromkeys(placed + split_movies(row.get("movies", ""))))


def clean_text(text: str) -> str:
    """INSPIRED's ``QUOTATION_MARK`` as ``"``, mojibake runs as ``'``, blanks collapsed."""
    text = text.replace("QUOTATION_MARK", '"')
    return _SPACES.sub(" ", _MOJIBAKE.sub("'", text)).strip()


def _windows(text: str, n_words: int) -> Iterator[tuple[int, int]]:
    """Spans of ``n_words - 1`` to ``n_words + 1`` consecutive words of ``text``, each also
    without its trailing punctuation."""
    ws = [(m.start(), m.end()) for m in _WORDS.finditer(text)]
    for size in range(max(1, n_words - 1), n_words + 2):
        for i in range(len(ws) - size + 1):
            start, end = ws[i][0], ws[i + size - 1][1]
            yield start, end
            stripped = text[start:end].rstrip(".,!?;:'\"")
            if 0 < len(stripped) < end - start:
                yield start, start + len(stripped)


def find_title(text: str, name: str) -> tuple[int, int] | None:
    """Where the words of ``name`` ("Title (Year)") are in ``text``: exact (word-bounded,
    case-insensitive), then without a leading article, then the run of words most like it
    (rapidfuzz ratio >= 85)."""
    from rapidfuzz import fuzz

    title = _YEAR.sub("", name).strip()
    if not title:
        return None
    low = text.lower()
    for variant in dict.fromkeys((title, _ARTICLE.sub("", title))):
        m = re.search(r"(?<!\w)" + re.escape(variant.lower()) + r"(?!\w)", low)
        if m and variant:
            return m.start(), m.end()
    key = title.lower()
    best, score = None, MIN_ALIGN - 1e-9
    for span in _windows(text, len(key.split())):
        r = fuzz.ratio(key, low[span[0]:span[1]])
        if r > score:
            best, score = span, r
    return best


def render_row(row: dict[str, str]) -> tuple[str, int, int]:
    """The row's text with every marked movie shown as "Title (Year)"; also (found, marked)."""
    text = clean_text(row.get("text", ""))
    names = marked_movies(row)
    spans: list[tuple[int, int, str]] = []
    for name in names:
        span = find_title(text, name)
        if span is None or any(s < span[1] and span[0] < e for s, e, _ in spans):
            continue
        spans.append((span[0], span[1], name))
    for start, end, name in sorted(spans, reverse=True):
        text = text[:start] + name + text[end:]
    return text, len(spans), len(names)


@dataclass
class Conversation:
    dialog_id: str
    turns: list[redial.Turn]
    titles_marked: int = 0
    titles_rendered: int = 0


def _utt_order(row: dict[str, str]) -> int:
    try:
        return int(row.get("utt_id") or 0)
    except ValueError:
        return 0


def conversations_of(rows: list[dict[str, str]], limit: int | None = None) -> list[Conversation]:
    """Dialogues in file order, each cut into turns (one speaker's consecutive utterances)."""
    by_id: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_id.setdefault(row["dialog_id"], []).append(row)
    out: list[Conversation] = []
    for did, utts in by_id.items():
        if limit is not None and len(out) >= limit:
            break
        conv = Conversation(did, [])
        for row in sorted(utts, key=_utt_order):
            role = ROLES.get(row.get("speaker", "").strip().upper())
            if role is None:
                continue
            text, found, marked = render_row(row)
            conv.titles_rendered += found
            conv.titles_marked += marked
            targets = split_movies(row.get("movies", "")) if role == "assistant" else []
            if conv.turns and conv.turns[-1].role == role:
                last = conv.turns[-1]
                last.text = f"{last.text} {text}".strip()
                last.targets.extend(t for t in targets if t not in last.targets)
            else:
                conv.turns.append(redial.Turn(role, text, [], targets))
        out.append(conv)
    return out


def load_conversations(path: str | Path, limit: int | None = None) -> list[Conversation]:
    return conversations_of(load_rows(path), limit)


# --- replay -------------------------------------------------------------------------------
def evaluate(rec: Any, convs: list[Conversation], presets: dict[str, Weights],
             progress: bool = True) -> dict[str, Any]:
    """Replay ``convs`` (``redial.replay_turns``) and add what this data set adds."""
    t0 = time.perf_counter()
    res = redial.replay_turns(rec, [c.turns for c in convs], presets, progress=progress,
                              desc="INSPIRED dialogues")
    marked = sum(c.titles_marked for c in convs)
    res.update({
        "suite": "inspired", "catalog": rec.catalog.name, "backend": rec.settings.backend,
        "titles_marked": marked,
        "rendered_share": round(rate(sum(c.titles_rendered for c in convs), marked), 4),
        "elapsed_s": round(time.perf_counter() - t0, 1), "machine": beyond.machine_info(),
        "written_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    })
    res["table"] = redial.format_table(res)
    return res


def summary_line(res: dict[str, Any]) -> str:
    return (f"{res['dialogues']} dialogues, {res['rank_points']} rank points, {res['targets']} "
            f"targets, linkable to the catalog: {res['linkable_share']:.1%}, titles rendered in "
            f"the text: {res['rendered_share']:.1%}")


def markdown(res: dict[str, Any]) -> str:
    """The report section for one run."""
    if "skipped" in res:
        return "\n".join(["## INSPIRED replay", "", f"Skipped: {res['skipped']}", ""])
    return "\n".join([
        "## INSPIRED replay (public API, `session.rank(50)`)", "",
        f"{summary_line(res)}. Source `{Path(res.get('source', '?')).name}`, catalog "
        f"`{res['catalog']}`, backend `{res['backend']}`, run {res['written_at']}. Machine: "
        f"{res['machine']}. Took {res['elapsed_s']} s.", "",
        f"Compared with: {PUBLISHED}", "", res["table"], ""])


# --- command line -------------------------------------------------------------------------
def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dialogues", default=str(default_dialogues()),
                   help="INSPIRED dev.tsv (default: ../shared/data/inspired-dev/dev.tsv, else "
                        "the test sample)")
    p.add_argument("--catalog", default="movies")
    p.add_argument("--backend", default="fake", help="rank() uses no LLM; 'fake' skips loading one")
    p.add_argument("--limit", type=int, default=None, help="at most this many dialogues")
    p.add_argument("--presets", default="dense,collab,fused",
                   help="comma list of: " + ", ".join(redial.weight_presets()))
    p.add_argument("--data-dir", default=default_data_dir(), help="where the index is (reused)")
    p.add_argument("--json", default=None, help="write the result here")
    p.add_argument("--markdown", default=None, help="write the report section here")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=run)


def presets_of(spec: str) -> dict[str, Weights]:
    known = redial.weight_presets()
    names = [n for n in (x.strip() for x in spec.split(",")) if n]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(f"unknown preset(s) {unknown}; known: {', '.join(known)}")
    return {n: known[n] for n in names}


def run(args: argparse.Namespace) -> int:
    presets = presets_of(args.presets)
    convs = load_conversations(args.dialogues, args.limit)
    rec = make_recommender(args.catalog, args.backend, args.data_dir)
    res = evaluate(rec, convs, presets, progress=not args.quiet)
    res["source"] = str(args.dialogues)
    print(summary_line(res))
    print(res["table"])
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
    if args.markdown:
        Path(args.markdown).write_text(markdown(res), encoding="utf-8")
    return 0


def main(argv: list[str] | None = None) -> int:
    return run_main("python -m chatrec.eval.inspired", __doc__, add_arguments, argv)


if __name__ == "__main__":
    sys.exit(main())
