"""Approximate Bayesian computation on the batch engine, refined by differential evolution.

1. **Prior draws.** A scrambled Sobol' sequence (:class:`scipy.stats.qmc.Sobol`) covers the
   box of the free parameters evenly; each point goes through the priors' inverse CDFs.
2. **Simulation.** One batch-engine run evaluates every draw, one replication each, with
   its own replication number (its own random numbers): like the reported history, each
   draw is one realisation of the operation.
3. **Rejection.** The distance of a draw is
   ``sqrt(sum(((simulated - reported) / sigma) ** 2))`` over the targets, so each reported
   figure counts according to its stated uncertainty; the closest ``accept`` share of the
   draws is the posterior sample.
4. **Refinement.** :func:`scipy.optimize.differential_evolution` searches the posterior's
   90% box for the single point whose replications are, on average, closest to the reported
   figures: the mean squared distance over ``refine_reps`` replications (the same
   replication numbers for every candidate: common random numbers). A point whose runs
   scatter widely around the figures scores worse than one whose runs sit on them. That
   point is the value a scenario file takes.
5. **Sensitivity.** The simulations do not depend on the reported values, so refitting with
   a disputed value (8,000 instead of 9,000) is a new rejection step on the same draws.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from concurrent.futures import Executor
from pathlib import Path

import numpy as np
from scipy.optimize import differential_evolution
from scipy.stats import qmc

from sim.outputs.metrics import percentiles
from sim.outputs.records import Replications
from sim.studies.budget import check_memory, run_bytes
from sim.studies.calibration.record import CalibrationRecord, Refit
from sim.studies.calibration.report import default_folder, write_calibration
from sim.studies.calibration.targets import Targets, load_targets
from sim.studies.runner import run_chunked
from sim.views.progress import progress_bar

log = logging.getLogger(__name__)

#: Differential evolution: candidates per free parameter and generations. Each candidate
#: costs ``refine_reps`` replications, so a generation is a single batch.
POPSIZE, GENERATIONS = 6, 15
#: Objective of a candidate with undefined metrics in some replication (fewer than two
#: convoys): worse than any candidate that produces the figures, yet finite, as the
#: optimiser's convergence test needs.
UNDEFINED = 1e9


class Calibration(CalibrationRecord):
    """The outcome of :func:`calibrate`, and its folder."""

    def save(self, folder: str | Path | None = None) -> Path:
        """Write the calibration folder (default ``results/calibration/<id>``); return it."""
        target = Path(folder) if folder is not None else default_folder(self)
        return write_calibration(self, target)


def calibrate(
    targets: Targets | str | Path,
    draws: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    refine: bool = True,
    executor: Executor | None = None,
    progress: bool = False,
) -> Calibration:
    """Fit the free parameters of ``targets.scenario`` to the reported figures.

    Parameters
    ----------
    targets : Targets, str or Path
        From :func:`sim.studies.calibration.load_targets`, or a targets file or bundled name.
    draws : int, optional
        Prior draws (default: the file's), rounded up to a power of two, the sizes at
        which a Sobol' sequence is balanced.
    seed : int, optional
        Seeds the Sobol' scrambling, the simulations and the refinement (default: the
        file's). The same inputs give the same posterior, bit for bit.
    workers : int, optional
        Processes for the batch engine (default: every core).
    refine : bool
        Whether to run the refinement; without it ``best`` is the posterior median.
    executor : concurrent.futures.Executor, optional
        Runs the batch engine's chunks, e.g. a Dask client's ``client.get_executor()``
        (see :func:`sim.studies.runner.run_chunked`); the same posterior whatever runs them.
    progress : bool
        Show a bar of the prior draws' replications and one of the refinement's generations,
        with the time left (on standard error when it is a terminal, or in a notebook).

    Returns
    -------
    Calibration
    """
    if not isinstance(targets, Targets):
        targets = load_targets(targets)
    draws = targets.draws if draws is None else draws
    seed = targets.seed if seed is None else seed
    timings = {}
    most = 2 * draws  # rounded up to a power of two
    check_memory(run_bytes(targets.scenario, most), f"{most:,} draws", "--draws", "")
    began = time.perf_counter()
    values = prior_draws(targets, draws, seed)
    n = len(values)
    with progress_bar(progress, total=n, desc="prior draws") as bar:
        run = run_chunked(
            targets.scenario,
            n,
            seed,
            workers,
            _parameters(targets, values),
            rep_ids=np.arange(n),
            executor=executor,
            done=bar.update,
        )
    simulated = target_metrics(targets, run.metrics)
    timings["simulation"] = time.perf_counter() - began
    log.info("calibrate: %d prior draws simulated in %.1f s", n, timings["simulation"])
    distance = distances(targets, simulated)
    fit = _refit(targets, distance, "", math.nan)
    sensitivity = []
    for t in targets.targets:
        for value in t.sensitivity:
            disputed = targets.with_value(t.metric, value)
            sensitivity.append(_refit(disputed, distances(disputed, simulated), t.metric, value))
    kept = fit.accepted
    series = Replications(
        {k: v[kept] for k, v in run.metrics.items()}, {k: v[kept] for k, v in run.series.items()}
    )
    del run
    posterior = values[kept]
    began = time.perf_counter()
    if refine:
        point = refinement(
            targets, posterior, seed, workers, first_rep=n, executor=executor, progress=progress
        )
    else:
        point = percentiles(posterior, 50, axis=0)  # the posterior median the report gives
    timings["refinement"] = time.perf_counter() - began
    log.info("calibrate: refinement took %.1f s", timings["refinement"])
    best = {p.path: _rounded(x, p.integer) for p, x in zip(targets.priors, point, strict=True)}
    scenario = targets.scenario
    constant = {k: np.full(scenario.reps, v) for k, v in best.items()}
    best_run = run_chunked(
        scenario, scenario.reps, scenario.seed, workers, constant, executor=executor
    )
    return Calibration(
        targets,
        seed,
        values,
        simulated,
        distance,
        fit,
        sensitivity,
        series,
        best,
        best_run,
        timings,
    )


def prior_draws(targets: Targets, draws: int, seed: int) -> np.ndarray:
    """Quasi-random draws from the priors, shape (2**ceil(log2(draws)), parameters)."""
    sobol = qmc.Sobol(len(targets.priors), scramble=True, seed=seed)
    u = sobol.random_base2(max(1, math.ceil(math.log2(draws))))
    return np.column_stack([p.transform(u[:, i]) for i, p in enumerate(targets.priors)])


def target_metrics(targets: Targets, metrics: Mapping[str, np.ndarray]) -> np.ndarray:
    """The targets' metrics, shape (replications, targets)."""
    return np.column_stack([t.simulated(metrics) for t in targets.targets])


def distances(targets: Targets, simulated: np.ndarray) -> np.ndarray:
    """Distance of each replication to the reported figures, ``inf`` where undefined."""
    value = np.array([t.value for t in targets.targets])
    sigma = np.array([t.sigma for t in targets.targets])
    d = np.sqrt((((simulated - value) / sigma) ** 2).sum(axis=1))
    return np.where(np.isnan(d), np.inf, d)


def refinement(
    targets: Targets,
    posterior: np.ndarray,
    seed: int,
    workers: int | None,
    first_rep: int,
    executor: Executor | None = None,
    progress: bool = False,
) -> np.ndarray:
    """The point of the posterior's 90% box with the least mean squared distance.

    Each candidate runs the same ``targets.refine_reps`` replication numbers from
    ``first_rep`` on, so candidates differ by their parameters only and the objective is a
    deterministic function. The search starts from the closest posterior draws.

    Parameters
    ----------
    targets : Targets
    posterior : ndarray, shape (accepted, parameters)
        The accepted draws, closest first.
    seed : int
    workers : int, optional
    first_rep : int
        First replication number: past the prior draws' (and the scenario's own runs'), so
        the point is not fitted to the random numbers it is later checked with.
    executor : concurrent.futures.Executor, optional
    progress : bool
        Show a bar of the generations evaluated (the search may stop before the last).
    """
    priors, reps = targets.priors, targets.refine_reps
    low, high = np.percentile(posterior, [5, 95], axis=0)
    integer = np.array([p.integer for p in priors])
    for i, p in enumerate(priors):
        if integer[i]:  # at least two whole numbers, within the prior
            low[i], high[i] = math.floor(low[i]), math.ceil(high[i])
            if high[i] == low[i]:
                low[i], high[i] = (
                    (low[i] - 1, high[i]) if high[i] == p.high else (low[i], high[i] + 1)
                )
        elif high[i] <= low[i]:
            high[i] = low[i] + 1e-9 * max(1.0, abs(low[i]))

    def objective(x: np.ndarray) -> np.ndarray:  # x: (parameters, candidates)
        n = x.shape[1]
        parameters = {p.path: np.repeat(x[i], reps) for i, p in enumerate(priors)}
        rep_ids = np.tile(first_rep + np.arange(reps), n)
        run = run_chunked(
            targets.scenario, n * reps, seed, workers, parameters, rep_ids=rep_ids,
            executor=executor,
        )  # fmt: skip
        d = distances(targets, target_metrics(targets, run.metrics)).reshape(n, reps)
        score = (d**2).mean(axis=1)
        bar.update()
        return np.where(np.isfinite(score), score, UNDEFINED)

    size = max(5, POPSIZE * len(priors))
    start = np.clip(posterior[:size], low, high)
    # the first population, then at most GENERATIONS generations: one objective call each
    with progress_bar(progress, total=GENERATIONS + 1, unit="generation", desc="refine") as bar:
        result = differential_evolution(
            objective,
            list(zip(low, high, strict=True)),
            init=start if len(start) == size else "latinhypercube",
            maxiter=GENERATIONS,
            seed=seed,
            integrality=integer,
            polish=False,
            vectorized=True,
            updating="deferred",
        )
    return result.x


def _refit(targets: Targets, distance: np.ndarray, metric: str, value: float) -> Refit:
    keep = max(1, round(targets.accept * len(distance)))
    accepted = np.argsort(distance, kind="stable")[:keep]
    return Refit(metric, value, accepted, float(distance[accepted[-1]]))


def _parameters(targets: Targets, values: np.ndarray) -> dict[str, np.ndarray]:
    return {p.path: values[:, i] for i, p in enumerate(targets.priors)}


def _rounded(x: float, integer: bool) -> float:
    """A value as a scenario file states it: whole, or three significant figures."""
    if integer:
        return float(round(x))
    return float(f"{x:.3g}")
