"""The batch engine's convoys: each step of a convoy's trip, for many replications at once.

A convoy in flight sits in a slot ``(slots, R)`` with a timer and a stage, its next event.
:class:`BatchConvoys` holds the steps, over the state declared on
:class:`~sim.engines.batch_part.BatchPart`; :class:`sim.engines.vector.Batch` assembles the parts.
"""

from __future__ import annotations

import numpy as np

from sim.engines.batch_params import pick
from sim.engines.batch_part import BatchPart
from sim.engines.batch_state import (
    BRIDGE_CROSSES,
    CROSSING_QUEUE,
    HELD_CHECKPOINT,
    HELD_PICKUP,
    INSPECTION,
    LOADING,
    PRIVATE_TO_CHECKPOINT,
    RETURNING,
    TO_CHECKPOINT,
    TO_RECEPTION,
    TURNING_BACK,
    UNLOADING,
    WAITING_ROOM,
)
from sim.outputs.records import HEADWAY, HELD_TOO_LONG, ROOM, TURN_BACK_RULE

INF = np.inf

#: What a loaded convoy waited for last before it left, by code (``c_waited_for``).
LEFT_AFTER = np.array(["", HEADWAY, ROOM], dtype=object)
BEFORE_CHECKPOINT = (LOADING, WAITING_ROOM, TO_CHECKPOINT, CROSSING_QUEUE, INSPECTION)


class BatchConvoys(BatchPart):
    """Load, leave, pass the checkpoint, reach reception, unload and return, or be held or
    turned back: the reference engine's ``Evacuation.convoy`` process, step by step."""

    def _convoy(self, slot: np.ndarray, idx: np.ndarray) -> None:
        """Each convoy whose timer fired takes its next step."""
        stage = self.c_stage[slot, idx]
        present = np.bincount(stage, minlength=TURNING_BACK + 1)  # steps due, by stage
        for code, step in (
            (LOADING, self._at_pickup),
            (HELD_PICKUP, self._held_at_pickup),
            (TO_CHECKPOINT, self._reach_checkpoint),
            (INSPECTION, self._inspected),
            (HELD_CHECKPOINT, self._held_at_checkpoint),
            (TO_RECEPTION, self._reach_reception),
            (UNLOADING, self._unloaded),
            (RETURNING, self._returned),
            (TURNING_BACK, self._back_at_pickup),
        ):
            if present[code]:
                here = stage == code
                step(slot[here], idx[here])
        if np.count_nonzero(present[BRIDGE_CROSSES:PRIVATE_TO_CHECKPOINT]):
            exchange = (stage >= BRIDGE_CROSSES) & (stage < PRIVATE_TO_CHECKPOINT)
            self._exchange_step(slot[exchange], idx[exchange])
        if np.count_nonzero(present[PRIVATE_TO_CHECKPOINT:]):
            private = stage >= PRIVATE_TO_CHECKPOINT
            self._private_step(slot[private], idx[private])

    def _at_pickup(self, slot: np.ndarray, idx: np.ndarray) -> None:
        """Loaded: leave if the ceasefire holds, the headway has passed and the corridor
        has room."""
        now = self.now[idx]
        suspended = ~self.active[idx]
        if np.count_nonzero(suspended):
            self._hold(slot[suspended], idx[suspended], HELD_PICKUP, "at the pickup")
        ready = self.last_departure[self.c_place[slot, idx], idx] + self.headway[idx]
        early = ~suspended & (now < ready)
        if np.count_nonzero(early):
            self.c_waited_for[slot[early], idx[early]] = 1  # LEFT_AFTER: the headway
            self._set_timer(slot[early], idx[early], ready[early], LOADING)
        full = ~suspended & ~early & (self.in_corridor[idx] >= self.max_in_corridor[idx])
        if np.count_nonzero(full):  # woken by _leave_corridor
            self.c_waited_for[slot[full], idx[full]] = 2  # LEFT_AFTER: room on the road
            self.c_stage[slot[full], idx[full]] = WAITING_ROOM
            self.c_next[slot[full], idx[full]] = INF
            self.c_room[slot[full], idx[full]] = self.room_tickets[idx[full]]
            self.room_tickets[idx[full]] += 1
        go = ~suspended & ~early & ~full
        if np.count_nonzero(go):
            self._depart(slot[go], idx[go])

    def _depart(self, slot: np.ndarray, idx: np.ndarray) -> None:
        now = self.now[idx]
        self.c_departed[slot, idx] = now
        place = self.c_place[slot, idx]
        self.last_departure[place, idx] = now
        self.loading[place, idx] = False
        self.in_corridor[idx] += 1
        self.books.departure(idx)
        self.books.change_boarded(idx, -self.c_people[slot, idx])
        self.books.on_the_road(idx, self.c_people[slot, idx], 1)
        why = LEFT_AFTER[self.c_waited_for[slot, idx]] if self.books.any_traced else ""
        self.books.convoy_event(slot, idx, "convoy_departs", why)
        self.kick(idx)
        self._set_timer(slot, idx, now + self._leg("to_checkpoint", slot, idx), TO_CHECKPOINT)

    def _hold(self, slot: np.ndarray, idx: np.ndarray, stage: int, where: str) -> None:
        self.books.convoy_event(slot, idx, "held", where)
        people = self.c_people[slot, idx]
        if stage == HELD_PICKUP:  # held, no longer merely boarded
            self.books.boarded_held(idx, people)
        else:
            self.books.change_held(idx, people)
        self.c_waited_for[slot, idx] = 0
        if self.scenario.ceasefire.max_hold_counts == "each":
            self.c_hold_hours[slot, idx] = 0.0
        self._hold_wait(slot, idx, stage)

    def _hold_wait(self, slot: np.ndarray, idx: np.ndarray, stage: int) -> None:
        """Wait for the resumption, or until the convoy's ``max_hold`` is spent."""
        now, limit = self.now[idx], self.max_hold[idx]  # the limit in force (a period's)
        until = now + (limit - self.c_hold_hours[slot, idx])
        self.c_hold_start[slot, idx] = now
        self.c_hold_until[slot, idx] = until
        self._set_timer(slot, idx, np.maximum(until, now), stage)
        self.c_hold_seq[slot, idx] = self.c_seq[slot, idx]
        # with no limit it waits for the resumption alone: no scheduling hop to take
        self.c_hop[slot, idx] = ~np.isfinite(limit)

    def _released(self, slot: np.ndarray, idx: np.ndarray, stage: int) -> np.ndarray:
        """Held convoys that woke: which move on or turn back (the others wait again).

        A convoy that wakes to a ceasefire suspended again at the instant it resumed stays
        held; it turns back only when its ``max_hold`` is spent.
        """
        now = self.now[idx]
        self.c_hold_hours[slot, idx] += now - self.c_hold_start[slot, idx]
        again = ~self.active[idx] & (now < self.c_hold_until[slot, idx])
        if np.count_nonzero(again):
            self._hold_wait(slot[again], idx[again], stage)
        done = ~again
        j = idx[done]
        people = self.c_people[slot[done], j]
        if stage == HELD_PICKUP:  # boarded again, no longer held
            self.books.boarded_held(j, -people)
        else:
            self.books.change_held(j, -people)
        return done

    def _wakes(self, slot: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """Which held convoys act now; the others take one more scheduling hop first.

        A convoy waiting with a finite ``max_hold`` (the one in force when its wait began)
        waits for the resumption *or* its timer; in the reference engine that condition is an
        event of its own, scheduled when either fires, so the convoy moves one event later
        than a plain wait would.
        """
        hop = ~self.c_hop[slot, idx]
        if np.count_nonzero(hop):
            s, j = slot[hop], idx[hop]
            self.c_hop[s, j] = True
            self.c_seq[s, j] = self.seq[j]
            self.seq[j] += 1
        return ~hop

    def _held_at_pickup(self, slot: np.ndarray, idx: np.ndarray) -> None:
        wake = self._wakes(slot, idx)
        slot, idx = slot[wake], idx[wake]
        done = self._released(slot, idx, HELD_PICKUP)
        slot, idx = slot[done], idx[done]
        on = self.active[idx]
        if np.count_nonzero(on):
            self._at_pickup(slot[on], idx[on])
        if np.count_nonzero(~on):
            self._turn_back(slot[~on], idx[~on], HELD_TOO_LONG)

    def _reach_checkpoint(self, slot: np.ndarray, idx: np.ndarray) -> None:
        self.c_at_checkpoint[slot, idx] = self.now[idx]
        self.books.convoy_event(slot, idx, "reaches_checkpoint")
        self._enter_crossing(slot, idx, self._leg("inspection", slot, idx))

    def _inspected(self, slot: np.ndarray, idx: np.ndarray) -> None:
        if self.crossing_on:
            self._release_lane(slot, idx)
        incident = self.active[idx] & (
            self._u("incident", idx, self.c_number[slot, idx])
            < pick(self.incident_probability, idx)
        )
        if np.count_nonzero(incident):
            j, s = idx[incident], slot[incident]
            self.books.incidents[j] += 1
            self.books.convoy_event(s, j, "incident")
            self.suspend(j, "incident at the checkpoint", np.full(len(j), np.nan), exclude_slot=s)
        stopped = ~self.active[idx]
        if np.count_nonzero(stopped):
            if self.turn_back_mode:
                self._turn_back(slot[stopped], idx[stopped], TURN_BACK_RULE)
            else:
                self._hold(slot[stopped], idx[stopped], HELD_CHECKPOINT, "at the checkpoint")
        if np.count_nonzero(~stopped):
            self._reach_bridge(slot[~stopped], idx[~stopped])

    def _held_at_checkpoint(self, slot: np.ndarray, idx: np.ndarray) -> None:
        wake = self._wakes(slot, idx)
        slot, idx = slot[wake], idx[wake]
        done = self._released(slot, idx, HELD_CHECKPOINT)
        slot, idx = slot[done], idx[done]
        on = self.active[idx]
        if np.count_nonzero(on):
            self._reach_bridge(slot[on], idx[on])
        if np.count_nonzero(~on):
            self._turn_back(slot[~on], idx[~on], HELD_TOO_LONG)

    def _pass(self, slot: np.ndarray, idx: np.ndarray, note: str = "") -> None:
        """Convoys pass the checkpoint (and an exchange's meeting point, ``note`` if they
        waited there) towards reception."""
        self._crossed(slot, idx)
        self.books.crossed_checkpoint(idx, self.c_people[slot, idx], 1)
        self.books.convoy_event(slot, idx, "passes_checkpoint", note)
        self._set_timer(
            slot, idx, self.now[idx] + self._leg("to_reception", slot, idx), TO_RECEPTION
        )

    def _turn_back(self, slot: np.ndarray, idx: np.ndarray, why: str) -> None:
        """Drive back as far as the convoy came; its people rejoin the queue on arrival."""
        self._leave_crossing(slot, idx)
        now = self.now[idx]
        self.books.turned_back[idx] += 1
        self.books.convoy_event(slot, idx, "turned_back", why)
        departed, at_checkpoint = self.c_departed[slot, idx], self.c_at_checkpoint[slot, idx]
        at_pickup = np.isnan(departed)
        self.books.change_boarded(idx[at_pickup], -self.c_people[slot, idx][at_pickup])
        if np.count_nonzero(~at_pickup):  # their people have not left after all
            self.books.on_the_road(idx[~at_pickup], -self.c_people[slot, idx][~at_pickup], -1)
        self.loading[self.c_place[slot[at_pickup], idx[at_pickup]], idx[at_pickup]] = False
        travelled = np.where(
            at_pickup,
            0.0,
            np.where(np.isnan(at_checkpoint), now - departed, at_checkpoint - departed),
        )
        self._set_timer(slot, idx, now + travelled, TURNING_BACK)

    def _back_at_pickup(self, slot: np.ndarray, idx: np.ndarray) -> None:
        self.queue[idx] += self.c_manifest[slot, idx]
        self.books.change_waiting(idx, self.c_people[slot, idx], boarding=True)
        departed = ~np.isnan(self.c_departed[slot, idx])
        self._leave_corridor(idx[departed])
        self._vehicles_back(slot, idx, "back_at_pickup")

    def _reach_reception(self, slot: np.ndarray, idx: np.ndarray) -> None:
        self._leave_corridor(idx)
        self.books.reception(slot, idx)
        self.books.convoy_event(slot, idx, "reaches_reception")
        self._people_safe(idx, self.c_people[slot, idx])
        self._set_timer(
            slot,
            idx,
            self.now[idx] + self._slowest("unload", slot, idx, self.unload_time),
            UNLOADING,
        )

    def _people_safe(self, idx: np.ndarray, people: np.ndarray) -> None:
        """People of convoys or private columns have reached reception."""
        self.evacuated[idx] += people
        cleared = self.evacuated[idx] + self.left[idx] == self.people[idx]
        if np.count_nonzero(cleared):
            self.books.cleared_at[idx[cleared]] = self.now[idx[cleared]]
            self.books.record(idx[cleared], "cleared")
        if self.scenario.linkage is not None:  # once clear, the run ends: no more pauses
            self._check_lag(idx[~cleared])
            self._linked_try(idx[~cleared])
        self.kick(idx)

    def _unloaded(self, slot: np.ndarray, idx: np.ndarray) -> None:
        self.books.convoy_event(slot, idx, "unloaded")
        self._set_timer(slot, idx, self.now[idx] + self._leg("return_trip", slot, idx), RETURNING)

    def _returned(self, slot: np.ndarray, idx: np.ndarray) -> None:
        self._vehicles_back(slot, idx, "vehicles_return")

    def _vehicles_back(self, slot: np.ndarray, idx: np.ndarray, event: str) -> None:
        for p in range(self.P):
            n = self.c_vehicles[slot, p, idx]
            if np.count_nonzero(n > 0):
                self._come_back(idx[n > 0], p, n[n > 0])
        self.books.convoy_idle(slot, idx)
        self.books.convoy_event(slot, idx, event)
        self.kick(idx)
        self.c_number[slot, idx] = -1
        self.c_stage[slot, idx] = 0
        self.c_next[slot, idx] = INF

    def _run_deferred(self) -> None:
        """Turn back convoys interrupted by a suspension, in convoy order.

        Interruptions are urgent events created after the suspension's resume timer, so a
        suspension that ends the instant it starts resumes first; windows due at the same
        instant are older timers still, so they come first of all and may extend it. Where
        no convoy is interrupted there is no such event: the resume timer then waits its
        turn in the main loop, after those windows too.
        """
        while self.deferred:
            hit, idx = self.deferred.pop(0)
            if len(hit) < self.slots:  # other replications added convoy slots meanwhile
                hit = np.vstack([hit, np.zeros((self.slots - len(hit), len(idx)), bool)])
            self._windows_due(idx[hit.any(axis=0)])
            instant = (self.resume_due[idx] == self.now[idx]) & hit.any(axis=0)
            if np.count_nonzero(instant):
                self._resume(idx[instant])
            number = np.where(hit, self.c_number.take(idx, axis=1), np.iinfo(np.int64).max)
            order = np.argsort(number, axis=0, kind="stable")
            for rank in range(hit.sum(0).max(initial=0)):
                slot = order[rank]
                on = hit[slot, np.arange(len(idx))]
                self._turn_back(slot[on], idx[on], TURN_BACK_RULE)
