"""The batch engine's timetable: fleet changes, periods and people who give up.

As in the reference engine (:mod:`sim.engines.timetable`): every change is an entry of the
arrivals calendar, after the arrivals of vehicles and people, in the same order. The
operating rules in force (:mod:`sim.model.periods`) are arrays over replications. The state
is declared on :class:`~sim.engines.batch_state.BatchState`; :class:`sim.engines.vector.Batch`
assembles the parts.
"""

from __future__ import annotations

import numpy as np

from sim.engines.batch_params import PERIOD_NUMBERS, BatchParameters, pick
from sim.engines.batch_part import BatchPart
from sim.outputs.records import GAVE_UP, SENT_HOME

#: Kinds of entries in the arrivals calendar, after vehicles (0) and people (1).
FLEET_CHANGE, PERIOD, GIVE_UP = 2, 3, 4


class BatchTimetable(BatchPart):
    """Entries and losses of vehicles, periods, and people giving up, for R replications."""

    def _rules_start(self, params: BatchParameters) -> None:
        """The rules in force before any period, one value per replication."""
        R, s = self.R, self.scenario

        def state(value, dtype=float) -> np.ndarray:
            return np.array(np.broadcast_to(value, (R,)), dtype=dtype)

        self.min_vehicles = state(params["convoy.min_vehicles"])
        self.max_wait = state(params["convoy.max_wait"])
        self.headway = state(params["convoy.headway"])
        self.max_in_corridor = state(params["convoy.max_in_corridor"], np.int64)
        self.travel_factor = np.ones(R)
        self.inspection_factor = np.ones(R)
        self.board_while_suspended = state(s.ceasefire.board_while_suspended, bool)
        self.to_lose = np.zeros((self.P, R), dtype=np.int64)
        self.left = np.zeros(R, dtype=np.int64)
        self.leave_share = np.zeros((self.G, R))
        for g, group in enumerate(s.groups):
            if group.leaving is not None:
                self.leave_share[g] = params[f"population.{group.name}.leaving.share"]

    def _timetable_rows(self, params: BatchParameters) -> list[tuple[np.ndarray, tuple]]:
        """The calendar entries of the timetable: (times of shape (R,), kind), in order."""
        s, R = self.scenario, self.R
        rows = []
        self.change_notes = []
        self.change_vehicles = []  # vehicles entering (> 0) or leaving (< 0), per replication
        for p, pool in enumerate(s.pools):
            for change, key in zip(pool.changes, params.changes[p], strict=True):
                rows.append((np.full(R, change.at), (FLEET_CHANGE, p, len(self.change_notes))))
                self.change_notes.append(change)
                self.change_vehicles.append(np.sign(change.vehicles) * params[key])
        for q, period in enumerate(s.periods):
            rows.append((np.full(R, period.start), (PERIOD, q, 0)))
        for g, group in enumerate(s.groups):
            if group.leaving is not None:
                after = params[f"population.{group.name}.leaving.after"]
                for k in range(1 + len(group.arrivals)):
                    rows.append((np.full(R, self.cohort_times[g, k]) + after, (GIVE_UP, g, k)))
        return rows

    def _timetable(
        self, idx: np.ndarray, kind: np.ndarray, who: np.ndarray, index: np.ndarray
    ) -> None:
        """Apply the timetable entries due in replications ``idx``."""
        fleet = kind == FLEET_CHANGE
        if fleet.any():
            self._fleet_change(idx[fleet], who[fleet], index[fleet])
        period = kind == PERIOD
        for q in np.unique(who[period]):
            self._period_starts(idx[period & (who == q)], int(q))
        leave = kind == GIVE_UP
        if leave.any():
            self._give_up(idx[leave], who[leave], index[leave])

    def _fleet_change(self, idx: np.ndarray, pool: np.ndarray, change: np.ndarray) -> None:
        for c in np.unique(change):
            on = change == c
            j, p, fleet_change = idx[on], int(pool[on][0]), self.change_notes[c]
            counts = np.zeros((self.P, len(j)), dtype=np.int64)
            vehicles = np.broadcast_to(pick(self.change_vehicles[c], j), j.shape).astype(np.int64)
            if fleet_change.vehicles > 0:
                n = vehicles
                self._make_idle(j, p, n)
                self.books.fleet_change(j, n)
                self.books.vehicles_enter(j, p, n)
                counts[p] = n
                self.books.record(j, "vehicles_arrive", vehicles=counts, note=fleet_change.reason)
            else:
                lose = -vehicles
                gone = np.minimum(lose, self.idle[p, j])
                self.idle[p, j] -= gone
                self.to_lose[p, j] += lose - gone
                self.books.fleet_change(j, -gone)
                counts[p] = gone
                self.books.record(j, "vehicles_lost", vehicles=counts, note=fleet_change.reason)

    def _come_back(self, idx: np.ndarray, p: int, n: np.ndarray) -> None:
        """``n`` vehicles of pool ``p`` are back at the pickup; those due to leave do."""
        gone = np.minimum(self.to_lose[p, idx], n)
        lost = gone > 0
        if np.count_nonzero(lost):
            j = idx[lost]
            self.to_lose[p, j] -= gone[lost]
            self.books.fleet_change(j, -gone[lost])
            counts = np.zeros((self.P, len(j)), dtype=np.int64)
            counts[p] = gone[lost]
            self.books.record(j, "vehicles_lost", vehicles=counts, note="on return")
        back = n > gone
        if np.count_nonzero(back):
            self._make_idle(idx[back], p, (n - gone)[back])

    def _period_starts(self, idx: np.ndarray, q: int) -> None:
        s = self.scenario
        period = s.periods[q]
        key = self.params.periods[q]

        def number(rule: str) -> float | np.ndarray:
            """The value the period sets for ``rule`` in replications ``idx``."""
            return pick(self.params[f"{key}.{rule}"], idx)

        index = {p.name: i for i, p in enumerate(s.pools)}
        for name, _ in period.per_convoy:
            self.per_convoy[index[name], idx] = number(f"per_convoy.{name}")
        for name, _ in period.crowding:
            p = index[name]
            crowding = number(f"crowding.{name}")
            self.capacity[p, idx] = np.floor(self.seats[p, idx] * crowding + 1e-9)
        if period.board_while_suspended is not None:  # a flag: the same in every replication
            self.board_while_suspended[idx] = period.board_while_suspended
        for rule in PERIOD_NUMBERS:
            if getattr(period, rule) is not None:
                getattr(self, rule)[idx] = number(rule)
        self.books.record(idx, "period_starts", note=period.name)
        if period.crossing_lanes is not None:
            self._set_lanes(idx, number("crossing.lanes"))
        if period.max_in_corridor is not None:
            self._corridor_changes(idx)
        groups = {g.name: i for i, g in enumerate(s.groups)}
        sent = np.zeros(len(idx), dtype=np.int64)
        for name, _ in period.send_home:
            g = groups[name]
            share = number(f"send_home.{name}")
            cells = self.group_cells[g]
            gone = np.floor(share * self.queue[idx, cells].T).astype(np.int64)  # (cohorts, n)
            self.queue[idx, cells] -= gone.T
            for k in range(len(gone)):  # their waits, for the censored waits
                on = gone[k] > 0
                if on.any():
                    cohort = np.full(on.sum(), k)
                    self.books.waits.gave_up(idx[on], np.full(on.sum(), g), cohort, gone[k][on])
            n = gone.sum(axis=0)
            some = n > 0
            if some.any():
                self._leave(idx[some], np.full(some.sum(), g), n[some], SENT_HOME)
                sent += n
        self._cleared_by_leaving(idx[sent > 0])

    def _give_up(self, idx: np.ndarray, group: np.ndarray, cohort: np.ndarray) -> None:
        cell = self.group_start[group] + cohort
        waiting = self.queue[idx, cell]
        n = np.floor(self.leave_share[group, idx] * waiting).astype(np.int64)
        some = n > 0
        if not some.any():
            return
        j, g, k, n = idx[some], group[some], cohort[some], n[some]
        self.queue[j, cell[some]] -= n
        self._leave(j, g, n, GAVE_UP)
        self.books.waits.gave_up(j, g, k, n)
        self._cleared_by_leaving(j)

    def _leave(self, idx: np.ndarray, group: np.ndarray, n: np.ndarray, why: str) -> None:
        """``n`` people of ``group``, out of the queue already, go home (``why``)."""
        self.left[idx] += n
        self.books.people_leave(idx, n)
        groups = np.zeros((self.G, len(idx)), dtype=np.int64)
        groups[group, np.arange(len(idx))] = n
        self.books.record(idx, "people_leave", groups=groups, note=why)

    def _cleared_by_leaving(self, idx: np.ndarray) -> None:
        """The last people waiting went home: the enclave is clear."""
        cleared = idx[self.evacuated[idx] + self.left[idx] == self.people[idx]]
        if len(cleared):
            self.books.cleared_at[cleared] = self.now[cleared]
            self.books.record(cleared, "cleared")
