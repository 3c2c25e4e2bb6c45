"""Paired estimates of a what-if's effect under common random numbers.

Replication r of a what-if meets the same variates as replication r of its base wherever
the two scenarios agree, so the differences ``whatif[r] - base[r]`` vary far less than the
scenarios do. This module turns a metric's replications into that paired estimate with its
95% Student t interval and, from the what-if's independent replications n .. 2n-1, the
independent estimate beside it: how much pairing gained is measured, not assumed. Used by
``evacsim compare``, the optimiser and the what-if page alike, so they give the same numbers.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from sim.outputs.metrics import t975
from sim.outputs.results import csv_text, number

#: Metrics drawn in the figure and shown in the terminal (all are in differences.csv).
HEADLINE = (
    "evacuated",
    "convoys",
    "clearance_time",
    "suspended_hours",
    "wait_person_hours",
    "held_person_hours",
    "cold_person_hours",
    "peak_queue",
)


class Difference(NamedTuple):
    """The effect of a what-if on one metric (in the metric's unit).

    ``difference`` is the mean of the paired differences ``whatif[r] - base[r]`` over the
    ``pairs`` replications where both are defined, with a 95% Student t interval
    (``ci_low``, ``ci_high``). ``independent_*`` estimate the same difference from the
    what-if's independent replications n .. 2n-1 (Welch interval).
    ``variance_reduction`` is the variance of the independent estimate over that of the
    paired one: how many times more replications independent sampling would need for the
    same precision (inf when every paired difference is the same; NaN when both are).
    """

    whatif: str
    metric: str
    pairs: int
    base_mean: float
    whatif_mean: float
    difference: float
    ci_low: float
    ci_high: float
    independent_difference: float
    independent_ci_low: float
    independent_ci_high: float
    variance_reduction: float


class Paired(NamedTuple):
    """The paired estimate of ``mean(whatif) - mean(base)`` for one metric.

    ``difference`` is the mean of ``whatif[r] - base[r]`` over the ``pairs`` replications
    where both are defined, with its 95% Student t interval (``ci_low``, ``ci_high``);
    ``variance`` is the variance of that mean (NaN with fewer than two pairs).
    """

    pairs: int
    base_mean: float
    whatif_mean: float
    difference: float
    ci_low: float
    ci_high: float
    variance: float


def paired_difference(base: np.ndarray, same: np.ndarray) -> Paired:
    """The paired estimate from replications 0 .. n-1 of the base and the what-if.

    Parameters
    ----------
    base, same : ndarray
        The metric in the same replications of the base and of the what-if (NaN where
        undefined).
    """
    both = ~np.isnan(base) & ~np.isnan(same)
    d = same[both] - base[both]
    pairs = len(d)
    mean = float(d.mean()) if pairs else math.nan
    variance = float(d.var(ddof=1)) / pairs if pairs > 1 else math.nan
    half = t975(pairs - 1) * math.sqrt(variance) if pairs > 1 else math.nan
    return Paired(
        pairs,
        float(base[both].mean()) if pairs else math.nan,
        float(same[both].mean()) if pairs else math.nan,
        mean,
        mean - half,
        mean + half,
        variance,
    )


def difference(
    whatif: str, metric: str, base: np.ndarray, same: np.ndarray, independent: np.ndarray
) -> Difference:
    """Paired and independent estimates of ``mean(whatif) - mean(base)`` for one metric.

    Parameters
    ----------
    base, same : ndarray
        The metric in replications 0 .. n-1 of the base and of the what-if (NaN where
        undefined); pairs are the replications where both are defined.
    independent : ndarray
        The metric in the what-if's replications n .. 2n-1.
    """
    p = paired_difference(base, same)
    paired_var = p.variance

    b, w = base[~np.isnan(base)], independent[~np.isnan(independent)]
    if len(b) > 1 and len(w) > 1:
        vb, vw = b.var(ddof=1) / len(b), w.var(ddof=1) / len(w)
        independent_var = float(vb + vw)
        if independent_var > 0:  # Welch-Satterthwaite degrees of freedom
            dof = independent_var**2 / (vb**2 / (len(b) - 1) + vw**2 / (len(w) - 1))
        else:
            dof = len(b) + len(w) - 2
        ind_mean = float(w.mean() - b.mean())
        ind_half = t975(dof) * math.sqrt(independent_var)
    else:
        independent_var = ind_mean = ind_half = math.nan
    if paired_var > 0:
        reduction = independent_var / paired_var
    elif paired_var == 0 and independent_var > 0:
        reduction = math.inf
    else:
        reduction = math.nan
    return Difference(
        whatif,
        metric,
        p.pairs,
        p.base_mean,
        p.whatif_mean,
        p.difference,
        p.ci_low,
        p.ci_high,
        ind_mean,
        ind_mean - ind_half,
        ind_mean + ind_half,
        reduction,
    )


def differences_csv(differences: list[Difference]) -> str:
    """One row per what-if and metric."""
    rows = ([d.whatif, d.metric, d.pairs, *map(number, d[3:])] for d in differences)
    return csv_text(list(Difference._fields), rows)
