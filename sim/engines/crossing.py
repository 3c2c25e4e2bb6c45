"""The crossing of the reference engine: inspection lanes that convoys queue for.

A convoy reaching the checkpoint takes a free lane, or joins the queue, first come first
served. It holds its lane for its service time, set when it takes the lane: its inspection,
then its vehicles passing the lane one after another at the rate in force as they pass
(:func:`sim.model.lane.passage_end`: a period may change the rate meanwhile); then the next
convoy in the queue starts its inspection at once. A convoy turned back while it queues or
is inspected leaves the crossing, and its lane goes to the next one. Without a
``[crossing]`` table the lanes are unlimited and a convoy's service time is its inspection:
the model of earlier versions.

The crossing also keeps its own books: vehicles that passed the checkpoint, by pool, and
vehicles queueing for a lane, as the metrics and hourly series that
:func:`~sim.outputs.records.metric_names` and :func:`~sim.outputs.records.series_types` list
for a scenario with a crossing.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from typing import Protocol

import numpy as np
import simpy

from sim.engines.clock import Clock
from sim.engines.ledger import Ledger
from sim.inputs.scenario import Crossing as Rules
from sim.inputs.scenario import Period
from sim.model.lane import passage_end


class Passage(Protocol):
    """What the crossing needs to know of a convoy or a column of private vehicles."""

    number: int
    groups: list[int]  # people aboard by group
    vehicles: list[int]  # vehicles by pool, for the trace
    traced: bool  # its crossing events go in the trace

    @property
    def size(self) -> int:
        """Vehicles in all (read only: a convoy computes it, a column stores it)."""
        ...


class Crossing:
    """The checkpoint's lanes, the queue for them, and their books.

    Parameters
    ----------
    env : Clock
    rules : sim.inputs.scenario.Crossing or None
        None: unlimited lanes, no time per vehicle.
    crossers : int
        Number of vehicle pools and private streams, for the passages of each.
    books : Ledger
        For the event trace.
    periods : sequence of Period
        The scenario's periods, in time order: those that set ``crossing.vehicles_per_hour``
        change the lanes' rate at their start.
    """

    def __init__(
        self,
        env: Clock,
        rules: Rules | None,
        crossers: int,
        books: Ledger,
        periods: Sequence[Period] = (),
    ):
        self.env, self.books = env, books
        self.lanes = math.inf if rules is None else rules.lanes
        self.limited = rules is not None
        # the lanes' rate (vehicles an hour), known in advance: the changes and the rates
        rated = [
            (p.start, p.crossing_vehicles_per_hour)
            for p in periods
            if p.crossing_vehicles_per_hour is not None
        ]
        self.rate_changes = tuple(start for start, _ in rated)
        self.rates = (math.inf if rules is None else rules.vehicles_per_hour,) + tuple(
            rate for _, rate in rated
        )
        self.busy: set[Passage] = set()  # convoys and columns holding a lane
        # convoys and columns queueing, each with the event of its turn and its inspection
        self.queue: deque[tuple[Passage, simpy.Event, float]] = deque()
        self.queued = 0  # vehicles queueing for a lane
        self.crossed = [0] * crossers
        self.since = 0.0
        self.queue_vehicle_hours = 0.0
        self.peak_queue = 0
        self.queue_log: list[tuple[float, int]] = [(0.0, 0)]
        self.crossed_log: list[tuple[float, tuple[int, ...]]] = [(0.0, tuple(self.crossed))]

    def service_end(self, trip: Passage, inspection: float) -> float:
        """When a convoy taking a lane now leaves it (hours from the start): after its
        inspection, its vehicles one by one at the rate in force as they pass."""
        passing = self.env.now + inspection
        if not self.limited:
            return passing
        return passage_end(passing, trip.size, self.rate_changes, self.rates)

    def inspect(self, trip: Passage, inspection: float) -> simpy.Event:
        """The event of the end of ``trip``'s inspection, queueing first if no lane is free.

        ``inspection`` is the convoy's inspection time (hours), drawn as it reaches the
        checkpoint; its vehicles' passage is timed when it takes a lane.
        """
        env = self.env
        if len(self.busy) < self.lanes:
            self.busy.add(trip)
            return env.at(self.service_end(trip, inspection))
        turn = simpy.Event(env)
        self.queue.append((trip, turn, inspection))
        self._change_queue(trip.size)
        if trip.traced:
            self.books.record(
                env.now, "queues_at_crossing", trip.number, trip.groups, trip.vehicles
            )
        return turn

    def release(self, trip: Passage) -> None:
        """``trip`` leaves its lane; the first convoy queueing takes it and starts."""
        self.busy.discard(trip)
        if self.queue and len(self.busy) < self.lanes:
            self._start_first()

    def set_lanes(self, lanes: float) -> None:
        """From now on the crossing has ``lanes`` lanes (a period's rule). Convoys queueing
        take the lanes opened, first come first served; a convoy in a lane closed finishes
        its inspection, and the lane closes when it leaves."""
        self.lanes = lanes
        while self.queue and len(self.busy) < self.lanes:
            self._start_first()

    def _start_first(self) -> None:
        """The first convoy queueing takes a free lane and starts its inspection."""
        first, turn, inspection = self.queue.popleft()
        self.busy.add(first)
        self._change_queue(-first.size)
        now = self.env.now
        if first.traced:
            self.books.record(now, "inspection_starts", first.number, first.groups, first.vehicles)
        self.env.fire(turn, self.service_end(first, inspection))

    def withdraw(self, trip: Passage) -> None:
        """``trip`` turns back from the crossing: out of the queue, or out of its lane."""
        for entry in self.queue:
            if entry[0] is trip:
                self.queue.remove(entry)
                self._change_queue(-trip.size)
                return
        if trip in self.busy:
            self.release(trip)

    def passed(self, vehicles: list[int], first: int = 0) -> None:
        """Vehicles are past the checkpoint: ``vehicles[i]`` of crosser ``first + i`` (a
        convoy's by pool; a private column's at its stream's position after the pools)."""
        for i, n in enumerate(vehicles):
            self.crossed[first + i] += n
        self.crossed_log.append((self.env.now, tuple(self.crossed)))

    def _change_queue(self, delta: int) -> None:
        self._accrue(self.env.now)
        self.queued += delta
        self.peak_queue = max(self.peak_queue, self.queued)
        self.queue_log.append((self.env.now, self.queued))

    def _accrue(self, now: float) -> None:
        if now > self.since:
            self.queue_vehicle_hours += self.queued * (now - self.since)
            self.since = now

    # -- books ------------------------------------------------------------------------------

    def metrics(self, end: float, crossers: tuple[str, ...]) -> dict[str, float]:
        """The passages of each crosser and, with lanes, the queue counted up to ``end``."""
        m = {f"crossed_{name}": float(n) for name, n in zip(crossers, self.crossed, strict=True)}
        if self.limited:
            self._accrue(end)
            m["crossing_queue_peak"] = float(self.peak_queue)
            m["crossing_queue_vehicle_hours"] = self.queue_vehicle_hours
        return m

    def series(self, hours: np.ndarray, crossers: tuple[str, ...]) -> dict[str, np.ndarray]:
        """Passages of each crosser so far and, with lanes, vehicles queueing, each hour."""
        log_t = np.array([t for t, _ in self.crossed_log])
        rows = np.searchsorted(log_t, hours, side="right") - 1
        crossed = np.array([c for _, c in self.crossed_log], dtype=float)[rows]
        out = {f"crossed_{name}": crossed[:, i] for i, name in enumerate(crossers)}
        if not self.limited:
            return out
        log_t = np.array([t for t, _ in self.queue_log])
        queued = np.array([n for _, n in self.queue_log], dtype=float)
        out["crossing_queue"] = queued[np.searchsorted(log_t, hours, side="right") - 1]
        return out
