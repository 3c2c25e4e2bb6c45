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
from typing import Any

import numpy as np

from sim.errors import ScenarioError
from sim.inputs.loader import load_scenario
from sim.inputs.record import scenario_record
from sim.inputs.scenario import Scenario
from sim.outputs.folders import atomic_folder, fresh_folder
from sim.outputs.frames import UNITS, html_table, pandas
from sim.outputs.npz import arrays_npz
from sim.outputs.records import Replications, metric_names
from sim.outputs.results import (
    versions,
)
from sim.studies.budget import check_memory, run_bytes
from sim.studies.paired import HEADLINE, Difference, difference, differences_csv
from sim.studies.precision import (
    PAIRED_RULE,
    check_goal,
    paired_precise,
    paired_share,
    refuse_undefined,
    rounds,
)
from sim.studies.runner import run_chunked
from sim.views.differences import difference_chart
from sim.views.progress import progress_bar
from sim.views.style import DPI

log = logging.getLogger(__name__)


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
    precision : dict, optional
        With ``compare(..., precision=...)``: the target, the metrics, the replication cap,
        the replications each round was judged at, whether the rule was met, the share
        reached per what-if and metric, and the rule (:data:`sim.studies.precision.PAIRED_RULE`).
    """

    base: Scenario
    whatifs: list[Scenario]
    reps: int
    seed: int
    differences: list[Difference]
    paired: dict[str, Replications]
    wall_time: float
    precision: dict | None = None

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
            **({} if self.precision is None else {"precision": self.precision}),
        }


def compare(
    base: Scenario | str | Path,
    whatifs: Sequence[Scenario | str | Path],
    reps: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    executor: Executor | None = None,
    progress: bool = False,
    precision: float | None = None,
    metrics: Sequence[str] = ("evacuated",),
    max_reps: int | None = None,
) -> Comparison:
    """Paired differences of each what-if against the base, under common random numbers,
    optionally until the paired differences are precise enough.

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
    precision : float, optional
        Relative precision, e.g. 0.01: the replications of the base and of every what-if
        double together (``reps`` first) until each of ``metrics`` has, for every what-if,
        a paired 95% CI half-width within this fraction of its base mean, or ``max_reps``
        is reached; the rule is :data:`sim.studies.precision.PAIRED_RULE`. The result is
        the plain comparison with the replications it stopped at.
    metrics : sequence of str
        The metrics the precision applies to.
    max_reps : int, optional
        Most replications per scenario with ``precision``; 16 times ``reps`` by default.

    Raises
    ------
    ScenarioError
        Too few replications, no what-if, two what-ifs with the same label, a precision
        not between 0 and 1 or a ``max_reps`` below 1 or below ``reps`` (as ``evacsim
        compare`` refuses them), a precision metric that the base or a what-if lacks or
        never defines, or more replications than the memory of the machine can hold
        (refused before any runs).
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
    cap = 16 * reps if max_reps is None else max_reps
    most, flag = (reps, "--reps") if precision is None else (cap, "--max-reps")
    if precision is not None:
        check_goal(precision, max_reps, reps)
        check_metrics(metrics, base, scenarios, every=True)
    # held: every scenario's paired replications, and one what-if's independent sample
    held = sum(run_bytes(s, most) for s in (base, *scenarios))
    held += max(run_bytes(w, most) for w in scenarios)
    check_memory(held, f"{most:,} replications of {len(scenarios) + 1} scenarios", flag, "")
    began = time.perf_counter()
    bar = progress_bar(progress)
    # packed: the paired replications are held to the end, and joined round by round
    chunked = {"workers": workers, "executor": executor, "done": bar.update, "packed": True}
    runs = {base.name: base, **dict(zip(names, scenarios, strict=True))}
    goal = None if precision is None else (precision, metrics, cap)
    with bar:
        paired, judged, met = _paired_rounds(runs, reps, seed, goal, chunked, bar)
        n = paired[base.name].reps
        bar.total += n * len(names)
        bar.refresh()
        before = paired[base.name]
        differences = []
        for name, whatif in zip(names, scenarios, strict=True):
            same = paired[name]
            # read once and let go: not worth packing
            independent = run_chunked(whatif, n, seed, first_rep=n, **{**chunked, "packed": False})
            log.info("compare: what-if %s, %d paired and %d independent", name, n, n)
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
    record = None
    if precision is not None:
        reached = {
            w: {m: _finite(paired_share(before.metrics[m], paired[w].metrics[m])) for m in metrics}
            for w in names
        }
        record = {
            "precision": precision,
            "metrics": list(metrics),
            "max_reps": cap,
            "rounds": judged,
            "met": met,
            "reached": reached,
            "rule": " ".join(PAIRED_RULE.split()),
        }
    wall = time.perf_counter() - began
    return Comparison(base, scenarios, n, seed, differences, paired, wall, record)


def _paired_rounds(
    runs: dict[str, Scenario],
    reps: int,
    seed: int,
    goal: tuple[float, Sequence[str], int] | None,
    chunked: dict[str, Any],
    bar: Any,
) -> tuple[dict[str, Replications], list[int], bool]:
    """Replications 0 .. n-1 of every scenario (the base first): ``reps`` of them, or with
    a ``goal`` (precision, metrics, most replications) in rounds that double them until
    :data:`~sim.studies.precision.PAIRED_RULE` is met. Returns them by label, the
    replications each round was judged at, and whether the rule was met (True without one).
    """
    base, *whatifs = runs
    parts: dict[str, list[Replications]] = {name: [] for name in runs}
    judged: list[int] = []
    for first, n in rounds(reps, reps if goal is None else goal[2]):
        bar.total += (n - first) * len(runs)
        bar.refresh()
        for name, scenario in runs.items():
            parts[name].append(run_chunked(scenario, n - first, seed, first_rep=first, **chunked))
        paired = {name: Replications.joined(p) for name, p in parts.items()}
        log.info("compare: %d paired replications of %d scenarios", n, len(runs))
        if goal is None:
            return paired, judged, True
        precision, metrics, _ = goal
        if first == 0:
            for name in runs:
                refuse_undefined(paired[name], metrics, f" of {name}")
        judged.append(n)
        values = paired[base].metrics
        pairs = ((values[m], paired[w].metrics[m]) for w in whatifs for m in metrics)
        if paired_precise(pairs, precision):
            return paired, judged, True
    return paired, judged, False


def _finite(share: float) -> float | None:
    """A share for JSON: rounded to 6 decimals, None when infinite or undefined."""
    return round(share, 6) if math.isfinite(share) else None


def check_metrics(
    names: Sequence[str], base: Scenario, whatifs: Sequence[Scenario], every: bool
) -> None:
    """Refuse a ``--metric`` that is not a metric of the comparison, before anything runs:
    one of the base and of every what-if (``every``: a precision judges each what-if on it)
    or of at least one (a metric shown).

    Raises
    ------
    ScenarioError
        Naming ``--metric``, the metric and the metrics known.
    """
    have = [set(metric_names(base)) & set(metric_names(w)) for w in whatifs]
    known = set.intersection(*have) if every else set.union(*have)
    for name in names:
        if name not in known:
            raise ScenarioError(
                "--metric",
                name,
                f"not a metric of this comparison; known: {', '.join(sorted(known))}",
            )


def _flatten(paired: dict[str, Replications]) -> dict[str, np.ndarray]:
    """Metrics and series of each scenario, as ``label/metrics/name`` arrays."""
    return {key: v for label, r in paired.items() for key, v in r.arrays(label).items()}


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
