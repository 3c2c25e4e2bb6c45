"""Figures of a study: the search's progress, the Pareto front, and the chosen plan's fan
chart against the base.

Each is drawn from what the study recorded (trials, the report's replications) and returned
as PNG bytes, as in :mod:`sim.studies.sweeps.figures`.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from sim.outputs.metrics import percentiles
from sim.outputs.records import Replications, hours_grid
from sim.studies.optimise.certify import pareto_front
from sim.studies.optimise.result import OptimiseResult
from sim.studies.optimise.spec import Objective
from sim.views.clock_axis import clock_axis
from sim.views.style import DPI, FONT
from sim.views.wording import metric_unit


def _thousands() -> FuncFormatter:
    """Tick labels with thousands separators (one formatter per axis)."""
    return FuncFormatter(lambda v, _: f"{v:,.6g}")


def figures(result: OptimiseResult) -> dict[str, bytes]:
    """The study's figures as PNG bytes, by file name."""
    found = {"progress.png": progress(result)}
    if len(result.spec.objectives) == 2:
        found["pareto.png"] = pareto(result)
    if result.chosen_runs is not None and result.base_runs is not None:
        found["fan.png"] = fan(result, result.chosen_runs, result.base_runs)
    return {name: _png(figure) for name, figure in found.items()}


def progress(result: OptimiseResult) -> Figure:
    """Each trial's objective estimate in the order trials were asked, feasible ones
    filled, with the best feasible value so far; one panel per objective."""
    spec, trials = result.spec, result.trials
    figure = Figure(figsize=(9.0, 3.2 * len(spec.objectives) + 0.6), layout="constrained")
    FigureCanvasAgg(figure)
    panels = figure.subplots(len(spec.objectives), 1, squeeze=False)[:, 0]
    number = np.array([t.number for t in trials])
    feasible = np.array([t.feasible for t in trials], bool)
    for k, (ax, objective) in enumerate(zip(panels, spec.objectives, strict=True)):
        value = np.array([t.objectives[k] for t in trials], float)
        ax.plot(number[feasible], value[feasible], "o", ms=4, color="C0", label="feasible trial")
        ax.plot(
            number[~feasible], value[~feasible], "o", ms=4, mfc="none", color="C3",
            label="infeasible trial (search estimate)",
        )  # fmt: skip
        signed = np.where(feasible & np.isfinite(value), objective.sign * value, -np.inf)
        best = np.maximum.accumulate(signed) * objective.sign if len(signed) else signed
        shown = np.isfinite(best)
        ax.step(number[shown], best[shown], where="post", color="k", lw=1.5, label="best so far")
        ax.set_ylabel(_label(objective, "\n"), fontsize=FONT - 2)
        ax.yaxis.set_major_formatter(_thousands())
        ax.tick_params(labelsize=FONT - 3)
    panels[-1].set_xlabel("trial", fontsize=FONT - 1)
    panels[0].legend(fontsize=FONT - 3, loc="best")
    figure.suptitle(
        f"{spec.name}: search, {len(trials)} trials of {spec.reps} replications", fontsize=FONT
    )
    return figure


def pareto(result: OptimiseResult) -> Figure:
    """The two objectives of every trial, the feasible Pareto front joined, the chosen plan
    starred."""
    spec, trials = result.spec, result.trials
    sign = [o.sign for o in spec.objectives]
    figure = Figure(figsize=(7.0, 5.5), layout="constrained")
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    done = [t for t in trials if t.defined]
    xy = np.array([t.objectives for t in done], float).reshape(-1, 2)
    feasible = np.array([t.feasible for t in done], bool)
    ax.plot(*xy[~feasible].T, "o", ms=4, mfc="none", color="C3", label="infeasible trial")
    ax.plot(*xy[feasible].T, "o", ms=4, color="C0", label="feasible trial")
    front = pareto_front([t for t in done if t.feasible], sign)
    if front:
        line = np.array(sorted(t.objectives for t in front))
        ax.plot(*line.T, "-", color="k", lw=1.2, label="Pareto front (feasible)")
    if result.selection.chosen is not None:
        mine = result.shortlist[result.selection.chosen].objectives
        ax.plot(*mine, "*", ms=16, color="gold", mec="k", label="certified plan")
    ax.set_xlabel(_label(spec.objectives[0]), fontsize=FONT - 1)
    ax.set_ylabel(_label(spec.objectives[1]), fontsize=FONT - 1)
    ax.xaxis.set_major_formatter(_thousands())
    ax.yaxis.set_major_formatter(_thousands())
    ax.tick_params(labelsize=FONT - 3)
    ax.legend(fontsize=FONT - 3)
    ax.set_title(f"{spec.name}: trials and the Pareto front", fontsize=FONT)
    return figure


def fan(result: OptimiseResult, chosen: Replications, base: Replications) -> Figure:
    """Cumulative people evacuated against clock time, chosen plan and base: medians and
    the 90% bands of the report's replications (the same replications for both)."""
    scenario = result.spec.scenario
    hours = hours_grid(scenario)
    figure = Figure(figsize=(10.0, 5.0), layout="constrained")
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    ax.tick_params(labelsize=FONT - 2)
    runs = {"base": base, "chosen plan": chosen}
    for colour, (label, replications) in zip(("0.45", "C0"), runs.items(), strict=True):
        series = replications.series["evacuated"]
        p5, p50, p95 = percentiles(series, [5, 50, 95], axis=0)
        # counts at each whole hour, held to the next (as the run's fan chart draws them)
        ax.fill_between(hours, p5, p95, color=colour, alpha=0.2, lw=0, step="post")
        ax.step(
            hours, p50, where="post", color=colour, lw=2.2, label=f"{label}: median, 90% of runs"
        )
    ax.axhline(scenario.people, c="0.3", ls="--", lw=1, label=f"everyone ({scenario.people:,})")
    clock_axis(ax, scenario)
    ax.set_ylabel("people evacuated (cumulative)", fontsize=FONT - 1)
    ax.yaxis.set_major_formatter(_thousands())
    n = chosen.reps
    ax.set_title(
        f"{result.spec.name}: chosen plan against the base, {n} paired runs", fontsize=FONT
    )
    ax.legend(fontsize=FONT - 3, loc="upper left")
    return figure


def _label(objective: Objective, gap: str = " ") -> str:
    """An objective's axis label: its metric, unit and sense (``maximise``)."""
    return f"{objective.metric}{gap}({metric_unit(objective.metric)}, {objective.sense})"


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    figure.clear()
    return buffer.getvalue()
