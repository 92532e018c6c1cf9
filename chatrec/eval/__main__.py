"""``python -m chatrec.eval bench ...``"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m chatrec.eval")
    sub = p.add_subparsers(dest="suite", required=True)
    from chatrec.eval import bench, converse, inspired, offline, redial, report, simulate

    bench.add_arguments(sub.add_parser("bench", help="speed and memory figures (issue 16)",
                                       description=bench.__doc__,
                                       formatter_class=argparse.RawDescriptionHelpFormatter))
    simulate.add_arguments(sub.add_parser("simulate", help="simulated users on MovieLens"))
    offline.add_arguments(sub.add_parser("offline", help="offline top-N and rating prediction"))
    report.add_arguments(sub.add_parser("report", help="run the suites, write reports/latest.md"))
    redial.add_arguments(sub.add_parser("redial", help="ReDial replay: Recall@k of rank()"))
    inspired.add_arguments(sub.add_parser("inspired", help="INSPIRED replay: Recall@k of rank()"))
    converse.add_arguments(sub.add_parser("converse", help="scripted conversations (issue 15)",
                                          description=converse.__doc__,
                                          formatter_class=argparse.RawDescriptionHelpFormatter))
    from chatrec.eval import catalogs

    catalogs.add_arguments(sub.add_parser("catalogs", help="user catalogs: roles, creators, "
                                          "linking, meaning (issue 17)"))
    from chatrec.eval import history

    history.add_arguments(sub.add_parser("history", help="imported watch history vs none, "
                                         "held-out users: hit rate and NDCG@10 (issue 18)"))
    args = p.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
