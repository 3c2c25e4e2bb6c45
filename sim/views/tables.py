"""Text tables for the terminal: a run's summary, a comparison, a sweep.

The CLI prints them; every figure in them is also in the files of the result's folder.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime

import numpy as np

from sim.studies.compare import Comparison
from sim.studies.runner import RunResult
from sim.studies.sweeps import SweepResult

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

#: The figures the Aleppo calibration is checked against
#: (scenarios/calibration/aleppo_2016_targets.toml) and the statistic shown for each, with
#: the 5th-95th percentile interval, when the scenario has the metric.
CALIBRATION = (
    ("evacuated_by_halt", "mean"),
    ("convoys_by_halt", "median"),
    ("evacuated_patients_by_fri_0700", "mean"),
)

#: Metrics of a linked evacuation, shown when the scenario has one.
LINKED = ("linked_evacuated", "linked_convoys", "linkage_paused_hours")

#: Metrics that are moments (hours from the start), shown as clock times.
TIMES = ("first_departure", "last_departure", "clearance_time")


def compare_table(comparison: Comparison) -> str:
    """Headline differences with paired and independent CIs and the variance reduction."""
    rows = [
        f"{comparison.base.name} vs what-ifs: {comparison.reps} paired replications, "
        f"seed {comparison.seed}, {comparison.wall_time:.1f} s",
        "variance reduction = var(independent estimate) / var(paired estimate)",
    ]
    for name in dict.fromkeys(d.whatif for d in comparison.differences):
        rows += [
            f"\n{name} - {comparison.base.name}",
            f"{'metric':<24}{'difference':>12}{'paired 95% CI':>24}"
            f"{'independent 95% CI':>24}{'var. red.':>11}",
        ]
        shown = [d for d in comparison.differences if d.whatif == name]
        shown = [d for d in shown if d.metric in HEADLINE or d.metric.startswith("evacuated_by")]
        for d in shown:
            paired = f"{_fmt(d.ci_low)} – {_fmt(d.ci_high)}"
            independent = f"{_fmt(d.independent_ci_low)} – {_fmt(d.independent_ci_high)}"
            reduction = _ratio(d.variance_reduction)
            pairs = "" if d.pairs == comparison.reps else f"  ({d.pairs} pairs defined)"
            rows.append(
                f"{d.metric:<24}{_fmt(d.difference):>12}{paired:>24}{independent:>24}"
                f"{reduction:>11}{pairs}"
            )
    return "\n".join(rows)


def _ratio(value: float) -> str:
    """A variance reduction: ``3.2x``, ``inf`` (paired differences all equal) or ``n/a``."""
    if math.isnan(value):
        return "n/a"
    return "inf" if math.isinf(value) else f"{value:.1f}x"


def sweep_report(result: SweepResult) -> str:
    """How the sweep went: points, replications, resumed chunks, precision, folder."""
    spec = result.spec
    reps = result.reps
    rows = [
        f"{spec.name}: {len(result.points)} points ({spec.method}), "
        f"{int(reps.sum()):,} replications, seed {spec.seed}, {result.wall_time:.1f} s"
    ]
    if result.reused:
        rows.append(f"resumed: {result.reused} of {result.chunks} chunks already done")
    if spec.precision is not None:
        met = int(result.precise.sum())
        rows.append(
            f"precision {spec.precision:g}: {met} of {len(result.points)} points within it; "
            f"replications per point {reps.min():,}–{reps.max():,} (median "
            f"{int(np.median(reps)):,}, cap {spec.max_reps:,})"
        )
    rows.append(f"\nSweep folder: {result.folder}")
    return "\n".join(rows)


def run_table(result: RunResult) -> str:
    """The headline metrics as a small text table."""
    s = result.scenario
    linked = [n for n in LINKED if n in result.metrics]
    crossing = [n for n in result.metrics if n.startswith(("crossed_", "crossing_"))]
    names = [*HEADLINE, *linked, *crossing]
    names += [n for n in result.metrics if n.startswith("evacuated_by_")]
    rows = [
        f"{s.name}: {result.reps} replications, seed {result.seed}, "
        f"{result.engine} engine, {result.wall_time:.1f} s",
        f"{'metric':<28}{'mean':>12}{'95% CI':>22}{'p5–p95':>22}",
    ]
    by_name = result.summaries
    for name in names:
        x = by_name[name]
        if x.n == 0:
            rows.append(f"{name:<28}{'undefined in every replication':>56}")
            continue
        clock = s.clock if name in TIMES or name.startswith("time_of_") else None
        ci = f"{_fmt(x.ci_low, clock)} – {_fmt(x.ci_high, clock)}" if x.n > 1 else ""
        spread = f"{_fmt(x.p5, clock)} – {_fmt(x.p95, clock)}"
        rows.append(f"{name:<28}{_fmt(x.mean, clock):>12}{ci:>22}{spread:>22}")
    checked = [(by_name[n], stat) for n, stat in CALIBRATION if n in by_name and by_name[n].n]
    if checked:
        rows += ["", f"{'calibration figure':<32}{'statistic':>14}{'90% interval':>22}"]
    for x, stat in checked:
        value = f"{stat} {_fmt(getattr(x, stat))}"
        rows.append(f"{x.metric:<32}{value:>14}{f'{_fmt(x.p5)} – {_fmt(x.p95)}':>22}")
    return "\n".join(rows)


def _fmt(value: float, clock: Callable[[float], datetime] | None = None) -> str:
    """A number for the terminal, or a moment as day and clock time."""
    if math.isnan(value):
        return "nan"
    if clock is not None:
        return clock(value).strftime("%a %H:%M")
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}"
