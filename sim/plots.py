"""Figures of a run folder: the fan chart, the convoy timeline and the pickup queue.

Every chart has a clock-time x axis (local date-times from ``scenario.start``) and shades
the hours when the ceasefire was suspended. Figures are built as plain
:class:`matplotlib.figure.Figure` objects on the Agg canvas, so no pyplot state is touched,
nothing needs closing, and the same inputs always give the same PNG bytes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

from sim.records import Replications, TraceEvent, hours_grid
from sim.scenario import Scenario

FONT = 12  # points: readable when projected
DPI = 150
WIDTH, HEIGHT = 10.0, 5.6  # inches
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
#: (major, minor) tick steps in hours; the smallest major step giving <= MAX_TICKS is used
TICK_STEPS = ((1, 0.25), (2, 0.5), (3, 1), (6, 1), (12, 3), (24, 6), (48, 12), (168, 24))
MAX_TICKS = 6
SUSPENDED, MAX_ALPHA = "#d62728", 0.3
BAND = "#3182bd"
PEOPLE = FuncFormatter(lambda y, _: f"{y:,.0f}")
#: Convoy legs: the event opening each leg, its label and colour (light colours last, so
#: people counts drawn over them stay readable)
LEGS = {
    "convoy_forms": ("loading", "#4292c6"),
    "held": ("held", "#fd8d3c"),
    "convoy_departs": ("to checkpoint", "#74c476"),
    "reaches_checkpoint": ("inspection", "#807dba"),
    "passes_checkpoint": ("to reception", "#238b45"),
    "turned_back": ("turned back", "#8c2d04"),
    "reaches_reception": ("unloading", "#fee391"),
    "unloaded": ("return", "#d9d9d9"),
}
#: Events that end a convoy's leg without opening another
ENDS = {"incident", "back_at_pickup", "vehicles_return"}


def write_figures(scenario: Scenario, result: Replications, folder: Path) -> list[Path]:
    """Write every figure of a run folder as PNG into `folder`; return the paths written.

    Parameters
    ----------
    scenario : Scenario
    result : Replications
        The replications of ``scenario`` (series at whole hours, trace of replication 0).
    folder : Path
        Created if missing; ``evacuated.png``, ``convoys.png`` and ``queue.png`` go there.

    Returns
    -------
    list of Path
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, chart in (("evacuated", fan_chart), ("convoys", convoy_timeline), ("queue", queue_chart)):
        path = folder / f"{name}.png"
        figure = chart(scenario, result)
        figure.savefig(path, dpi=DPI, metadata={"Software": None})
        figure.clear()  # drop the artists now; the Figure is not registered with pyplot
        paths.append(path)
    return paths


def fan_chart(scenario: Scenario, result: Replications) -> Figure:
    """Cumulative evacuated (people) against clock time: median, 50% and 90% of runs.

    Shades the ceasefire suspensions by the share of runs suspended in each hour and marks
    the ``scenario.reported`` figures with their ranges and sources.
    """
    fig, ax = _figure()
    hours = hours_grid(scenario)
    _fan(ax, hours, result.series["evacuated"], "evacuated")
    ax.axhline(scenario.people, color="0.3", ls="--", lw=1, label=f"everyone ({scenario.people:,})")
    for i, r in enumerate(scenario.reported):
        ax.errorbar(r.at, r.evacuated, yerr=[[r.evacuated - r.low], [r.high - r.evacuated]],
                    fmt="D", ms=7, color="black", capsize=5, label="reported (range)" if i == 0 else None)
        right = r.at > 0.8 * scenario.horizon
        ax.annotate(_short(r.source), (r.at, r.evacuated), xytext=(-8 if right else 8, 8),
                    textcoords="offset points", ha="right" if right else "left", fontsize=FONT - 1)
    ax.set_ylim(0, 1.08 * max(scenario.people, *(r.high for r in scenario.reported)))
    ax.set_ylabel("people evacuated (cumulative)", fontsize=FONT)
    _finish(ax, scenario, _hourly_spans(scenario, result.series["suspended"]), "lower right")
    ax.set_title(f"{scenario.name}: people evacuated, {result.reps} runs", fontsize=FONT + 2)
    return fig


def queue_chart(scenario: Scenario, result: Replications) -> Figure:
    """People waiting at the pickup against clock time: median and 90% of runs, and run 0."""
    fig, ax = _figure()
    hours = hours_grid(scenario)
    waiting = result.series["waiting"]
    _fan(ax, hours, waiting, "waiting", inner=False)
    ax.plot(hours, waiting[0], color="black", lw=0.9, label="replication 0")
    ax.set_ylim(0, 1.1 * max(float(waiting.max()), 1.0))
    ax.set_ylabel("people waiting at the pickup", fontsize=FONT)
    _finish(ax, scenario, _hourly_spans(scenario, result.series["suspended"]), "upper right")
    ax.set_title(f"{scenario.name}: queue at the pickup, {result.reps} runs", fontsize=FONT + 2)
    return fig


def convoy_timeline(scenario: Scenario, result: Replications) -> Figure:
    """The legs of every convoy of replication 0 against clock time, one row per convoy.

    Shades the suspensions of that replication, marks incidents, and writes the people each
    convoy brought to reception right of its arrival where there is room.
    """
    trace = [e for e in result.trace if e.rep == 0]
    convoys = sorted({e.convoy for e in trace if e.convoy >= 0})
    fig, ax = _figure(min(max(2.2 + 0.4 * len(convoys), HEIGHT), 14.0))
    title = f"{scenario.name}: convoys of replication 0 (of {result.reps} runs)"
    ax.set_title(title, fontsize=FONT + 2)
    spans = _trace_spans(scenario, trace)
    if not convoys:
        why = "no event trace for replication 0 (run.trace_reps = 0)" if not trace else (
            "no convoy formed in replication 0")
        ax.text(0.5, 0.5, why.capitalize(), transform=ax.transAxes, ha="center", va="center",
                fontsize=FONT + 1, color="0.3")
        ax.set_yticks([])
        _finish(ax, scenario, spans, None)
        return fig
    end = next((e.time for e in trace if e.event == "cleared"), scenario.horizon)
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
    for label, colour in LEGS.values():
        if legs[label]:
            rows, starts, stops = np.array(legs[label]).T
            ax.barh(rows, stops - starts, left=starts, height=0.62, color=colour, label=label)
    incidents = [(e.time, e.convoy) for e in trace if e.event == "incident"]
    if incidents:
        ax.plot(*zip(*incidents, strict=True), "X", color="black", ms=10, ls="", label="incident")
    ax.set_ylim(convoys[-1] + 0.6, convoys[0] - 0.6)  # first convoy on top
    ax.yaxis.set_major_locator(MaxNLocator(nbins=min(len(convoys), 15), integer=True))
    ax.set_ylabel("convoy", fontsize=FONT)
    _finish(ax, scenario, spans, "outside")
    _label_arrivals(fig, ax, arrivals, len(convoys))
    ax.set_title(f"{title}\nnumbers: people reaching reception", fontsize=FONT + 2)
    return fig


# -- shared helpers ----------------------------------------------------------------------


def _figure(height: float = HEIGHT) -> tuple[Figure, Axes]:
    """A figure on the Agg canvas with one axes, fonts sized for projection."""
    fig = Figure(figsize=(WIDTH, height), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.tick_params(labelsize=FONT)
    return fig, ax


def _fan(ax: Axes, hours: np.ndarray, series: np.ndarray, what: str, inner: bool = True) -> None:
    """Median line with the 90% band (and the 50% band if ``inner``) of runs, per hour."""
    p5, p25, p50, p75, p95 = np.percentile(series, [5, 25, 50, 75, 95], axis=0)
    ax.fill_between(hours, p5, p95, color=BAND, alpha=0.18, lw=0, label="90% of runs")
    if inner:
        ax.fill_between(hours, p25, p75, color=BAND, alpha=0.38, lw=0, label="50% of runs")
    ax.plot(hours, p50, color="#08519c", lw=2.2, label=f"median {what}")
    ax.yaxis.set_major_formatter(PEOPLE)


def _finish(ax: Axes, scenario: Scenario, spans: Iterable, legend: str | None) -> None:
    """Clock-time x axis, suspension shading and the legend (``"outside"``: below the plot)."""
    _clock_axis(ax, scenario)
    shade = _shade_suspensions(ax, spans)
    handles, labels = ax.get_legend_handles_labels()
    if shade is not None:
        handles.append(shade)
        labels.append(shade.get_label())
    if legend == "outside" and handles:
        ax.figure.legend(handles, labels, loc="outside lower center", fontsize=FONT - 1,
                         ncol=min(len(handles), 5), frameon=False)
    elif legend and handles:
        ax.legend(handles, labels, loc=legend, fontsize=FONT - 1, framealpha=0.9)


def _clock_axis(ax: Axes, scenario: Scenario) -> None:
    """Hours from the start on the data axis, labelled with local day and time of day."""
    horizon = scenario.horizon
    major, minor = next(((a, b) for a, b in TICK_STEPS if horizon / a <= MAX_TICKS), TICK_STEPS[-1])
    start = scenario.start
    midnight = start.replace(hour=0, minute=0, second=0, microsecond=0)
    offset = (start - midnight).total_seconds() / 3600  # clock hours at the start
    align = min(major, 24)  # steps of a day or more fall on midnight
    first = math.ceil(offset / align - 1e-9) * align - offset
    ticks = np.arange(first, horizon + 1e-9, major)
    if len(ticks) < 2:
        ticks = np.array([0.0, horizon])
    first_minor = math.ceil(offset / minor - 1e-9) * minor - offset
    ax.set_xlim(0, horizon)
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_minor_locator(FixedLocator(np.arange(first_minor, horizon + 1e-9, minor)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda h, _: _clock_label(scenario, h)))
    ax.set_xlabel(f"local time (start {_clock_label(scenario, 0)} {start:%b %Y})", fontsize=FONT)
    ax.grid(axis="x", color="0.85", lw=0.8)
    ax.set_axisbelow(True)


def _clock_label(scenario: Scenario, hours: float) -> str:
    """E.g. ``Thu 15 14:00`` (English day names, whatever the locale)."""
    t = scenario.clock(round(hours * 60) / 60)
    return f"{DAYS[t.weekday()]} {t.day} {t:%H:%M}"


def _shade_suspensions(ax: Axes, spans: Iterable[tuple[float, float, float]]) -> Patch | None:
    """Shade each (start, end, share) span with opacity proportional to ``share``.

    Returns the legend handle, or None if nothing was shaded.
    """
    shaded = False
    for a, b, share in spans:
        if share > 0 and b > a:
            ax.axvspan(a, b, color=SUSPENDED, alpha=MAX_ALPHA * share, lw=0, zorder=0)
            shaded = True
    if not shaded:
        return None
    return Patch(color=SUSPENDED, alpha=MAX_ALPHA, label="ceasefire suspended (share of runs)")


def _hourly_spans(scenario: Scenario, suspended: np.ndarray) -> list[tuple[float, float, float]]:
    """Spans of equal share of runs suspended, from the 0/1 hourly series (R, H + 1)."""
    share = suspended.mean(axis=0)
    ends = np.minimum(hours_grid(scenario) + 1, scenario.horizon)
    spans: list[tuple[float, float, float]] = []
    for h, s in enumerate(share):
        if spans and spans[-1][2] == s and spans[-1][1] == h:
            spans[-1] = (spans[-1][0], float(ends[h]), s)
        else:
            spans.append((float(h), float(ends[h]), float(s)))
    return spans


def _trace_spans(scenario: Scenario, trace: list[TraceEvent]) -> list[tuple[float, float, float]]:
    """The suspensions of one traced run, as spans shared by all (1.0) of that run."""
    spans, since = [], None
    for e in trace:
        if e.event == "ceasefire_suspended":
            since = e.time
        elif e.event == "ceasefire_resumes" and since is not None:
            spans.append((since, e.time, 1.0))
            since = None
    if since is not None:
        spans.append((since, scenario.horizon, 1.0))
    return spans


def _label_arrivals(fig: Figure, ax: Axes, arrivals: list, rows: int) -> None:
    """Write each convoy's people right of its reception arrival, if the row has room."""
    fig.draw_without_rendering()  # settle the layout to measure the texts
    renderer = fig.canvas.get_renderer()
    box = ax.get_window_extent(renderer)
    for convoy, time, people in arrivals:
        text = ax.text(time, convoy, f" {people:,}", ha="left", va="center", fontsize=FONT - 1)
        text.set_in_layout(False)
        extent = text.get_window_extent(renderer)
        if extent.x1 > box.x1 or extent.height > box.height / rows:
            text.remove()


def _short(source: str, most: int = 28) -> str:
    """A source name cut to ``most`` characters."""
    return source if len(source) <= most else source[: most - 1] + "…"
