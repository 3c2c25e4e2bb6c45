"""The batch engine's crossing: inspection lanes that convoys queue for.

As in the reference engine (:mod:`sim.engines.crossing`): a convoy reaching the checkpoint
takes a free lane or queues, first come first served; it holds its lane for its inspection
plus its vehicles' passage; a freed lane goes at once to the first convoy queueing; a convoy
turned back leaves the queue or its lane. A queueing convoy sits in its slot with stage
``CROSSING_QUEUE`` and no timer, its place in the queue a ticket number. The state lives on
:class:`sim.engines.vector.Batch`, which mixes these methods in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.engines.batch_convoys import CROSSING_QUEUE, INSPECTION
from sim.engines.batch_params import pick

if TYPE_CHECKING:
    from sim.engines.batch_params import BatchParameters
    from sim.engines.vector import Batch

INF = np.inf
LAST = np.iinfo(np.int64).max


class BatchCrossing:
    """Lanes, the queue for them, and the crossing's books."""

    def _crossing_start(self: Batch, params: BatchParameters) -> None:
        R, P = self.R, self.P
        self.crossing_on = self.scenario.crossing is not None
        self.lanes = params["crossing.lanes"] if self.crossing_on else INF
        self.vehicles_per_hour = params["crossing.vehicles_per_hour"] if self.crossing_on else INF
        self.lanes_busy = np.zeros(R, dtype=np.int64)
        self.crossing_tickets = np.zeros(R, dtype=np.int64)  # queue places handed out
        self.crossed = np.zeros((P, R), dtype=np.int64)
        self.crossing_queued = np.zeros(R, dtype=np.int64)  # vehicles queueing
        self.crossing_since = np.zeros(R)
        self.crossing_vehicle_hours = np.zeros(R)
        self.crossing_peak = np.zeros(R, dtype=np.int64)

    def _enter_crossing(self: Batch, slot: np.ndarray, idx: np.ndarray) -> None:
        """Convoys at the checkpoint take a lane and start their inspection, or queue."""
        service = self._leg("inspection", slot, idx)
        now = self.now[idx]
        if not self.crossing_on:
            self._set_timer(slot, idx, now + service, INSPECTION)
            return
        vehicles = self.c_vehicles[slot, :, idx].sum(axis=1)
        service = service + vehicles / pick(self.vehicles_per_hour, idx)
        free = self.lanes_busy[idx] < pick(self.lanes, idx)
        if free.any():
            s, j = slot[free], idx[free]
            self.lanes_busy[j] += 1
            self.c_lane[s, j] = True
            self._set_timer(s, j, now[free] + service[free], INSPECTION)
        full = ~free
        if full.any():
            s, j = slot[full], idx[full]
            self.c_stage[s, j] = CROSSING_QUEUE
            self.c_next[s, j] = INF
            self.c_service[s, j] = service[full]
            self.c_ticket[s, j] = self.crossing_tickets[j]
            self.crossing_tickets[j] += 1
            self._change_crossing_queue(j, vehicles[full])
            self.books.convoy_event(s, j, "queues_at_crossing")

    def _release_lane(self: Batch, slot: np.ndarray, idx: np.ndarray) -> None:
        """Convoys leave their lane; the first convoy queueing takes it."""
        held = self.c_lane[slot, idx]
        if not held.any():
            return
        s, j = slot[held], idx[held]
        self.c_lane[s, j] = False
        self.lanes_busy[j] -= 1
        queued = self.c_stage[:, j] == CROSSING_QUEUE
        turn = queued.any(axis=0) & (self.lanes_busy[j] < pick(self.lanes, j))
        if not turn.any():
            return
        j = j[turn]
        first = np.where(queued[:, turn], self.c_ticket[:, j], LAST).argmin(axis=0)
        self.lanes_busy[j] += 1
        self.c_lane[first, j] = True
        self._change_crossing_queue(j, -self.c_vehicles[first, :, j].sum(axis=1))
        self.books.convoy_event(first, j, "inspection_starts")
        self._set_timer(first, j, self.now[j] + self.c_service[first, j], INSPECTION)

    def _leave_crossing(self: Batch, slot: np.ndarray, idx: np.ndarray) -> None:
        """Convoys turning back leave the queue, or their lane."""
        if not self.crossing_on:
            return
        queued = self.c_stage[slot, idx] == CROSSING_QUEUE
        if queued.any():
            s, j = slot[queued], idx[queued]
            self.c_stage[s, j] = 0  # out of the queue; the turn-back sets its stage
            self._change_crossing_queue(j, -self.c_vehicles[s, :, j].sum(axis=1))
        self._release_lane(slot, idx)

    def _crossed(self: Batch, slot: np.ndarray, idx: np.ndarray) -> None:
        """Convoys' vehicles are past the checkpoint."""
        self.crossed[:, idx] += self.c_vehicles[slot, :, idx].T

    def _change_crossing_queue(self: Batch, idx: np.ndarray, delta: np.ndarray) -> None:
        self._accrue_crossing(idx, self.now[idx])
        self.crossing_queued[idx] += delta
        self.crossing_peak[idx] = np.maximum(self.crossing_peak[idx], self.crossing_queued[idx])

    def _accrue_crossing(self: Batch, idx: np.ndarray, now: np.ndarray) -> None:
        span = now - self.crossing_since[idx]
        moved = span > 0
        j = idx[moved]
        self.crossing_vehicle_hours[j] += self.crossing_queued[j] * span[moved]
        self.crossing_since[j] = now[moved]

    # -- books ------------------------------------------------------------------------------

    def _crossing_state(self: Batch, idx: np.ndarray) -> dict[str, np.ndarray]:
        """The crossing's hourly series' current values for replications ``idx``."""
        state = {
            f"crossed_{p.name}": self.crossed[i, idx] for i, p in enumerate(self.scenario.pools)
        }
        state["crossing_queue"] = self.crossing_queued[idx]
        return state

    def _crossing_metrics(self: Batch, end: np.ndarray) -> dict[str, np.ndarray]:
        """The crossing's metrics, its queue counted up to ``end``, shape (R,)."""
        self._accrue_crossing(np.arange(self.R), end)
        m = {
            f"crossed_{p.name}": self.crossed[i].astype(float)
            for i, p in enumerate(self.scenario.pools)
        }
        m["crossing_queue_peak"] = self.crossing_peak.astype(float)
        m["crossing_queue_vehicle_hours"] = self.crossing_vehicle_hours
        return m
