"""Reference engine: the model as SimPy processes, written to be read.

Each convoy is one process that loads, waits for its turn and the ceasefire, travels to
the checkpoint, is inspected, goes on to reception, unloads and returns. The vehicles of a
convoy move together, so per-vehicle randomness (loading and unloading) is resolved inside
the convoy's events: a convoy waits for its slowest vehicle. The ceasefire is a state
machine driven by callbacks on timers; a dispatcher (:mod:`sim.engines.dispatcher`)
decides when a new convoy forms, and why it waits. A linked site
(:mod:`sim.engines.linked_site`), if the deal has one, sends its convoys one after another,
each side held back while it is ahead of the other by more than the deal allows.

Simultaneous events follow one order, by SimPy priority: ceasefire changes first
(``URGENT``), then arrivals, returns and convoy legs (``NORMAL``), then convoy formation
(``LATE``). Timers are set at absolute times (:meth:`Clock.at`), so the times in the
results are exactly the sums the model defines, the same the batch engine computes.
"""

from __future__ import annotations

import math
from collections.abc import Generator, Iterable

import numpy as np
import simpy

from sim.engines.accounts import Accounts
from sim.engines.ceasefire import Ceasefire
from sim.engines.clock import Clock, then
from sim.engines.corridor import Corridor
from sim.engines.crossing import Crossing
from sim.engines.dispatcher import Dispatcher
from sim.engines.draws import Draws
from sim.engines.exchange import ExchangeSite
from sim.engines.ledger import Ledger
from sim.engines.linked_site import LinkedSite
from sim.engines.private import PrivateVehicles
from sim.engines.timetable import Timetable
from sim.engines.trip import Trip
from sim.inputs.scenario import Scenario
from sim.model.variates import Variates
from sim.outputs.records import (
    HEADWAY,
    HELD_TOO_LONG,
    INCIDENT,
    ROOM,
    SUSPENDED,
    TURN_BACK_RULE,
    Replications,
    TraceEvent,
    metric_names,
    series_types,
)


class Evacuation(Dispatcher, Corridor, Timetable, Draws, Accounts):
    """One replication: the pickup, the ceasefire, the dispatcher and the convoys."""

    def __init__(self, scenario: Scenario, variates: Variates, rep: int, traced: bool):
        s = self.scenario = scenario
        self.variates, self.rep = variates, rep
        self.env = Clock()
        self.books = Ledger(scenario, rep, traced)
        self._drawn: dict[str, np.ndarray] = {}
        # the pickup: queues by group and arrival cohort (0: there at the start)
        self.cohort_times = [[0.0] + [t for t, _ in g.arrivals] for g in s.groups]
        self.queue = [[g.count] + [0] * len(g.arrivals) for g in s.groups]
        self.idle = [0] * len(s.pools)
        self.idle_since = [math.inf] * len(s.pools)
        # per loading place: a convoy is forming or waiting to leave there; its last departure
        self.places = s.loading_places
        self.loading = [False] * len(self.places)
        self.in_corridor = 0
        self.last_departure = [-math.inf] * len(self.places)
        self.convoys = 0
        self.evacuated = 0
        self.before_checkpoint: dict[int, simpy.Process] = {}
        # loaded convoys waiting for room to leave, first come first served (one per place)
        self.room: list[tuple[Trip, simpy.Event]] = []
        self.aboard: dict[int, Trip] = {}  # convoys with people aboard, by number
        self.crossing = Crossing(
            self.env, s.crossing, len(s.pools) + len(s.private), self.books, s.periods
        )
        self._decision_at = -math.inf  # hours: the instant a decision is set for
        self._deadline = math.inf  # hours: the dispatcher's deadline, the earliest asked for
        self.waited = ""  # why no convoy formed at the last decision (records.WAITED)
        self.waited_since = 0.0  # hours: since when it has had a reason
        self.ceasefire = Ceasefire(
            self.env, s.ceasefire, self._u, self.books, self._ceasefire_breaks, self._resumed
        )
        self._schedule_arrivals()
        self._schedule_timetable()
        self.private = PrivateVehicles(self)
        self.linked = (
            LinkedSite(
                self.env, s.linkage, self._u, self.books, self.ceasefire, self._share, self.kick
            )
            if s.linkage is not None
            else None
        )
        self.exchange = ExchangeSite(self) if s.exchange is not None else None

    # -- arrivals of vehicles and people ------------------------------------------------

    def _schedule_arrivals(self) -> None:
        env, s = self.env, self.scenario
        for p, pool in enumerate(s.pools):
            if pool.count:
                env.at(pool.available_at).callbacks.append(then(self._vehicles_arrive, p))
        for g, group in enumerate(s.groups):
            for k, (t, n) in enumerate(group.arrivals, start=1):
                env.at(t).callbacks.append(then(self._people_arrive, g, k, n))

    def _vehicles_arrive(self, p: int) -> None:
        count = self.scenario.pools[p].count
        self._make_idle(p, count)
        vehicles = [0] * len(self.idle)
        vehicles[p] = count
        self.books.record(self.env.now, "vehicles_arrive", vehicles=vehicles)
        self.kick()

    def _people_arrive(self, g: int, cohort: int, n: int) -> None:
        self.queue[g][cohort] += n
        self.books.change_waiting(self.env.now, n, boarding=False)
        groups = [0] * len(self.queue)
        groups[g] = n
        self.books.record(self.env.now, "people_arrive", groups=groups)
        if self.linked is not None:  # more people here: this side's share falls
            self.linked.check_lag()
        self.kick()

    def _make_idle(self, p: int, n: int) -> None:
        if self.idle[p] == 0:
            self.idle_since[p] = self.env.now
        self.idle[p] += n

    def _ceasefire_breaks(self) -> None:
        """Convoys not yet past the checkpoint are turned back, if the scenario says so."""
        if not self.rules.board_while_suspended and self._could_board():
            self._wait(SUSPENDED)  # the dispatcher's reason to wait from now on
        if self.scenario.ceasefire.before_checkpoint == "turn_back":
            for number, convoy in list(self.before_checkpoint.items()):
                if convoy is not self.env.active_process:  # it handles its own incident
                    del self.before_checkpoint[number]
                    convoy.interrupt()

    def _resumed(self) -> None:
        self.private.resumed()
        if self.exchange is not None:
            self.exchange.resumed()
        if self.linked is not None:
            self.linked.try_leave()
        self.kick()

    def _share(self) -> float:
        """The share evacuated of the people who have reached the pickup so far.

        People who will arrive later do not count: the deal can only weigh who is there.
        """
        arrived = self.books.arrived
        return self.evacuated / arrived if arrived else 1.0

    # -- the dispatcher: when a convoy forms, and why it waits (sim.engines.dispatcher) -----

    # -- a convoy ------------------------------------------------------------------------

    def convoy(self, trip: Trip) -> Generator[simpy.Event, object, None]:
        """Load, leave, pass the checkpoint, reach reception, unload and return."""
        env, s, c = self.env, self.scenario, trip.number
        route = s.route
        try:
            yield env.at(env.now + self._slowest("load", c, trip.vehicles, "load_time"))
            # leave once the ceasefire holds, the headway has passed and the corridor has room
            why = ""  # what it last waited for at the pickup, besides a hold
            while True:
                if not self.ceasefire.active:
                    why = ""
                    if not (yield from self._hold(trip, "at the pickup")):
                        yield from self._turn_back(trip, HELD_TOO_LONG)
                        return
                elif env.now < self.last_departure[trip.place] + self.rules.headway:
                    why = HEADWAY
                    yield env.at(self.last_departure[trip.place] + self.rules.headway)
                elif self.in_corridor >= self.rules.max_in_corridor:
                    why = ROOM
                    room = env.event()
                    self.room.append((trip, room))
                    yield room
                else:
                    break
            self._depart(trip, why)
            yield env.at(env.now + self._leg("to_checkpoint", c))
            trip.at_checkpoint = env.now
            self.books.record(env.now, "reaches_checkpoint", c, trip.groups, trip.vehicles)
            yield self.crossing.inspect(trip, self._leg("inspection", c))
            self.crossing.release(trip)
            if self.ceasefire.active and self._u("incident", c) < route.incident_probability:
                self.books.counts["incidents"] += 1
                self.books.record(env.now, "incident", c, trip.groups, trip.vehicles)
                self.ceasefire.suspend(INCIDENT)
            if not self.ceasefire.active:
                if s.ceasefire.before_checkpoint == "turn_back":
                    yield from self._turn_back(trip, TURN_BACK_RULE)
                    return
                if not (yield from self._hold(trip, "at the checkpoint")):
                    yield from self._turn_back(trip, HELD_TOO_LONG)
                    return
        except simpy.Interrupt:
            self.crossing.withdraw(trip)
            yield from self._turn_back(trip, TURN_BACK_RULE)
            return
        del self.before_checkpoint[c]
        note = ""
        if self.exchange is not None:  # it meets the linked site's convoys at the bridge
            note = yield from self.exchange.meet(trip)
        self.crossing.passed(trip.vehicles)
        self.books.crossing_log.append((env.now, trip.people, 1))
        self.books.record(env.now, "passes_checkpoint", c, trip.groups, trip.vehicles, note)
        yield env.at(env.now + self._leg("to_reception", c))
        self._reach_reception(trip)
        yield env.at(env.now + self._slowest("unload", c, trip.vehicles, "unload_time"))
        self.books.record(env.now, "unloaded", c, trip.groups, trip.vehicles)
        yield env.at(env.now + self._leg("return_trip", c))
        self._vehicles_back(trip, "vehicles_return")

    def _depart(self, trip: Trip, why: str) -> None:
        now = self.env.now
        trip.departed = now
        self.last_departure[trip.place] = now
        self.loading[trip.place] = False
        self.in_corridor += 1
        self.books.departures.append(now)
        self.books.change_boarded(now, -trip.people)
        self.books.road_log.append((now, trip.people, 1))
        self.books.record(now, "convoy_departs", trip.number, trip.groups, trip.vehicles, why)
        self.kick()

    def _hold(self, trip: Trip, where: str) -> Generator[simpy.Event, object, bool]:
        """Wait aboard for the ceasefire to resume; False if ``max_hold`` ran out first.

        The convoy moves on only if the ceasefire is active when it wakes: a suspension
        that starts at the instant of a resumption, before the convoy acts, keeps it held.
        It is turned back only when its ``max_hold`` is spent: the hours of this hold, or
        of all its holds with ``max_hold_counts = "total"``.
        """
        env, rules = self.env, self.scenario.ceasefire
        self.books.record(env.now, "held", trip.number, trip.groups, trip.vehicles, where)
        at_pickup = trip.departed is None
        if at_pickup:  # held, no longer merely boarded
            self.books.change_boarded(env.now, -trip.people)
        self.books.change_held(env.now, trip.people)
        if rules.max_hold_counts == "each":
            trip.hold_hours = 0.0
        while not self.ceasefire.active:
            start, limit = env.now, self.rules.max_hold  # the limit in force (a period's)
            if math.isfinite(limit):
                deadline = start + (limit - trip.hold_hours)
                yield self.ceasefire.resumed | env.at(deadline)
            else:
                deadline = math.inf
                yield self.ceasefire.resumed
            trip.hold_hours += env.now - start
            if not self.ceasefire.active and env.now >= deadline:
                break
        self.books.change_held(env.now, -trip.people)
        if at_pickup:
            self.books.change_boarded(env.now, trip.people)
        return self.ceasefire.active

    def _turn_back(self, trip: Trip, why: str) -> Generator[simpy.Event, object, None]:
        """Drive back as far as the convoy came; its people rejoin the queue."""
        env = self.env
        self.before_checkpoint.pop(trip.number, None)
        self.books.counts["turned_back"] += 1
        self.books.record(env.now, "turned_back", trip.number, trip.groups, trip.vehicles, why)
        trip.turned_back = True
        if trip.departed is not None:  # its people have not left after all
            self.books.road_log.append((env.now, -trip.people, -1))
        if trip.departed is None:
            self.loading[trip.place] = False
            self.room = [(t, e) for t, e in self.room if t is not trip]  # it may have waited
            self.books.change_boarded(env.now, -trip.people)
            travelled = 0.0
        elif trip.at_checkpoint is None:
            travelled = env.now - trip.departed
        else:
            travelled = trip.at_checkpoint - trip.departed
        yield env.at(env.now + travelled)
        for g, cohorts in enumerate(trip.manifest):
            for k, n in enumerate(cohorts):
                self.queue[g][k] += n
        self.books.change_waiting(env.now, trip.people, boarding=True)
        del self.aboard[trip.number]
        if trip.departed is not None:
            self._leave_corridor()
        self._vehicles_back(trip, "back_at_pickup")

    def _reach_reception(self, trip: Trip) -> None:
        now, books = self.env.now, self.books
        self._leave_corridor()
        del self.aboard[trip.number]
        departed = trip.departed
        assert departed is not None  # it reached reception, so it left the pickup
        books.reception(now, trip.groups)
        for g, cohorts in enumerate(trip.manifest):
            for k, n in enumerate(cohorts):
                if n:
                    books.waits.append((g, departed - self.cohort_times[g][k], n))
        books.record(now, "reaches_reception", trip.number, trip.groups, trip.vehicles)
        self.people_safe(trip.people)

    def people_safe(self, people: int) -> None:
        """``people`` of a convoy or a private column have reached reception."""
        now, books = self.env.now, self.books
        self.evacuated += people
        if self.evacuated + self.left == self.scenario.people:
            books.cleared_at = now
            books.record(now, "cleared")
        elif self.linked is not None:  # once clear, the run ends: no more pauses
            self.linked.check_lag()
            self.linked.try_leave()
        self.kick()

    def _vehicles_back(self, trip: Trip, event: str) -> None:
        now = self.env.now
        for p, n in enumerate(trip.vehicles):
            if n:
                self._come_back(p, n)
        self.books.convoy_idle(trip.number, now)
        self.books.record(now, event, trip.number, trip.groups, trip.vehicles)
        self.kick()

    # -- running ---------------------------------------------------------------------------

    def run(self) -> Ledger:
        """Process events up to and including the horizon, or until everyone is evacuated."""
        env, horizon = self.env, self.scenario.horizon
        while True:
            t = env.peek()
            if t > horizon or t > self.books.cleared_at:  # the horizon's instant counts
                break
            env.step()
        self._not_yet_out()
        return self.books


def run_des(
    scenario: Scenario,
    reps: int,
    seed: int,
    first_rep: int = 0,
    traced: Iterable[int] | None = None,
) -> Replications:
    """Run replications ``first_rep .. first_rep + reps - 1`` with the reference engine.

    Parameters
    ----------
    scenario : Scenario
    reps : int
        Number of replications.
    seed : int
        The run's seed; replication ``r`` uses the variates of ``(seed, r)``, so it gives the
        same result in any batch.
    first_rep : int
        Index of the first replication.
    traced : iterable of int, optional
        The replications whose events are traced; the first ``run.trace_reps`` by default.

    Returns
    -------
    Replications
    """
    variates = Variates(seed)
    names = metric_names(scenario)
    metrics = {name: np.empty(reps) for name in names}
    series: dict[str, list[np.ndarray]] = {}
    trace: list[TraceEvent] = []
    traced = set(range(scenario.trace_reps) if traced is None else traced)
    for i in range(reps):
        rep = first_rep + i
        evacuation = Evacuation(scenario, variates, rep, rep in traced)
        books = evacuation.run()
        for name, value in evacuation.metrics().items():
            metrics[name][i] = value
        for name, values in evacuation.series().items():
            series.setdefault(name, []).append(values)
        trace.extend(books.trace)
    types = series_types(scenario)
    stacked: dict[str, np.ndarray] = {k: np.vstack(v).astype(types[k]) for k, v in series.items()}
    return Replications(metrics, stacked, trace)
