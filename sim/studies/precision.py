"""Replications to a precision: the stopping rule of ``--precision`` (``RULE``), for a run
(``evacsim run``) and for each point of a sweep."""

from __future__ import annotations

import numpy as np

from sim.outputs.metrics import summarise

#: The rule, as the manifest and the documentation state it.
RULE = """A run (or a sweep point) is precise enough when, for every requested metric, the
half-width of the 95% confidence interval of its mean (Student t, over the replications where
the metric is defined) is at most ``precision`` times the absolute mean. A metric whose mean
is 0 meets the rule only if its half-width is 0 too (every replication gave 0); a metric
defined in fewer than two replications never meets it. A run or point that misses the rule
doubles its replications (replications n .. 2n - 1 are added) in rounds until it meets it
or reaches ``max_reps``."""


def half_width(values: np.ndarray) -> tuple[float, float]:
    """Mean and 95% CI half-width of one metric at one point (NaN if undefined)."""
    s = summarise("", values)
    return s.mean, (s.ci_high - s.ci_low) / 2


def precise(values: dict[str, np.ndarray], precision: float) -> bool:
    """Whether every metric's 95% CI half-width is within ``precision`` of its mean."""
    for metric in values.values():
        mean, half = half_width(metric)
        if np.isnan(half) or half > precision * abs(mean):
            return False
    return True


def next_round(
    requests: list[tuple[int, int, int]],
    values: dict[str, list[np.ndarray]],
    precision: float,
    cap: int,
) -> list[tuple[int, int, int]]:
    """The replications to add after a round: ``(point, first, stop)`` for every point of
    the round that misses the rule and has fewer than ``cap`` replications, doubling them.

    Parameters
    ----------
    requests : list of (point, first, stop)
        The round just run: replications ``first .. stop - 1`` of each point.
    values : dict of str to list of ndarray
        Each metric's values per point so far.
    precision : float
    cap : int
        Most replications per point.
    """
    return [
        (p, stop, min(2 * stop, cap))
        for p, _, stop in requests
        if stop < cap and not precise({m: v[p] for m, v in values.items()}, precision)
    ]
