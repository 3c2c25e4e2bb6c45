"""The hourly series of the batch engine: the state on the hour, for each replication.

An hour keeps the state it ends with: each pass of the main loop, before the clock moves on,
writes the current state into every hour of every series the replications it moves have
passed; a replication's last hours take its state at its end.
"""

from __future__ import annotations

import weakref
from typing import Protocol

import numpy as np

from sim.engines.batch_state import BatchState
from sim.outputs.records import hours_grid, series_types


class Counts(Protocol):
    """The books' counts the series read: arrays over replications (by group or pool
    first where two-dimensional)."""

    waiting: np.ndarray
    evacuated: np.ndarray
    left: np.ndarray
    people_crossed: np.ndarray
    crossed: np.ndarray
    crossing_queued: np.ndarray


class BatchHourly:
    """The hourly series of a batch, filled from its books."""

    def __init__(self, books: Counts, batch: BatchState):
        s = batch.scenario
        # weak: the books own these series, and the batch its books (no cycle to collect)
        self.books = weakref.proxy(books)
        self.batch = weakref.proxy(batch)
        self.hours = hours_grid(s)
        # the counts (int32) and ``suspended`` (uint8), an (R, H) array each, written through
        # flat views: a one-dimensional scatter a series is several times faster than one
        # into a stacked (series, R, H) array
        types = series_types(s)
        self.crossers, self.leaving = s.crossers, s.leaving  # properties: read once
        self.names = [name for name in types if name != "suspended"]
        assert all(types[name] == np.int32 for name in self.names)
        shape = (batch.R, len(self.hours))
        self.series: dict[str, np.ndarray] = {
            name: np.zeros(shape, dtype=types[name]) for name in types
        }
        self.flat_counts = [self.series[name].reshape(-1) for name in self.names]
        self.flat_suspended = self.series["suspended"].reshape(-1)
        self.next_hour = np.zeros(batch.R, dtype=np.int64)

    def fill(self, idx: np.ndarray, t: np.ndarray) -> None:
        """Hours before ``t`` keep the state they end with: the current one."""
        limit = np.minimum(np.ceil(t), len(self.hours)).astype(np.int64)
        span = limit - self.next_hour[idx]
        due = span > 0
        if not np.count_nonzero(due):
            return
        j, span = idx[due], span[due]
        rows = np.repeat(j, span)  # each hour due: its replication
        first = np.repeat(np.cumsum(span) - span, span)  # its replication's start in rows
        hours = self.next_hour[rows] + np.arange(len(rows)) - first
        self._write(rows * len(self.hours) + hours, rows, ~self.batch.active[rows])
        self.next_hour[j] = limit[due]

    def close(self, idx: np.ndarray, open_: np.ndarray) -> None:
        """Replications ``idx`` have ended: their hours not yet filled keep the final state,
        and are suspended where a suspension is still open (``open_``) until it would end."""
        b, hours = self.batch, self.hours
        late = hours[None, :] >= self.next_hour[idx][:, None]
        at, hour = np.nonzero(late)  # only the hours not yet filled are written
        rows = idx[at]
        self._write(rows * len(hours) + hour, rows, open_[at] & (hours[hour] < b.until[rows]))

    def _write(self, cells: np.ndarray, rows: np.ndarray, suspended: np.ndarray) -> None:
        """Write the current state of replications ``rows`` into ``cells`` (flat indices of
        the (R, H) layout) of every series, and ``suspended`` into the suspended series'."""
        for series, values in zip(self.flat_counts, self._state(rows), strict=True):
            series[cells] = values
        self.flat_suspended[cells] = suspended

    def _state(self, idx: np.ndarray) -> list[np.ndarray]:
        """The current values of every hourly series but ``suspended``, for ``idx``, in the
        order of ``names``."""
        books = self.books
        state = [self.batch.evacuated[idx], books.waiting[idx]]
        if self.leaving:
            state += [books.evacuated[g, idx] for g in range(self.batch.G)]
            state.append(books.left[idx])
        if self.crossers:
            state += self._crossing_state(idx)
        return state

    def _crossing_state(self, idx: np.ndarray) -> list[np.ndarray]:
        """The crossing's hourly series' current values for replications ``idx``: people
        past the checkpoint, passages by pool and private stream, then the queue for a
        lane if there is a crossing."""
        books = self.books
        state = [books.people_crossed[idx]]
        state += [books.crossed[i, idx] for i in range(len(self.crossers))]
        if self.batch.crossing_on:
            state.append(books.crossing_queued[idx])
        return state
