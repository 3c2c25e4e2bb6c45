"""What a calibration found, as numbers: the fitted parameters, the predictive check of each
target and the sensitivity of the fit to disputed figures."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from sim.outputs.metrics import percentiles
from sim.studies.calibration.record import QUANTILES, CalibrationRecord, Refit
from sim.studies.calibration.targets import Prior, Target
from sim.views.wording import metric_unit


class Fitted(NamedTuple):
    """One free parameter after calibration (in its scenario unit).

    ``p5``, ``median``, ``p95`` summarise the posterior draws; ``shrinkage`` is the width of
    their 90% interval over the prior's (near 1: the figures say little about it); ``best``
    is the refined point a scenario file takes.
    """

    prior: Prior
    p5: float
    median: float
    p95: float
    shrinkage: float
    best: float


class TargetCheck(NamedTuple):
    """One target against the model: 5th, 50th and 95th percentiles of the metric over the
    posterior draws and over the best fit's replications, and the best fit's mean."""

    metric: str
    unit: str
    value: float
    low: float
    high: float
    source: str
    posterior: tuple[float, float, float]
    best: tuple[float, float, float]
    best_mean: float

    @property
    def met(self) -> bool:
        """Whether the reported value lies inside the posterior draws' 90% interval."""
        return self.posterior[0] <= self.value <= self.posterior[2]


#: Fewest accepted draws whose 90% interval is more than the extreme draws: with fewer than
#: 1 / 0.05 = 20, no draw lies beyond the 5th or the 95th percentile.
FEW_ACCEPTED = 20


def thin_posterior(calibration: CalibrationRecord) -> str | None:
    """One line on a posterior of fewer than :data:`FEW_ACCEPTED` accepted draws, saying
    what to do; None if it rests on enough."""
    kept, draws = len(calibration.fit.accepted), len(calibration.values)
    if kept >= FEW_ACCEPTED:
        return None
    accept = calibration.targets.accept
    return (
        f"the posterior rests on {kept:,} accepted draw{'' if kept == 1 else 's'} of "
        f"{draws:,}, too few for its medians and 90% intervals (fewer than {FEW_ACCEPTED}): "
        f"ask for at least {math.ceil(FEW_ACCEPTED / accept):,} draws, or accept a larger "
        f"share of them (accept = {accept:g} in {calibration.targets.path})"
    )


def fitted(calibration: CalibrationRecord, refit: Refit | None = None) -> list[Fitted]:
    """The parameters' posterior summaries for ``refit`` (default: the main fit)."""
    refit = calibration.fit if refit is None else refit
    post = calibration.values[refit.accepted]
    rows = []
    for i, p in enumerate(calibration.targets.priors):
        p5, median, p95 = percentiles(post[:, i], QUANTILES)
        prior_p5, prior_p95 = percentiles(calibration.values[:, i], [5, 95])
        width = prior_p95 - prior_p5
        shrinkage = (p95 - p5) / width if width > 0 else np.nan
        rows.append(Fitted(p, p5, median, p95, float(shrinkage), calibration.best[p.path]))
    return rows


def predictive_checks(calibration: CalibrationRecord) -> list[TargetCheck]:
    """Each target's reported value and range against the model's 90% intervals."""
    targets = calibration.targets
    posterior = calibration.simulated[calibration.fit.accepted]
    checks = []
    for j, t in enumerate(targets.targets):
        best = t.simulated(calibration.best_run.metrics)
        checks.append(
            TargetCheck(
                t.metric,
                unit(t),
                t.value,
                t.low,
                t.high,
                t.source,
                quantiles(posterior[:, j]),
                quantiles(best),
                float(np.nanmean(best)),
            )
        )
    return checks


class MilestoneBand(NamedTuple):
    """People evacuated by a clock-time milestone: 5th, 50th and 95th percentiles and the
    mean over the posterior draws and over the best fit's replications (the posterior
    predictive curve)."""

    name: str
    at: float
    posterior: tuple[float, float, float]
    best: tuple[float, float, float]
    posterior_mean: float
    best_mean: float


def milestone_bands(calibration: CalibrationRecord) -> list[MilestoneBand]:
    """The cumulative evacuated at each of the scenario's clock-time milestones, in time
    order; a milestone counted by convoys has no fixed time and is left out."""
    scenario = calibration.targets.scenario
    timed = sorted(((m.at, m) for m in scenario.milestones if m.at is not None), key=lambda p: p[0])
    posterior, best = calibration.series.metrics, calibration.best_run.metrics
    bands = []
    for at, m in timed:
        drawn, fitted_run = posterior[f"evacuated_by_{m.name}"], best[f"evacuated_by_{m.name}"]
        bands.append(
            MilestoneBand(
                m.name,
                at,
                quantiles(drawn),
                quantiles(fitted_run),
                float(np.nanmean(drawn)),
                float(np.nanmean(fitted_run)),
            )
        )
    return bands


def unit(target: Target) -> str:
    """The unit of a target's metric (of the metrics it sums), as a report writes it."""
    return metric_unit(target.parts[0] if target.parts else target.metric)


def is_moment(metric: str) -> bool:
    """Whether a metric is a moment (hours from the scenario start), shown as a clock time."""
    return metric in ("first_departure", "last_departure", "clearance_time") or metric.startswith(
        "time_of_"
    )


def sensitivity_rows(calibration: CalibrationRecord) -> list[tuple[str, float, list[Fitted]]]:
    """``(metric, value, fitted)`` for the file's values, then for each disputed value."""
    main = [("", np.nan, fitted(calibration))]
    return main + [(r.metric, r.value, fitted(calibration, r)) for r in calibration.sensitivity]


def quantiles(values: np.ndarray) -> tuple[float, float, float]:
    """5th, 50th and 95th percentiles of the defined values (nan if none is)."""
    values = values[~np.isnan(values)]
    if len(values) == 0:
        return (np.nan, np.nan, np.nan)
    p5, p50, p95 = percentiles(values, QUANTILES)
    return (float(p5), float(p50), float(p95))
