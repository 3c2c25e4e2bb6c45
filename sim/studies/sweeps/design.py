"""Sweep designs: the points at which a sweep runs the model.

``grid`` takes every combination of the axis values (the first axis varies slowest).
``lhs`` (Latin hypercube) and ``sobol`` (scrambled Sobol sequence) come from
:mod:`scipy.stats.qmc`; ``saltelli`` is SALib's sample for Sobol indices (first and total
order, no second order), N x (D + 2) points. Samplers are seeded with the sweep's seed, so a
sweep file always gives the same points. Inputs that count things (vehicles, seats) are
rounded to the nearest whole number after sampling.
"""

from __future__ import annotations

import itertools

import numpy as np

from sim.errors import ScenarioError
from sim.studies.sweeps.spec import SweepSpec


def design_points(spec: SweepSpec) -> list[dict[str, object]]:
    """The sweep's points, in order: one ``{key: value}`` per point.

    Raises
    ------
    ScenarioError
        For a Saltelli design when SALib is not installed.
    """
    keys = [a.key for a in spec.axes]
    if spec.method == "grid":
        return [
            dict(zip(keys, combo, strict=True))
            for combo in itertools.product(*(a.values for a in spec.axes))
        ]
    unit = unit_sample(spec)
    low = np.array([a.low for a in spec.axes])
    high = np.array([a.high for a in spec.axes])
    values = low + unit * (high - low)
    for j, axis in enumerate(spec.axes):
        if axis.integer:
            values[:, j] = np.rint(values[:, j])
    return [{k: float(v) for k, v in zip(keys, row, strict=True)} for row in values]


def unit_sample(spec: SweepSpec) -> np.ndarray:
    """Points in the unit hypercube, shape ``(points, axes)``."""
    d = len(spec.axes)
    if spec.method == "lhs":
        return qmc_sampler(spec, d).random(spec.points)
    if spec.method == "sobol":
        return qmc_sampler(spec, d).random_base2(int(np.log2(spec.points)))
    sample = saltelli_module(spec.path).sample
    return sample(
        salib_problem(spec, unit=True), spec.points, calc_second_order=False, seed=spec.seed
    )


def qmc_sampler(spec: SweepSpec, d: int):
    """The scipy.stats.qmc engine of a ``lhs`` or ``sobol`` design."""
    from scipy.stats import qmc

    engine = qmc.LatinHypercube if spec.method == "lhs" else qmc.Sobol
    return engine(d, rng=np.random.default_rng(spec.seed))


def salib_problem(spec: SweepSpec, unit: bool = False) -> dict:
    """The SALib problem of a Saltelli design (on the unit cube if ``unit``)."""
    bounds = [[0.0, 1.0] if unit else [a.low, a.high] for a in spec.axes]
    return {"num_vars": len(spec.axes), "names": [a.key for a in spec.axes], "bounds": bounds}


def saltelli_module(source: str):
    """SALib's Sobol sampler, or a clear error naming the extra that installs it."""
    try:
        from SALib.sample import sobol
    except ImportError:
        raise ScenarioError(
            source, "design.method", "saltelli needs SALib: pip install 'evacsim[sensitivity]'"
        ) from None
    return sobol
