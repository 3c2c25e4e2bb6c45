"""Calibration folders: ``report.md``, ``posterior.csv``, ``predictive.csv``,
``sensitivity.csv``, ``manifest.json`` and the figures, written atomically.

``posterior.csv`` depends only on the inputs and the seed: the same targets file, draws and
seed give the same bytes. ``report.md`` and ``manifest.json`` also record wall times.
"""

from __future__ import annotations

import json
import math
import os
import platform
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from sim.inputs.record import from_record, record
from sim.inputs.scenario import Scenario
from sim.outputs.folders import atomic_folder, fresh_folder
from sim.outputs.npz import arrays_npz
from sim.outputs.reading import read_npz, read_study_manifest
from sim.outputs.records import Replications
from sim.outputs.results import (
    csv_text,
    number,
    versions,
)
from sim.studies.calibration.conflicts import conflicts
from sim.studies.calibration.figures import write_calibration_figures
from sim.studies.calibration.record import CalibrationRecord, Refit
from sim.studies.calibration.summary import (
    Fitted,
    TargetCheck,
    fitted,
    is_moment,
    milestone_bands,
    predictive_checks,
    sensitivity_rows,
    thin_posterior,
)
from sim.studies.calibration.targets import Targets


def default_folder(calibration: CalibrationRecord, root: Path = Path("results")) -> Path:
    """``results/calibration/<time>-seed<seed>``, made unique."""
    return fresh_folder(root / "calibration", f"seed{calibration.seed}")


def write_calibration(calibration: CalibrationRecord, folder: Path) -> Path:
    """Write the calibration folder at ``folder`` atomically; return ``folder``.

    Raises
    ------
    ScenarioError
        If ``folder`` exists already.
    """
    folder = Path(folder)
    writer = atomic_folder(folder)
    with writer as staging:
        files = {
            "posterior.csv": posterior_csv(calibration),
            "predictive.csv": predictive_csv(calibration),
            "sensitivity.csv": sensitivity_csv(calibration),
            "manifest.json": json.dumps(manifest(calibration), indent=2) + "\n",
            "report.md": report_md(calibration, folder),
        }
        for name, text in files.items():
            (staging / name).write_text(text, encoding="utf-8")
        (staging / "draws.npz").write_bytes(arrays_npz(_arrays(calibration)))
        write_calibration_figures(calibration, staging)
    return writer.folder


def _arrays(calibration: CalibrationRecord) -> dict[str, np.ndarray]:
    """Every array of a calibration, for ``draws.npz``."""
    c = calibration
    arrays = {"values": c.values, "simulated": c.simulated, "distance": c.distance}
    arrays["accepted/fit"] = c.fit.accepted
    arrays.update({f"accepted/{i}": r.accepted for i, r in enumerate(c.sensitivity)})
    for label, run in (("series", c.series), ("best_run", c.best_run)):
        arrays.update(run.arrays(label))
    return arrays


def read_calibration_record(folder: str | Path) -> CalibrationRecord:
    """The record a calibration folder was written from.

    Raises
    ------
    ScenarioError
        If ``folder`` is not a calibration folder this version can read.
    """
    folder = Path(folder)
    info = read_study_manifest(folder, "calibration", "targets_values", "draws.npz")
    targets = from_record(Targets, info["targets_values"])
    a = read_npz(folder / "draws.npz")

    def refit(entry: dict, key: str) -> Refit:
        return Refit(entry["metric"], float(entry["value"]), a[key], float(entry["epsilon"]))

    sensitivity = [refit(e, f"accepted/{i}") for i, e in enumerate(info["refits"])]
    return CalibrationRecord(
        targets, int(info["seed"]), a["values"], a["simulated"], a["distance"],
        refit({"metric": "", "value": math.nan, "epsilon": info["epsilon"]}, "accepted/fit"),
        sensitivity, Replications.from_arrays(a, "series"), info["best_fit"],
        Replications.from_arrays(a, "best_run"),
        {k: float(v) for k, v in info["wall_time_s"].items()},
    )  # fmt: skip


def posterior_csv(calibration: CalibrationRecord) -> str:
    """The accepted draws, closest first: draw number (its replication), distance, the
    parameter values and the targets' metrics in its replication."""
    targets = calibration.targets
    header = ["rank", "draw", "distance", *(p.path for p in targets.priors)]
    header += [t.metric for t in targets.targets]
    rows = (
        [
            rank,
            draw,
            number(calibration.distance[draw]),
            *map(number, calibration.values[draw]),
            *map(number, calibration.simulated[draw]),
        ]
        for rank, draw in enumerate(calibration.fit.accepted, start=1)
    )
    return csv_text(header, rows)


def predictive_csv(calibration: CalibrationRecord) -> str:
    """One row per target: the reported value and range against the model's intervals."""
    header = ["target", "unit", "reported", "low", "high", "posterior_p5", "posterior_median"]
    header += ["posterior_p95", "best_mean", "best_p5", "best_median", "best_p95", "met"]
    rows = (
        [c.metric, c.unit, *map(number, (c.value, c.low, c.high, *c.posterior, c.best_mean))]
        + [*map(number, c.best), "yes" if c.met else "no"]
        for c in predictive_checks(calibration)
    )
    return csv_text(header, rows)


def sensitivity_csv(calibration: CalibrationRecord) -> str:
    """Posterior median and 90% interval of each parameter, for each variant of the figures."""
    header = ["variant", "parameter", "p5", "median", "p95"]
    rows = (
        [_variant(metric, value), f.prior.path, *map(number, (f.p5, f.median, f.p95))]
        for metric, value, rows in sensitivity_rows(calibration)
        for f in rows
    )
    return csv_text(header, rows)


def manifest(calibration: CalibrationRecord) -> dict:
    """What produced the folder: targets file, scenario, seed, draws, timings, versions."""
    targets = calibration.targets
    return {
        "targets_file": targets.path,
        "scenario_file": targets.scenario.path,
        "seed": calibration.seed,
        "draws": len(calibration.values),
        "accepted": len(calibration.fit.accepted),
        "epsilon": calibration.fit.epsilon,
        "best_fit": calibration.best,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "wall_time_s": {k: round(v, 3) for k, v in calibration.timings.items()},
        "versions": versions(),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "targets_values": record(targets),
        "refits": [
            {"metric": r.metric, "value": r.value, "epsilon": r.epsilon}
            for r in calibration.sensitivity
        ],
    }


def report_md(calibration: CalibrationRecord, folder: Path) -> str:
    """The calibration as a Markdown page: method, fit, predictive check, sensitivity."""
    targets = calibration.targets
    scenario = targets.scenario
    checks = predictive_checks(calibration)
    missed = [c for c in checks if not c.met]
    draws, kept = len(calibration.values), len(calibration.fit.accepted)
    seconds = calibration.timings
    lines = [
        f"# Calibration of {scenario.name}: {folder.name}",
        "",
        f"Targets file `{targets.path}`, scenario `{scenario.path}`, seed {calibration.seed}.",
        f"{draws:,} quasi-random prior draws (scrambled Sobol'), one batch-engine replication "
        f"each, simulated in {seconds.get('simulation', 0):.0f} s; the closest {kept:,} "
        f"(distance <= {calibration.fit.epsilon:.2f}) form the posterior. Refinement "
        f"(differential evolution on the posterior's 90% box, {targets.refine_reps} "
        f"common-random-number replications per candidate): {seconds.get('refinement', 0):.0f} s.",
        "",
        "The distance weights each target by its stated uncertainty sigma: "
        "`sqrt(sum(((simulated - reported) / sigma)^2))`.",
        "",
    ]
    thin = thin_posterior(calibration)
    if thin is not None:
        lines += [f"**Too few accepted draws:** {thin}.", ""]
    lines += [
        "## Fitted parameters",
        "",
        "Posterior median and 90% interval of the accepted draws; *shrinkage* is that "
        "interval's width over the prior's (near 1: the figures hardly constrain the "
        "parameter). *Best fit* is the refined point the scenario file takes.",
        "",
        "| parameter | prior | median | 90% interval | shrinkage | best fit |",
        "|---|---|---|---|---|---|",
    ]
    for f in fitted(calibration):
        p = f.prior
        lines.append(
            f"| `{p.path}` | {p.prior} {_num(p.low)}–{_num(p.high)} | {_num(f.median)} | "
            f"{_num(f.p5)}–{_num(f.p95)} | {f.shrinkage:.2f} | {_num(f.best)} |"
        )
    lines += [
        "",
        "## Predictive check",
        "",
        f"The model's 90% interval (and median) for each target over the posterior draws, "
        f"and over {calibration.best_run.reps} replications of the best fit (seed "
        f"{scenario.seed}, as `evacsim run` gives once the scenario takes the best fit).",
        "",
        "| target | reported (range) | posterior draws: median (90%) | best fit: mean (90%) "
        "| reported inside posterior 90%? |",
        "|---|---|---|---|---|",
    ]
    for c in checks:
        v = [_val(c, x, scenario) for x in (c.value, c.low, c.high, *c.posterior, c.best_mean)]
        best = [_val(c, x, scenario) for x in c.best]
        lines.append(
            f"| `{c.metric}` | {v[0]} ({v[1]}–{v[2]}) | {v[4]} ({v[3]}–{v[5]}) | "
            f"{v[6]} ({best[0]}–{best[2]}) | {'yes' if c.met else '**no**'} |"
        )
    lines += ["", "Targets the posterior cannot meet: " + _missed(missed, scenario), ""]
    lines += _conflicts(calibration)
    lines += _milestones(calibration)
    lines += _sensitivity(calibration)
    lines += [
        "## Figures",
        "",
        "![posterior marginals](posterior_marginals.png)",
        "",
        "![posterior pairs](posterior_pairs.png)",
        "",
        "![predictive check](predictive_check.png)",
        "",
        "![people evacuated](evacuated.png)",
        "",
    ]
    return "\n".join(lines)


def _milestones(calibration: CalibrationRecord) -> list[str]:
    """The posterior predictive cumulative curve at the scenario's clock-time milestones."""
    bands = milestone_bands(calibration)
    if not bands:
        return []
    scenario = calibration.targets.scenario
    lines = [
        "## Posterior predictive: people evacuated by each milestone",
        "",
        "Mean, median and 90% band of the cumulative evacuated over the posterior draws "
        "(one replication each) and over the best fit's replications. Milestones that are "
        "not targets are predictions, not fitted.",
        "",
        "| milestone | local time | posterior draws: mean; median (90%) "
        "| best fit: mean; median (90%) |",
        "|---|---|---|---|",
    ]
    for b in bands:
        p, q = (tuple(_num(x) for x in band) for band in (b.posterior, b.best))
        mean, best = _num(b.posterior_mean), _num(b.best_mean)
        when = scenario.clock(b.at).strftime("%a %d %b %H:%M")
        lines.append(
            f"| `{b.name}` | {when} | {mean}; {p[1]} ({p[0]}–{p[2]}) "
            f"| {best}; {q[1]} ({q[0]}–{q[2]}) |"
        )
    return [*lines, ""]


def _conflicts(calibration: CalibrationRecord) -> list[str]:
    scenario = calibration.targets.scenario
    checks = {c.metric: c for c in predictive_checks(calibration)}
    lines = [
        "## Which targets conflict",
        "",
        "Each target left out of the distance in turn (the same draws, as many accepted): "
        "what the other figures then predict for it (median and 90% interval), whether its "
        "reported value lies inside, the other targets' mean squared distance (sum of their "
        "squared z) with it and without it, and the target met better the most without it. "
        "A target the others place outside its reported value conflicts with them.",
        "",
        "| left out | reported | the others predict | reported inside? | others' squared "
        "distance: with / without it | eases most (its squared z: with / without) |",
        "|---|---|---|---|---|---|",
    ]
    for c in conflicts(calibration):
        check = checks[c.metric]
        low, median, high = (_val(check, x, scenario) for x in c.predicted)
        eased = f"`{c.eased}` ({c.eased_from:.1f} / {c.eased_to:.1f})" if c.eased else "none"
        lines.append(
            f"| `{c.metric}` | {_val(check, check.value, scenario)} | {median} ({low}–{high}) "
            f"| {'yes' if c.agrees else '**no**'} | {c.others_with:.1f} / {c.others_without:.1f} "
            f"| {eased} |"
        )
    return [*lines, ""]


def _sensitivity(calibration: CalibrationRecord) -> list[str]:
    variants = sensitivity_rows(calibration)
    if len(variants) == 1:
        return []
    names = [_variant(m, v) for m, v, _ in variants]
    lines = [
        "## Sensitivity to disputed figures",
        "",
        "The same draws, accepted against each alternative reported value: posterior median "
        "(90% interval) of each parameter.",
        "",
        "| parameter | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    columns: list[list[Fitted]] = [rows for _, _, rows in variants]
    for i, p in enumerate(calibration.targets.priors):
        cells = [f"{_num(c[i].median)} ({_num(c[i].p5)}–{_num(c[i].p95)})" for c in columns]
        lines.append(f"| `{p.path}` | " + " | ".join(cells) + " |")
    return [*lines, ""]


def _missed(missed: list[TargetCheck], scenario: Scenario) -> str:
    if not missed:
        return "none; every reported value lies inside the model's 90% interval."
    parts = []
    for c in missed:
        low, high = (_val(c, x, scenario) for x in (c.posterior[0], c.posterior[2]))
        parts.append(f"`{c.metric}` (reported {_val(c, c.value, scenario)}, model {low}–{high})")
    return "; ".join(parts) + ". The other targets pull the fit away from these figures."


def _variant(metric: str, value: float) -> str:
    return "reported values" if not metric else f"{metric} = {number(value)}"


def _val(check: TargetCheck, value: float, scenario: Scenario) -> str:
    """A target's value: a moment as day and clock time, a number otherwise."""
    if is_moment(check.metric) and not np.isnan(value):
        return scenario.shown(value).strftime("%a %H:%M")
    return _num(value)


def _num(value: float) -> str:
    if np.isnan(value):
        return "nan"
    if float(value).is_integer() or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def calibration_table(calibration: CalibrationRecord) -> str:
    """The fitted parameters and the predictive check as text for the terminal."""
    scenario = calibration.targets.scenario
    draws, kept = len(calibration.values), len(calibration.fit.accepted)
    rows = [
        f"{scenario.name}: {draws:,} draws, {kept:,} accepted, seed {calibration.seed}",
        f"{'parameter':<30}{'median':>10}{'90% interval':>22}{'best fit':>12}",
    ]
    for f in fitted(calibration):
        interval = f"{_num(f.p5)} – {_num(f.p95)}"
        rows.append(f"{f.prior.path:<30}{_num(f.median):>10}{interval:>22}{_num(f.best):>12}")
    rows += ["", f"{'target':<32}{'reported':>10}{'posterior 90%':>22}{'best-fit 90%':>22}  met"]
    for c in predictive_checks(calibration):
        post, best = (
            " – ".join(_val(c, x, scenario) for x in (q[0], q[2])) for q in (c.posterior, c.best)
        )
        met = "yes" if c.met else "no"
        rows.append(f"{c.metric:<32}{_val(c, c.value, scenario):>10}{post:>22}{best:>22}  {met}")
    return "\n".join(rows)
