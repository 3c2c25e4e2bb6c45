"""Summaries of per-replication metrics: mean with a 95% confidence interval, quantiles.

Metrics that are undefined in some replications (a clearance time when the enclave was not
cleared, a wait for a group nobody evacuated) are NaN there; a summary is taken over the
replications where the metric is defined, and ``n`` says how many those were.

Every percentile and median the project reports (``summary.csv``, ``timeseries.csv``, the
fan charts, the page, the calibration's intervals, the documents' tables) is taken by
:func:`percentiles`: a replication's own value, never an interpolation between two.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Final, NamedTuple, cast

import numpy as np

from sim.outputs.hourly_counts import HourlyCounts
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


def summarise(
    metric: str,
    values: np.ndarray,
    scratch: np.ndarray | None = None,
    ints: np.ndarray | None = None,
) -> Summary:
    """Summarise one metric's values across replications (NaN where undefined); its median
    and percentiles are replications' values (:func:`percentiles`).

    Parameters
    ----------
    metric : str
    values : array_like
        One value a replication, in the metric's unit; NaN where undefined.
    scratch : ndarray of float64, optional
        Working memory of at least ``len(values)`` floats, for the deviations and the
        selection: a run summarising many metrics reuses one, rather than taking fresh
        memory twice a metric (8 MB each for a million replications, and fresh pages are
        most of the cost).
    ints : ndarray of int, optional
        The same values as integers, when every one is (a count held as integers): their
        percentiles are counted from these.
    """
    values = np.asarray(values, dtype=float)
    undefined = np.isnan(values)
    defined = values[~undefined] if undefined.any() else values
    n = len(defined)
    if n == 0:
        return Summary(metric, 0, *[math.nan] * 6)
    mean = float(defined.mean())
    spread = _std(defined, scratch) / math.sqrt(n) if n > 1 else math.nan
    half = t975(max(n - 1, 1)) * spread
    p5, median, p95 = _order_statistics(defined, [5, 50, 95], scratch, ints)
    low, high = float(mean - half), float(mean + half)
    return Summary(metric, n, mean, low, high, float(median), float(p5), float(p95))


def _std(values: np.ndarray, scratch: np.ndarray | None) -> float:
    """``values.std(ddof=1)`` to the bit: numpy's own steps (the mean, the squared
    deviations summed, over n - 1, the root), the deviations written into ``scratch``."""
    if scratch is None:
        return float(values.std(ddof=1))
    n = len(values)
    deviations = np.subtract(values, np.add.reduce(values) / n, out=scratch[:n])
    np.multiply(deviations, deviations, out=deviations)
    return float(np.sqrt(np.add.reduce(deviations) / (n - 1)))


#: Fewest values for which :func:`_order_statistics` counts or selects rather than asking
#: numpy: below it numpy's own percentile costs next to nothing.
MANY = 4_096
#: Most bins of a histogram of whole numbers (8 bytes each) before selecting instead.
MOST_BINS = 1 << 22


@functools.lru_cache(maxsize=64)
def ranks(n: int, q: tuple[float, ...]) -> np.ndarray:
    """The ranks (0 for the smallest) of the values :func:`percentiles` picks among ``n``
    values for each of ``q``: numpy's own choice, read off ``0, 1, ..., n - 1``, so any
    way of finding the values of those ranks gives :func:`percentiles` ' bits."""
    return percentiles(np.arange(n), q).astype(np.int64)


def _order_statistics(
    values: np.ndarray,
    q: Sequence[float],
    scratch: np.ndarray | None = None,
    ints: np.ndarray | None = None,
) -> np.ndarray:
    """``percentiles(values, q)`` (no NaN in ``values``), found without numpy's sorted
    copy of the values for many of them: counted when they are small whole numbers (a
    count of people, convoys or events; from ``ints`` when given, the same values as
    integers), else selected at their ranks by one partition (of a copy in ``scratch``
    when given)."""
    n = len(values)
    if n < MANY:
        return percentiles(values, q)
    at = ranks(n, tuple(q))
    if ints is not None and ints.min() >= 0 and ints.max() < MOST_BINS:
        counts = np.cumsum(np.bincount(ints))
        return np.searchsorted(counts, at + 1).astype(float)
    work = np.empty(n) if scratch is None else scratch[:n]
    whole = not np.signbit(values).any() and values.max() < MOST_BINS  # no -0.0 either
    if whole and np.array_equal(np.trunc(values, out=work), values):
        counts = np.cumsum(np.bincount(values.astype(np.int64)))
        return np.searchsorted(counts, at + 1).astype(float)
    np.copyto(work, values)
    work.partition(at)  # np.partition's steps on its own copy: the same values at `at`
    return work[at].astype(float)


def t975(dof: float) -> float:
    """The 97.5th percentile of Student's t with ``dof`` degrees of freedom: the factor of
    the standard error in a two-sided 95% confidence interval. ``scipy.stats.t.ppf`` 's
    bits (it calls this same function), through ``scipy.special``, imported on first use:
    a third of the cost of importing ``scipy.stats``, which a run need not pay."""
    from scipy.special import stdtrit

    return float(stdtrit(dof, 0.975))


def summarise_all(metrics: Mapping[str, np.ndarray]) -> list[Summary]:
    """Summaries of every metric, in the order given; a run's packed metrics
    (:class:`~sim.outputs.packed.Packed`) each read into the same memory, and those held
    as integers counted as such."""
    if not isinstance(metrics, Packed):
        return [summarise(name, values) for name, values in metrics.items()]
    values, scratch = np.empty(metrics.length), np.empty(metrics.length)
    summaries = []
    for name in metrics:
        held = metrics.rows(name, 0, metrics.length)  # as held: int32 for a whole count
        np.copyto(values, held)
        ints = held if held.dtype.kind == "i" else None
        summaries.append(summarise(name, values, scratch, ints))
    return summaries


#: Most values of an hourly series whose percentiles are taken in one call (8 MB of floats).
HOURLY_VALUES = 1 << 20


def hourly_percentiles(series: np.ndarray, q: Sequence[float]) -> np.ndarray:
    """Percentiles ``q`` (0-100) across replications of an (R, H) hourly series, shape
    (len(q), H): ``percentiles(series, q, axis=0)`` to the bit, taken a few hours at a
    time so that the float copy numpy sorts stays under ``HOURLY_VALUES`` values (for a
    million replications, one hour's 8 MB instead of the series' 400), and a small run's
    (the page's thousand replications) in one call rather than one an hour."""
    R, H = series.shape
    step = max(1, HOURLY_VALUES // max(R, 1))
    columns = [percentiles(series[:, h : h + step], q, axis=0) for h in range(0, H, step)]
    return np.concatenate(columns, axis=1) if columns else np.empty((len(q), 0))


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
    counted : mapping of str to HourlyCounts, optional
        Series already counted (:class:`~sim.outputs.hourly_counts.HourlyCounts`, a run's
        chunks count theirs where they ran): read from these rather than from ``series``.
    """

    #: The percentiles kept (0-100): the 90% and 50% bands and the median.
    QUANTILES = (5, 25, 50, 75, 95)
    #: Rows transposed at a time when a series is one array.
    BLOCK = 8_192

    def __init__(
        self, series: Mapping[str, np.ndarray], counted: Mapping[str, HourlyCounts] | None = None
    ):
        self.series = series
        self.counted = dict(counted or {})
        self._stats: dict[str, tuple[np.ndarray, ...]] = {}

    def _of(self, name: str) -> tuple[np.ndarray, ...]:
        if name not in self._stats:
            self._stats[name] = self._counted(name)
        return self._stats[name]

    def _blocks(self, name: str) -> Iterator[np.ndarray]:
        """The series' rows block by block, (rows, H) each, as held."""
        series = self.series
        if isinstance(series, Packed):
            yield from (b.array() for b in series.blocks[name])
            return
        values = series[name]
        yield from (values[a : a + self.BLOCK] for a in range(0, len(values), self.BLOCK))

    def _counted(self, name: str) -> tuple[np.ndarray, ...]:
        """Mean, sums, percentiles, replication 0 and highest of each hour, from how many
        replications had each value at each hour (a series holds counts: people, convoys,
        a 0/1 flag), counted block by block unless counted already: the percentiles are
        those of :func:`percentiles` (the same ranks, :func:`ranks`), and no hour-major
        copy of the series is made (for a million replications, 200 MB a series)."""
        counts = self.counted.get(name)
        if counts is None:
            parts = [HourlyCounts.of(block) for block in self._blocks(name) if len(block)]
            if not parts:
                raise ValueError(f"hourly series {name} has no replications")
            if any(p is None for p in parts):
                return self._selected(name)  # not counts: an engine's series are
            counts = HourlyCounts.joined(cast(list[HourlyCounts], parts))
        kept = counts.ranked(ranks(counts.reps, self.QUANTILES))
        return counts.sums / counts.reps, counts.sums, kept, counts.first, counts.highest()

    def _selected(self, name: str) -> tuple[np.ndarray, ...]:
        """As :meth:`_counted` for a series that does not hold counts, from the series whole."""
        values = np.concatenate(list(self._blocks(name)))
        sums = values.sum(axis=0)
        kept = percentiles(values, self.QUANTILES, axis=0)
        return sums / len(values), sums, kept, values[0].copy(), values.max(axis=0)

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
