"""Figures of a calibration folder: posterior marginals and pairs, the predictive check, and
the posterior predictive curve of people evacuated against clock time.

Like :mod:`sim.views.plots`, figures are plain :class:`matplotlib.figure.Figure` objects on the Agg
canvas, and the same inputs give the same PNG bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from sim.inputs.json_schema import key_unit
from sim.inputs.scenario import Scenario
from sim.studies.calibration.record import CalibrationRecord
from sim.studies.calibration.summary import TargetCheck, is_moment, predictive_checks
from sim.studies.calibration.targets import Prior
from sim.views.plots import BAND, MEDIAN, fan_chart
from sim.views.style import DPI, FONT
from sim.views.wording import figure_text

BEST = "#d62728"
PANEL = 2.4  # inches per panel of a grid


def write_calibration_figures(calibration: CalibrationRecord, folder: Path) -> list[Path]:
    """Write ``posterior_marginals.png``, ``posterior_pairs.png``, ``predictive_check.png``
    and ``evacuated.png`` into ``folder``; return their paths."""
    charts = {
        "posterior_marginals": marginals,
        "posterior_pairs": pairs,
        "predictive_check": predictive_check,
        "evacuated": evacuated,
    }
    paths = []
    for name, chart in charts.items():
        figure = chart(calibration)
        paths.append(Path(folder) / f"{name}.png")
        figure.savefig(paths[-1], dpi=DPI, metadata={"Software": None})
        figure.clear()
    return paths


def marginals(calibration: CalibrationRecord) -> Figure:
    """A histogram of each parameter's posterior over its prior's range, best fit marked."""
    priors = calibration.targets.priors
    cols = min(len(priors), 4)
    rows = -(-len(priors) // cols)
    fig = _figure(cols * PANEL * 1.25, rows * PANEL)
    for i, p in enumerate(priors):
        ax = fig.add_subplot(rows, cols, i + 1)
        posterior = calibration.posterior[:, i]
        ax.hist(posterior, bins=_bins(p).tolist(), color=BAND, alpha=0.7, label="accepted draws")
        ax.axvline(calibration.best[p.path], c=BEST, lw=2, label="best fit")
        ax.set_xlim(p.low - (0.5 if p.integer else 0), p.high + (0.5 if p.integer else 0))
        ax.set_title(p.path, fontsize=FONT - 2)
        ax.set_xlabel(key_unit(p.path), fontsize=FONT - 3)
        ax.tick_params(labelsize=FONT - 3)
        ax.set_yticks([])
    handles, labels = fig.axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=2, fontsize=FONT - 2)
    fig.suptitle(
        f"Posterior marginals ({len(calibration.posterior):,} accepted draws) over the prior "
        "ranges",
        fontsize=FONT + 1,
    )
    return fig


def pairs(calibration: CalibrationRecord) -> Figure:
    """Every pair of parameters: the accepted draws as points, marginals on the diagonal."""
    priors, post = calibration.targets.priors, calibration.posterior
    d = len(priors)
    fig = _figure(d * PANEL * 0.75, d * PANEL * 0.75)
    for row in range(d):
        for col in range(row + 1):
            ax = fig.add_subplot(d, d, row * d + col + 1)
            if row == col:
                ax.hist(post[:, col], bins=_bins(priors[col]).tolist(), color=BAND, alpha=0.7)
                ax.set_yticks([])
            else:
                ax.scatter(post[:, col], post[:, row], s=4, c=MEDIAN, alpha=0.4, lw=0)
                ax.set_ylim(priors[row].low, priors[row].high)
            ax.set_xlim(priors[col].low, priors[col].high)
            ax.tick_params(labelsize=FONT - 6)
            if row == d - 1:
                ax.set_xlabel(_short(priors[col].path), fontsize=FONT - 5)
            if col == 0 and row > 0:
                ax.set_ylabel(_short(priors[row].path), fontsize=FONT - 5)
    fig.suptitle("Posterior pairs (accepted draws)", fontsize=FONT + 1)
    return fig


def predictive_check(calibration: CalibrationRecord) -> Figure:
    """Each target: the model's 90% intervals (posterior draws; best fit) against the
    reported value and range."""
    checks = predictive_checks(calibration)
    fig = _figure(10.0, 1.3 * len(checks) + 1.0)
    for i, c in enumerate(checks):
        ax = fig.add_subplot(len(checks), 1, i + 1)
        _check_row(ax, c, calibration.targets.scenario)
    handles, labels = fig.axes[0].get_legend_handles_labels()
    fig.legend(
        handles, labels, loc="outside lower center", ncol=4, fontsize=FONT - 2, frameon=False
    )
    fig.suptitle("Predictive check: model's 90% interval vs the reported figure", fontsize=FONT)
    return fig


def evacuated(calibration: CalibrationRecord) -> Figure:
    """Cumulative evacuated against clock time over the posterior draws, reports marked."""
    fig = fan_chart(calibration.targets.scenario, calibration.series)
    fig.axes[0].set_title(
        f"People evacuated: posterior predictive ({calibration.series.reps:,} accepted draws)",
        fontsize=FONT + 2,
    )
    return fig


def _check_row(ax: Axes, c: TargetCheck, scenario: Scenario) -> None:
    rows = [(1.0, c.posterior, BAND, "posterior draws"), (0.0, c.best, BEST, "best fit")]
    for y, (p5, median, p95), colour, label in rows:
        bar: dict[str, Any] = {"c": colour, "zorder": 3}
        ax.plot([p5, p95], [y, y], lw=6, alpha=0.6, solid_capstyle="butt", label=label, **bar)
        ax.plot([p5, p95], [y, y], "|", ms=16, mew=2, **bar)  # a zero-width one still shows
        ax.plot([median], [y], "|", c="k", ms=12, zorder=4)
    ax.axvspan(c.low, c.high, color="0.85", zorder=0, label="reported range")
    ax.axvline(c.value, c="k", lw=2, label="reported", zorder=2)
    ax.set_yticks([])
    ax.set_ylim(-0.8, 1.8)
    unit = c.unit
    if is_moment(c.metric):  # a moment reads as a clock time, as everywhere else
        unit = "local time"
        ax.xaxis.set_major_formatter(
            FuncFormatter(lambda h, _: scenario.shown(h).strftime("%a %H:%M"))
        )
    else:
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.6g}"))
    ax.set_title(figure_text(f"{c.metric} ({unit}): {c.source}"), fontsize=FONT - 2, loc="left")
    ax.tick_params(labelsize=FONT - 3)


def _bins(prior: Prior) -> np.ndarray:
    if prior.integer:
        return np.arange(prior.low - 0.5, prior.high + 1.5)
    return np.linspace(prior.low, prior.high, 31)


def _short(path: str) -> str:
    """``fleet.buses.load_time.mean`` -> ``buses.load_time.mean``: a label that fits."""
    return path.split(".", 1)[1] if path.count(".") > 1 else path


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig
