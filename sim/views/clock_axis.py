"""The clock-time x axis every figure of a run shares, and the shading of the hours when the
ceasefire was suspended (in every run, or as the share of runs suspended each hour)."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, FuncFormatter

from sim.inputs.scenario import Scenario
from sim.outputs.records import TraceEvent, hours_grid
from sim.views.style import FONT

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
#: (major, minor) tick steps in hours; the smallest major step giving <= MAX_TICKS is used
TICK_STEPS = ((1, 0.25), (2, 0.5), (3, 1), (6, 1), (12, 3), (24, 6), (48, 12), (168, 24))
MAX_TICKS = 6
SUSPENDED, MAX_ALPHA = "#d62728", 0.25
Span = tuple[float, float, float]  # (start, end) in hours from the start, share of runs


def clock_axis(ax: Axes, scenario: Scenario) -> None:
    """Ticks at round clock times over [0, horizon] hours, labelled like ``Thu 15 14:00``."""
    horizon, start = scenario.horizon, scenario.start
    major, minor = next((s for s in TICK_STEPS if horizon / s[0] <= MAX_TICKS), TICK_STEPS[-1])
    midnight = start.replace(hour=0, minute=0, second=0, microsecond=0)
    offset = (start - midnight).total_seconds() / 3600  # clock hours at the start

    def steps(step: float) -> np.ndarray:  # multiples of step (or of days) of clock time
        align = min(step, 24)
        return np.arange(math.ceil(offset / align - 1e-9) * align - offset, horizon + 1e-9, step)

    ticks = steps(major)
    ax.set_xlim(0, horizon)
    ax.xaxis.set_major_locator(FixedLocator(ticks.tolist() if len(ticks) > 1 else [0, horizon]))
    ax.xaxis.set_minor_locator(FixedLocator(steps(minor).tolist()))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda h, _: clock_label(scenario, h)))
    ax.set_xlabel(f"local time (start {clock_label(scenario, 0)} {start:%b %Y})", fontsize=FONT)
    ax.grid(axis="x", color="0.85", lw=0.8)
    ax.set_axisbelow(True)


def clock_label(scenario: Scenario, hours: float) -> str:
    """The clock time ``hours`` after the start, e.g. ``Thu 15 14:00`` (whatever the locale)."""
    t = scenario.shown(hours)
    return f"{DAYS[t.weekday()]} {t.day} {t:%H:%M}"


def shade_suspensions(ax: Axes, spans: Iterable[Span], label: str) -> Patch | None:
    """Shade each span with opacity proportional to its share of runs suspended.

    Returns the legend handle (the opacity of a suspension in every run), or None if
    nothing was shaded.
    """
    shaded = False
    for a, b, share in spans:
        if share > 0 and b > a:
            ax.axvspan(a, b, color=SUSPENDED, alpha=MAX_ALPHA * share, lw=0, zorder=0)
            shaded = True
    return Patch(color=SUSPENDED, alpha=MAX_ALPHA, label=label) if shaded else None


def hourly_spans(scenario: Scenario, share: np.ndarray) -> list[Span]:
    """Hour intervals [h, h + 1) with ``share[h]``, the share of runs suspended at hour h."""
    ends = np.minimum(hours_grid(scenario) + 1, scenario.horizon)
    spans: list[Span] = []
    for h, s in enumerate(share.tolist()):
        if spans and spans[-1][2] == s:  # merge equal neighbours
            spans[-1] = (spans[-1][0], float(ends[h]), s)
        else:
            spans.append((float(h), float(ends[h]), s))
    return spans


def trace_spans(scenario: Scenario, trace: list[TraceEvent]) -> list[Span]:
    """The suspensions of one traced run (to the horizon if it never resumed), share 1."""
    starts = [e.time for e in trace if e.event == "ceasefire_suspended"]
    stops = [e.time for e in trace if e.event == "ceasefire_resumes"] + [scenario.horizon]
    return [(a, b, 1.0) for a, b in zip(starts, stops[: len(starts)], strict=True)]
