"""The ``evacsim`` command: a thin shell over the Python API.

    evacsim run SCENARIO [--reps N] [--seed S] [--engine vector|des] [--out DIR] [--set ...]
    evacsim validate SCENARIO...
    evacsim narrate SCENARIO [--rep K] [--seed S] [--set KEY=VALUE ...]
    evacsim animate SCENARIO --out FILE.gif|FILE.mp4 [--rep K] [--seed S] [--set ...]

A mistake in a scenario or an argument prints one line naming the file, the key and what
is allowed, and exits with status 2 without writing anything.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from sim.animate import animate
from sim.errors import ScenarioError
from sim.loader import load_scenario
from sim.narrate import narrate
from sim.runner import ENGINES, RunResult, run

#: Metrics shown in the terminal after a run (all are in summary.csv).
HEADLINE = (
    "evacuated",
    "convoys",
    "first_departure",
    "clearance_time",
    "suspensions",
    "suspended_hours",
    "wait_person_hours",
    "held_person_hours",
    "cold_person_hours",
    "peak_queue",
)

#: Metrics that are moments (hours from the start), shown as clock times.
TIMES = ("first_departure", "last_departure", "clearance_time")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.command(args)
    except ScenarioError as error:
        print(f"evacsim: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("evacsim: interrupted; nothing was written", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `evacsim narrate ... | head`: the reader has gone
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="evacsim", description="Simulate humanitarian evacuations by convoy."
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    def overrides(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--set",
            dest="overrides",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="override a scenario value, e.g. fleet.buses.count=40 (repeatable)",
        )

    p = commands.add_parser("run", help="run replications and write a run folder")
    p.add_argument("scenario", help="scenario file (TOML)")
    p.add_argument("--reps", type=_positive, help="replications (default: the scenario's)")
    p.add_argument("--seed", type=_seed, help="seed (default: the scenario's)")
    p.add_argument(
        "--engine",
        choices=tuple(ENGINES),
        default="vector",
        help="vector (batch, default) or des (SimPy reference); same results",
    )
    p.add_argument("--out", help="run folder to create (default: results/<scenario>/<run-id>)")
    overrides(p)
    p.set_defaults(command=_run)

    p = commands.add_parser("validate", help="check scenario files without running them")
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO")
    p.set_defaults(command=_validate)

    p = commands.add_parser("narrate", help="tell one replication as a timeline")
    p.add_argument("scenario")
    p.add_argument("--rep", type=_seed, default=0, help="replication number (default 0)")
    p.add_argument("--seed", type=_seed, help="seed (default: the scenario's)")
    overrides(p)
    p.set_defaults(command=_narrate)

    p = commands.add_parser("animate", help="animate one replication as a GIF or MP4")
    p.add_argument("scenario")
    p.add_argument("--out", required=True, help="file to write: .gif, or .mp4 with ffmpeg")
    p.add_argument("--rep", type=_seed, default=0, help="replication number (default 0)")
    p.add_argument("--seed", type=_seed, help="seed (default: the scenario's)")
    p.add_argument("--minutes-per-frame", type=float, default=10.0, help="default 10")
    overrides(p)
    p.set_defaults(command=_animate)
    return parser


def _positive(text: str) -> int:
    value = _seed(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {text}")
    return value


def _run(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario, args.overrides)
    result = run(scenario, args.reps, args.seed, args.engine, overrides=args.overrides)
    folder = result.save(args.out)
    print(_table(result))
    print(f"\nRun folder: {folder}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    status = 0
    for path in args.scenarios:
        try:
            s = load_scenario(path)
        except ScenarioError as error:
            print(f"evacsim: error: {error}", file=sys.stderr)
            status = 2
            continue
        print(
            f"{path}: ok ({len(s.groups)} groups, {s.people:,} people, "
            f"{sum(p.count for p in s.pools)} vehicles, {s.horizon:g} h)"
        )
    return status


def _narrate(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario, args.overrides)
    print("\n".join(narrate(scenario, args.rep, args.seed)))
    return 0


def _animate(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario, args.overrides)
    seed = scenario.seed if args.seed is None else args.seed
    try:
        out = animate(
            scenario, args.rep, seed, Path(args.out), minutes_per_frame=args.minutes_per_frame
        )
    except ValueError as error:  # the file type or a frame setting
        raise ScenarioError(args.out, "", str(error)) from None
    print(f"Animation: {out}")
    return 0


def _table(result: RunResult) -> str:
    """The headline metrics as a small text table."""
    s = result.scenario
    names = list(HEADLINE) + [n for n in result.metrics if n.startswith("evacuated_by_")]
    rows = [
        f"{s.name}: {result.reps} replications, seed {result.seed}, "
        f"{result.engine} engine, {result.wall_time:.1f} s",
        f"{'metric':<28}{'mean':>12}{'95% CI':>22}{'p5–p95':>22}",
    ]
    by_name = {x.metric: x for x in result.summaries}
    for name in names:
        x = by_name[name]
        if x.n == 0:
            rows.append(f"{name:<28}{'undefined in every replication':>56}")
            continue
        clock = s.clock if name in TIMES or name.startswith("time_of_") else None
        ci = f"{_fmt(x.ci_low, clock)} – {_fmt(x.ci_high, clock)}" if x.n > 1 else ""
        spread = f"{_fmt(x.p5, clock)} – {_fmt(x.p95, clock)}"
        rows.append(f"{name:<28}{_fmt(x.mean, clock):>12}{ci:>22}{spread:>22}")
    return "\n".join(rows)


def _fmt(value: float, clock: Callable[[float], datetime] | None = None) -> str:
    """A number for the terminal, or a moment as day and clock time."""
    if math.isnan(value):
        return "nan"
    if clock is not None:
        return clock(value).strftime("%a %H:%M")
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}"


if __name__ == "__main__":
    sys.exit(main())
