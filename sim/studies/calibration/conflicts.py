"""Which targets conflict: each target is left out of the distance in turn.

Leaving a target out is a new rejection step on the same draws (no simulation): the draws
closest to the other figures, as many as the fit keeps. What they give for the target left
out is what the other figures predict for it. If its reported value lies outside that 90%
interval, the others and it cannot both hold in the model; the other target whose squared
distance falls most when it is left out is the one it pulls against hardest.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sim.studies.calibration.record import CalibrationRecord
from sim.studies.calibration.summary import quantiles


class Conflict(NamedTuple):
    """One target left out of the fit.

    Attributes
    ----------
    metric : str
    predicted : tuple of float
        5th, 50th and 95th percentiles of the target over the draws accepted without it.
    agrees : bool
        Whether its reported value lies inside that interval.
    others_with, others_without : float
        The other targets' mean squared distance (sum of squared z over them, averaged over
        the accepted draws), in the fit with this target and in the fit without it.
    eased : str
        The other target whose mean squared z falls most without this one ("" if none falls).
    eased_from, eased_to : float
        That target's mean squared z with and without this one.
    """

    metric: str
    predicted: tuple[float, float, float]
    agrees: bool
    others_with: float
    others_without: float
    eased: str
    eased_from: float
    eased_to: float


def conflicts(calibration: CalibrationRecord) -> list[Conflict]:
    """Each target left out of the distance in turn, in the targets file's order."""
    targets = calibration.targets.targets
    value = np.array([t.value for t in targets])
    sigma = np.array([t.sigma for t in targets])
    z2 = ((calibration.simulated - value) / sigma) ** 2  # (draws, targets); nan: undefined
    kept = len(calibration.fit.accepted)
    main = z2[calibration.fit.accepted]
    rows = []
    for j, t in enumerate(targets):
        others = np.flatnonzero(np.arange(len(targets)) != j)
        d = np.sqrt(z2[:, others].sum(axis=1))
        accepted = np.argsort(np.where(np.isnan(d), np.inf, d), kind="stable")[:kept]
        before = np.nanmean(main[:, others], axis=0)  # each other target's mean squared z
        after = np.nanmean(z2[accepted][:, others], axis=0)
        eased = int(np.argmax(before - after)) if len(others) else -1
        if eased >= 0 and not before[eased] > after[eased]:
            eased = -1  # no other target is met better without this one
        predicted = quantiles(calibration.simulated[accepted, j])
        rows.append(
            Conflict(
                t.metric,
                predicted,
                bool(predicted[0] <= t.value <= predicted[2]),
                float(before.sum()),
                float(after.sum()),
                targets[others[eased]].metric if eased >= 0 else "",
                float(before[eased]) if eased >= 0 else np.nan,
                float(after[eased]) if eased >= 0 else np.nan,
            )
        )
    return rows
