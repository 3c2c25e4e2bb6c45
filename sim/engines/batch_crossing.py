"""The batch engine's crossing: inspection lanes that convoys queue for.

As in the reference engine (:mod:`sim.engines.crossing`): a convoy reaching the checkpoint
takes a free lane or queues, first come first served; it holds its lane for its inspection
plus its vehicles' passage at the rate in force as they pass, timed when it takes the lane
(:func:`sim.model.lane.passage_end`, with each replication's own rates); a freed lane goes
at once to the first convoy queueing; a convoy turned back leaves the queue or its lane. A
queueing convoy sits in its slot with stage ``CROSSING_QUEUE``, no timer and its inspection
time, its place in the queue a ticket number. The state lives on
:class:`sim.engines.vector.Batch`, which mixes these methods in; the crossing's accounts
(passages, the queue in vehicle-hours) are kept by the books.
"""

from __future__ import annotations

import numpy as np

from sim.engines.batch_params import BatchParameters, pick
from sim.engines.batch_part import BatchPart
from sim.engines.batch_state import CROSSING_QUEUE, INSPECTION, PRIVATE_INSPECTION
from sim.model.lane import passage_end

INF = np.inf
LAST = np.iinfo(np.int64).max


class BatchCrossing(BatchPart):
    """Lanes and the queue for them."""

    def _crossing_start(self, params: BatchParameters) -> None:
        R = self.R
        self.crossing_on = self.scenario.crossing is not None
        self.lanes = params["crossing.lanes"] if self.crossing_on else INF
        # the lanes' rate (vehicles an hour), known in advance: the changes, and the rates of
        # each replication (a number for all, or an array)
        rated = [
            (period.start, f"{key}.crossing.vehicles_per_hour")
            for key, period in zip(params.periods, self.scenario.periods, strict=True)
            if period.crossing_vehicles_per_hour is not None
        ]
        self.rate_changes = tuple(start for start, _ in rated)
        self.rates = (params["crossing.vehicles_per_hour"] if self.crossing_on else INF,) + tuple(
            params[key] for _, key in rated
        )
        self.lanes_busy = np.zeros(R, dtype=np.int64)
        self.crossing_tickets = np.zeros(R, dtype=np.int64)  # queue places handed out

    def _size(self, slot: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """Vehicles in each convoy or private column."""
        return self.c_vehicles[slot, :, idx].sum(axis=1) + self.c_private_n[slot, idx]

    def _inspection_stage(self, slot: np.ndarray, idx: np.ndarray) -> np.ndarray:
        return np.where(self.c_private[slot, idx] < 0, INSPECTION, PRIVATE_INSPECTION)

    def _traced_convoys(self, slot: np.ndarray, idx: np.ndarray, event: str) -> None:
        """Trace a crossing event of the convoys among ``slot`` (columns are not traced)."""
        convoy = self.c_private[slot, idx] < 0
        if convoy.any():
            self.books.convoy_event(slot[convoy], idx[convoy], event)

    def _service_end(
        self, idx: np.ndarray, inspection: np.ndarray, vehicles: np.ndarray
    ) -> np.ndarray:
        """When convoys taking a lane now leave it (hours): after their inspection, their
        vehicles one by one at the rate in force as they pass."""
        rates = [pick(rate, idx) for rate in self.rates]
        return passage_end(self.now[idx] + inspection, vehicles, self.rate_changes, rates)

    def _enter_crossing(self, slot: np.ndarray, idx: np.ndarray, inspection: np.ndarray) -> None:
        """Convoys or columns at the checkpoint take a lane and start their inspection
        (``inspection``, hours), or queue."""
        if not self.crossing_on:
            at = self.now[idx] + inspection
            self._set_timer(slot, idx, at, self._inspection_stage(slot, idx))
            return
        vehicles = self._size(slot, idx)
        free = self.lanes_busy[idx] < pick(self.lanes, idx)
        if free.any():
            s, j = slot[free], idx[free]
            self.lanes_busy[j] += 1
            self.c_lane[s, j] = True
            at = self._service_end(j, inspection[free], vehicles[free])
            self._set_timer(s, j, at, self._inspection_stage(s, j))
        full = ~free
        if full.any():
            s, j = slot[full], idx[full]
            self.c_stage[s, j] = CROSSING_QUEUE
            self.c_next[s, j] = INF
            self.c_inspection[s, j] = inspection[full]
            self.c_ticket[s, j] = self.crossing_tickets[j]
            self.crossing_tickets[j] += 1
            self.books.change_crossing_queue(j, vehicles[full])
            self._traced_convoys(s, j, "queues_at_crossing")

    def _release_lane(self, slot: np.ndarray, idx: np.ndarray) -> None:
        """Convoys leave their lane; the first convoy queueing takes it."""
        held = self.c_lane[slot, idx]
        if not held.any():
            return
        s, j = slot[held], idx[held]
        self.c_lane[s, j] = False
        self.lanes_busy[j] -= 1
        self._start_first(j)

    def _set_lanes(self, idx: np.ndarray, lanes: np.ndarray | float) -> None:
        """From now on replications ``idx`` have ``lanes`` lanes (a period's rule): convoys
        queueing take the lanes opened, first come first served, one a round as the
        reference engine's loop; a convoy in a lane closed finishes first."""
        every = np.array(np.broadcast_to(self.lanes, (self.R,)), dtype=float)
        every[idx] = lanes
        self.lanes = every
        while len(idx):
            idx = self._start_first(idx)

    def _start_first(self, idx: np.ndarray) -> np.ndarray:
        """Where a lane is free and a convoy queues, the first convoy queueing takes the
        lane and starts its inspection; the replications where one did."""
        queued = self.c_stage.take(idx, axis=1) == CROSSING_QUEUE
        turn = queued.any(axis=0) & (self.lanes_busy[idx] < pick(self.lanes, idx))
        if not turn.any():
            return idx[turn]
        j = idx[turn]
        first = np.where(queued[:, turn], self.c_ticket.take(j, axis=1), LAST).argmin(axis=0)
        self.lanes_busy[j] += 1
        self.c_lane[first, j] = True
        vehicles = self._size(first, j)
        self.books.change_crossing_queue(j, -vehicles)
        self._traced_convoys(first, j, "inspection_starts")
        at = self._service_end(j, self.c_inspection[first, j], vehicles)
        self._set_timer(first, j, at, self._inspection_stage(first, j))
        return j

    def _leave_crossing(self, slot: np.ndarray, idx: np.ndarray) -> None:
        """Convoys turning back leave the queue, or their lane."""
        if not self.crossing_on:
            return
        queued = self.c_stage[slot, idx] == CROSSING_QUEUE
        if queued.any():
            s, j = slot[queued], idx[queued]
            self.c_stage[s, j] = 0  # out of the queue; the turn-back sets its stage
            self.books.change_crossing_queue(j, -self._size(s, j))
        self._release_lane(slot, idx)

    def _crossed(self, slot: np.ndarray, idx: np.ndarray) -> None:
        """Convoys' or columns' vehicles are past the checkpoint."""
        if self.books.crossers:
            self.books.passes_crossing(slot, idx)
