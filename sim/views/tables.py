"""Text tables for the terminal: a run's summary, a comparison, a sweep.

The CLI prints them; every figure in them is also in the files of the result's folder.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sim.inputs.scenario import Scenario
from sim.outputs.metrics import percentiles
from sim.studies.paired import HEADLINE as COMPARED

if TYPE_CHECKING:  # the studies are imported by whoever has one to show
    from sim.studies.compare import Comparison
    from sim.studies.paired import Difference
    from sim.studies.runner import RunResult
    from sim.studies.sweeps import SweepResult

#: Metrics shown in the terminal after a run (all are in summary.csv).
HEADLINE = (
    "evacuated",
    "convoys_departed",
    "convoys_crossed",
    "convoys",
    "first_departure",
    "clearance_time",
    "suspensions",
    "suspended_hours",
    "wait_person_hours",
    "held_person_hours",
    "boarded_person_hours",
    "cold_person_hours",
    "peak_queue",
    "mean_queue",
)

#: How the terminal table says a mean covers only some replications: "487 of 500 cleared".
PART = {"clearance_time": "cleared", "first_departure": "with a departure"}

#: The figures the Aleppo calibration is checked against
#: (scenarios/calibration/aleppo_2016_targets.toml) and the statistic shown for each, with
#: the 5th-95th percentile interval, when the scenario has the metric.
CALIBRATION = (
    ("departed_by_halt", "mean"),
    ("convoys_departed_by_halt", "median"),
    ("evacuated_patients_by_fri_0700", "mean"),
)

#: Metrics of a linked evacuation, shown when the scenario has one.
LINKED = (
    "linked_evacuated",
    "linked_convoys",
    "linkage_paused_hours",
    "linked_departed",
    "exchange_batches",
    "bridge_waits",
    "bridge_wait_hours",
    "linked_bridge_waits",
    "linked_bridge_wait_hours",
)

#: Metrics that are moments (hours from the start), shown as clock times.
TIMES = ("first_departure", "last_departure", "clearance_time")


def compare_table(comparison: Comparison, metrics: Sequence[str] | None = None) -> str:
    """Each what-if against the base: the means, the paired difference with its 95% CI, and
    the variance reduction, lines within 100 columns.

    Parameters
    ----------
    comparison : Comparison
    metrics : sequence of str, optional
        The metrics to show; by default the headline metrics, the milestones and the
        groups whose evacuation changes most (a what-if that evacuates more people overall
        may leave a whole group behind).
    """
    base = comparison.base
    rows = [
        f"{base.name} vs what-ifs: {comparison.reps} paired replications, "
        f"seed {comparison.seed}, {comparison.wall_time:.1f} s",
        "Moments as clock times, their differences and other durations in hours (h); p-h: "
        "person-hours;",
        "counts in people, convoys or events. var. red. (variance reduction): how many times more",
        "replications independent runs would need for the same precision (their estimates are in",
        "differences.csv).",
    ]
    for name in dict.fromkeys(d.whatif for d in comparison.differences):
        mine = {d.metric: d for d in comparison.differences if d.whatif == name}
        shown = list(metrics) if metrics else _compared(mine, base)
        rows += [
            f"\n{name} - {base.name}",
            f"{'metric':<26}{'base':>11}{'what-if':>11}{'difference':>14}"
            f"{'paired 95% CI':>26}{'var. red.':>10}",
        ]
        for metric in shown:
            d = mine.get(metric)
            if d is None:
                continue
            if d.pairs == 0:
                rows.append(f"{metric:<26}{'undefined in every pair of replications':>46}")
                continue
            unit = _unit(metric)
            clock = base.clock if unit == "clock" else None
            step = "h" if unit == "clock" else unit
            paired = f"{_signed(d.ci_low)} – {_signed(d.ci_high, step)}"
            pairs = "" if d.pairs == comparison.reps else f" ({d.pairs} pairs)"
            rows.append(
                f"{metric:<26}{_value(d.base_mean, clock):>11}{_value(d.whatif_mean, clock):>11}"
                f"{_signed(d.difference, step):>14}{paired:>26}"
                f"{_ratio(d.variance_reduction):>10}{pairs}"
            )
    return "\n".join(rows)


#: Groups shown by default: the ones whose evacuation changes most, at most this many.
CHANGED_GROUPS = 3


def _compared(differences: dict[str, Difference], base: Scenario) -> list[str]:
    """The default rows: headline metrics, milestones, and the groups that change most."""
    groups = [f"evacuated_{g.name}" for g in base.groups if f"evacuated_{g.name}" in differences]
    changed = [g for g in groups if abs(differences[g].difference) > 0]
    changed.sort(key=lambda g: -abs(differences[g].difference))
    milestones = [m for m in differences if m.startswith("evacuated_by_")]
    headline = [m for m in COMPARED if m in differences]
    return [*headline[:1], *changed[:CHANGED_GROUPS], *headline[1:], *milestones]


def _unit(metric: str) -> str:
    """How a metric's values are written: ``clock`` (a moment), ``h``, ``p-h`` or ``""``."""
    if metric in TIMES or metric.startswith("time_of_"):
        return "clock"
    if metric.endswith("person_hours"):
        return "p-h"
    if metric.endswith("_hours") or metric.startswith("wait_"):
        return "h"
    return ""


def _value(value: float, clock: Callable[[float], datetime] | None = None) -> str:
    """A mean for the comparison: whole numbers without decimals, moments as clock times."""
    if clock is None and not math.isnan(value) and float(value).is_integer():
        return f"{value:,.0f}"
    return _fmt(value, clock)


def _signed(value: float, unit: str = "") -> str:
    """A difference with its sign and unit: ``+121``, ``-2.50 h``, ``0``."""
    if math.isnan(value):
        return "nan"
    if abs(value) < 1e-9:  # no change (a sum of floats can leave -0.0 or 1e-16)
        return "0" + (f" {unit}" if unit else "")
    sign = "-" if value < 0 else "+"
    return f"{sign}{_value(abs(value))}" + (f" {unit}" if unit else "")


def _ratio(value: float) -> str:
    """A variance reduction: ``3.2x``, ``inf`` (paired differences all equal) or ``n/a``."""
    if math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return "inf"
    return f"{value:.1f}x" if value < 1000 else ">1000x"


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
            f"{int(percentiles(reps, 50)):,}, cap {spec.max_reps:,})"
        )
    rows.append(f"\nSweep folder: {result.folder}")
    return "\n".join(rows)


def run_table(result: RunResult) -> str:
    """The headline metrics as a small text table."""
    s = result.scenario
    linked = [n for n in LINKED if n in result.metrics]
    crossing = [
        n for n in result.metrics if n.startswith(("crossed_", "crossing_")) and "_by_" not in n
    ]
    names = [*HEADLINE, *linked, *crossing]
    names += [n for n in result.metrics if n.startswith(("departed_by_", "evacuated_by_"))]
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
        clock = s.shown if name in TIMES or name.startswith("time_of_") else None
        ci = f"{_fmt(x.ci_low, clock)} – {_fmt(x.ci_high, clock)}" if x.n > 1 else ""
        spread = f"{_fmt(x.p5, clock)} – {_fmt(x.p95, clock)}"
        part = ""
        if x.n < result.reps:  # the mean and the spread are over these replications only
            part = f"  {x.n:,} of {result.reps:,} {PART.get(name, 'defined')}"
        rows.append(f"{name:<28}{_fmt(x.mean, clock):>12}{ci:>22}{spread:>22}{part}")
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
    return f"{value:,.0f}" if abs(value) >= 100 or value.is_integer() else f"{value:.2f}"
