"""``evacsim run``: run replications, write a run folder, print its table."""

from __future__ import annotations

import argparse

from sim.cli.folders import RESULTS, check_out, moved
from sim.inputs.loader import load_scenario


def handle(args: argparse.Namespace) -> int:
    from sim.studies.runner import run
    from sim.studies.sweeps.executors import executor_for
    from sim.views.tables import run_table

    scenario = load_scenario(args.scenario, args.overrides)
    check_out(args.out, RESULTS / scenario.name)
    with executor_for(args.scheduler, args.workers) as executor:
        result = run(
            scenario,
            args.reps,
            args.seed,
            args.engine,
            overrides=args.overrides,
            workers=args.workers,
            precision=args.precision,
            metrics=args.metrics or ("evacuated",),
            max_reps=args.max_reps,
            executor=executor,
            progress=not args.quiet,
        )
    folder = result.save(args.out)
    moved(args.out, folder)
    print(run_table(result))
    if result.precision is not None:
        p = result.precision
        outcome = "met" if p["met"] else f"not met at --max-reps {p['max_reps']:,}"
        print(
            f"\nPrecision ±{p['precision']:.1%} (95% CI half-width over mean) for "
            f"{', '.join(p['metrics'])}: {outcome} with {result.reps:,} replications"
        )
    print(f"\nRun folder: {folder}")
    return 0
