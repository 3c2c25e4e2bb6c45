"""Sobol sensitivity indices of a Saltelli sweep, estimated by SALib.

Each metric's mean over a point's replications is the model output at that point; SALib's
estimators give first-order (S1: the share of the output's variance due to one input alone)
and total-order (ST: including all its interactions) indices with 95% bootstrap intervals.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sim.studies.sweeps.design import salib_problem
from sim.studies.sweeps.spec import SweepSpec

#: Bootstrap resamples for the confidence intervals of the indices.
RESAMPLES = 200


class SobolIndex(NamedTuple):
    """First- and total-order Sobol indices of one input for one metric (fractions)."""

    metric: str
    parameter: str
    s1: float
    s1_conf: float
    st: float
    st_conf: float


def sobol_indices(spec: SweepSpec, means: dict[str, np.ndarray]) -> list[SobolIndex]:
    """Indices of every metric that is defined at every point.

    Parameters
    ----------
    spec : SweepSpec
        A ``saltelli`` design.
    means : dict of str to ndarray
        Each metric's mean per point, in design order.
    """
    from SALib.analyze import sobol

    problem = salib_problem(spec)
    rows = []
    for metric, y in means.items():
        if np.isnan(y).any() or np.ptp(y) == 0:
            continue  # undefined somewhere, or no variance to apportion
        found = sobol.analyze(
            problem, y, calc_second_order=False, num_resamples=RESAMPLES, seed=spec.seed
        )
        for j, name in enumerate(problem["names"]):
            rows.append(
                SobolIndex(
                    metric,
                    name,
                    float(found["S1"][j]),
                    float(found["S1_conf"][j]),
                    float(found["ST"][j]),
                    float(found["ST_conf"][j]),
                )
            )
    return rows
