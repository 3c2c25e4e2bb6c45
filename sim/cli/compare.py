"""``evacsim compare``: paired differences of what-ifs against a base."""

from __future__ import annotations

import argparse

from sim.cli.folders import RESULTS, check_out, moved
from sim.inputs.loader import load_scenario


def handle(args: argparse.Namespace) -> int:
    from sim.studies.compare import check_metrics, compare
    from sim.studies.sweeps.executors import executor_for
    from sim.views.tables import compare_table

    base = load_scenario(args.base)
    whatifs = [load_scenario(path) for path in args.whatifs]
    check_metrics(args.metrics or (), base, whatifs, every=args.precision is not None)
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
            precision=args.precision,
            metrics=args.metrics or ("evacuated",),
            max_reps=args.max_reps,
        )
    folder = comparison.save(args.out)
    moved(args.out, folder)
    print(compare_table(comparison, args.metrics))
    if comparison.precision is not None:
        print(f"\n{_precision(comparison.precision, comparison.reps)}")
    print(f"\nCompare folder: {folder}")
    return 0


def _precision(record: dict, reps: int) -> str:
    """What the precision asked and reached: the rule met or not, the replications, and per
    what-if the worst share reached over its metrics (``n/a``: undefined, or a half-width
    over a base mean of 0)."""
    outcome = "met" if record["met"] else f"not met at --max-reps {record['max_reps']:,}"
    reached = []
    for name, shares in record["reached"].items():
        worst = None if None in shares.values() else max(shares.values())
        reached.append(f"{name} {'n/a' if worst is None else f'±{worst:.2%}'}")
    return (
        f"Precision ±{record['precision']:.1%} (paired 95% CI half-width over the base mean) "
        f"for {', '.join(record['metrics'])}: {outcome} with {reps:,} replications "
        f"(rounds {', '.join(f'{n:,}' for n in record['rounds'])}); reached: {', '.join(reached)}"
    )
