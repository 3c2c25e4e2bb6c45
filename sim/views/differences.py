"""The figure of a comparison: each what-if's paired and independent differences."""

from __future__ import annotations

import math

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from sim.studies.paired import HEADLINE, Difference
from sim.views.style import FONT
from sim.views.wording import figure_text, metric_unit


def difference_chart(
    differences: list[Difference], base: str, reps: int | None = None, seed: int | None = None
) -> Figure:
    """The headline differences, one panel per metric in its own unit and scale, one row
    per what-if: the paired mean and 95% CI (thick, with end caps so that a zero-width
    interval still shows) and, just below, the independent runs' own mean and 95% CI (thin,
    a ring): a separate estimate, so its interval need not hold the paired mean."""
    shown = [d for d in differences if d.metric in HEADLINE and math.isfinite(d.difference)]
    metrics = [m for m in HEADLINE if any(d.metric == m for d in shown)]
    whatifs = list(dict.fromkeys(d.whatif for d in differences))
    height = 1.0 + len(metrics) * (0.45 + 0.3 * len(whatifs))
    figure = Figure(figsize=(10.0, height), layout="constrained")
    FigureCanvasAgg(figure)
    runs = (
        ""
        if reps is None
        else f", {reps:,} paired runs" + ("" if seed is None else f", seed {seed}")
    )
    figure.suptitle(
        f"What-if minus {figure_text(base)}{runs}\npaired runs: mean (dot), 95% CI (thick); "
        "independent runs: mean (ring), 95% CI (thin)",
        fontsize=FONT,
    )
    panels = figure.subplots(max(len(metrics), 1), 1, squeeze=False)[:, 0]
    for ax, metric in zip(panels, metrics, strict=False):
        rows = {d.whatif: d for d in shown if d.metric == metric}
        for k, name in enumerate(whatifs):
            if name not in rows:
                continue
            d = rows[name]
            low, high = d.independent_ci_low, d.independent_ci_high
            below = k + 0.25
            ax.plot([low, high], [below, below], color=f"C{k}", lw=1.2, alpha=0.8)
            ax.plot(d.independent_difference, below, "o", mfc="white", color=f"C{k}", ms=4)
            ax.plot([d.ci_low, d.ci_high], [k, k], color=f"C{k}", lw=6, solid_capstyle="butt")
            ax.plot([d.ci_low, d.ci_high], [k, k], "|", color=f"C{k}", ms=14, mew=2)
            ax.plot(d.difference, k, "o", color="black", ms=4)
        ax.axvline(0, color="0.5", lw=0.8)
        ax.set_yticks(range(len(whatifs)), [figure_text(w) for w in whatifs], fontsize=FONT - 3)
        ax.set_ylim(len(whatifs) - 0.4, -0.5)
        unit = metric_unit(metric).replace("hours from the start", "hours")
        ax.set_ylabel(f"{metric}\n({unit})", fontsize=FONT - 2, rotation=0, ha="right", va="center")
        ax.tick_params(axis="x", labelsize=FONT - 3)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:+,.6g}" if x else "0"))
    return figure
