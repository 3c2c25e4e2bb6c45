"""The batch engine's set-up: what a batch of replications starts from.

The fleet's numbers per pool and replication, the distributions of loading, unloading, the
route's legs and the ceasefire's negotiation and guarantee, the arrivals calendar (vehicle
pools, people batches, the timetable, private columns and the exchange's halts, sorted by
time per replication), and the convoy slots, grown as more convoys are in flight. Called by
:class:`sim.engines.vector.Batch` as it starts; the state is declared on
:class:`~sim.engines.batch_state.BatchState`.
"""

from __future__ import annotations

import numpy as np

from sim.engines.batch_params import BatchParameters
from sim.engines.batch_part import BatchPart
from sim.engines.batch_private import PRIVATE_COLUMN

INF = np.inf


class BatchSetup(BatchPart):
    """The fleet, the distributions, the arrivals calendar and the convoy slots of R
    replications."""

    def _pool_params(self, params: BatchParameters) -> None:
        """Each pool's vehicles, arrival, convoy size, seats and capacity, shape (P, R)."""
        R, names = self.R, [p.name for p in self.scenario.pools]

        def column(field: str) -> np.ndarray:
            rows = [np.broadcast_to(params[f"fleet.{n}.{field}"], (R,)) for n in names]
            return np.array(rows)

        self.count = column("count").astype(np.int64)
        self.available_at = column("available_at")
        self.per_convoy = column("per_convoy").astype(np.int64)
        self.seats = column("seats")
        self.capacity = np.floor(self.seats * column("crowding") + 1e-9).astype(np.int64)

    def _dists(self, params: BatchParameters) -> None:
        """The distributions of loading and unloading (per pool), of the route's legs and of
        the ceasefire's negotiation and guarantee, in hours."""
        s = self.scenario
        self.load_time = [params.dist(f"fleet.{p.name}.load_time", p.load_time) for p in s.pools]
        self.unload_time = [
            params.dist(f"fleet.{p.name}.unload_time", p.unload_time) for p in s.pools
        ]
        self.legs = {
            leg: params.dist(f"route.{leg}", getattr(s.route, leg))
            for leg in ("to_checkpoint", "inspection", "to_reception", "return_trip")
        }
        rules = s.ceasefire
        self.negotiation = (
            None
            if rules.negotiation is None
            else params.dist("ceasefire.negotiation", rules.negotiation)
        )
        self.guarantee = (
            None if rules.guarantee is None else params.dist("ceasefire.guarantee", rules.guarantee)
        )

    def _arrivals(self, params: BatchParameters) -> None:
        """Vehicle pools, people batches, the timetable (fleet changes, periods, people giving
        up), then private columns and the exchange's halts, in creation order, sorted by time
        per replication."""
        s, R = self.scenario, self.R
        times, kinds, people = [], [], []
        for p, pool in enumerate(s.pools):
            # an empty pool never arrives, as in the reference engine
            at = np.broadcast_to(params[f"fleet.{pool.name}.available_at"], (R,))
            times.append(np.where(self.count[p] > 0, at, INF))
            kinds.append((0, p, 0))
        for g, group in enumerate(s.groups):
            batches = zip(group.arrivals, params.arrivals[g], strict=True)
            for k, ((t, _), n) in enumerate(batches, start=1):
                times.append(np.full(R, t))
                kinds.append((1, g, k))
                people.append((len(kinds) - 1, n))
        for at, kind in self._timetable_rows(params):
            times.append(at)
            kinds.append(kind)
        for c, (t, _, _) in enumerate(s.private_columns):
            times.append(np.full(R, t))
            kinds.append((PRIVATE_COLUMN, c, 0))
        for at, kind in self._exchange_rows(params):
            times.append(at)
            kinds.append(kind)
        self.arrival_kind = np.array(kinds, dtype=np.int64).reshape(-1, 3)
        self.arrival_people = np.zeros((len(kinds), R), dtype=np.int64)  # a batch's people
        for event, n in people:
            self.arrival_people[event] = n
        table = np.array(times).reshape(-1, R)
        order = np.argsort(table, axis=0, kind="stable")
        self.arrival_times = np.vstack([np.take_along_axis(table, order, 0), np.full((1, R), INF)])
        self.arrival_order = order
        self.arrival_next = np.zeros(R, dtype=np.int64)

    def _grow_slots(self, slots: int) -> None:
        """Room for ``slots`` convoys in flight per replication."""
        R, G, P, old = self.R, self.G, self.P, self.slots

        def grow(name: str, shape: tuple, fill, dtype) -> None:
            fresh = np.full((slots - old, *shape), fill, dtype=dtype)
            current = getattr(self, name, None)
            setattr(self, name, fresh if current is None else np.concatenate([current, fresh]))

        grow("c_number", (R,), -1, np.int64)
        grow("c_stage", (R,), 0, np.int8)
        grow("c_next", (R,), INF, float)
        grow("c_seq", (R,), 0, np.int64)
        grow("c_vehicles", (P, R), 0, np.int64)
        grow("c_manifest", (R, len(self.cell_time)), 0, np.int32)  # a replication's row
        grow("c_groups", (G, R), 0, np.int64)
        grow("c_people", (R,), 0, np.int64)
        grow("c_formed", (R,), 0.0, float)
        grow("c_departed", (R,), np.nan, float)
        grow("c_at_checkpoint", (R,), np.nan, float)
        grow("c_hold_seq", (R,), 0, np.int64)
        grow("c_hold_hours", (R,), 0.0, float)  # hours held so far, against max_hold
        grow("c_hold_start", (R,), 0.0, float)  # when the current wait began
        grow("c_hold_until", (R,), INF, float)  # when max_hold is spent
        grow("c_hop", (R,), False, bool)
        grow("c_waited_for", (R,), 0, np.int8)
        grow("c_lane", (R,), False, bool)  # holds an inspection lane
        grow("c_inspection", (R,), 0.0, float)  # hours of its inspection, while queueing
        grow("c_ticket", (R,), 0, np.int64)  # its place in the queue for a lane
        grow("c_private", (R,), -1, np.int64)  # a private column's stream, -1 for a convoy
        grow("c_private_n", (R,), 0, np.int64)  # a private column's vehicles
        grow("c_place", (R,), 0, np.int64)  # the loading place it formed at
        grow("c_bridge", (R,), 0, np.int64)  # its rank at an exchange's meeting point
        grow("c_bridge_since", (R,), 0.0, float)  # when it began to wait there
        grow("c_room", (R,), 0, np.int64)  # its place among convoys waiting for room
        self.slots = slots
