"""How many replications had each value at each hour: an hourly series of whole numbers
(people, vehicles, a 0/1 flag) reduced to counts that add up exactly across chunks.

A run's hourly means, bands and highest values (:class:`sim.outputs.metrics.HourlyStats`)
are read from these counts: a chunk counts its own rows where it ran (the worker process,
as it packs them), and the run adds the chunks' counts, so the run never goes over its
series again for them. Counts only add, so the figures are the same whatever the chunking.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np


@dataclass(frozen=True)
class HourlyCounts:
    """For each hour of an (R, H) series, how many of its R rows had each value.

    Hour ``h``'s counts are those of the values ``low[h], low[h] + 1, ...``, held from
    ``starts[h]`` in ``counts`` (one run of cells an hour, as wide as that hour's values
    spread).

    Attributes
    ----------
    reps : int
        Rows counted (replications).
    low : ndarray of int64, shape (H,)
        Each hour's lowest value.
    starts : ndarray of int64, shape (H + 1,)
        Where each hour's cells begin in ``counts``; ``starts[H]`` is their number.
    counts : ndarray of unsigned int
        The cells: rows with each value, hour after hour (a chunk's in the narrowest
        integers that hold its rows; joined, int64).
    sums : ndarray of int64, shape (H,)
        Each hour's sum over the rows, exact.
    first : ndarray, shape (H,)
        The first row, in the series' dtype.
    """

    reps: int
    low: np.ndarray
    starts: np.ndarray
    counts: np.ndarray
    sums: np.ndarray
    first: np.ndarray

    @classmethod
    def of(cls, series: np.ndarray) -> HourlyCounts | None:
        """The counts of an (R, H) series with R >= 1; None when it does not hold integers
        (counts of floats would not be counts)."""
        if series.dtype.kind not in "iub" or series.shape[0] == 0:
            return None
        low = series.min(axis=0).astype(np.int64)
        width = series.max(axis=0).astype(np.int64) - low + 1
        starts = np.concatenate([[0], np.cumsum(width)])
        cells = (series - low.astype(series.dtype)).astype(np.int64)  # within its hour: >= 0
        cells += starts[:-1]
        counts = np.bincount(cells.ravel(), minlength=int(starts[-1]))
        rows = series.shape[0]
        # the narrowest that holds a count of rows: what goes back to the run is a fraction
        held = next(t for t in (np.uint16, np.uint32, np.uint64) if rows <= np.iinfo(t).max)
        sums = series.sum(axis=0, dtype=np.int64)
        return cls(rows, low, starts, counts.astype(held), sums, series[0].copy())

    @classmethod
    def joined(cls, parts: Sequence[HourlyCounts]) -> HourlyCounts:
        """The counts of the parts' rows one after the other (the same hours in each)."""
        if len(parts) == 1:
            return parts[0]
        low = np.min([p.low for p in parts], axis=0)
        high = np.max([p.low + np.diff(p.starts) for p in parts], axis=0)  # one past the top
        starts = np.concatenate([[0], np.cumsum(high - low)])
        counts = np.zeros(int(starts[-1]), np.int64)
        for p in parts:
            width = np.diff(p.starts)
            # each of the part's cells at its value's place in the joined hour
            shift = np.repeat(starts[:-1] + p.low - low - p.starts[:-1], width)
            counts[np.arange(len(p.counts)) + shift] += p.counts
        return cls(
            sum(p.reps for p in parts),
            low,
            starts,
            counts,
            np.sum([p.sums for p in parts], axis=0),
            parts[0].first,
        )

    def ranked(self, at: np.ndarray) -> np.ndarray:
        """Each hour's values of ranks ``at`` (0 for the smallest) among its rows, shape
        (len(at), H), as floats: the value whose cumulative count first passes the rank."""
        hours = len(self.low)
        cumulative = np.cumsum(self.counts, dtype=np.int64)  # hour h's cells end at (h+1) R
        wanted = np.arange(hours) * self.reps + (np.asarray(at, np.int64)[:, None] + 1)
        cell = np.searchsorted(cumulative, wanted)
        return (cell - self.starts[:-1] + self.low).astype(float)

    def highest(self) -> np.ndarray:
        """Each hour's highest value, shape (H,), in the series' dtype."""
        hours = len(self.low)
        cumulative = np.cumsum(self.counts, dtype=np.int64)
        top = np.searchsorted(cumulative, (np.arange(hours) + 1) * self.reps)  # last with rows
        return (top - self.starts[:-1] + self.low).astype(self.first.dtype)


class HourlyTally:
    """The counts of consecutive chunks of one series, added as the chunks arrive into one
    accumulator, grown only when a chunk's values spread beyond it: a run holds one count
    a series (~8 MB for a million replications of the baseline), not one a chunk (0.8 MB
    each, 80 MB for its 50 chunks)."""

    def __init__(self) -> None:
        self._total: HourlyCounts | None = None

    def add(self, part: HourlyCounts) -> None:
        """Count ``part``'s rows after those added so far."""
        total = self._total
        if total is None:  # a copy the tally owns, in int64
            self._total = replace(part, counts=part.counts.astype(np.int64), sums=part.sums.copy())
            return
        top, part_top = total.low + np.diff(total.starts), part.low + np.diff(part.starts)
        if (part.low < total.low).any() or (part_top > top).any():
            self._total = HourlyCounts.joined([total, part])  # wider: a new accumulator
            return
        width = np.diff(part.starts)
        shift = np.repeat(total.starts[:-1] + part.low - total.low - part.starts[:-1], width)
        total.counts[np.arange(len(part.counts)) + shift] += part.counts  # the tally's own
        total.sums[:] += part.sums
        self._total = replace(total, reps=total.reps + part.reps)

    @property
    def counts(self) -> HourlyCounts | None:
        """The counts of every row added; None before the first."""
        return self._total
