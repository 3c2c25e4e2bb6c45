"""One replication's trace for a view: read from a run folder, or run now."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from sim.errors import ScenarioError
from sim.inputs.scenario import Scenario

if TYPE_CHECKING:
    from sim.outputs.records import TraceEvent


def trace_now(scenario: Scenario, args: argparse.Namespace) -> tuple[int, list[TraceEvent]]:
    """The seed and the trace of replication ``--rep``, run for a view.

    Replication ``k`` depends only on ``(seed, k)``: it is the same as inside any run, so
    it is run alone (``--rep 50000`` costs one replication, not 50,001).
    """
    from sim.studies.runner import run_chunked

    seed = scenario.seed if args.seed is None else args.seed
    replications = run_chunked(scenario, 1, seed, first_rep=args.rep, traced=[args.rep])
    return seed, replications.trace


def recorded_trace(args: argparse.Namespace) -> tuple[Scenario, int, list[TraceEvent]] | None:
    """A run folder's scenario, seed and trace, if ``SCENARIO`` names a run folder."""
    from sim.inputs.record import scenario_from_record
    from sim.outputs.reading import read_manifest, read_trace

    folder = Path(args.scenario)
    if not folder.is_dir():
        return None
    if args.seed is not None or args.overrides:
        raise ScenarioError(str(folder), "", "a run folder was run already: no --seed or --set")
    manifest = read_manifest(folder)
    if "scenario_values" not in manifest:
        raise ScenarioError(str(folder), "", "not a run folder: it has no scenario_values")
    # The values the run was made with, not its file read again: that path may be relative
    # to another folder, and the file may have been edited since.
    scenario = scenario_from_record(
        manifest["scenario_values"], manifest.get("resolved_scenario", {})
    )
    trace = read_trace(folder, scenario)
    if not any(e.rep == args.rep for e in trace):
        traced = sorted({e.rep for e in trace})
        raise ScenarioError(
            str(folder / "trace.csv"), "", f"has no replication {args.rep}; it traced {traced}"
        )
    return scenario, manifest["seed"], trace
