"""``evacsim compare``: paired differences of what-ifs against a base."""

from __future__ import annotations

import argparse

from sim.cli.folders import RESULTS, check_out, moved
from sim.errors import ScenarioError
from sim.inputs.loader import load_scenario


def handle(args: argparse.Namespace) -> int:
    from sim.studies.compare import compare
    from sim.studies.sweeps.executors import executor_for
    from sim.views.tables import compare_table

    base = load_scenario(args.base)
    whatifs = [load_scenario(path) for path in args.whatifs]
    check_out(args.out, RESULTS / "compare")
    with executor_for(args.scheduler, args.workers) as executor:
        comparison = compare(
            base,
            whatifs,
            args.reps,
            args.seed,
            workers=args.workers,
            executor=executor,
            progress=not args.quiet,
        )
    known = {d.metric for d in comparison.differences}
    for name in args.metrics or ():
        if name not in known:
            raise ScenarioError("--metric", name, f"not a metric of this comparison; known: "
                                f"{', '.join(sorted(known))}")  # fmt: skip
    folder = comparison.save(args.out)
    moved(args.out, folder)
    print(compare_table(comparison, args.metrics))
    print(f"\nCompare folder: {folder}")
    return 0
