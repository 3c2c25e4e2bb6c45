"""``evacsim narrate``: tell one replication as a timeline."""

from __future__ import annotations

import argparse

from sim.cli.replication import recorded_trace, trace_now
from sim.inputs.loader import load_scenario


def handle(args: argparse.Namespace) -> int:
    from sim.views.narrate import narrate

    recorded = recorded_trace(args)
    if recorded is None:
        scenario = load_scenario(args.scenario, args.overrides)
        _, trace = trace_now(scenario, args)
    else:
        scenario, _, trace = recorded
    print("\n".join(narrate(scenario, trace, args.rep)))
    return 0
