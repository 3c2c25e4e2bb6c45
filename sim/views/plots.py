"""Figures of a run folder: the fan chart, the convoy timeline and the pickup queue; with a
crossing or private vehicles the crossing (passages an hour, its queue), and when people may
leave the queue the people evacuated by group and those who left.

Every chart has a clock-time x axis (local date-times from ``scenario.start``; the data
are hours from the start) and shades the hours when the ceasefire was suspended. Figures
are plain :class:`matplotlib.figure.Figure` objects on the Agg canvas: no pyplot state is
touched, nothing stays registered, and the same inputs always give the same PNG bytes.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patheffects import withStroke
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

from sim.inputs.scenario import Scenario
from sim.outputs.metrics import HourlyStats, percentiles
from sim.outputs.records import Replications, TraceEvent, hours_grid
from sim.views.clock_axis import Span, clock_axis, hourly_spans, shade_suspensions, trace_spans
from sim.views.style import DPI, FONT, HEIGHT, WIDTH
from sim.views.wording import figure_text, figure_title

SHARE, ONE_RUN = "ceasefire suspended (share of runs)", "ceasefire suspended"
BAND, MEDIAN = "#3182bd", "#08519c"
LEGEND: dict[str, Any] = {"fontsize": FONT - 1, "frameon": False}
TEXT: dict[str, Any] = {
    "fontsize": FONT - 1,
    "path_effects": [withStroke(linewidth=3, foreground="white")],
}
NO_TRACE = "No event trace for replication 0 (run.trace_reps = 0)"
#: Convoy legs: the trace event that opens each leg, its label and colour. Unloading and
#: return are light, so the people counts written over them stay readable.
LEGS = {
    "convoy_forms": ("loading", "#4292c6"),
    "held": ("held", "#fd8d3c"),
    "convoy_departs": ("to checkpoint", "#74c476"),
    "reaches_checkpoint": ("inspection", "#807dba"),
    "queues_at_crossing": ("queue at crossing", "#bcbddc"),  # every lane busy
    "inspection_starts": ("inspection", "#807dba"),  # a lane has freed: inspected and passed
    "passes_checkpoint": ("to reception", "#238b45"),
    "turned_back": ("turned back", "#8c2d04"),
    "reaches_reception": ("unloading", "#fee391"),
    "unloaded": ("return", "#d9d9d9"),
}
#: Line colours of the per-group and per-crosser charts, in scenario order (repeating)
COLOURS = ("#08519c", "#d94801", "#238b45", "#6a51a3", "#a50f15", "#525252", "#b8860b")
#: Trace events that end a convoy's leg without opening another
ENDS = {"incident", "back_at_pickup", "vehicles_return"}


def write_figures(
    scenario: Scenario, result: Replications, folder: Path, overrides: Sequence[str] = ()
) -> list[Path]:
    """Write every figure of a run folder as PNG into `folder`; return the paths written.

    Parameters
    ----------
    scenario : Scenario
    result : Replications
        The replications of ``scenario``: hourly series and the trace of replication 0.
    folder : Path
        Created if missing; receives ``evacuated.png``, ``convoys.png`` and ``queue.png``,
        then ``crossing.png`` if the run counted passages through the checkpoint (a
        crossing or private vehicles) and ``groups.png`` if it recorded evacuated by group
        (people may leave the queue).

    Returns
    -------
    list of Path
        The files written, in that order.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    charts = {"evacuated": fan_chart, "convoys": convoy_timeline, "queue": queue_chart}
    if any(name.startswith("crossed_") for name in result.series):
        charts["crossing"] = crossing_chart
    if "left" in result.series:
        charts["groups"] = groups_chart
    paths = []
    for name, chart in charts.items():
        figure = chart(scenario, result, overrides)
        paths.append(folder / f"{name}.png")
        figure.savefig(paths[-1], dpi=DPI, metadata={"Software": None})
        figure.clear()  # free the artists now; the figure was never registered with pyplot
    return paths


def fan_chart(scenario: Scenario, result: Replications, overrides: Sequence[str] = ()) -> Figure:
    """Cumulative people evacuated against clock time: median, 50% and 90% of runs.

    A count only grows when people reach safety, so it is drawn as steps: the runs' hourly
    counts hold until the next whole hour, and replication 0 (when traced) steps at the
    moments its people arrived. With a crossing or private vehicles, the median of people past
    the checkpoint is drawn too (``people_crossed``). Hours are shaded by the share of runs in
    which the ceasefire was suspended, and the figures of ``scenario.reported`` (people, with
    their ranges) are marked with sources.
    """
    fig, ax = _figure()
    hours = hours_grid(scenario)
    _fan(ax, hours, result.hourly, "evacuated", "evacuated")
    if "people_crossed" in result.series:  # with a crossing or private vehicles
        # the gap to the median evacuated is on its way to reception
        median = result.hourly.percentiles("people_crossed", [50])[0]
        ax.step(hours, median, where="post", c=MEDIAN, ls=":", lw=1.5, label="median crossed")
    arrivals = _arrivals(result, scenario.horizon)
    if arrivals is not None:
        ax.step(*arrivals, where="post", c="k", lw=0.9, label="replication 0, at event times")
    # with people who may go home, not everyone who reaches the pickup is to be evacuated
    everyone = "arrived" if scenario.leaving else "everyone"  # the metric `arrived`
    ax.axhline(scenario.people, c="0.3", ls="--", lw=1, label=f"{everyone} ({scenario.people:,})")
    for i, r in enumerate(scenario.reported):
        yerr = [[r.evacuated - r.low], [r.high - r.evacuated]]
        label = "reported (range)" if i == 0 else None
        ax.errorbar(r.at, r.evacuated, yerr, fmt="D", ms=7, c="k", capsize=5, label=label)
        left = r.at > 0.75 * scenario.horizon  # keep the label inside the axes
        place = {"xytext": (-8, 8), "ha": "right"} if left else {"xytext": (8, 8)}
        at = (r.at, r.evacuated)
        source = figure_text(textwrap.fill(r.source, 30))
        ax.annotate(source, at, textcoords="offset points", va="bottom", **place, **TEXT)
    ax.set_ylim(0, 1.08 * max([scenario.people, *(r.high for r in scenario.reported)]))
    ax.set_ylabel("people evacuated (cumulative)", fontsize=FONT)
    title = figure_title(scenario.name, "people evacuated", result.reps, overrides)
    ax.set_title(title, fontsize=FONT + 2)
    _finish(ax, scenario, hourly_spans(scenario, result.hourly.mean("suspended")))
    return fig


def queue_chart(scenario: Scenario, result: Replications, overrides: Sequence[str] = ()) -> Figure:
    """People waiting at the pickup against clock time: median, 90% of runs, replication 0.

    The queue is counted at each whole hour and drawn as steps; it can be longer between
    two counts, so the median of each run's own peak (``peak_queue``, at any moment) is
    marked too. Suspensions are shaded as in :func:`fan_chart`.
    """
    fig, ax = _figure()
    hours, hourly = hours_grid(scenario), result.hourly
    _fan(ax, hours, hourly, "waiting", "waiting", inner=False)
    ax.step(hours, hourly.first("waiting"), where="post", c="k", lw=0.9, label="replication 0")
    peak = result.metrics.get("peak_queue")
    top = float(hourly.highest("waiting").max())
    if peak is not None and len(peak):
        median = float(percentiles(peak, 50))
        ax.axhline(median, c=MEDIAN, ls=":", lw=1.5, label=f"median peak ({median:,.0f})")
        top = max(top, float(np.max(peak)))
    ax.set_ylim(0, 1.1 * max(top, 1.0))
    ax.set_ylabel("people waiting at the pickup\n(counted at each whole hour)", fontsize=FONT)
    title = figure_title(scenario.name, "queue at the pickup", result.reps, overrides)
    ax.set_title(title, fontsize=FONT + 2)
    _finish(ax, scenario, hourly_spans(scenario, result.hourly.mean("suspended")))
    return fig


def crossing_chart(
    scenario: Scenario, result: Replications, overrides: Sequence[str] = ()
) -> Figure:
    """The crossing against clock time: vehicle passages an hour by pool and private stream
    (mean over runs, stacked), and the vehicles queueing for a lane (median, 90% of runs).

    Passages an hour are the differences of the cumulative ``crossed_<name>`` series, so
    the bar of hour ``h`` counts the vehicles that passed the checkpoint after the count at
    ``h`` and up to the count at ``h + 1``; it is drawn over ``[h, h + 1)``. A convoy or a
    column counts whole when its last vehicle has passed (as the series do), so a long
    column shows as one tall bar at the end of its hours in the lane. The queue is
    counted at each whole hour (absent without a ``[crossing]``: lanes are then unlimited).
    Suspensions are shaded as in :func:`fan_chart`.
    """
    hours = hours_grid(scenario)
    names = [n for n in result.series if n.startswith("crossed_")]
    queued = "crossing_queue" in result.series
    fig = Figure(figsize=(WIDTH, HEIGHT * (1.5 if queued else 1.0)), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(2 if queued else 1, 1, sharex=True, squeeze=False)[:, 0]
    ax = axes[0]
    bottom = np.zeros(max(len(hours) - 1, 0))
    for i, name in enumerate(names):
        hourly = np.diff(result.hourly.sums(name)) / result.reps  # exact sums: the mean
        label = f"{name.removeprefix('crossed_')} ({result.metrics[name].mean():,.0f})"
        colour = COLOURS[i % len(COLOURS)]
        ax.bar(
            hours[:-1],
            hourly,
            width=1.0,
            bottom=bottom,
            align="edge",
            color=colour,
            lw=0,
            label=label,
        )
        bottom = bottom + hourly
    ax.set_ylabel(
        "vehicles past the checkpoint an hour\n(mean of runs; a convoy counts whole)", fontsize=FONT
    )
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:,.0f}"))
    ax.tick_params(labelsize=FONT)
    title = figure_title(scenario.name, "the crossing", result.reps, overrides)
    ax.set_title(title, fontsize=FONT + 2)
    spans = hourly_spans(scenario, result.hourly.mean("suspended"))
    if queued:
        low = axes[1]
        low.tick_params(labelsize=FONT)
        _fan(low, hours, result.hourly, "crossing_queue", "queueing", inner=False)
        top = float(result.hourly.highest("crossing_queue").max())
        low.set_ylim(0, 1.1 * max(top, 1.0))
        low.set_ylabel("vehicles queueing for a lane\n(counted at each whole hour)", fontsize=FONT)
        clock_axis(low, scenario)
        shade_suspensions(low, spans, SHARE)
    _finish(ax, scenario, spans, extra=_legend_of(axes[1:]))
    if queued:
        ax.set_xlabel("")
    return fig


def groups_chart(scenario: Scenario, result: Replications, overrides: Sequence[str] = ()) -> Figure:
    """Cumulative people evacuated by group, and people who left the queue for home, against
    clock time: the median of runs of each hourly series, drawn as steps.

    Medians of groups need not add up to the median of everyone (the fan chart's).
    Suspensions are shaded as in :func:`fan_chart`.
    """
    fig, ax = _figure()
    hours = hours_grid(scenario)
    for i, group in enumerate(scenario.groups):
        median = result.hourly.percentiles(f"evacuated_{group.name}", [50])[0]
        label = f"{group.name} ({median[-1]:,.0f})"
        colour = COLOURS[i % len(COLOURS)]
        ax.step(hours, median, where="post", c=colour, lw=2, label=label)
    left = result.hourly.percentiles("left", [50])[0]
    label = f"left for home ({left[-1]:,.0f})"
    ax.step(hours, left, where="post", c="k", ls="--", lw=1.5, label=label)
    ax.set_ylim(0, None)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:,.0f}"))
    ax.set_ylabel("people (cumulative, median of runs;\nin brackets: at the end)", fontsize=FONT)
    title = figure_title(scenario.name, "people evacuated by group", result.reps, overrides)
    ax.set_title(title, fontsize=FONT + 2)
    _finish(ax, scenario, hourly_spans(scenario, result.hourly.mean("suspended")))
    return fig


def _legend_of(axes: Iterable[Axes]) -> list[tuple[Any, str]]:
    """(handle, label) pairs of the labelled artists of ``axes``, for one shared legend."""
    pairs = []
    for ax in axes:
        handles, labels = ax.get_legend_handles_labels()
        pairs += list(zip(handles, labels, strict=True))
    return pairs


def convoy_timeline(
    scenario: Scenario, result: Replications, overrides: Sequence[str] = ()
) -> Figure:
    """The legs of every convoy of replication 0 against clock time, one row per convoy.

    Rows are the trace's convoy numbers, first on top. The suspensions of that replication
    are shaded and its incidents marked; each convoy's people are written right of its
    arrival at reception where there is room. Legs still running when the replication ends
    (at the horizon, or when everyone is evacuated) are drawn to that end.
    """
    trace = [e for e in result.trace if e.rep == 0]
    convoys = sorted({e.convoy for e in trace if e.convoy >= 0})
    fig, ax = _figure(min(max(2.2 + 0.4 * len(convoys), HEIGHT), 14.0))
    title = figure_title(scenario.name, "convoys of replication 0", result.reps, overrides)
    spans = trace_spans(scenario, trace)
    if not convoys:
        why = "No convoy formed in replication 0" if trace else NO_TRACE
        ax.text(0.5, 0.5, why, transform=ax.transAxes, ha="center", fontsize=FONT + 1, c="0.3")
        ax.set_yticks([])
        ax.set_title(title, fontsize=FONT + 2)
        _finish(ax, scenario, spans, ONE_RUN)
        return fig
    end = next((e.time for e in trace if e.event == "cleared"), scenario.horizon)
    legs, arrivals = _convoy_legs(trace, convoys, end)
    for label, colour in dict(LEGS.values()).items():  # "inspection" opens after a queue too
        if legs[label]:
            rows, starts, stops = np.array(legs[label]).T
            ax.barh(rows, stops - starts, left=starts, height=0.62, color=colour, label=label)
    incidents = [(e.time, e.convoy) for e in trace if e.event == "incident"]
    marks = ax.plot(*zip(*incidents, strict=True), "X", c="k", ms=10, ls="") if incidents else []
    ax.set_ylim(convoys[-1] + 0.6, convoys[0] - 0.6)  # first convoy on top
    few = len(convoys) <= 20
    ax.yaxis.set_major_locator(FixedLocator(convoys) if few else MaxNLocator(15, integer=True))
    ax.yaxis.set_major_formatter(lambda value, _: f"{value + 1:g}")  # convoys count from 1
    ax.set_ylabel("convoy", fontsize=FONT)
    ax.set_title(f"{title}\nnumbers: people reaching reception", fontsize=FONT + 2)
    _finish(ax, scenario, spans, ONE_RUN, [(m, "incident") for m in marks[:1]])
    _label_arrivals(ax, arrivals, len(convoys))
    return fig


def _convoy_legs(
    trace: list[TraceEvent], convoys: list[int], end: float
) -> tuple[dict[str, list[tuple[int, float, float]]], list[tuple[int, float, int]]]:
    """(convoy, start, stop) of each leg by leg label, and (convoy, time, people) arrivals."""
    legs: dict[str, list[tuple[int, float, float]]] = {label: [] for label, _ in LEGS.values()}
    arrivals = []
    for c in convoys:
        leg, since = None, 0.0
        for e in (e for e in trace if e.convoy == c):
            if leg is not None and e.time > since:
                legs[leg].append((c, since, e.time))
            if e.event in LEGS:
                leg, since = LEGS[e.event][0], e.time
            elif e.event in ENDS:
                leg = None
            if e.event == "reaches_reception":
                arrivals.append((c, e.time, e.people))
        if leg is not None and end > since:
            legs[leg].append((c, since, end))
    return legs, arrivals


# -- shared helpers ----------------------------------------------------------------------


def _figure(height: float = HEIGHT) -> tuple[Figure, Axes]:
    """A figure of ``height`` inches on the Agg canvas, with one axes."""
    fig = Figure(figsize=(WIDTH, height), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.tick_params(labelsize=FONT)
    return fig, ax


def _fan(
    ax: Axes, hours: np.ndarray, hourly: HourlyStats, name: str, what: str, inner: bool = True
) -> None:
    """Median line and 90% band (and 50% band if ``inner``) over runs of the hourly series
    ``name``."""
    p5, p25, p50, p75, p95 = hourly.percentiles(name, [5, 25, 50, 75, 95])
    band: dict[str, Any] = {"color": BAND, "lw": 0, "step": "post"}  # held to the next hour
    ax.fill_between(hours, p5, p95, alpha=0.18, label="90% of runs", **band)
    if inner:
        ax.fill_between(hours, p25, p75, alpha=0.38, label="50% of runs", **band)
    ax.step(hours, p50, where="post", c=MEDIAN, lw=2.2, label=f"median {what}")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:,.0f}"))


def _arrivals(result: Replications, horizon: float) -> tuple[np.ndarray, np.ndarray] | None:
    """Replication 0's people safe against the moments they arrived, from its trace, or None
    if it was not traced (or its trace does not add up to its ``evacuated``)."""
    arrived = [
        (e.time, e.people)
        for e in result.trace
        if e.rep == 0 and e.event in ("reaches_reception", "private_arrives")
    ]
    if not arrived or "evacuated" not in result.metrics:
        return None
    times = np.array([0.0, *(t for t, _ in arrived), horizon])
    counts = np.cumsum([0, *(n for _, n in arrived), 0])
    if counts[-1] != result.metrics["evacuated"][0]:
        return None
    return times, counts


def _finish(
    ax: Axes, scenario: Scenario, spans: Iterable[Span], shading: str = SHARE, extra: Iterable = ()
) -> None:
    """Clock-time x axis, suspension shading, and the legend below the plot (hiding nothing).

    ``extra`` (handle, label) pairs join the legend after the labelled artists of ``ax``.
    """
    clock_axis(ax, scenario)
    shade = shade_suspensions(ax, spans, shading)
    handles, labels = ax.get_legend_handles_labels()
    for handle, label in [*extra, *([(shade, shading)] if shade else [])]:
        handles.append(handle)
        labels.append(label)
    if handles:
        ncol = min(len(handles), 4)
        ax.figure.legend(handles, labels, loc="outside lower center", ncol=ncol, **LEGEND)


def _label_arrivals(ax: Axes, arrivals: list[tuple[int, float, int]], rows: int) -> None:
    """Write each convoy's people right of its arrival, where it fits in the row and axes."""
    figure = ax.get_figure(root=True)
    assert isinstance(figure, Figure) and isinstance(figure.canvas, FigureCanvasAgg)
    figure.draw_without_rendering()  # settle the layout to measure the texts
    renderer = figure.canvas.get_renderer()
    box = ax.get_window_extent(renderer)
    for convoy, time, people in arrivals:
        text = ax.text(time, convoy, f" {people:,}", va="center", **TEXT)
        text.set_in_layout(False)
        extent = text.get_window_extent(renderer)
        if extent.x1 > box.x1 or extent.height > box.height / rows:
            text.remove()


def _short(source: str, most: int = 32) -> str:
    """A source name cut to ``most`` characters, shown literally."""
    return figure_text(source if len(source) <= most else source[: most - 1] + "…")
