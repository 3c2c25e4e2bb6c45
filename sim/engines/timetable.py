"""The reference engine's timetable: fleet changes, periods and people who give up.

Mixed into :class:`sim.engines.des.Evacuation`, whose state it declares. Every change is a
timer set when the replication starts, after the arrivals of vehicles and people, so changes
at the same instant happen in this order: the pools' entries and losses (pool by pool, in
time order), the periods, then people giving up (group by group, cohort by cohort).

- A pool's vehicles **enter** in batches, or **leave** (burned, broken down, withdrawn):
  leaving vehicles are taken from those idle at the pickup; any shortfall leaves with the
  first of the pool's vehicles to come back.
- A **period** replaces the operating rules it names (:mod:`sim.model.periods`), then sends
  home the share of each group it names (``send_home``), cohort by cohort.
- A **cohort** of a group with a leaving rule (the people there at the start, or an arrival
  batch) loses ``floor(share * waiting)`` of its people ``after`` hours after it reached the
  pickup: they go home and stay in the enclave.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod

from sim.engines.clock import Clock, then
from sim.engines.crossing import Crossing
from sim.engines.ledger import Ledger
from sim.inputs.scenario import FleetChange, Period, Scenario
from sim.model.periods import Rules
from sim.outputs.records import GAVE_UP, SENT_HOME


class Timetable(ABC):
    """Scheduled changes of one replication of the reference engine."""

    # the state of sim.engines.des.Evacuation the changes work on
    env: Clock
    scenario: Scenario
    books: Ledger
    idle: list[int]  # vehicles at the pickup, per pool
    queue: list[list[int]]  # people waiting, per group and arrival cohort
    cohort_times: list[list[float]]  # hours each cohort reached the pickup
    evacuated: int
    crossing: Crossing  # a period may change its lanes

    @abstractmethod
    def kick(self) -> None:
        """Something changed at the pickup: decide about a convoy after this instant."""

    @abstractmethod
    def _make_idle(self, p: int, n: int) -> None:
        """``n`` vehicles of pool ``p`` wait at the pickup."""

    @abstractmethod
    def _corridor_changes(self) -> None:
        """A period has set ``max_in_corridor``: convoys waiting for room may leave."""

    def _schedule_timetable(self) -> None:
        env, s = self.env, self.scenario
        self.rules = Rules.initial(s)
        self.to_lose = [0] * len(s.pools)  # vehicles to leave as they come back, by pool
        self.left = 0  # people who gave up waiting
        for p, pool in enumerate(s.pools):
            for change in pool.changes:
                env.at(change.at).callbacks.append(then(self._fleet_change, p, change))
        for period in s.periods:
            env.at(period.start).callbacks.append(then(self._period_starts, period))
        for g, group in enumerate(s.groups):
            if group.leaving is not None:
                for k, t in enumerate(self.cohort_times[g]):
                    env.at(t + group.leaving.after).callbacks.append(then(self._give_up, g, k))

    def _fleet_change(self, p: int, change: FleetChange) -> None:
        now = self.env.now
        vehicles = [0] * len(self.idle)
        if change.vehicles > 0:
            self._make_idle(p, change.vehicles)
            self.books.fleet_change(now, change.vehicles)
            self.books.vehicles_enter(p, change.vehicles)
            vehicles[p] = change.vehicles
            self.books.record(now, "vehicles_arrive", vehicles=vehicles, note=change.reason)
        else:
            lose = -change.vehicles
            gone = min(lose, self.idle[p])
            self.idle[p] -= gone
            self.to_lose[p] += lose - gone
            self.books.fleet_change(now, -gone)
            vehicles[p] = gone
            self.books.record(now, "vehicles_lost", vehicles=vehicles, note=change.reason)
        self.kick()

    def _come_back(self, p: int, n: int) -> None:
        """``n`` vehicles of pool ``p`` are back at the pickup; those due to leave do."""
        gone = min(self.to_lose[p], n)
        if gone:
            now = self.env.now
            self.to_lose[p] -= gone
            self.books.fleet_change(now, -gone)
            vehicles = [0] * len(self.idle)
            vehicles[p] = gone
            self.books.record(now, "vehicles_lost", vehicles=vehicles, note="on return")
        if n > gone:
            self._make_idle(p, n - gone)

    def _period_starts(self, period: Period) -> None:
        s, now = self.scenario, self.env.now
        self.rules.apply(period, s)
        self.books.record(now, "period_starts", note=period.name)
        if period.crossing_lanes is not None:
            self.crossing.set_lanes(period.crossing_lanes)
        if period.max_in_corridor is not None:
            self._corridor_changes()
        index = {g.name: i for i, g in enumerate(s.groups)}
        sent = 0
        for name, share in period.send_home:
            g, n = index[name], 0
            for k, waiting in enumerate(self.queue[g]):
                gone = math.floor(share * waiting)
                self.queue[g][k] -= gone
                if gone:
                    self.books.gave_up.append((g, now - self.cohort_times[g][k], gone))
                n += gone
            if n:
                self._leave(g, n, SENT_HOME)
                sent += n
        if sent and self.evacuated + self.left == s.people:
            self.books.cleared_at = now
            self.books.record(now, "cleared")
        self.kick()

    def _leave(self, g: int, n: int, why: str) -> None:
        """``n`` people of group ``g``, out of the queue already, go home (``why``)."""
        self.left += n
        self.books.people_leave(self.env.now, n)
        groups = [0] * len(self.queue)
        groups[g] = n
        self.books.record(self.env.now, "people_leave", groups=groups, note=why)

    def _give_up(self, g: int, cohort: int) -> None:
        s, now = self.scenario, self.env.now
        leaving = s.groups[g].leaving
        assert leaving is not None  # scheduled for the groups that leave only
        n = math.floor(leaving.share * self.queue[g][cohort])
        if n:
            self.queue[g][cohort] -= n
            self.books.gave_up.append((g, now - self.cohort_times[g][cohort], n))
            self._leave(g, n, GAVE_UP)
            if self.evacuated + self.left == s.people:
                self.books.cleared_at = now
                self.books.record(now, "cleared")
        self.kick()
