"""Figures of a sweep, one panel per metric.

- one axis: the mean against the axis value, with its 95% CI as a band (``lines.png``);
- a grid of two axes: a heatmap of the mean (``heatmap.png``);
- anything else: the mean at each point against each axis (``scatter.png``);
- a Saltelli design, also: first- and total-order Sobol indices with 95% intervals
  (``sobol.png``).

Figures are plain Agg :class:`~matplotlib.figure.Figure` objects, as in :mod:`sim.views.plots`.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.axis import Axis as MplAxis
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from sim.inputs.json_schema import key_unit
from sim.studies.sweeps.result import SweepResult
from sim.views.style import DPI, FONT
from sim.views.wording import figure_text, metric_unit

PANEL = 4.0  # inches per panel side


def sweep_figures(result: SweepResult) -> dict[str, bytes]:
    """The sweep's figures as PNG bytes, by file name."""
    spec = result.spec
    if len(spec.axes) == 1:
        figures = {"lines.png": lines(result)}
    elif len(spec.axes) == 2 and spec.method == "grid":
        figures = {"heatmap.png": heatmap(result)}
    else:
        figures = {"scatter.png": scatter(result)}
    if result.sobol:
        figures["sobol.png"] = sobol_bars(result)
    for figure in figures.values():
        figure.suptitle(_title(result), fontsize=FONT)
    return {name: _png(figure) for name, figure in figures.items()}


def _title(result: SweepResult) -> str:
    """What every figure of a sweep says it shows: the sweep, its base, runs and overrides."""
    spec = result.spec
    reps = result.reps
    runs = f"{int(reps.min()):,}" if reps.min() == reps.max() else f"{reps.min():,}–{reps.max():,}"
    title = (
        f"{figure_text(spec.name)}: sweep of {figure_text(spec.scenario.name)}, "
        f"{len(result.points):,} points ({spec.method}), {runs} runs a point, seed {spec.seed}"
    )
    if spec.overrides:
        changed = ", ".join(spec.overrides)
        changed = changed if len(changed) <= 90 else changed[:89] + "…"
        title += f"\nwith set = {figure_text(changed)}"
    return title


def lines(result: SweepResult) -> Figure:
    """Each metric's mean and 95% CI against the one axis."""
    axis = result.spec.axes[0]
    x = [p[axis.key] for p in result.points]
    numeric = axis.batch or all(isinstance(v, int | float) for v in x)
    order = np.argsort(np.asarray(x, float)) if numeric else np.arange(len(x))
    where = np.asarray(x, float)[order] if numeric else np.arange(len(x))
    figure, panels = _panels(len(result.spec.metrics), 1)
    for ax, metric in zip(panels, result.spec.metrics, strict=True):
        s = [result.summaries[metric][i] for i in order]
        mean = np.array([v.mean for v in s])
        ax.fill_between(where, [v.ci_low for v in s], [v.ci_high for v in s], alpha=0.3, lw=0)
        ax.plot(where, mean, marker="o", label="mean, 95% CI")
        if not numeric:
            ax.set_xticks(where, [str(x[i]) for i in order])
        ax.set_xlabel(_label(axis.key), fontsize=FONT)
        ax.set_title(metric, fontsize=FONT)
        ax.set_ylabel(metric_unit(metric), fontsize=FONT - 1)
        _separated(ax.yaxis)
    panels[0].legend(fontsize=FONT - 2)
    return figure


def heatmap(result: SweepResult) -> Figure:
    """Each metric's mean over a two-axis grid (first axis down, second across)."""
    rows, cols = result.spec.axes
    figure, panels = _panels(len(result.spec.metrics), 1.25)
    for ax, metric in zip(panels, result.spec.metrics, strict=True):
        mean = np.array([s.mean for s in result.summaries[metric]])
        grid = mean.reshape(len(rows.values), len(cols.values))
        image = ax.imshow(grid, origin="lower", aspect="auto")
        middle = np.nanmean(grid) if np.isfinite(grid).any() else 0.0
        for (i, j), value in np.ndenumerate(grid):
            text = "n/a" if np.isnan(value) else _cell(value)
            shade = "white" if np.isnan(value) or value < middle else "black"
            ax.text(j, i, text, ha="center", va="center", fontsize=FONT - 3, color=shade)
        ax.set_yticks(range(len(rows.values)), [str(v) for v in rows.values])
        ax.set_xticks(range(len(cols.values)), [str(v) for v in cols.values])
        ax.set_ylabel(_label(rows.key), fontsize=FONT)
        ax.set_xlabel(_label(cols.key), fontsize=FONT)
        ax.set_title(f"{metric}: mean over {result.spec.reps:,} runs a point", fontsize=FONT)
        bar = figure.colorbar(image, ax=ax)
        bar.set_label(metric_unit(metric), fontsize=FONT - 2)
        _separated(bar.ax.yaxis)
    return figure


def scatter(result: SweepResult) -> Figure:
    """Each metric's mean at every point against each axis (rows: metrics, columns: axes)."""
    spec = result.spec
    figure = _figure(len(spec.axes), len(spec.metrics))
    grid = figure.subplots(len(spec.metrics), len(spec.axes), squeeze=False)
    for r, metric in enumerate(spec.metrics):
        mean = [s.mean for s in result.summaries[metric]]
        for c, axis in enumerate(spec.axes):
            ax = grid[r][c]
            ax.scatter([p[axis.key] for p in result.points], mean, s=8, alpha=0.6)
            ax.set_xlabel(_label(axis.key), fontsize=FONT - 2)
            _separated(ax.yaxis)
            if c == 0:
                ax.set_ylabel(f"{metric} ({metric_unit(metric)})", fontsize=FONT - 2)
    return figure


def sobol_bars(result: SweepResult) -> Figure:
    """First- (S1) and total-order (ST) Sobol indices per input, one panel per metric."""
    metrics = list(dict.fromkeys(i.metric for i in result.sobol))
    figure, panels = _panels(len(metrics), 1.25)
    for ax, metric in zip(panels, metrics, strict=True):
        rows = [i for i in result.sobol if i.metric == metric]
        at = np.arange(len(rows))
        ax.bar(at - 0.2, [i.s1 for i in rows], 0.4, yerr=[i.s1_conf for i in rows], label="S1")
        ax.bar(at + 0.2, [i.st for i in rows], 0.4, yerr=[i.st_conf for i in rows], label="ST")
        ax.set_xticks(at, [i.parameter for i in rows], rotation=20, ha="right")
        ax.set_title(metric, fontsize=FONT)
        ax.set_ylabel("share of variance", fontsize=FONT - 2)
    panels[0].legend(fontsize=FONT - 2)
    return figure


def _label(key: str) -> str:
    """An axis's label: its key path and the unit the loader gives it (on a line of its
    own when both would not fit beside a panel)."""
    unit = key_unit(key)
    if not unit:
        return key
    return f"{key} ({unit})" if len(key) + len(unit) <= 32 else f"{key}\n({unit})"


def _separated(axis: MplAxis) -> None:
    """Thousands separators on an axis's tick labels (440,000, not 440000), once its
    values reach 10,000."""

    def tick(value: float, _: int) -> str:
        big = max(abs(v) for v in axis.get_view_interval()) >= 10_000
        return f"{value:,.0f}" if big else f"{value:g}"

    axis.set_major_formatter(FuncFormatter(tick))


def _cell(value: float) -> str:
    """A heatmap cell's value: whole above 100, three significant figures below."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _figure(columns: int, rows: int, aspect: float = 1.0) -> Figure:
    figure = Figure(figsize=(PANEL * aspect * columns, PANEL * rows), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _panels(n: int, aspect: float) -> tuple[Figure, list]:
    """A figure with ``n`` panels in one row (two rows beyond three)."""
    columns = n if n <= 3 else (n + 1) // 2
    rows = 1 if n <= 3 else 2
    figure = _figure(columns, rows, aspect)
    grid = figure.subplots(rows, columns, squeeze=False).ravel()
    for extra in grid[n:]:
        extra.set_visible(False)
    return figure, list(grid[:n])


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    figure.clear()
    return buffer.getvalue()
