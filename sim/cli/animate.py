"""``evacsim animate``: animate one replication as a GIF or MP4."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.cli.replication import recorded_trace, trace_now
from sim.errors import ScenarioError
from sim.inputs.loader import load_scenario


def handle(args: argparse.Namespace) -> int:
    from sim.outputs.folders import check_destination
    from sim.views.animate import animate, check_animation

    recorded = recorded_trace(args)
    scenario = load_scenario(args.scenario, args.overrides) if recorded is None else recorded[0]
    check_destination(Path(args.out).parent, new=False)
    check_animation(Path(args.out), minutes_per_frame=args.minutes_per_frame)
    seed, trace = trace_now(scenario, args) if recorded is None else recorded[1:]
    try:
        out = animate(
            scenario,
            trace,
            Path(args.out),
            rep=args.rep,
            label=f"replication {args.rep}, seed {seed}",
            minutes_per_frame=args.minutes_per_frame,
            progress=not args.quiet,
        )
    except ValueError as error:  # the file type or a frame setting
        raise ScenarioError(args.out, "", str(error)) from None
    print(f"Animation: {out}")
    return 0
