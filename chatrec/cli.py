"""The command line: ``python -m chatrec chat|index|serve|check|sessions|catalog|user``."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from chatrec.errors import ChatrecError, InputError

HELP_CHAT = """Commands: /profile  /like N  /dislike N  /seen N  /forget WORD  /new  /id  /quit
(N is the number of a pick in the last reply.)"""


def cmd_index(args: argparse.Namespace) -> int:
    from chatrec.catalog import list_catalogs, load_catalog
    from chatrec.progress import tqdm_progress
    from chatrec.retrieve.embed import MiniLMEmbedder
    from chatrec.retrieve.index import VectorIndex
    from chatrec.settings import Settings

    settings = Settings.load()
    names = args.catalogs or list_catalogs(settings)
    emb = MiniLMEmbedder()
    for name in names:
        cat = load_catalog(name, settings)
        idx = VectorIndex.open(cat, emb, settings, progress=tqdm_progress(f"index {name}"))
        print(f"{name}: {idx.count()} items indexed ({settings.index_dir})")
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from chatrec.recommender import Recommender
    from chatrec.types import Done, PickEvent, TextChunk

    print("Loading…", file=sys.stderr)
    rec = Recommender(catalog=args.catalog, backend=args.backend)
    rec.warm(lambda step: print(f"  {step}…", file=sys.stderr, flush=True))  # first reply fast
    s = rec.session(args.session, user=args.user)
    where = "local only: nothing leaves this machine" if args.backend == "local" else args.backend
    print(f"chatrec · {rec.catalog.manifest.title} · {where}\nsession {s.session_id}\n{HELP_CHAT}\n")
    if args.session:
        last = s.last_reply()
        if last:
            print(last.text + "\n")
    while True:
        try:
            line = input("you> ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if not line:
            continue
        if line.startswith("/"):
            cmd, _, arg = line[1:].partition(" ")
            if cmd in ("quit", "exit", "q"):
                return 0
            if cmd == "profile":
                print(s.describe_preferences())
                continue
            if cmd == "id":
                print(s.session_id)
                continue
            if cmd == "new":
                s = rec.session(user=args.user)
                print(f"new session {s.session_id}")
                continue
            if cmd == "forget":
                print("removed" if s.remove_preference("attr", arg) else "not in your profile")
                continue
            if cmd in ("like", "dislike", "seen"):
                picks = s.preferences.last_picks
                try:
                    item_id = picks[int(arg) - 1]
                except (ValueError, IndexError):
                    print(f"/{cmd} takes the number of a pick in the last reply")
                    continue
                s.feedback(item_id, cmd)  # type: ignore[arg-type]
                print(f"noted: {cmd} {rec.catalog.items[item_id].display_title}")
                continue
            print(HELP_CHAT)
            continue
        try:
            print("chatrec> ", end="", flush=True)
            for ev in s.stream(line):
                if isinstance(ev, TextChunk):
                    print(ev.text, end="", flush=True)
                elif isinstance(ev, PickEvent):
                    pass
                elif isinstance(ev, Done):
                    print(f"\n[{ev.reply.backend} · {ev.reply.elapsed_s:.1f}s]\n")
        except InputError as e:
            print(f"\n{e}")


def cmd_serve(args: argparse.Namespace) -> int:
    from chatrec.ui import launch

    launch(host=args.host, port=args.port, catalog=args.catalog, backend=args.backend)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Check the installation: llama.cpp build, models on disk, prompts, catalogs."""
    ok = True
    try:
        import llama_cpp

        info = llama_cpp.llama_print_system_info().decode()
        if "AMX = 1" in info or "AMX_INT8 = 1" in info:
            ok = False
            print("FAIL llama-cpp-python was built with AMX and will crash here. Fix:\n"
                  "  pip install --no-cache-dir --force-reinstall llama-cpp-python==0.3.36 "
                  "--config-settings=cmake.args=-DGGML_NATIVE=OFF")
        else:
            print("ok   llama.cpp build:", info.strip()[:100])
    except ImportError:
        ok = False
        print("FAIL llama-cpp-python is not installed (make setup)")
    from chatrec.prompts import load_prompts
    from chatrec.retrieve.embed import default_model_path
    from chatrec.settings import Settings

    s = Settings.load()
    try:
        print("ok   embedding model:", default_model_path())
        load_prompts(s.prompts_dir)
        print("ok   prompts:", s.prompts_dir)
        from chatrec.catalog import list_catalogs

        print("ok   catalogs:", ", ".join(list_catalogs(s)))
        from chatrec.llm.local import default_model_path as gguf

        print("ok   local model:", gguf())
    except ChatrecError as e:
        ok = False
        print("FAIL", e)
    return 0 if ok else 1


def cmd_sessions(args: argparse.Namespace) -> int:
    from chatrec.settings import Settings
    from chatrec.store import open_store

    store = open_store(Settings.load())
    for sid, cat, updated in store.list_sessions(args.limit):
        import time

        print(sid, cat, time.strftime("%Y-%m-%d %H:%M", time.localtime(updated)))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    p = argparse.ArgumentParser(prog="python -m chatrec", description=__doc__)
    p.add_argument("-v", "--verbose", action="store_true")
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("chat", help="chat in the terminal (local-only by default)")
    c.add_argument("--catalog", default="movies")
    c.add_argument("--backend", default="local", help="local | openai[:model] | fake | path.gguf")
    c.add_argument("--session", help="resume this session id")
    c.add_argument("--user", help="your name or key: the conversation starts from your profile "
                   "(likes, dislikes, seen, imported history) and updates it")
    c.set_defaults(func=cmd_chat)
    i = sub.add_parser("index", help="build the vector index of catalogs (all by default)")
    i.add_argument("catalogs", nargs="*")
    i.set_defaults(func=cmd_index)
    sv = sub.add_parser("serve", help="serve the browser UI")
    sv.add_argument("--host", default=None)
    sv.add_argument("--port", type=int, default=None)
    sv.add_argument("--catalog", default=None)
    sv.add_argument("--backend", default=None)
    sv.set_defaults(func=cmd_serve)
    ck = sub.add_parser("check", help="check the installation")
    ck.set_defaults(func=cmd_check)
    ss = sub.add_parser("sessions", help="list stored sessions")
    ss.add_argument("--limit", type=int, default=20)
    ss.set_defaults(func=cmd_sessions)
    from chatrec.importer.cli import add_catalog_parser, run

    add_catalog_parser(sub)  # catalog add|update|list|info|remove (docs/own-catalog.md)
    from chatrec.users.cli import add_user_parser

    add_user_parser(sub)  # user import|show|export|forget
    return run(p.parse_args(argv))
