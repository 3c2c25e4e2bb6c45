"""``evacsim validate``: check scenario, sweep, targets and study files without running them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.errors import ScenarioError, one_line
from sim.inputs.library import KINDS, file_kind, locate
from sim.inputs.loader import load_scenario
from sim.inputs.sources import read_toml
from sim.views.wording import count


def handle(args: argparse.Namespace) -> int:
    status = 0
    for path in args.scenarios:
        try:
            print(f"{one_line(path)}: ok ({_checked(path)})")
        except ScenarioError as error:
            print(f"evacsim: error: {error}", file=sys.stderr)
            status = 2
    return status


def _checked(path: str) -> str:
    """Read a scenario, sweep or targets file, whichever it is; say what it holds."""
    kind = _kind(path)
    if kind == "study":
        from sim.studies.optimise import load_study

        study = load_study(path)
        parts = [
            count(len(study.decisions), "decisions"),
            count(len(study.uncertainties), "uncertainties"),
            count(len(study.constraints), "constraints"),
            f"{count(study.trials, 'trials')} of {count(study.reps, 'replications')}",
        ]
        return f"study: {', '.join(parts)}"
    if kind == "sweep":
        from sim.studies.sweeps import load_sweep

        spec = load_sweep(path)
        axes = "1 axis" if len(spec.axes) == 1 else f"{len(spec.axes)} axes"
        return (
            f"sweep of {Path(spec.base).name}: {axes}, {spec.method} design, "
            f"{spec.reps} replications a point"
        )
    if kind == "targets":
        from sim.studies.calibration import load_targets

        targets = load_targets(path)
        return (
            f"calibration targets for {targets.scenario.name}: "
            f"{count(len(targets.targets), 'targets')}, "
            f"{count(len(targets.priors), 'free parameters')}"
        )
    s = load_scenario(path)
    return (
        f"{count(len(s.groups), 'groups')}, {s.people:,} people, "
        f"{count(sum(p.count for p in s.pools), 'vehicles')}, {s.horizon:g} h"
    )


def _kind(path: str) -> str:
    """``scenario``, ``sweep`` or ``targets``: by the keys of the file or library entry."""
    for kind in KINDS:
        try:
            located = locate(path, kind)
        except ScenarioError:
            continue
        try:
            return file_kind(read_toml(located))
        except ScenarioError:
            return "scenario"  # the scenario reader says what is wrong
    return "scenario"
