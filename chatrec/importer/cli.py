"""``python -m chatrec catalog add|update|list|info|remove``: your own items as a catalog.

Registered by ``chatrec.cli`` (``add_catalog_parser``); also runnable on its own as
``python -m chatrec.importer.cli add|update|list|info|remove ...``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

from chatrec.errors import ChatrecError

EPILOG = """examples:
  python -m chatrec catalog add books ./books.csv --id book_id --title title \\
      --text description,tags --filter year:int,price:float,language:str --link url
  python -m chatrec catalog add books --mapping books.yaml
  python -m chatrec catalog update books                 # same file and mapping, re-read
  python -m chatrec catalog list
  python -m chatrec catalog info books
  python -m chatrec catalog remove books
A guide: docs/own-catalog.md"""


def _mapping_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("columns (or put them in a --mapping file)")
    g.add_argument("--id", metavar="COL", help="the unique id column (default: a column named id)")
    g.add_argument("--title", metavar="COL", help="the title column (default: title or name)")
    g.add_argument("--text", metavar="COL,COL", help="columns embedded after the title "
                   "(descriptions, tags); list-valued ones also become attributes")
    g.add_argument("--filter", dest="filters", metavar="COL:TYPE,...",
                   help="typed fields to filter on: TYPE is int|float|str|bool|list, optionally "
                   "with a unit (price:float:USD, runtime:int:min, score:float:/10); str and list "
                   "fields are also attributes")
    g.add_argument("--list", dest="lists", metavar="COL,COL",
                   help='list columns ("a|b|c" or JSON arrays) that become attributes')
    g.add_argument("--link", metavar="COL", help="a column with each item's URL (default: detected)")
    g.add_argument("--rating", metavar="COL", help="an average rating column (1-5 scale unless "
                   "--filter gives a unit like COL:float:/10)")
    g.add_argument("--popularity", metavar="COL", help="a popularity column (higher = more popular)")
    g.add_argument("--votes", metavar="COL", help="how many people rated each item (e.g. a "
                   "ratings count): how widely known it is, a ranking signal")
    g.add_argument("--aliases", metavar="COL", help="other names of the item (a list column)")
    g.add_argument("--year", metavar="COL", help="the year (a year or date column; default: "
                   "detected from the names and values; 'none' for no year)")
    g.add_argument("--creator", metavar="COL", help='who made it, for "by X" (authors, '
                   "director, developer, brand; default: detected; 'none')")
    g.add_argument("--language", metavar="COL", help="the language column (default: detected; "
                   "never an attribute)")
    g.add_argument("--tags", metavar="FILE", help="a second file of tags: item id, tag, optional "
                   "count/weight (MovieLens tags.csv), or tag ids with --tag-names")
    g.add_argument("--tag-names", dest="tag_names", metavar="FILE",
                   help="tag_id,tag_name file for a --tags file of tag ids (goodbooks tags.csv)")
    g.add_argument("--tags-on", dest="tags_on", metavar="COL", help="the items column the tags "
                   "file's ids refer to (default: the id column, or a column both files have)")
    g.add_argument("--display", metavar="COL,COL", help="fields shown next to a pick")
    g.add_argument("--label", metavar="TEXT", help="the catalog's human title")
    g.add_argument("--noun", metavar="WORD", help='what one item is called (default "item")')
    g.add_argument("--plural", metavar="WORD", help="plural of --noun (default: noun + s)")
    f = p.add_argument_group("file format")
    f.add_argument("--format", choices=["csv", "jsonl"], help="default: from the file name")
    f.add_argument("--delimiter", metavar="CHAR", help="CSV delimiter (default: sniffed; '\\t' for tab)")
    f.add_argument("--encoding", metavar="NAME", help="default utf-8 (with or without BOM); "
                   "latin-1 for old spreadsheets")
    f.add_argument("--list-sep", dest="list_separator", metavar="CHAR",
                   help='separator inside list cells (default "|")')
    p.add_argument("--mapping", metavar="FILE", help="YAML/TOML/JSON file with the same keys "
                   "(id, title, text, filters, ..., and optionally name and source)")
    p.add_argument("--skip-bad-rows", action="store_true",
                   help="import the good rows and report the bad ones (default: stop at the first)")
    p.add_argument("--no-index", dest="build_index", action="store_false",
                   help="write the catalog only; it is embedded on first use")
    p.add_argument("--embedder", default="minilm", help=argparse.SUPPRESS)


def _columns(args: argparse.Namespace) -> dict[str, Any]:
    keys = ("id", "title", "text", "filters", "lists", "link", "rating", "popularity", "votes",
            "aliases", "year", "creator", "language", "tags", "tag_names", "tags_on",
            "display", "label", "noun", "plural", "format", "delimiter", "encoding", "list_separator")
    return {k: getattr(args, k) for k in keys if getattr(args, k, None) is not None}


def _settings() -> Any:
    from chatrec.settings import Settings

    return Settings.load()


def cmd_add(args: argparse.Namespace) -> int:
    from chatrec.importer import add

    if args.source is None and args.mapping is None:
        raise ChatrecError("give the file to import (or a --mapping file with `source:`)")
    rep = add(args.name, args.source, mapping=args.mapping, skip_bad_rows=args.skip_bad_rows,
              replace=args.replace, settings=_settings(), embedder=args.embedder,
              build_index=args.build_index, progress=True, **_columns(args))
    print(rep.summary())
    print(f"chat with it: python -m chatrec chat --catalog {rep.name}")
    return 0


def cmd_update(args: argparse.Namespace) -> int:
    from chatrec.importer import update

    rep = update(args.name, args.source, mapping=args.mapping, skip_bad_rows=args.skip_bad_rows,
                 settings=_settings(), embedder=args.embedder, build_index=args.build_index,
                 progress=True, **_columns(args))
    print(rep.summary())
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from chatrec.importer import list_user_catalogs

    rows = list_user_catalogs(_settings())
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    width = max((len(r["name"]) for r in rows), default=4)
    for r in rows:
        n = "?" if r["items"] is None else f"{r['items']:,}"
        print(f"{r['name']:<{width}}  {r['kind']:<7}  {n:>8} items  {r['title']}")
    return 0


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"


def cmd_info(args: argparse.Namespace) -> int:
    from chatrec.importer import info

    d = info(args.name, settings=_settings(), vocabulary_sample=args.vocab)
    if args.json:
        print(json.dumps(d, indent=2, default=str))
        return 0
    print(f"{d['name']} ({d['kind']}): {d['title']}\n  {d['items']:,} items in {d['path']}")
    print("  fields:")
    for name, f in d["fields"].items():
        extra = ", ".join(x for x in (f["role"], f["unit"]) if x)
        print(f"    {name:<20} {f['type']:<5} {extra}")
    print(f"  attribute fields: {', '.join(d['attribute_fields']) or 'none'}")
    sample = ", ".join(f"{t} ({n})" for t, n in d["vocabulary_sample"])
    print(f"  vocabulary: {d['vocabulary_size']:,} terms; most common: {sample or 'none'}")
    print("  files: " + ", ".join(f"{k} {_size(v)}" for k, v in d["files"].items()))
    imp = d.get("import") or {}
    if imp:
        print(f"  imported {imp.get('imported_at')} from {imp.get('source')}: "
              f"{imp.get('items')} items, {imp.get('skipped', 0)} bad rows skipped")
    idx = d.get("index")
    if idx:
        state = "complete" if idx["complete"] else "INCOMPLETE (resumes on next use)"
        print(f"  index: {idx['collection']}, {idx['vectors']:,} vectors, "
              f"~{_size(idx['approx_bytes'])}, {state}")
    else:
        print("  index: not built yet (built on first use, or `python -m chatrec index NAME`)")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    from chatrec.importer import remove

    if not args.yes and sys.stdin.isatty():
        answer = input(f"remove the catalog {args.name!r} and its index? [y/N] ").strip().lower()
        if answer not in ("y", "yes"):
            print("kept")
            return 1
    dropped = remove(args.name, settings=_settings())
    print(f"removed {args.name} ({dropped} index collection(s) dropped)")
    return 0


def add_catalog_parser(sub: Any) -> argparse.ArgumentParser:
    """Add ``catalog`` and its subcommands to an argparse subparsers object."""
    cp = sub.add_parser("catalog", help="import your own items (add, update, list, info, remove)",
                        description=__doc__, epilog=EPILOG,
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_subcommands(cp)
    return cp


def _add_subcommands(cp: argparse.ArgumentParser) -> None:
    csub = cp.add_subparsers(dest="catalog_cmd", required=True)
    a = csub.add_parser("add", help="import a CSV / JSONL (.gz) file as a new catalog",
                        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    a.add_argument("name", nargs="?", help="catalog name: letters, digits, _ - . (max 20)")
    a.add_argument("source", nargs="?", help="the file: .csv, .tsv, .jsonl, optionally .gz")
    _mapping_args(a)
    a.add_argument("--replace", action="store_true",
                   help="replace an existing catalog of that name (or hide a shipped one)")
    a.set_defaults(func=cmd_add)
    u = csub.add_parser("update", help="re-import a changed file; only changed items are embedded")
    u.add_argument("name")
    u.add_argument("source", nargs="?", help="default: the file of the last import")
    _mapping_args(u)
    u.set_defaults(func=cmd_update)
    ls = csub.add_parser("list", help="list catalogs (shipped and yours)")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_list)
    i = csub.add_parser("info", help="counts, fields, vocabulary sample, index size")
    i.add_argument("name")
    i.add_argument("--vocab", type=int, default=15, help="how many vocabulary terms to show")
    i.add_argument("--json", action="store_true")
    i.set_defaults(func=cmd_info)
    r = csub.add_parser("remove", help="delete one of your catalogs and its index")
    r.add_argument("name")
    r.add_argument("-y", "--yes", action="store_true", help="do not ask")
    r.set_defaults(func=cmd_remove)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m chatrec.importer.cli ARGS`` does what ``python -m chatrec catalog ARGS`` does."""
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    p = argparse.ArgumentParser(prog="python -m chatrec.importer.cli", description=__doc__,
                                epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-v", "--verbose", action="store_true")
    _add_subcommands(p)
    return run(p.parse_args(argv))


def run(args: argparse.Namespace) -> int:
    """Run a parsed command (``args.func``): logging by ``args.verbose``; a ChatrecError is
    printed as ``error: ...`` with exit code 2. Shared with ``python -m chatrec``."""
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args))
    except ChatrecError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
