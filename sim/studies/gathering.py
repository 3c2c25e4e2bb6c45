"""A run's chunks, as they arrive from the workers, joined into the run's replications:
packed (what ``sim.run`` keeps, with either engine: :func:`gather_packed`) or as the batch
engine returned them (:func:`gather_filled`: the studies and the page, which take the
arrays as they are)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Iterable, Sequence

import numpy as np

from sim.outputs.hourly_counts import HourlyTally
from sim.outputs.records import Replications


def gather_packed(
    parts: Iterable[Replications],
    counts: Collection[str],
    done: Callable[[int], object] | None = None,
    first: int = 0,
) -> Replications:
    """Chunks, in order, joined as packed replications (a chunk not packed yet is packed
    here, with the metrics named in ``counts`` as integers where whole, as rows ``first``
    onwards of their run). The chunks' hourly counts are added up as they arrive
    (:class:`~sim.outputs.hourly_counts.HourlyTally`): the run holds one count a series,
    not one a chunk."""
    chunks = []
    tallies: dict[str, HourlyTally] = {}
    for part in parts:
        chunk = part.packed(counts, first)
        first += part.reps
        for name, counted in chunk.counted.items():
            tallies.setdefault(name, HourlyTally()).add(counted)
        chunks.append(dataclasses.replace(chunk, counted={}))  # its counts: in the tallies
        if done is not None:
            done(part.reps)
    joined = Replications.joined(chunks)
    totals = {name: tally.counts for name, tally in tallies.items()}
    everywhere = {k: c for k, c in totals.items() if c is not None and c.reps == joined.reps}
    return dataclasses.replace(joined, counted=everywhere)


def gather_filled(
    parts: Iterable[Replications],
    starts: Sequence[int],
    reps: int,
    done: Callable[[int], object] | None = None,
) -> Replications:
    """Chunks into one set of arrays, filled as they arrive (never two copies of it all)."""
    metrics: dict[str, np.ndarray] = {}
    series: dict[str, np.ndarray] = {}
    trace = []
    for first, part in zip(starts, parts, strict=True):
        if not metrics:
            metrics = {k: np.empty(reps, v.dtype) for k, v in part.metrics.items()}
            series = {k: np.empty((reps, v.shape[1]), v.dtype) for k, v in part.series.items()}
        for k, v in part.metrics.items():
            metrics[k][first : first + len(v)] = v
        for k, v in part.series.items():
            series[k][first : first + len(v)] = v
        trace.extend(part.trace)
        if done is not None:
            done(part.reps)
    return Replications(metrics, series, trace)
