"""Summaries of per-replication metrics: mean with a 95% confidence interval, quantiles.

Metrics that are undefined in some replications (a clearance time when the enclave was not
cleared, a wait for a group nobody evacuated) are NaN there; a summary is taken over the
replications where the metric is defined, and ``n`` says how many those were.

Every percentile and median the project reports (``summary.csv``, ``timeseries.csv``, the
fan charts, the page, the calibration's intervals, the documents' tables) is taken by
:func:`percentiles`: a replication's own value, never an interpolation between two.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Final, NamedTuple

import numpy as np

from sim.outputs.packed import Packed

#: numpy's name for the one percentile rule (Hyndman and Fan's definition 1, the inverse of
#: the empirical distribution function): the q-th percentile of n values is the smallest
#: value that at least q% of them do not exceed, the ceil(q n / 100)-th smallest (the
#: smallest for q = 0). So a percentile of counts is a count (9 or 10 convoys, never 10.05),
#: every band bound is an outcome some replication had, the median of an even number of
#: values is the lower middle one, and a cumulative series' band at the last hour is the
#: band of its end-of-run metric.
PERCENTILE_METHOD: Final = "inverted_cdf"


def percentiles(
    values: np.ndarray, q: float | Sequence[float], axis: int | None = None
) -> np.ndarray:
    """The ``q``-th percentiles (0-100) of ``values`` by the project's one rule
    (:data:`PERCENTILE_METHOD`): for each q, the smallest value that at least q% of the
    values do not exceed.

    Parameters
    ----------
    values : array_like
        The values, in their own unit (no NaN: leave out undefined replications first).
    q : float or sequence of float
        Percentiles, 0-100.
    axis : int, optional
        The axis across which to take them (replications); ``None`` flattens.

    Returns
    -------
    ndarray
        Shape of ``q`` followed by the shape of ``values`` without ``axis``, in the unit of
        ``values``, as floats.
    """
    # a value of the input, so of its dtype: floats, as every summary is
    return np.asarray(np.percentile(values, q, axis=axis, method=PERCENTILE_METHOD), dtype=float)


class Summary(NamedTuple):
    """Summary of one metric over replications (in the metric's unit).

    ``ci_low`` and ``ci_high`` bound a 95% confidence interval for the mean (Student t);
    ``median``, ``p5`` and ``p95`` are percentiles of the replications themselves
    (:func:`percentiles`).
    """

    metric: str
    n: int
    mean: float
    ci_low: float
    ci_high: float
    median: float
    p5: float
    p95: float


def summarise(metric: str, values: np.ndarray) -> Summary:
    """Summarise one metric's values across replications (NaN where undefined); its median
    and percentiles are replications' values (:func:`percentiles`)."""
    values = np.asarray(values, dtype=float)
    defined = values[~np.isnan(values)]
    n = len(defined)
    if n == 0:
        return Summary(metric, 0, *[math.nan] * 6)
    mean = float(defined.mean())
    spread = defined.std(ddof=1) / math.sqrt(n) if n > 1 else math.nan
    half = t975(max(n - 1, 1)) * spread
    p5, median, p95 = percentiles(defined, [5, 50, 95])
    low, high = float(mean - half), float(mean + half)
    return Summary(metric, n, mean, low, high, float(median), float(p5), float(p95))


def t975(dof: float) -> float:
    """The 97.5th percentile of Student's t with ``dof`` degrees of freedom: the factor of
    the standard error in a two-sided 95% confidence interval. ``scipy.stats.t.ppf`` 's
    bits (it calls this same function), through ``scipy.special``, imported on first use:
    a third of the cost of importing ``scipy.stats``, which a run need not pay."""
    from scipy.special import stdtrit

    return float(stdtrit(dof, 0.975))


def summarise_all(metrics: Mapping[str, np.ndarray]) -> list[Summary]:
    """Summaries of every metric, in the order given."""
    return [summarise(name, values) for name, values in metrics.items()]


def hourly_percentiles(series: np.ndarray, q: Sequence[float]) -> np.ndarray:
    """Percentiles ``q`` (0-100) across replications of an (R, H) hourly series, shape
    (len(q), H): ``percentiles(series, q, axis=0)`` to the bit, taken hour by hour so
    that the float copy numpy sorts is one hour's (8 bytes a replication), not the whole
    series' (for a million replications, 8 MB instead of 400)."""
    columns = [percentiles(series[:, h], q) for h in range(series.shape[1])]
    return np.stack(columns, axis=1) if columns else np.empty((len(q), 0))


class HourlyStats:
    """Hour by hour across replications, each hourly series' mean, sum and percentiles
    (``QUANTILES``), taken once a series on first use: the tables and figures of a run read
    a series once, however many of them show it.

    Each value is the bits numpy gives on the whole (R, H) series (``mean(axis=0)``,
    ``percentiles(axis=0)``), so the tables do not depend on how it was held.

    Parameters
    ----------
    series : mapping of str to ndarray
        Each (R, H) hourly series of whole numbers, by name (a run's replications).
    """

    #: The percentiles kept (0-100): the 90% and 50% bands and the median.
    QUANTILES = (5, 25, 50, 75, 95)
    #: Rows transposed at a time when a series is one array.
    BLOCK = 8_192

    def __init__(self, series: Mapping[str, np.ndarray]):
        self.series = series
        self._stats: dict[str, tuple[np.ndarray, ...]] = {}

    def _of(self, name: str) -> tuple[np.ndarray, ...]:
        if name not in self._stats:
            hours = self._by_hour(name)
            sums = hours.sum(axis=1, dtype=np.int64)  # exact, so the mean is numpy's
            self._stats[name] = (
                sums / hours.shape[1],
                sums,
                np.stack([percentiles(h, self.QUANTILES) for h in hours], axis=1),
                hours[:, 0].copy(),
                hours.max(axis=1),
            )
        return self._stats[name]

    def _by_hour(self, name: str) -> np.ndarray:
        """The series as (H, R), each hour's values side by side: transposed block by block
        (blocks that fit in the cache), which is several times cheaper than reading one
        hour at a time across a million rows."""
        series = self.series
        if isinstance(series, Packed):
            reps, blocks = series.length, (b.array() for b in series.blocks[name])
        else:
            values = series[name]
            reps = len(values)
            blocks = (values[a : a + self.BLOCK] for a in range(0, reps, self.BLOCK))
        first = next(blocks)
        hours = np.empty((first.shape[1], reps), first.dtype)
        done = 0
        for block in itertools.chain([first], blocks):
            hours[:, done : done + len(block)] = block.T
            done += len(block)
        return hours

    def mean(self, name: str) -> np.ndarray:
        """Mean of each hour, shape (H,)."""
        return self._of(name)[0]

    def sums(self, name: str) -> np.ndarray:
        """Sum of each hour, exact (int64), shape (H,)."""
        return self._of(name)[1]

    def percentiles(self, name: str, q: Sequence[float]) -> np.ndarray:
        """Percentiles ``q`` (some of ``QUANTILES``) of each hour, shape (len(q), H)."""
        kept = self._of(name)[2]
        return kept[[self.QUANTILES.index(x) for x in q]]

    def first(self, name: str) -> np.ndarray:
        """Replication 0's series, shape (H,)."""
        return self._of(name)[3]

    def highest(self, name: str) -> np.ndarray:
        """Highest value of each hour over the replications, shape (H,)."""
        return self._of(name)[4]
