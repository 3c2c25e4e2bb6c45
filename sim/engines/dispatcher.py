"""The reference engine's dispatcher: when a convoy forms at the pickup, and why it waits.

Mixed into :class:`sim.engines.des.Evacuation`, whose state it declares. Anything that can
change the answer (vehicles or people arriving, a convoy leaving or reaching reception, the
ceasefire resuming, a deadline passing) calls :meth:`Dispatcher.kick`; the decision comes
after every other event of that instant (SimPy priority ``LATE``), one decision an instant.
At each decision the linked site's convoys of an exchange leave first, then a convoy forms
at each free loading place, in order, if every rule of ``docs/model.md`` ("A convoy forms")
holds: the ceasefire, one convoy loading at a place, the corridor, someone who may board,
``min_vehicles`` or ``max_wait``, the departure hours, the linked site's lag. When one does
not, the reason is kept (``waited``, in the words of ``records.WAITED``) for the trace of
the convoy that forms next. The dispatcher keeps one deadline, the earliest asked for.

The batch engine's dispatcher is :mod:`sim.engines.batch_pickup`.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Generator

import simpy

from sim.engines.ceasefire import Ceasefire
from sim.engines.clock import LATE, Clock
from sim.engines.exchange import ExchangeSite
from sim.engines.ledger import Ledger
from sim.engines.linked_site import LinkedSite
from sim.engines.trip import Trip
from sim.inputs.scenario import Scenario
from sim.model.boarding import allocate
from sim.model.daylight import gate
from sim.model.periods import Rules
from sim.outputs.records import (
    BOARDING,
    CLOSED,
    CORRIDOR,
    LINKED_BEHIND,
    MAX_WAIT,
    SUSPENDED,
    TOO_FEW,
)


class Dispatcher(ABC):
    """The decisions to form convoys in one replication of the reference engine."""

    # the state of sim.engines.des.Evacuation the dispatcher reads and changes
    env: Clock
    scenario: Scenario
    books: Ledger
    rules: Rules  # the operating rules in force (sim.engines.timetable)
    queue: list[list[int]]  # people waiting, per group and arrival cohort
    idle: list[int]  # vehicles at the pickup, per pool
    idle_since: list[float]  # hours: since when each pool has had idle vehicles
    places: tuple[tuple[int, ...], ...]  # the pools of each loading place
    loading: list[bool]  # per place: a convoy is forming or waiting to leave there
    in_corridor: int  # convoys on the road
    convoys: int  # convoys formed so far
    aboard: dict[int, Trip]  # convoys with people aboard, by number
    before_checkpoint: dict[int, simpy.Process]  # convoys a suspension may turn back
    ceasefire: Ceasefire
    linked: LinkedSite | None
    exchange: ExchangeSite | None
    _decision_at: float  # hours: the instant a decision is set for
    _deadline: float  # hours: the dispatcher's deadline, the earliest asked for
    waited: str  # why no convoy formed at the last decision (records.WAITED)
    waited_since: float  # hours: since when it has had a reason

    @abstractmethod
    def convoy(self, trip: Trip) -> Generator[simpy.Event, object, None]:
        """Load, leave, pass the checkpoint, reach reception, unload and return."""

    def kick(self) -> None:
        """Something changed at the pickup: decide about a convoy after this instant's
        events; one decision an instant, however many reasons call for it."""
        now = self.env.now
        if self._decision_at != now:
            self._decision_at = now
            self.env.at(now, LATE).callbacks.append(self._decide)

    def _decide_at_time(self, time: float) -> None:
        """Decide about convoys again at ``time``, a deadline (a short convoy's ``max_wait``,
        the departure hours' opening, the exchange's start or headway), after that instant's
        other events.

        The dispatcher keeps one deadline, the earliest asked for. A decision at it asks
        again for every deadline that still applies, so a later one asked for before is
        dropped: when it came, nothing would have changed since the last decision but the
        reasons it keeps for the trace (docs/model.md, the dispatcher).
        """
        if time < self._deadline:
            self._deadline = time
            self.env.at(time, LATE).callbacks.append(self._deadline_passes)

    def _deadline_passes(self, _: simpy.Event) -> None:
        if self.env.now == self._deadline:  # not dropped for an earlier one, not decided yet
            self.kick()

    def _decide(self, event: simpy.Event) -> None:
        """Form a convoy at each free loading place, in order, if the rules allow it."""
        self._decision_at = -math.inf
        if self._deadline == self.env.now:  # this decision is the deadline's
            self._deadline = math.inf
        if self.exchange is not None:  # the linked site's convoys leave first
            self.exchange.send()
        for place in range(len(self.places)):
            self._decide_place(place)

    def _decide_place(self, place: int) -> None:
        """Form a convoy at ``place`` now if the rules allow it; else wait for a change or
        ``max_wait``.

        When people and vehicles are there for a convoy but it may not form, the reason is
        kept (``waited``): the convoy that forms next tells it in the trace, unless it forms
        at the instant the wait began.
        """
        s, rules = self.scenario, self.rules
        everyone = [sum(cohorts) for cohorts in self.queue]
        waiting = self._boardable(everyone)
        pools = set(self.places[place])
        idle = [n if p in pools else 0 for p, n in enumerate(self.idle)]
        seated, vehicles = allocate(s, waiting, idle, rules.per_convoy, rules.capacity)
        boarding = sum(map(sum, seated))
        blocked = self._blocked(place)
        if waiting is not everyone and not blocked and self.exchange and self.books.traced:
            would, _ = allocate(s, everyone, idle, rules.per_convoy, rules.capacity)
            self.exchange.note_held([sum(seats) for seats in would])
        if blocked or not boarding:
            self._wait(blocked if boarding else "")
            return
        hours = s.convoy.departure_hours
        if hours is not None:
            open_now, opening = gate(hours, s.start_hour, self.env.now)
            if not open_now:
                self._decide_at_time(float(opening))
                self._wait(CLOSED)
                return
        why = self.waited if self.waited_since < self.env.now else ""
        here = sum(n for g, n in enumerate(waiting) if pools & set(s.carriers[g]))
        if sum(vehicles) < rules.min_vehicles and boarding < here:
            since = min(self.idle_since[p] for p, n in enumerate(vehicles) if n)
            deadline = since + rules.max_wait
            if self.env.now < deadline:
                if math.isfinite(deadline):
                    self._decide_at_time(deadline)
                self._wait(TOO_FEW)
                return
            if why == TOO_FEW:
                why = MAX_WAIT
        self._form(seated, vehicles, why, place)

    def _blocked(self, place: int) -> str:
        """Why no convoy may form at ``place`` now, whoever waits (``records.WAITED``), or
        ``""``."""
        if not (self.ceasefire.active or self.rules.board_while_suspended):
            return SUSPENDED
        if self.loading[place]:
            return BOARDING
        when_full = self.scenario.convoy.when_corridor_full
        if when_full == "wait_to_form" and self.in_corridor >= self.rules.max_in_corridor:
            return CORRIDOR
        if self.linked is not None and self.linked.ahead:
            return LINKED_BEHIND
        return ""

    def _wait(self, why: str) -> None:
        """The dispatcher does not form a convoy now, for reason ``why`` (``""``: nobody
        could board)."""
        if why and not self.waited:
            self.waited_since = self.env.now
        self.waited = why

    def _boardable(self, waiting: list[int]) -> list[int]:
        """People waiting per group who may board now (an exchange's ``after_safe`` clause
        may hold groups back); ``waiting`` itself if nobody is held."""
        return waiting if self.exchange is None else self.exchange.boardable(waiting)

    def _could_board(self) -> bool:
        """Someone waiting has a seat in the idle vehicles."""
        waiting = self._boardable([sum(cohorts) for cohorts in self.queue])
        rules = self.rules
        seated, _ = allocate(self.scenario, waiting, self.idle, rules.per_convoy, rules.capacity)
        return sum(map(sum, seated)) > 0

    def _form(self, seated: list[list[int]], vehicles: list[int], why: str, place: int) -> None:
        now = self.env.now
        manifest = []
        for g, cohorts in enumerate(self.queue):
            take, aboard = sum(seated[g]), []
            for k, n in enumerate(cohorts):  # first come, first served within the group
                step = min(n, take)
                aboard.append(step)
                cohorts[k] -= step
                take -= step
            manifest.append(aboard)
        for p, n in enumerate(vehicles):
            self.idle[p] -= n
        trip = Trip(self.convoys, manifest, vehicles)
        trip.place = place
        self.aboard[trip.number] = trip
        self.convoys += 1
        self.loading[place] = True
        self.books.change_waiting(now, -trip.people, boarding=True)
        self.books.change_boarded(now, trip.people)
        self.books.convoy_busy(trip.number, now, sum(vehicles))
        self.books.record(now, "convoy_forms", trip.number, trip.groups, vehicles, why)
        process = self.env.process(self.convoy(trip))
        self.before_checkpoint[trip.number] = process
        self.waited = ""  # a new wait begins
        self._wait(BOARDING if self._could_board() else "")
