"""``evacsim optimise``: search a study's plans, then certify the best feasible one."""

from __future__ import annotations

import argparse
import signal
import sys


def handle(args: argparse.Namespace) -> int:
    from sim.studies.optimise import load_study, optimise

    spec = load_study(args.study, args.budget, args.seed)
    try:
        result = optimise(spec, out=args.out, workers=args.workers, progress=not args.quiet)
    except KeyboardInterrupt as interrupt:
        print(
            "evacsim: interrupted; the search is kept: run the same command to resume",
            file=sys.stderr,
        )
        return 128 + getattr(interrupt, "signum", signal.SIGINT)
    print(result.statement)
    print(f"\nOptimise folder: {result.folder}")
    return 0
