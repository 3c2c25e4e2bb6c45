"""The files of a study's folder, written at once with the project's atomic writer.

- ``report.md``: the certification's statement, the chosen plan, its metrics against the
  base with paired 95% CIs, the constraint estimates with their CIs, the shortlist and
  what each plan's certification found, the Pareto front with two objectives;
- ``trials.csv``: every trial of the search; ``shortlist.csv``: the certification;
  ``differences.csv``: the chosen plan minus the base, per metric;
- ``plan.toml``: the chosen plan as a scenario file that ``extends`` the base;
- the figures (:mod:`~sim.studies.optimise.figures`), ``manifest.json`` and ``optuna.log``
  (the search's journal).

Same study, seed and version give byte-identical ``trials.csv``, ``shortlist.csv``,
``differences.csv`` and ``plan.toml``.
"""

from __future__ import annotations

import json
import math
import os
import platform
import shutil
import textwrap
import tomllib
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from scipy import stats

from sim.outputs.folders import atomic_folder
from sim.outputs.metrics import summarise
from sim.outputs.results import PACKAGES, csv_text, number, versions
from sim.studies.optimise.certify import distinct_trials, pareto_front
from sim.studies.optimise.decisions import shown
from sim.studies.optimise.evaluate import Plan
from sim.studies.optimise.figures import figures
from sim.studies.optimise.goals import Constraint
from sim.studies.optimise.result import OptimiseResult
from sim.studies.paired import Difference


class Estimate(NamedTuple):
    """A constraint's estimate for one plan, with its 95% CI: the probability of the event
    (Clopper-Pearson interval) or the metric's mean (Student t)."""

    constraint: str
    plan: str
    n: int
    estimate: float
    ci_low: float
    ci_high: float
    bound: float
    met: bool


def estimate(constraint: Constraint, plan: str, values: np.ndarray) -> Estimate:
    """The estimate of ``constraint`` from one plan's metric values."""
    if constraint.kind == "chance":
        y = constraint.observe(values)
        n, events = len(y), int(y.sum())
        ci = stats.binomtest(events, n).proportion_ci(0.95, method="exact")
        p = events / n
        bound = constraint.probability
        return Estimate(constraint.name, plan, n, p, ci.low, ci.high, bound, p <= bound)
    s = summarise(constraint.metric, values)
    met = (
        s.mean <= constraint.threshold
        if constraint.sense == "at_most"
        else (s.mean >= constraint.threshold)
    )
    return Estimate(constraint.name, plan, s.n, s.mean, s.ci_low, s.ci_high,
                    constraint.threshold, bool(met))  # fmt: skip


def estimates(result: OptimiseResult) -> list[Estimate]:
    """Each constraint for the chosen plan and the base, on the report's replications."""
    if result.chosen_runs is None or result.base_runs is None:
        return []
    found = []
    for c in result.spec.constraints:
        for plan, runs in (("chosen", result.chosen_runs), ("base", result.base_runs)):
            found.append(estimate(c, plan, runs.metrics[c.metric]))
    return found


def trials_csv(result: OptimiseResult) -> str:
    """One row per trial: decisions, objective estimates, constraint estimates, feasibility."""
    spec = result.spec
    header = ["trial", *(d.key for d in spec.decisions)]
    header += [o.metric for o in spec.objectives] + [c.name for c in spec.constraints]
    header += ["feasible"]
    rows = (
        [
            t.number,
            *(_cell(t.plan[d.key]) for d in spec.decisions),
            *map(number, t.objectives),
            *map(number, t.estimates),
            str(t.feasible).lower(),
        ]
        for t in result.trials
    )
    return csv_text(header, rows)


def shortlist_csv(result: OptimiseResult) -> str:
    """One row per shortlisted plan: the search's estimate, the certification's replications,
    mean, feasibility per constraint and how the plan left."""
    spec, s = result.spec, result.selection
    ranked = spec.ranked
    header = ["system", "trial", *(d.key for d in spec.decisions)]
    header += [f"search_{ranked.metric}", "reps", f"{ranked.metric}"]
    header += [f"meets: {c.name}" for c in spec.constraints] + ["outcome"]
    rows = []
    for i, t in enumerate(result.shortlist):
        decided = ["" if v is None else str(v).lower() for v in s.feasible[i]]
        rows.append(
            [
                i,
                t.number,
                *(_cell(t.plan[d.key]) for d in spec.decisions),
                number(t.objectives[spec.certify.objective]),
                int(s.used[i]),
                number(ranked.sign * s.means[i]),
                *decided,
                _outcome(result, s.exits[i]),
            ]
        )
    return csv_text(header, rows)


def differences_csv(differences: list[Difference]) -> str:
    """Chosen plan minus base, per metric: paired and independent estimates."""
    rows = ([d.metric, d.pairs, *map(number, d[3:])] for d in differences)
    return csv_text(["metric", *Difference._fields[2:]], rows)


def plan_toml(result: OptimiseResult, chosen: Plan, folder: Path) -> str:
    """The chosen plan as a scenario file that ``extends`` the base (``set`` and decisions)."""
    spec = result.spec
    base = os.path.relpath(spec.base.resolve(), folder.resolve())
    settings = [*spec.overrides, *_decision_settings(result, chosen)]
    tree: dict[str, Any] = {}
    for text in settings:
        key, _, raw = text.partition("=")
        try:
            value = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw.strip()
        parts = key.strip().split(".")
        if any(p.isdigit() for p in parts):  # a list item: write the whole resolved list
            cut = next(i for i, p in enumerate(parts) if p.isdigit())
            parts, value = parts[:cut], _resolved(spec.scenario.document, parts[:cut])
        node = tree
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    text = f"The plan `evacsim optimise` chose for the study {spec.name} ({spec.path}). "
    text += result.statement
    if spec.uncertainties:
        drawn = ", ".join(u.key for u in spec.uncertainties)
        text += f" The study drew {drawn} per replication; this file keeps the base's values."
    lines = textwrap.wrap(text, 98, initial_indent="# ", subsequent_indent="# ")
    lines += ["", f'name = "{spec.scenario.name}_{spec.name}"', f"extends = {json.dumps(base)}"]
    lines += _toml_tables(tree, ())
    return "\n".join(lines) + "\n"


def report_md(result: OptimiseResult) -> str:
    """The study's report."""
    spec, s = result.spec, result.selection
    c = spec.certify
    lines = [f"# {spec.name}: the best plan under constraints", ""]
    if spec.description:
        lines += [spec.description, ""]
    lines += [f"**{result.statement}**", ""]
    lines += [
        f"- Study file: `{spec.path}`; base scenario: `{spec.base}`; seed {spec.seed}.",
        "- Objectives: " + "; ".join(str(o) for o in spec.objectives) + ".",
        "- Constraints: "
        + ("; ".join(f"{x.name}: {x} (tolerance {x.tolerance:g})" for x in spec.constraints)
           or "none") + ".",
        "- Uncertainties (drawn per replication, the same draw for every plan): "
        + ("; ".join(f"{u.key} ~ {_dist(u)}" for u in spec.uncertainties) or "none") + ".",
    ]  # fmt: skip
    lines += ["", "## Search", ""]
    feasible = sum(t.feasible for t in result.trials)
    lines += [
        f"{len(result.trials)} trials ({spec.sampler} sampler, {spec.batch} per batch) of "
        f"{spec.reps} replications each (replications 0-{spec.reps - 1}, the same for every "
        f"trial), {len(result.trials) * spec.reps:,} replications in all; {feasible} trials "
        "met every constraint on the search's estimates. See `trials.csv`, `progress.png`."
    ]
    if len(spec.objectives) == 2:
        lines += ["", "### Pareto front (feasible trials)", ""]
        sign = [o.sign for o in spec.objectives]
        candidates = [t for t in distinct_trials(spec, result.trials) if t.feasible]
        front = sorted(pareto_front(candidates, sign),
                       key=lambda t: t.objectives[0])  # fmt: skip
        header = ["trial", *(d.key for d in spec.decisions), *(o.metric for o in spec.objectives)]
        rows = [[t.number, *(shown(t.plan[d.key]) for d in spec.decisions),
                 *(_fmt(v) for v in t.objectives)] for t in front]  # fmt: skip
        lines += _table(header, rows) + ["", "See `pareto.png`."]
    lines += ["", "## Certification", ""]
    used = int(s.used.sum())
    lines += [
        f"Fully sequential ranking and selection with feasibility checks (Kim & Nelson 2001 "
        f"comparisons with the feasibility check of Andradóttir & Kim 2010; "
        f"`sim/studies/optimise/selection.py`), alpha = {c.alpha:g}, delta = {c.delta:g}, "
        f"first stage n0 = {c.first_stage}, at most {c.max_reps:,} replications per plan, on "
        f"fresh replications from {spec.reps} on (common random numbers among the plans, "
        "none shared with the search).",
        "",
        f"The procedure's decisions rested on {used:,} replications ({s.simulated:,} run, in "
        f"blocks); a two-stage procedure with the same first stage and the same guarantee "
        f"would have needed {s.fixed_n:,}.",
        "",
    ]
    header = ["plan", *(d.key for d in spec.decisions), f"search {spec.ranked.metric}",
              "reps", f"{spec.ranked.metric}", "outcome"]  # fmt: skip
    rows = []
    for i, t in enumerate(result.shortlist):
        rows.append(
            [f"trial {t.number}", *(shown(t.plan[d.key]) for d in spec.decisions),
             _fmt(t.objectives[c.objective]), int(s.used[i]),
             _fmt(spec.ranked.sign * s.means[i]), _outcome(result, s.exits[i])]
        )  # fmt: skip
    lines += _table(header, rows)
    if result.chosen_runs is not None:
        n = result.chosen_runs.reps
        first = result.report_first
        lines += ["", "## The chosen plan against the base", ""]
        lines += [
            f"Measured afresh on replications {first}-{first + n - 1}, the same for both, "
            "each with the study's uncertainties drawn (so the base here is not the base "
            "scenario's own run); paired differences with 95% CIs. `differences.csv` also "
            "has the independent-sample estimate and the variance reduction of pairing. "
            "See `fan.png`.",
            "",
        ]
        header = ["metric", "base", "chosen", "difference", "95% CI"]
        rows = [
            [d.metric, _fmt(d.base_mean), _fmt(d.whatif_mean), _fmt(d.difference),
             f"{_fmt(d.ci_low)} to {_fmt(d.ci_high)}"]
            for d in result.differences
        ]  # fmt: skip
        lines += _table(header, rows)
        found = estimates(result)
        if found:
            lines += ["", "### Constraints", ""]
            header = ["constraint", "plan", "estimate", "95% CI", "bound", "met"]
            rows = [
                [e.constraint, e.plan, _fmt(e.estimate), f"{_fmt(e.ci_low)} to {_fmt(e.ci_high)}",
                 _fmt(e.bound), "yes" if e.met else "no"]
                for e in found
            ]  # fmt: skip
            lines += _table(header, rows)
        lines += ["", "`plan.toml` is the chosen plan as a scenario file that extends the base."]
    search = len(result.trials) * spec.reps
    measure = 3 * result.chosen_runs.reps if result.chosen_runs is not None else 0
    lines += [
        "",
        f"Replications in all: {search + s.simulated + measure:,} (search {search:,}, "
        f"certification {s.simulated:,}, the chosen plan against the base {measure:,}); "
        f"{result.wall_time:.0f} s on this machine.",
    ]
    return "\n".join(lines) + "\n"


def manifest(result: OptimiseResult) -> dict:
    """What produced the folder."""
    spec, s = result.spec, result.selection
    return {
        "study": spec.name,
        "study_file": spec.path,
        "base": str(spec.base),
        "seed": spec.seed,
        "trials": len(result.trials),
        "reps_per_trial": spec.reps,
        "certification": {
            "procedure": "KN (Kim & Nelson 2001) with the feasibility check of Andradottir "
            "& Kim (2010), common random numbers",
            "alpha": spec.certify.alpha,
            "delta": spec.certify.delta,
            "first_stage": spec.certify.first_stage,
            "certified": s.certified,
            "chosen_trial": None if s.chosen is None else result.shortlist[s.chosen].number,
            "reps_used": int(s.used.sum()),
            "reps_simulated": s.simulated,
            "reps_fixed_n": s.fixed_n,
            "h2": s.h2,
            "h2_feasibility": s.h2_feasibility,
        },
        "statement": result.statement,
        "engine": "vector",
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "wall_time_s": round(result.wall_time, 3),
        "versions": versions((*PACKAGES, "optuna")),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "resolved": spec.identity(),
    }


def write_folder(result: OptimiseResult, journal: Path) -> Path:
    """Write every file of the study's folder atomically; return the folder."""
    with atomic_folder(result.folder) as staging:
        files = {
            "report.md": report_md(result),
            "trials.csv": trials_csv(result),
            "shortlist.csv": shortlist_csv(result),
            "manifest.json": json.dumps(manifest(result), indent=2, default=str) + "\n",
        }
        if result.chosen is not None:
            files["differences.csv"] = differences_csv(result.differences)
            files["plan.toml"] = plan_toml(result, result.chosen, result.folder)
        for name, text in files.items():
            (staging / name).write_text(text, encoding="utf-8")
        for name, data in figures(result).items():
            (staging / name).write_bytes(data)
        if journal.is_file():
            shutil.copyfile(journal, staging / "optuna.log")
    return result.folder


def _decision_settings(result: OptimiseResult, chosen: Plan) -> list[str]:
    from sim.studies.sweeps.spec import override

    return [override(d.key, chosen[d.key]) for d in result.spec.decisions]


def _resolved(document: dict, parts: list[str]) -> Any:
    node: Any = document
    for part in parts:
        node = node[part]
    return node


def _toml_tables(tree: dict, prefix: tuple[str, ...]) -> list[str]:
    """Nested tables as TOML: a table's own values, then its sub-tables."""
    lines = []
    values = {k: v for k, v in tree.items() if not isinstance(v, dict)}
    if values:
        if prefix:
            lines += ["", f"[{'.'.join(prefix)}]"]
        lines += [f"{k} = {_toml_value(v)}" for k, v in values.items()]
    for k, v in tree.items():
        if isinstance(v, dict):
            lines += _toml_tables(v, (*prefix, k))
    return lines


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    return repr(value)


def _outcome(result: OptimiseResult, exit: str) -> str:
    """An exit with systems named by their trial, and constraints by name."""
    for i, t in enumerate(result.shortlist):
        exit = exit.replace(f"system {i} ", f"trial {t.number} ")
    for i, c in enumerate(result.spec.constraints):
        exit = exit.replace(f"constraint {i} ", f"constraint '{c.name}' ")
    return exit


def _dist(u: Any) -> str:
    if u.dist == "triangular":
        return f"triangular({u.low:g}, {u.mode:g}, {u.high:g})"
    return f"{u.dist}({u.low:g}, {u.high:g})"


def _cell(value: object) -> object:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return number(value)
    return value


def _fmt(value: float) -> str:
    if not math.isfinite(value):
        return "n/a" if math.isnan(value) else str(value)
    return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"


def _table(header: list[str], rows: list[list[object]]) -> list[str]:
    lines = ["| " + " | ".join(map(str, header)) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in rows]
    return lines
