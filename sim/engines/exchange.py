"""The exchange in the reference engine: the linked site's convoys, its halts, and the
meeting point where convoys of both sides wait for each other.

The linked site's fleet shuttles. At each decision of the dispatcher (after this instant's
other events) the linked site sends convoys while the deal has started, it is not halted,
the ceasefire holds, it has people left, vehicles for the next convoy are back and its
headway has passed. A linked convoy drives to the meeting point; this side's convoys reach
it once inspected (and released from any hold) at the checkpoint. At the meeting point
:class:`sim.model.pairing.Pairing` says which batch a convoy belongs to; a convoy whose batch
cannot cross yet waits there with its people aboard (held person-hours, cold exposure) until
the last convoy of its batch arrives. Then the waiting convoys move on, this side's in the
order they arrived, then the linked site's. A linked convoy goes on to safety, where its
people count as evacuated, and its vehicles drive back.

Each step of a linked convoy is a callback on a timer, as the batch engine's events
(:mod:`sim.engines.batch_exchange`); this side's convoys wait in their own process.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Protocol

import simpy

from sim.engines.after_safe import AfterSafe
from sim.engines.ceasefire import Ceasefire
from sim.engines.clock import Clock, then
from sim.engines.ledger import Ledger, in_order
from sim.inputs.exchange import Halt
from sim.inputs.scenario import Scenario
from sim.model.linked_halts import random_halts
from sim.model.pairing import Pairing
from sim.outputs.records import (
    PARTNER_HERE,
    PARTNER_THERE,
    RANDOM_HALT,
    SUSPENDED,
    WAITED_AT_BRIDGE,
)


class Evacuation(Protocol):
    """What the exchange uses of its replication (:class:`sim.engines.des.Evacuation`)."""

    scenario: Scenario
    env: Clock
    books: Ledger
    ceasefire: Ceasefire
    queue: list[list[int]]  # people waiting, per group and arrival cohort

    def kick(self) -> None:
        """Decide about convoys after this instant's events."""

    def _decide_at_time(self, time: float) -> None:
        """Decide about convoys again at ``time`` (a deadline), after that instant's other
        events."""

    def _u(self, stream: str, index: int) -> float:
        """The uniform ``index`` of a stream."""


class Convoy(Protocol):
    """What the meeting point reads of one of this side's convoys (``trip.Trip``)."""

    number: int
    people: int
    groups: list[int]
    vehicles: list[int]


class ExchangeSite:
    """The linked site's convoys and halts, and the meeting point, of one replication."""

    def __init__(self, evacuation: Evacuation):
        e = self.evacuation = evacuation
        deal = e.scenario.exchange
        assert deal is not None
        self.deal, self.env, self.books = deal, e.env, e.books
        self.pairing = Pairing(deal)
        self.total = deal.convoys  # convoys the linked site sends in all
        self.batches = int(self.pairing.count(self.total))
        self.idle = deal.vehicles  # the linked site's vehicles at home
        self.sent = 0  # people who left the linked site
        self.formed = 0  # linked convoys that left
        self.last_departure = -math.inf
        self.halted = False
        self.here_at = 0  # this side's convoys that reached the meeting point since the start
        self.there_at = 0  # the linked site's
        self.released = 0  # batches that crossed
        self.waiting_here: list[tuple[int, float, Convoy, simpy.Event]] = []  # in rank order
        self.waiting_there: list[tuple[int, float, int, int]] = []  # rank, since, convoy, people
        self.waits = [0, 0]  # convoys that waited: this side's, the linked site's
        self.waited: list[list[float]] = [[], []]  # hours each waited, in the order they left
        self.by_time = [
            (m.at, [0, 0]) for m in e.scenario.milestones if m.at is not None
        ]  # linked people and convoys safe by each time milestone
        self.clause = AfterSafe(e, self.total)  # groups held back until linked people are safe
        for halt in deal.halts:
            self.env.at(halt.start).callbacks.append(then(self._halts, halt))
            self.env.at(halt.end).callbacks.append(then(self._resumes, halt))
        self.halted_at_random = False  # in one of its random halts
        if deal.halt_duration is not None:
            dist = deal.halt_duration
            for begins, ends in random_halts(
                e._u, deal.halt_rate, dist.ppf, deal.start, e.scenario.horizon
            ):
                self.env.at(float(begins)).callbacks.append(then(self._random_halt, True))
                self.env.at(float(ends)).callbacks.append(then(self._random_halt, False))
        e._decide_at_time(deal.start)

    # -- the linked site -------------------------------------------------------------------

    def _halts(self, halt: Halt) -> None:
        self.halted = True
        self.books.record(self.env.now, "linked_halted", note=halt.reason)
        self.evacuation.kick()  # as every entry of the batch engine's calendar

    def _resumes(self, halt: Halt) -> None:
        self.halted = False
        self.books.record(self.env.now, "linked_resumes", note=halt.reason)
        self.evacuation.kick()

    def _random_halt(self, starts: bool) -> None:
        self.halted_at_random = starts
        event = "linked_halted" if starts else "linked_resumes"
        self.books.record(self.env.now, event, note=RANDOM_HALT)
        self.evacuation.kick()  # as every entry of the batch engine's calendar

    def send(self) -> None:
        """Send linked convoys while the deal allows; called at each dispatcher decision."""
        deal, now = self.deal, self.env.now
        while True:
            if now < deal.start:
                self.evacuation._decide_at_time(deal.start)
                return
            left = deal.people - self.sent
            halted = self.halted or self.halted_at_random
            if halted or not self.evacuation.ceasefire.active or not left:
                return
            vehicles = min(deal.convoy_size, -(-left // deal.load))
            if self.idle < vehicles:  # it sends again when vehicles come back
                return
            ready = self.last_departure + deal.headway
            if now < ready:
                self.evacuation._decide_at_time(ready)
                return
            k, n = self.formed, min(deal.convoy_people, left)
            self.formed += 1
            self.sent += n
            self.idle -= vehicles
            self.last_departure = now
            self.books.record(now, "linked_departs", k, note=deal.site, people=n)
            trip = self._trip("exchange_to_meeting", deal.to_meeting, k)
            self.env.at(now + trip).callbacks.append(then(self._at_bridge, k, n))

    def _trip(self, stream: str, dist, k: int) -> float:
        return float(dist.ppf(self.evacuation._u(stream, k)))

    def _at_bridge(self, k: int, n: int) -> None:
        """A linked convoy reaches the meeting point: it crosses, or waits for its batch."""
        rank = self.there_at
        self.there_at += 1
        self._release()
        crosses = self._crosses(int(self.pairing.batch_there(rank, self.total)))
        if crosses and self.evacuation.ceasefire.active:
            self._cross(k, n, "")
            return
        self.waits[1] += 1
        self.waiting_there.append((rank, self.env.now, k, n))
        why = SUSPENDED if crosses else PARTNER_HERE
        self.books.record(self.env.now, "linked_waits_at_bridge", k, note=why, people=n)

    def _cross(self, k: int, n: int, note: str) -> None:
        now = self.env.now
        self.books.record(now, "linked_crosses", k, note=note, people=n)
        trip = self._trip("exchange_from_meeting", self.deal.from_meeting, k)
        self.env.at(now + trip).callbacks.append(lambda _: self._safe(k, n))

    def _safe(self, k: int, n: int) -> None:
        now = self.env.now
        self.books.linked_evacuated += n
        self.books.linked_convoys += 1
        for at, counts in self.by_time:
            if now <= at:
                counts[0] += n
                counts[1] += 1
        self.books.record(now, "linked_arrives", k, note=self.deal.site, people=n)
        self.clause.safe(self.books.linked_evacuated)
        trip = self._trip("exchange_return", self.deal.return_trip, k)
        self.env.at(now + trip).callbacks.append(lambda _: self._back(k, n))

    def _back(self, k: int, n: int) -> None:
        self.idle += -(-n // self.deal.load)
        self.books.record(self.env.now, "linked_returns", k, note=self.deal.site, people=n)
        self.evacuation.kick()

    # -- the meeting point -----------------------------------------------------------------

    def meet(self, trip: Convoy) -> Generator[simpy.Event, object, str]:
        """This side's convoy at the meeting point: cross at once, or wait for its batch.

        Returns the note its crossing gives (``WAITED_AT_BRIDGE`` if it waited).
        """
        env, books = self.env, self.books
        if env.now < self.deal.start:  # before the deal, nothing is paired
            return ""
        rank = self.here_at
        self.here_at += 1
        self._release()
        crosses = self._crosses(int(self.pairing.batch_here(rank)))
        if crosses and self.evacuation.ceasefire.active:
            return ""
        self.waits[0] += 1
        crossed = env.event()
        self.waiting_here.append((rank, env.now, trip, crossed))
        books.change_held(env.now, trip.people)
        why = SUSPENDED if crosses else PARTNER_THERE
        books.record(env.now, "waits_at_bridge", trip.number, trip.groups, trip.vehicles, why)
        yield crossed
        return WAITED_AT_BRIDGE

    def _crosses(self, batch: int) -> bool:
        return batch < self.released or batch >= self.batches

    def _release(self) -> None:
        """Batches whose convoys are all at the meeting point cross, in order; while the
        ceasefire holds, their waiting convoys move on now."""
        before = self.released
        while self.released < self.batches:
            here, there = self.pairing.needs(self.released, self.total)
            if self.here_at < here or self.there_at < there:
                break
            self.released += 1
        if self.released > before and self.evacuation.ceasefire.active:
            self._move_on()

    def resumed(self) -> None:
        """The ceasefire resumes: convoys whose batch crossed during the suspension move on."""
        self._move_on()

    def _move_on(self) -> None:
        """Waiting convoys whose batch may cross move on now, this side's first, each
        side's in the order they came."""
        now = self.env.now
        still = []
        for rank, since, trip, crossed in self.waiting_here:
            if self._crosses(int(self.pairing.batch_here(rank))):
                self.waited[0].append(now - since)
                self.books.change_held(now, -trip.people)
                crossed.succeed()
            else:
                still.append((rank, since, trip, crossed))
        self.waiting_here = still
        waiting = []
        for rank, since, k, n in self.waiting_there:
            if self._crosses(int(self.pairing.batch_there(rank, self.total))):
                self.waited[1].append(now - since)
                self.env.at(now).callbacks.append(then(self._cross, k, n, WAITED_AT_BRIDGE))
            else:
                waiting.append((rank, since, k, n))
        self.waiting_there = waiting

    def boardable(self, waiting: list[int]) -> list[int]:
        """People waiting per group who may board now (:meth:`AfterSafe.boardable`)."""
        return self.clause.boardable(waiting)

    def note_held(self, seated: list[int]) -> None:
        """People who would have boarded but for the clause (:meth:`AfterSafe.note_held`)."""
        self.clause.note_held(seated)

    # -- the books --------------------------------------------------------------------------

    def metrics(self, end: float) -> dict[str, float]:
        """The exchange's metrics at the end of the run (``end`` hours)."""
        here = self.waited[0] + [end - since for _, since, _, _ in self.waiting_here]
        there = self.waited[1] + [end - since for _, since, _, _ in self.waiting_there]
        m = {
            "linked_departed": float(self.sent),
            "exchange_batches": float(self.released),
            "bridge_waits": float(self.waits[0]),
            "bridge_wait_hours": in_order(here),
            "linked_bridge_waits": float(self.waits[1]),
            "linked_bridge_wait_hours": in_order(there),
        }
        milestones = [ms for ms in self.evacuation.scenario.milestones if ms.at is not None]
        for milestone, (_, (people, convoys)) in zip(milestones, self.by_time, strict=True):
            m[f"linked_evacuated_by_{milestone.name}"] = float(people)
            m[f"linked_convoys_by_{milestone.name}"] = float(convoys)
        return m
