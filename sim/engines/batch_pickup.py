"""The batch engine's pickup: arrivals, and the dispatcher that forms convoys.

The state it reads and the other parts' methods it calls are declared on
:class:`~sim.engines.batch_part.BatchPart`; :class:`sim.engines.vector.Batch` assembles the parts.
"""

from __future__ import annotations

import numpy as np

from sim.engines.batch_exchange import EXCHANGE_HALT
from sim.engines.batch_part import BatchPart
from sim.engines.batch_private import PRIVATE_COLUMN
from sim.engines.batch_state import LOADING
from sim.model.daylight import gate
from sim.outputs.records import (
    BOARDING,
    CLOSED,
    CORRIDOR,
    LINKED_BEHIND,
    MAX_WAIT,
    SUSPENDED,
    TOO_FEW,
    WAITED,
)

# the dispatcher's reasons to wait, as indices of records.WAITED
WHY = {why: code for code, why in enumerate(WAITED)}

INF = np.inf


class BatchPickup(BatchPart):
    """People and vehicles arriving, and the decision to form a convoy."""

    def _arrive(self, idx: np.ndarray) -> None:
        event = self.arrival_order[self.arrival_next[idx], idx]
        self.arrival_next[idx] += 1
        kind, who, cohort = self.arrival_kind[event].T
        vehicles = kind == 0
        for p in np.unique(who[vehicles]):
            j = idx[vehicles & (who == p)]
            j = j[self.count[p, j] > 0]  # an empty pool never arrives
            self._make_idle(j, p, self.count[p, j])
            counts = np.zeros((self.P, len(j)), dtype=np.int64)
            counts[p] = self.count[p, j]
            self.books.record(j, "vehicles_arrive", vehicles=counts)
        people = kind == 1
        if np.count_nonzero(people):
            j, g, k = idx[people], who[people], cohort[people]
            m = self.arrival_people[event[people], j]
            self.queue[j, self.group_start[g] + k] += m
            self.books.change_waiting(j, m, boarding=False)
            groups = np.zeros((self.G, len(j)), dtype=np.int64)
            groups[g, np.arange(len(j))] = m
            self.books.record(j, "people_arrive", groups=groups)
            if self.scenario.linkage is not None:  # more people here: this side's share falls
                self._check_lag(j)
        column = kind == PRIVATE_COLUMN
        if np.count_nonzero(column):
            self._private_due(idx[column], who[column])
        halt = kind == EXCHANGE_HALT
        if np.count_nonzero(halt):
            self._exchange_halt(idx[halt], who[halt], cohort[halt])
        later = (kind > 1) & ~column & ~halt
        if np.count_nonzero(later):
            self._timetable(idx[later], kind[later], who[later], cohort[later])
        self.kick(idx)

    def _make_idle(self, idx: np.ndarray, p: int, n: np.ndarray) -> None:
        first = self.idle[p, idx] == 0
        self.idle_since[p, idx[first]] = self.now[idx[first]]
        self.idle[p, idx] += n

    def kick(self, idx: np.ndarray) -> None:
        """Decide about a convoy after this instant's events."""
        self.decide_due[idx] = np.minimum(self.decide_due[idx], self.now[idx])

    def _decide(self, idx: np.ndarray) -> None:
        now = self.now[idx]
        self.decide_due[idx] = np.where(self.decide_due[idx] == now, INF, self.decide_due[idx])
        self.deadline_due[idx] = np.where(
            self.deadline_due[idx] == now, INF, self.deadline_due[idx]
        )
        if self.scenario.exchange is not None:  # the linked site's convoys leave first
            self._exchange_send(idx)
        for place in range(len(self.places)):
            self._decide_place(idx, place)

    def _decide_place(self, idx: np.ndarray, place: int) -> None:
        """Form a convoy at loading place ``place`` where the rules allow it."""
        if self.books.any_traced:
            self._note_blocked(idx, place)
        may = (self.active[idx] | self.board_while_suspended[idx]) & ~self.loading[place, idx]
        may &= ~self.ahead[idx]
        if self.scenario.convoy.when_corridor_full == "wait_to_form":
            may &= self.in_corridor[idx] < self.max_in_corridor[idx]
        idx = idx[may]
        if not len(idx):
            return
        everyone = self._waiting(idx)
        waiting = self._boardable(everyone, idx)
        seated, vehicles = self._allocate(waiting, idx, place)
        if waiting is not everyone and self.books.any_traced:  # who would have boarded
            self._note_held(idx, self._allocate(everyone, idx, place)[0].sum(axis=1))
        boarding = seated.sum(axis=(0, 1))
        go = boarding > 0
        hours = self.scenario.convoy.departure_hours
        if hours is not None:  # outside departure hours: decide again at the opening
            open_now, opening = gate(hours, self.scenario.start_hour, self.now[idx])
            closed = go & ~open_now
            j = idx[closed]
            self.deadline_due[j] = np.minimum(self.deadline_due[j], opening[closed])
            self._note(j, CLOSED)
            go &= open_now
        if np.count_nonzero(go) < len(go):  # most often all go: no copies then
            idx, seated, vehicles, waiting, boarding = (
                x[..., go] for x in (idx, seated, vehicles, waiting, boarding)
            )
        here = waiting[self.place_groups[place]].sum(axis=0)  # people this place can carry
        short = (vehicles.sum(0) < self.min_vehicles[idx]) & (boarding < here)
        few = short.copy()  # below min_vehicles: a convoy formed anyway goes after max_wait
        if np.count_nonzero(short):
            j = idx[short]
            since = np.where(vehicles[:, short] > 0, self.idle_since.take(j, axis=1), INF).min(
                axis=0
            )
            deadline = since + self.max_wait[j]
            wait = self.now[j] < deadline
            later = wait & np.isfinite(deadline)
            self.deadline_due[j[later]] = np.minimum(self.deadline_due[j[later]], deadline[later])
            short[np.flatnonzero(short)[wait]] = True
            short[np.flatnonzero(short)[~wait]] = False
            self._note(j[wait], TOO_FEW)
        form = ~short
        forming = np.count_nonzero(form)
        if forming and forming == len(form):
            self._form(idx, seated, vehicles, few, place)
        elif forming:
            self._form(idx[form], seated[..., form], vehicles[:, form], few[form], place)

    # -- the dispatcher's reasons, for the trace --------------------------------------------

    def _note_blocked(self, idx: np.ndarray, place: int) -> None:
        """Keep why no convoy may form in traced replications ``idx``, where someone could
        board (the reference engine's ``Evacuation._blocked``, in its order)."""
        t = idx[self.books.traced[idx]]
        if not len(t):
            return
        room = self.max_in_corridor[t]
        when_full = self.scenario.convoy.when_corridor_full
        why = np.select(
            [
                ~self._could_board(t, place),
                ~(self.active[t] | self.board_while_suspended[t]),
                self.loading[place, t],
                (self.in_corridor[t] >= room) & (when_full == "wait_to_form"),
                self.ahead[t],
            ],
            [0, WHY[SUSPENDED], WHY[BOARDING], WHY[CORRIDOR], WHY[LINKED_BEHIND]],
            default=-1,  # not blocked: the rest of the decision says
        )
        self._wait(t[why >= 0], why[why >= 0])

    def _note(self, idx: np.ndarray, why: str) -> None:
        """Keep ``why`` as the reason to wait of the traced replications among ``idx``."""
        if self.books.any_traced:
            t = idx[self.books.traced[idx]]
            self._wait(t, np.full(len(t), WHY[why]))

    def _wait(self, t: np.ndarray, code: np.ndarray) -> None:
        """Traced replications ``t`` do not form a convoy now, for reasons ``code``
        (indices of ``WAITED``; 0: nobody could board)."""
        starts = (self.waited[t] == 0) & (code != 0)
        self.waited_since[t[starts]] = self.now[t[starts]]
        self.waited[t] = code

    def _could_board(self, idx: np.ndarray, place: int | None = None) -> np.ndarray:
        """Someone waiting has a seat in the idle vehicles (of loading place ``place``, or
        anywhere), per replication of ``idx``."""
        waiting = self._boardable(self._waiting(idx), idx)
        seated, _ = self._allocate(waiting, idx, place)
        return seated.sum(axis=(0, 1)) > 0

    def _suspended(self, idx: np.ndarray) -> None:
        """The ceasefire broke: from now on, the reason to wait where someone could board."""
        if self.books.any_traced:
            t = idx[self.books.traced[idx] & ~self.board_while_suspended[idx]]
            t = t[self._could_board(t)]
            self._wait(t, np.full(len(t), WHY[SUSPENDED]))

    def _waiting(self, idx: np.ndarray) -> np.ndarray:
        """People waiting per group in replications ``idx``, shape (G, n)."""
        by_group = np.add.reduceat(self.queue[idx], self.group_start, axis=1)
        return np.ascontiguousarray(by_group.T)

    def _first_come(self, queue: np.ndarray, take: np.ndarray) -> np.ndarray:
        """Of ``queue`` (rows of replications, ``(n, cells)``), the ``take`` people of each
        group (``(G, n)``) who came first: shape (n, cells)."""
        ahead = np.cumsum(queue, axis=1) - queue  # people in the row's earlier cells
        before = ahead - ahead[:, self.group_start[self.cell_group]]  # ... of the same group
        # np.clip's own checks cost more than its work here (a pass of small rows)
        return np.minimum(np.maximum(take.T[:, self.cell_group] - before, 0), queue)

    def _allocate(
        self, waiting: np.ndarray, idx: np.ndarray, place: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Seats by group and pool, and vehicles by pool (:func:`~sim.model.boarding.allocate`),
        in the idle vehicles of loading place ``place`` (None: of every place)."""
        capacity = self.capacity.take(idx, axis=1)
        free = np.minimum(self.idle.take(idx, axis=1), self.per_convoy.take(idx, axis=1)) * capacity
        if place is not None and len(self.places) > 1:
            free[~self.place_pools[place]] = 0
        seated = np.zeros((self.G, self.P, len(idx)), dtype=np.int64)
        for g in self.order:
            left = waiting[g].copy()
            for p in self.carriers[g]:
                take = np.minimum(left, free[p])
                seated[g, p] += take
                free[p] -= take
                left -= take
        vehicles = -(-seated.sum(axis=0) // capacity)
        return seated, vehicles

    def _form(
        self,
        idx: np.ndarray,
        seated: np.ndarray,
        vehicles: np.ndarray,
        few: np.ndarray,
        place: int,
    ) -> None:
        queue = self.queue[idx]
        manifest = self._first_come(queue, seated.sum(axis=1))  # first come, first served
        self.queue[idx] = queue - manifest
        self.idle[:, idx] = self.idle.take(idx, axis=1) - vehicles  # faster than -= (a 2-d get)
        slot = self._free_slot(idx)
        self.c_number[slot, idx] = self.convoys[idx]
        self.convoys[idx] += 1
        self.loading[place, idx] = True
        self.c_place[slot, idx] = place
        self.c_vehicles[slot, :, idx] = vehicles.T
        self.c_manifest[slot, idx] = manifest
        groups = np.add.reduceat(manifest, self.group_start, axis=1)  # (n, G)
        self.c_groups[slot, :, idx] = groups
        people = groups.sum(axis=1)
        self.c_people[slot, idx] = people
        self.c_formed[slot, idx] = self.now[idx]
        self.c_departed[slot, idx] = np.nan
        self.c_at_checkpoint[slot, idx] = np.nan
        self.c_hold_hours[slot, idx] = 0.0
        self.c_waited_for[slot, idx] = 0
        self.books.board(idx, people)
        why: str | np.ndarray = ""
        if self.books.any_traced:
            code = np.where(self.waited_since[idx] < self.now[idx], self.waited[idx], 0)
            code[few & (code == WHY[TOO_FEW])] = WHY[MAX_WAIT]
            why = np.asarray(WAITED, dtype=object)[code]
            t = idx[self.books.traced[idx]]
            self.waited[t] = 0  # a new wait begins
            self._wait(t, np.where(self._could_board(t), WHY[BOARDING], 0))
        self.books.convoy_event(slot, idx, "convoy_forms", why)
        self._set_timer(
            slot, idx, self.now[idx] + self._slowest("load", slot, idx, self.load_time), LOADING
        )

    def _free_slot(self, idx: np.ndarray) -> np.ndarray:
        free = self.c_number.take(idx, axis=1) < 0
        if np.count_nonzero(free.any(axis=0)) < len(idx):  # a replication with no free slot
            self._grow_slots(2 * self.slots)
            free = self.c_number.take(idx, axis=1) < 0
        return free.argmax(axis=0)
