"""Counts at time milestones for the batch engine: people and convoys by a milestone's hour.

A milestone with an ``at`` (hours) reports what happened at or before it: people evacuated
by group, convoys received, people and convoys departed and past the checkpoint. Rather than
add every event to a (milestones, rows, R) array as it happens (a strided gather and scatter
over every milestone, each event), the books log the events and sum them once at the end:
the counts are integers, so any order of summing gives the same totals.
"""

from __future__ import annotations

import numpy as np


class TimedCounts:
    """Counts of a kind of event at or before each time milestone, per replication."""

    def __init__(self, at: np.ndarray, R: int, rows: int):
        """``at``: the milestones' hours; ``rows``: the counts an event adds (e.g. people
        and convoys)."""
        self.at, self.R, self.rows = at, R, rows
        self._log: list[tuple[np.ndarray, np.ndarray, tuple[np.ndarray | int, ...]]] = []
        self._summed = np.zeros((len(at), rows, R), dtype=np.int64)  # added already summed

    def add_totals(self, totals: np.ndarray) -> None:
        """Counts already summed at each milestone, shape (milestones, rows, R): the
        compiled loop's (:mod:`sim.engines.compiled`), which counts as events happen."""
        self._summed += totals

    def add(self, idx: np.ndarray, now: np.ndarray, *counts: np.ndarray | int) -> None:
        """Events at hours ``now`` in replications ``idx`` count ``counts`` (one per row: an
        integer array over ``idx``, or one integer for all of them). The arrays are kept,
        not copied: the callers pass arrays they do not change afterwards."""
        if len(self.at):
            self._log.append((idx, now, counts))

    def totals(self) -> np.ndarray:
        """What the events counted at or before each milestone: shape (milestones, rows, R),
        int64."""
        out = self._summed.copy()
        if not self._log:
            return out
        idx = np.concatenate([i for i, _, _ in self._log])
        now = np.concatenate([t for _, t, _ in self._log])
        lengths = [len(i) for i, _, _ in self._log]
        counts = [_joined([c[r] for _, _, c in self._log], lengths) for r in range(self.rows)]
        for m, hour in enumerate(self.at):
            on = now <= hour
            j = idx[on]
            for r, c in enumerate(counts):
                # float sums of integers below 2**53: exact, so the integer totals
                out[m, r] += np.bincount(j, weights=c[on], minlength=self.R).astype(np.int64)
        return out


def _joined(parts: list[np.ndarray | int], lengths: list[int]) -> np.ndarray:
    """One row's counts of every event logged, in order: arrays joined, or integers (one
    for all of an event's replications) repeated, each in one call."""
    if all(isinstance(p, int) for p in parts):
        return np.repeat(np.array(parts, dtype=np.int64), lengths)
    if all(isinstance(p, np.ndarray) for p in parts):
        return np.concatenate(parts)
    return np.concatenate([np.broadcast_to(p, n) for p, n in zip(parts, lengths, strict=True)])
