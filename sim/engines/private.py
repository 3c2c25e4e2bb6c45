"""Private vehicles in the reference engine: columns of cars, vans and pickups leaving once.

A column comes at its scheduled time. If the ceasefire holds it leaves at once, else when
the ceasefire resumes. Its vehicles take people waiting at the pickup, from the stream's
groups in order (first come, first served within a group), each vehicle its own load; it
takes as many vehicles as those people need. It drives to the checkpoint, queues for a lane
with the convoys (:mod:`sim.engines.crossing`), is inspected, waits aboard at the checkpoint
while the ceasefire is suspended, and goes on to reception, where its people are evacuated.
It uses neither the loading place, nor the headway, nor the corridor; it is never turned
back, its inspection never ends in an incident, and its vehicles do not come back.

Each step is a callback on a timer, so a column's events take their place among the other
events exactly as the batch engine's (:mod:`sim.engines.batch_private`).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from sim.engines.ceasefire import Ceasefire
from sim.engines.clock import Clock, then
from sim.engines.crossing import Crossing
from sim.engines.exchange import ExchangeSite
from sim.engines.ledger import Ledger
from sim.inputs.scenario import MAX_COLUMN, Scenario
from sim.model.variates import Variates


class Evacuation(Protocol):
    """What the columns use of the replication they run in (:class:`sim.engines.des.Evacuation`)."""

    scenario: Scenario
    variates: Variates
    rep: int
    env: Clock
    books: Ledger
    ceasefire: Ceasefire
    crossing: Crossing
    queue: list[list[int]]  # people waiting, per group and arrival cohort
    cohort_times: list[list[float]]  # hours each cohort reached the pickup
    exchange: ExchangeSite | None  # its after_safe clause may hold groups back

    def kick(self) -> None:
        """Decide about a convoy after this instant's events."""

    def _leg(self, leg: str, convoy: int, stream: str | None = None) -> float:
        """Hours of a leg of the route starting now."""

    def people_safe(self, people: int) -> None:
        """``people`` have reached reception."""


class Column:
    """A column of private vehicles and its passengers."""

    traced = False  # the crossing does not trace columns' queueing

    def __init__(self, number: int, stream: int, manifest: list[list[int]], size: int, pools: int):
        self.number, self.stream, self.manifest, self.size = number, stream, manifest, size
        self.groups = [sum(cohorts) for cohorts in manifest]
        self.people = sum(self.groups)
        self.vehicles = [0] * pools  # no vehicle of any pool
        self.departed = 0.0


def loads(variates, rep: int, column: int, vehicles: int, dist) -> np.ndarray:
    """People each vehicle of a column can take (whole people, at least 1)."""
    u = variates.block("private_load", rep, column * MAX_COLUMN, vehicles)
    return np.maximum(1, np.floor(np.asarray(dist.ppf(u), dtype=float) + 0.5)).astype(np.int64)


class PrivateVehicles:
    """The private columns of one replication."""

    def __init__(self, evacuation: Evacuation):
        self.evac = e = evacuation
        s = e.scenario
        self.columns = s.private_columns
        self.pending: list[int] = []  # columns due while the ceasefire was suspended
        self.out: dict[int, Column] = {}  # columns on their way, by number
        groups = [g.name for g in s.groups]
        self.takes = [tuple(groups.index(g) for g in p.groups) for p in s.private]
        for k, (t, _, _) in enumerate(self.columns):
            e.env.at(t).callbacks.append(then(self._due, k))

    def _due(self, k: int) -> None:
        if self.evac.ceasefire.active:
            self._leave(k)
        else:
            self.pending.append(k)
        self.evac.kick()

    def resumed(self) -> None:
        """The ceasefire resumes: columns that came during the suspension leave, in order."""
        pending, self.pending = self.pending, []
        for k in pending:
            self._leave(k)

    def _leave(self, k: int) -> None:
        e, s = self.evac, self.evac.scenario
        _, stream, vehicles = self.columns[k]
        seats = loads(e.variates, e.rep, k, vehicles, s.private[stream].load)
        free, manifest = int(seats.sum()), [[0] * len(c) for c in e.queue]
        everyone = [sum(cohorts) for cohorts in e.queue]
        may = everyone if e.exchange is None else e.exchange.boardable(everyone)
        if may is not everyone and e.exchange and e.books.traced:  # who would have gone but for it
            would, left = [0] * len(everyone), free
            for g in self.takes[stream]:
                would[g] = min(everyone[g], left)
                left -= would[g]
            e.exchange.note_held(would)
        for g in self.takes[stream]:
            if not may[g]:  # held back by the exchange's clause (or nobody waiting)
                continue
            for c, n in enumerate(e.queue[g]):  # first come, first served within the group
                step = min(n, free)
                manifest[g][c] = step
                e.queue[g][c] -= step
                free -= step
        taken = sum(map(sum, manifest))
        if not taken:
            return
        used = int(np.searchsorted(np.cumsum(seats), taken, side="left")) + 1
        column = Column(k, stream, manifest, used, len(s.pools))
        now = column.departed = e.env.now
        self.out[k] = column
        e.books.change_waiting(now, -taken, boarding=True)
        e.books.road_log.append((now, taken, 0))  # people departed, no convoy
        note = f"{s.private[stream].name}: {used} vehicles"
        e.books.record(now, "private_departs", -1, column.groups, note=note)
        trip = e._leg("to_checkpoint", k, "private_to_checkpoint")
        e.env.at(now + trip).callbacks.append(lambda _: self._at_checkpoint(column))

    def _at_checkpoint(self, column: Column) -> None:
        e = self.evac
        inspection = e._leg("inspection", column.number, "private_inspection")
        e.crossing.inspect(column, inspection).callbacks.append(lambda _: self._inspected(column))

    def _inspected(self, column: Column) -> None:
        e = self.evac
        e.crossing.release(column)
        if e.ceasefire.active:
            self._pass(column)
        else:
            self._hold(column)

    def _hold(self, column: Column) -> None:
        """Wait aboard at the checkpoint until the ceasefire resumes."""
        e = self.evac
        e.books.change_held(e.env.now, column.people)
        e.ceasefire.resumed.callbacks.append(lambda _: self._held_until_now(column))

    def _held_until_now(self, column: Column) -> None:
        e = self.evac
        e.books.change_held(e.env.now, -column.people)
        if e.ceasefire.active:
            self._pass(column)
        else:
            self._hold(column)

    def _pass(self, column: Column) -> None:
        e, s = self.evac, self.evac.scenario
        e.crossing.passed([column.size], len(s.pools) + column.stream)
        e.books.crossing_log.append((e.env.now, column.people, 0))  # people crossed, no convoy
        trip = e._leg("to_reception", column.number, "private_to_reception")
        e.env.at(e.env.now + trip).callbacks.append(lambda _: self._arrives(column))

    def _arrives(self, column: Column) -> None:
        e = self.evac
        now, books = e.env.now, e.books
        books.private_reception(now, column.groups)
        del self.out[column.number]
        for g, cohorts in enumerate(column.manifest):
            for c, n in enumerate(cohorts):
                if n:
                    books.waits.append((g, column.departed - e.cohort_times[g][c], n))
        note = f"{e.scenario.private[column.stream].name}: {column.size} vehicles"
        books.record(now, "private_arrives", -1, column.groups, note=note)
        e.people_safe(column.people)
