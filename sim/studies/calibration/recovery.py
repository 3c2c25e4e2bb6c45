"""Parameter recovery: calibrate against figures the model itself produced.

If the model is run at known parameter values and its figures are handed to
:func:`~sim.studies.calibration.calibrate` as if they had been reported, the known values should
lie inside the posterior's 90% intervals. ``tests/test_calibrate.py`` checks this on a
small configuration, ``bench/calibrate_check.py`` (``make calibrate-check``) on a larger one.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from sim.outputs.metrics import percentiles
from sim.studies.calibration.abc import Calibration, target_metrics
from sim.studies.calibration.targets import Targets
from sim.studies.runner import run_chunked


def synthetic_targets(targets: Targets, truth: dict[str, float], reps: int, seed: int) -> Targets:
    """``targets`` with the model's figures at ``truth`` as the reported values.

    Only the parameters named in ``truth`` stay free; each reported value becomes the mean
    of its metric over ``reps`` replications (numbers from ``seed``, not the calibration's),
    with its range collapsed onto it. Every ``sigma`` is kept.
    """
    unknown = set(truth) - {p.path for p in targets.priors}
    if unknown:
        raise ValueError(f"not free parameters of the targets file: {', '.join(sorted(unknown))}")
    scenario = targets.scenario
    parameters = {path: np.full(reps, value) for path, value in truth.items()}
    run = run_chunked(scenario, reps, seed, parameters=parameters)
    means = np.nanmean(target_metrics(targets, run.metrics), axis=0)
    reported = tuple(
        replace(t, value=float(m), low=float(m), high=float(m), source="synthetic", sensitivity=())
        for t, m in zip(targets.targets, means, strict=True)
    )
    priors = tuple(p for p in targets.priors if p.path in truth)
    return replace(targets, targets=reported, priors=priors)


def covered(calibration: Calibration, truth: dict[str, float]) -> dict[str, bool]:
    """Whether each known value lies inside its posterior 90% interval (bounds included)."""
    low, high = percentiles(calibration.posterior, [5, 95], axis=0)
    return {
        p.path: bool(low[i] <= truth[p.path] <= high[i])
        for i, p in enumerate(calibration.targets.priors)
    }
