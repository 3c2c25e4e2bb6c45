"""``evacsim sweep``: run a sweep file; a rerun resumes where it stopped."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path


def handle(args: argparse.Namespace) -> int:
    from sim.outputs.folders import check_destination
    from sim.studies.sweeps import load_sweep, sweep
    from sim.views.tables import sweep_report

    spec = load_sweep(args.file, args.precision, args.max_reps)
    if args.root is not None:
        print(
            "evacsim: note: --root is deprecated; --out names the sweep's folder", file=sys.stderr
        )
    root = "results" if args.root is None else args.root
    check_destination(Path(args.out).parent if args.out else Path(root), new=False)
    try:
        result = sweep(
            spec, args.scheduler, args.workers, root, progress=not args.quiet, folder=args.out
        )
    except KeyboardInterrupt as interrupt:
        print(
            "evacsim: interrupted; finished chunks are kept: run the same command to resume",
            file=sys.stderr,
        )
        return 128 + getattr(interrupt, "signum", signal.SIGINT)
    print(sweep_report(result))
    if result.damaged:
        print(
            f"evacsim: note: {result.damaged} damaged chunk files were computed again "
            f"(the old ones are in {result.folder / 'chunks' / 'damaged'})",
            file=sys.stderr,
        )
    return 0
