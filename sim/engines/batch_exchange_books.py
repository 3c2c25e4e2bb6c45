"""The exchange's accounts in the batch engine: the linked site's people and convoys safe,
and the waits at the meeting point, as :class:`sim.engines.exchange.ExchangeSite` keeps them.

Kept by :class:`sim.engines.batch_books.BatchBooks` (``books.exchange``) for a scenario with
an exchange; the parts of :mod:`sim.engines.batch_exchange` report to it.
"""

from __future__ import annotations

import numpy as np

from sim.engines.batch_state import BRIDGE, LINKED_AT_BRIDGE, BatchState


class ExchangeBooks:
    """Accounts of the exchange for R replications."""

    def __init__(self, batch: BatchState):
        s, R = batch.scenario, batch.R
        self.times = [m.at for m in s.milestones if m.at is not None]
        self.names = [m.name for m in s.milestones if m.at is not None]
        self.by_time = np.zeros((len(self.times), 2, R), dtype=np.int64)  # people, convoys
        self.waits = np.zeros((2, R), dtype=np.int64)  # this side's, the linked site's
        self.wait_hours = np.zeros((2, R))  # in the order the convoys left the meeting point

    def safe(self, now: np.ndarray, idx: np.ndarray, people: np.ndarray) -> None:
        """Linked convoys reach safety with ``people`` aboard."""
        for i, at in enumerate(self.times):
            on = now <= at
            self.by_time[i, 0, idx[on]] += people[on]
            self.by_time[i, 1, idx[on]] += 1

    def metrics(self, b: BatchState, end: np.ndarray) -> dict[str, np.ndarray]:
        """The exchange's metrics; convoys still waiting at the end count to ``end``."""
        hours = self.wait_hours.copy()
        for side, stage in enumerate((BRIDGE, LINKED_AT_BRIDGE)):
            waiting = b.c_stage == stage  # (slots, R)
            if not waiting.any():
                continue
            order = np.argsort(np.where(waiting, b.c_bridge, np.iinfo(np.int64).max), axis=0)
            cols = np.arange(b.R)
            for rank in range(waiting.sum(axis=0).max()):
                slot = order[rank]
                on = waiting[slot, cols]
                hours[side, on] += end[on] - b.c_bridge_since[slot[on], cols[on]]
        m = {
            "linked_departed": b.x_sent.astype(float),
            "exchange_batches": b.x_released.astype(float),
            "bridge_waits": self.waits[0].astype(float),
            "bridge_wait_hours": hours[0],
            "linked_bridge_waits": self.waits[1].astype(float),
            "linked_bridge_wait_hours": hours[1],
        }
        for i, name in enumerate(self.names):
            m[f"linked_evacuated_by_{name}"] = self.by_time[i, 0].astype(float)
            m[f"linked_convoys_by_{name}"] = self.by_time[i, 1].astype(float)
        return m
