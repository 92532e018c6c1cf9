"""``python -m chatrec user import|show|export|forget``: a user's profile and data from the
terminal (registered by ``chatrec.cli`` through :func:`add_user_parser`)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

EPILOG = """examples:
  python -m chatrec user import alice ratings.csv      # Letterboxd, IMDb, Trakt, MovieLens, titles
  python -m chatrec user show alice
  python -m chatrec user export alice > alice.json
  python -m chatrec user forget alice --yes
  python -m chatrec chat --user alice                  # a conversation that starts from alice"""


def _user(args: argparse.Namespace) -> Any:
    from chatrec.recommender import Recommender

    print("Loading…", file=sys.stderr)
    return Recommender(catalog=args.catalog, backend="fake", use_llm=False).user(args.user_id)


def cmd_import(args: argparse.Namespace) -> int:
    me = _user(args)
    report = me.import_history(args.file, like_at=args.like_at, dislike_at=args.dislike_at)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, default=str))
    else:
        print(report.summary())
        print(me.describe_preferences())
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    me = _user(args)
    print(me.describe_preferences())
    print(f"{len(me.sessions())} conversation(s)")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    data = json.dumps(_user(args).export(), indent=2, ensure_ascii=False)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(data + "\n")
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        print(data)
    return 0


def cmd_forget(args: argparse.Namespace) -> int:
    if not args.yes:
        print(f"this deletes everything stored about {args.user_id!r} (profile, imports and "
              "conversations); add --yes to do it", file=sys.stderr)
        return 1
    gone = _user(args).forget()
    print(f"forgot {args.user_id}: profile, imports and {gone} conversation(s) deleted")
    return 0


def add_user_parser(sub: Any) -> None:
    """Register ``user import|show|export|forget`` on the ``python -m chatrec`` parser."""
    from chatrec.users.user import DISLIKE_AT, LIKE_AT

    u = sub.add_parser("user", help="a user's profile: import a watch history, show, export, "
                       "forget", epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    usub = u.add_subparsers(dest="user_cmd", required=True)

    def one(name: str, helptext: str) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = usub.add_parser(name, help=helptext)
        p.add_argument("user_id", help="a name or key")
        p.add_argument("--catalog", default="movies")
        return p

    i = one("import", "import a watch history: Letterboxd (ratings/watched/diary.csv or the "
            "export .zip), IMDb ratings, Trakt JSON, MovieLens ratings, a CSV of titles")
    i.add_argument("file")
    i.add_argument("--like-at", type=float, default=LIKE_AT,
                   help=f"ratings (0.5-5 scale) from this up become likes (default {LIKE_AT})")
    i.add_argument("--dislike-at", type=float, default=DISLIKE_AT,
                   help=f"ratings up to this become dislikes (default {DISLIKE_AT})")
    i.add_argument("--json", action="store_true", help="print the whole report as JSON")
    i.set_defaults(func=cmd_import)
    one("show", "the user's profile").set_defaults(func=cmd_show)
    e = one("export", "everything stored about the user, as JSON")
    e.add_argument("-o", "--output", help="write to this file (default: print)")
    e.set_defaults(func=cmd_export)
    f = one("forget", "delete everything stored about the user, conversations included")
    f.add_argument("--yes", action="store_true", help="really delete")
    f.set_defaults(func=cmd_forget)
