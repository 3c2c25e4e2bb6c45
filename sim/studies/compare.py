"""Paired what-if comparisons under common random numbers.

A comparison runs the base scenario and each what-if with the same seed and the same
replication numbers 0 .. n-1. Variates are indexed by stream, replication and convoy, so
replication r of the what-if meets the same breaches, delays and loading times as
replication r of the base wherever the two scenarios agree, and the paired differences
``whatif[r] - base[r]`` vary far less than the scenarios do. How much less is measured, not
assumed: each what-if also runs on replications n .. 2n-1, an independent sample, and the
two estimates of the difference are set side by side::

    import sim
    base = sim.load_scenario("scenarios/aleppo_2016.toml")
    more = sim.load_scenario("scenarios/aleppo_2016.toml", ["fleet.buses.count=60"])
    comparison = sim.compare(base, [more], reps=500)
    comparison.differences      # mean difference, 95% CI, variance reduction per metric
    comparison.save()           # results/compare/<id>/
"""

from __future__ import annotations

import csv
import json
import logging
import math
import os
import platform
import time
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter
from scipy import stats

from sim.errors import ScenarioError
from sim.inputs.loader import load_scenario
from sim.inputs.record import scenario_from_record, scenario_record
from sim.inputs.scenario import Scenario
from sim.outputs.folders import atomic_folder, fresh_folder
from sim.outputs.frames import UNITS, html_table, pandas
from sim.outputs.records import Replications
from sim.outputs.results import (
    arrays_npz,
    csv_text,
    number,
    read_npz,
    read_study_manifest,
    versions,
)
from sim.studies.runner import run_chunked
from sim.views.plots import DPI, FONT
from sim.views.progress import progress_bar
from sim.views.wording import figure_text, metric_unit

log = logging.getLogger(__name__)

#: Metrics drawn in the figure and shown in the terminal (all are in differences.csv).
HEADLINE = (
    "evacuated",
    "convoys",
    "clearance_time",
    "suspended_hours",
    "wait_person_hours",
    "held_person_hours",
    "cold_person_hours",
    "peak_queue",
)


class Difference(NamedTuple):
    """The effect of a what-if on one metric (in the metric's unit).

    ``difference`` is the mean of the paired differences ``whatif[r] - base[r]`` over the
    ``pairs`` replications where both are defined, with a 95% Student t interval
    (``ci_low``, ``ci_high``). ``independent_*`` estimate the same difference from the
    what-if's independent replications n .. 2n-1 (Welch interval).
    ``variance_reduction`` is the variance of the independent estimate over that of the
    paired one: how many times more replications independent sampling would need for the
    same precision (inf when every paired difference is the same; NaN when both are).
    """

    whatif: str
    metric: str
    pairs: int
    base_mean: float
    whatif_mean: float
    difference: float
    ci_low: float
    ci_high: float
    independent_difference: float
    independent_ci_low: float
    independent_ci_high: float
    variance_reduction: float


@dataclass
class Comparison:
    """A base scenario, its what-ifs, and the differences they make.

    Attributes
    ----------
    base : Scenario
    whatifs : list of Scenario
    reps, seed : int
    differences : list of Difference
        One per what-if and metric common to the base and that what-if.
    paired : dict of str to Replications
        Replications 0 .. n-1 of the base (under its name) and of each what-if (under its
        label).
    wall_time : float
        Seconds the engine runs took.
    """

    base: Scenario
    whatifs: list[Scenario]
    reps: int
    seed: int
    differences: list[Difference]
    paired: dict[str, Replications]
    wall_time: float

    def save(self, folder: str | Path | None = None) -> Path:
        """Write ``manifest.json``, ``differences.csv`` and ``differences.png`` atomically
        (default folder ``results/compare/<id>``); return the folder.

        Raises
        ------
        ScenarioError
            If ``folder`` exists already.
        """
        target = Path(folder) if folder is not None else self._default_folder()
        writer = atomic_folder(target)
        with writer as staging:
            (staging / "differences.csv").write_text(
                differences_csv(self.differences), encoding="utf-8"
            )
            manifest = json.dumps(self._manifest(), indent=2) + "\n"
            (staging / "manifest.json").write_text(manifest, encoding="utf-8")
            figure = difference_chart(self.differences, self.base.name, self.reps, self.seed)
            figure.savefig(staging / "differences.png", dpi=DPI, metadata={"Software": None})
            figure.clear()
            (staging / "paired.npz").write_bytes(arrays_npz(_flatten(self.paired)))
        return writer.folder

    def to_frame(self) -> Any:
        """The differences as a pandas DataFrame, one row per what-if and metric.

        Raises
        ------
        ImportError
            Saying how to install pandas (``pip install 'evacsim[frames]'``) if it is missing.
        """
        return pandas().DataFrame(self.differences, columns=list(Difference._fields))

    def __repr__(self) -> str:
        names = ", ".join(repr(n) for n in self.paired if n != self.base.name)
        return (
            f"Comparison({self.base.name!r} vs [{names}], reps={self.reps}, seed={self.seed}, "
            f"differences={len(self.differences)})"
        )

    def _repr_html_(self) -> str:
        rows = [
            [d.whatif, d.metric, d.base_mean, d.whatif_mean, d.difference, d.ci_low, d.ci_high]
            for d in self.differences
            if d.metric in HEADLINE
        ]
        header = ("what-if", "metric", "base", "what-if mean", "difference", "CI low", "CI high")
        return html_table(f"{self!r}: headline metrics (paired 95% CI)", header, rows, UNITS)

    def _default_folder(self, root: Path = Path("results")) -> Path:
        return fresh_folder(root / "compare", f"{self.base.name}-seed{self.seed}")

    def _manifest(self) -> dict:
        return {
            "base": self.base.path,
            "whatifs": [w.path for w in self.whatifs],
            "reps": self.reps,
            "seed": self.seed,
            "paired_replications": [0, self.reps - 1],
            "independent_replications": [self.reps, 2 * self.reps - 1],
            "engine": "vector",
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "wall_time_s": round(self.wall_time, 3),
            "versions": versions(),
            "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
            "resolved_base": self.base.document,
            "resolved_whatifs": [w.document for w in self.whatifs],
            "labels": list(self.paired),
            "base_values": scenario_record(self.base),
            "whatif_values": [scenario_record(w) for w in self.whatifs],
        }


def compare(
    base: Scenario | str | Path,
    whatifs: Sequence[Scenario | str | Path],
    reps: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    executor: Executor | None = None,
    progress: bool = False,
) -> Comparison:
    """Paired differences of each what-if against the base, under common random numbers.

    Parameters
    ----------
    base : Scenario, str or Path
        A scenario, a scenario file or a bundled scenario's name.
    whatifs : sequence of Scenario, str or Path
        Labelled by name (see :func:`labels`).
    reps : int, optional
        Replications per scenario (at least 2); the base's ``run.reps`` by default. Each
        what-if runs twice as many: the paired ones and an independent sample.
    seed : int, optional
        The base's ``run.seed`` by default.
    workers : int, optional
        Processes for the batch engine (see :func:`sim.studies.runner.run_chunked`).
    executor : concurrent.futures.Executor, optional
        Runs the batch engine's chunks, e.g. a Dask client's ``client.get_executor()``
        (see :func:`sim.studies.runner.run_chunked`); the same result whatever runs them.
    progress : bool
        Show replications done and the time left on standard error (when it is a terminal).

    Raises
    ------
    ScenarioError
        Too few replications, no what-if, or two what-ifs with the same label.
    """
    base = base if isinstance(base, Scenario) else load_scenario(base)
    scenarios = [w if isinstance(w, Scenario) else load_scenario(w) for w in whatifs]
    reps = base.reps if reps is None else reps
    seed = base.seed if seed is None else seed
    if reps < 2:
        raise ScenarioError("--reps", "", f"a comparison needs at least 2 replications, got {reps}")
    if not scenarios:
        raise ScenarioError("compare", "", "name at least one what-if scenario")
    names = labels(base, scenarios)
    began = time.perf_counter()
    bar = progress_bar(progress)
    bar.total = reps * (1 + 2 * len(scenarios))
    chunked = {"workers": workers, "executor": executor, "done": bar.update}
    with bar:
        before = run_chunked(base, reps, seed, **chunked)
        log.info("compare: base %s, %d replications", base.name, reps)
        paired = {base.name: before}
        differences = []
        for name, whatif in zip(names, scenarios, strict=True):
            same = run_chunked(whatif, reps, seed, **chunked)
            independent = run_chunked(whatif, reps, seed, first_rep=reps, **chunked)
            log.info("compare: what-if %s, %d paired and %d independent", name, reps, reps)
            paired[name] = same
            for metric in base_metrics(before, same):
                differences.append(
                    difference(
                        name,
                        metric,
                        before.metrics[metric],
                        same.metrics[metric],
                        independent.metrics[metric],
                    )
                )
    wall = time.perf_counter() - began
    return Comparison(base, scenarios, reps, seed, differences, paired, wall)


def read_compare_folder(folder: str | Path) -> Comparison:
    """The :class:`Comparison` whose :meth:`~Comparison.save` wrote ``folder``.

    Raises
    ------
    ScenarioError
        If ``folder`` is not a compare folder this version can read.
    """
    folder = Path(folder)
    info = read_study_manifest(folder, "compare", "base_values", "paired.npz")
    base = scenario_from_record(info["base_values"], info["resolved_base"])
    whatifs = [
        scenario_from_record(values, document)
        for values, document in zip(info["whatif_values"], info["resolved_whatifs"], strict=True)
    ]
    with (folder / "differences.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    differences = [Difference(r[0], r[1], int(r[2]), *map(float, r[3:])) for r in rows]
    arrays = read_npz(folder / "paired.npz")
    paired = {}
    for label in info["labels"]:
        part = {tuple(k.split("/")[1:]): v for k, v in arrays.items() if k.startswith(f"{label}/")}
        paired[label] = Replications(
            {name: v for (kind, name), v in part.items() if kind == "metrics"},
            {name: v for (kind, name), v in part.items() if kind == "series"},
        )
    return Comparison(
        base, whatifs, int(info["reps"]), int(info["seed"]), differences, paired,
        float(info.get("wall_time_s", 0.0)),
    )  # fmt: skip


def _flatten(paired: dict[str, Replications]) -> dict[str, np.ndarray]:
    """Metrics and series of each scenario, as ``label/metrics/name`` arrays."""
    return {
        f"{label}/{kind}/{name}": values
        for label, r in paired.items()
        for kind, arrays in (("metrics", r.metrics), ("series", r.series))
        for name, values in arrays.items()
    }


def labels(base: Scenario, whatifs: Sequence[Scenario]) -> list[str]:
    """What-ifs by name, or by file name where the name is the base's (a what-if file that
    ``extends`` the base inherits its name).

    Raises
    ------
    ScenarioError
        If two what-ifs would share a label.
    """
    names = [w.name if w.name != base.name or not w.path else Path(w.path).stem for w in whatifs]
    if base.name in names or len(set(names)) < len(names):
        raise ScenarioError(
            "compare", "name", f"what-ifs need distinct names, not the base's: {names}"
        )
    return names


def base_metrics(base: Replications, whatif: Replications) -> list[str]:
    """The metrics both scenarios have, in the base's order."""
    return [m for m in base.metrics if m in whatif.metrics]


class Paired(NamedTuple):
    """The paired estimate of ``mean(whatif) - mean(base)`` for one metric.

    ``difference`` is the mean of ``whatif[r] - base[r]`` over the ``pairs`` replications
    where both are defined, with its 95% Student t interval (``ci_low``, ``ci_high``);
    ``variance`` is the variance of that mean (NaN with fewer than two pairs).
    """

    pairs: int
    base_mean: float
    whatif_mean: float
    difference: float
    ci_low: float
    ci_high: float
    variance: float


def paired_difference(base: np.ndarray, same: np.ndarray) -> Paired:
    """The paired estimate from replications 0 .. n-1 of the base and the what-if.

    Parameters
    ----------
    base, same : ndarray
        The metric in the same replications of the base and of the what-if (NaN where
        undefined).
    """
    both = ~np.isnan(base) & ~np.isnan(same)
    d = same[both] - base[both]
    pairs = len(d)
    mean = float(d.mean()) if pairs else math.nan
    variance = float(d.var(ddof=1)) / pairs if pairs > 1 else math.nan
    half = _t(pairs - 1) * math.sqrt(variance) if pairs > 1 else math.nan
    return Paired(
        pairs,
        float(base[both].mean()) if pairs else math.nan,
        float(same[both].mean()) if pairs else math.nan,
        mean,
        mean - half,
        mean + half,
        variance,
    )


def difference(
    whatif: str, metric: str, base: np.ndarray, same: np.ndarray, independent: np.ndarray
) -> Difference:
    """Paired and independent estimates of ``mean(whatif) - mean(base)`` for one metric.

    Parameters
    ----------
    base, same : ndarray
        The metric in replications 0 .. n-1 of the base and of the what-if (NaN where
        undefined); pairs are the replications where both are defined.
    independent : ndarray
        The metric in the what-if's replications n .. 2n-1.
    """
    p = paired_difference(base, same)
    paired_var = p.variance

    b, w = base[~np.isnan(base)], independent[~np.isnan(independent)]
    if len(b) > 1 and len(w) > 1:
        vb, vw = b.var(ddof=1) / len(b), w.var(ddof=1) / len(w)
        independent_var = float(vb + vw)
        if independent_var > 0:  # Welch-Satterthwaite degrees of freedom
            dof = independent_var**2 / (vb**2 / (len(b) - 1) + vw**2 / (len(w) - 1))
        else:
            dof = len(b) + len(w) - 2
        ind_mean = float(w.mean() - b.mean())
        ind_half = _t(dof) * math.sqrt(independent_var)
    else:
        independent_var = ind_mean = ind_half = math.nan
    if paired_var > 0:
        reduction = independent_var / paired_var
    elif paired_var == 0 and independent_var > 0:
        reduction = math.inf
    else:
        reduction = math.nan
    return Difference(
        whatif,
        metric,
        p.pairs,
        p.base_mean,
        p.whatif_mean,
        p.difference,
        p.ci_low,
        p.ci_high,
        ind_mean,
        ind_mean - ind_half,
        ind_mean + ind_half,
        reduction,
    )


def _t(dof: float) -> float:
    """The 97.5% quantile of Student t: the 95% two-sided multiplier."""
    return float(stats.t.ppf(0.975, dof))


def differences_csv(differences: list[Difference]) -> str:
    """One row per what-if and metric."""
    rows = ([d.whatif, d.metric, d.pairs, *map(number, d[3:])] for d in differences)
    return csv_text(list(Difference._fields), rows)


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
