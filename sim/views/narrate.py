"""A replication told as a plain-language timeline, day by day with clock times.

The trace says what happened; the narration adds why, from the scenario and the events
before: who boarded which convoy and how many still wait, why a convoy formed only now or
left later than it loaded, why the ceasefire broke and until when, why a convoy turned
back. Every line fits an 80-column terminal.

>>> import sim
>>> from sim.views.narrate import narrate
>>> lines = narrate(sim.load_scenario("scenarios/workshop/deterministic.toml"), rep=0, seed=1)
>>> print("\\n".join(lines[:6]))
Thursday 15 December 2016
06:00  2,300 families wait at the pickup.
06:00  10 buses reach the pickup.
06:00  Convoy 1 starts boarding: 600 families in 10 buses; 1,700 people still
       wait.
06:30  Convoy 1 leaves the pickup: 600 people in 10 buses.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sim.engines.des import Evacuation
from sim.inputs.scenario import Linkage, Scenario
from sim.model.boarding import allocate
from sim.model.daylight import gate
from sim.model.variates import Variates
from sim.outputs.records import TraceEvent
from sim.views.wording import convoy_name, duration, hour_of_day, people_phrase, vehicles_phrase

WIDTH = 80
STAMP = "%H:%M  "
INDENT = " " * len("00:00  ")
#: Two times closer than this (hours, about 4 ms) are the same instant.
SAME = 1e-6

# The causes of a suspension as the engines write them in the trace's ``note``.
BREACH = "breach of the ceasefire"
INCIDENT = "incident at the checkpoint"


def narrate(scenario: Scenario, rep: int = 0, seed: int | None = None) -> list[str]:
    """The timeline of replication ``rep`` as lines of at most 80 characters.

    The replication is run alone with the reference engine; its variates depend only on
    ``(seed, rep)``, so it is the same replication as inside any batch.
    """
    seed = scenario.seed if seed is None else seed
    books = Evacuation(scenario, Variates(seed), rep, traced=True).run()
    return describe(scenario, books.trace)


def describe(scenario: Scenario, trace: list[TraceEvent]) -> list[str]:
    """Turn the trace events of one replication into timeline lines.

    A heading names each day; each event is one entry stamped with its clock time (to the
    nearest minute) and wrapped to 80 columns. Event kinds the narration does not know are
    told in a generic way.
    """
    return Narrator(scenario, trace).lines()


@dataclass
class Pickup:
    """The pickup and the road as the trace tells them, kept up by the narrator.

    Attributes
    ----------
    waiting : list of int
        People waiting per group.
    idle : list of int
        Idle vehicles per pool.
    boarding : int or None
        The convoy forming or loaded at the pickup (one at a time).
    in_corridor : int
        Convoys that left the pickup and have not reached reception or come back.
    active : bool
        The ceasefire holds.
    paused : bool
        The linkage rule holds this side back: it is ahead of the linked site.
    """

    waiting: list[int]
    idle: list[int]
    boarding: int | None = None
    in_corridor: int = 0
    active: bool = True
    paused: bool = False

    def copy(self) -> Pickup:
        return replace(self, waiting=list(self.waiting), idle=list(self.idle))

    def add_vehicles(self, vehicles: tuple[int, ...]) -> None:
        for p, n in enumerate(vehicles):
            self.idle[p] += n


class Narrator:
    """Tells one replication's trace, event by event, keeping the pickup's state."""

    def __init__(self, scenario: Scenario, trace: list[TraceEvent]):
        self.scenario, self.trace = scenario, trace
        n = len(scenario.pools)
        self.pickup = Pickup([g.count for g in scenario.groups], [0] * n)
        self.before = self.pickup.copy()  # the pickup before the current instant's events
        self.instant = -math.inf
        self.evacuated = 0
        self.linked_evacuated = 0
        self.formed: dict[int, float] = {}  # convoy -> when it started boarding
        self.held: dict[int, float] = {}  # convoy -> since when it is held
        self.departed: set[int] = set()
        self.last_departure: tuple[int, float] | None = None  # (convoy, time)
        self.suspended_at = 0.0
        self.suspensions = 0
        # the k-th suspension ends at the k-th resumption: they alternate in the trace
        self.resumptions = [e.time for e in trace if e.event == "ceasefire_resumes"]

    def lines(self) -> list[str]:
        """The whole timeline: day headings and wrapped entries."""
        s, day = self.scenario, None
        out: list[str] = []
        start = (0.0, self._opening())
        told = [(e.time, self._tell(e)) for e in self.trace]
        if not any(e.event == "cleared" for e in self.trace):
            told.append((s.horizon, self._ending()))
        for time, text in [start, *told]:
            moment = self._clock(time)
            if moment.date() != day:
                day = moment.date()
                out += ([""] if out else []) + [f"{moment:%A} {moment.day} {moment:%B %Y}"]
            stamp = moment.strftime(STAMP)
            out += textwrap.wrap(text, WIDTH, initial_indent=stamp, subsequent_indent=INDENT)
        return out

    def _tell(self, e: TraceEvent) -> str:
        if e.time > self.instant + SAME:
            self.before = self.pickup.copy()
        self.instant = e.time
        tell = getattr(self, f"_{e.event}", None)
        return self._unknown(e) if tell is None else tell(e)

    # -- the pickup ------------------------------------------------------------------------

    def _opening(self) -> str:
        if not sum(self.pickup.waiting):
            return "Nobody waits at the pickup yet."
        return f"{self._people(self.pickup.waiting)} wait at the pickup."

    def _vehicles_arrive(self, e: TraceEvent) -> str:
        self.pickup.add_vehicles(e.vehicles)
        return f"{self._vehicles(e.vehicles)} reach the pickup."

    def _people_arrive(self, e: TraceEvent) -> str:
        self._queue(e.groups, +1)
        return f"{self._people(e.groups)} arrive at the pickup; {self._waiting()} people now wait."

    def _convoy_forms(self, e: TraceEvent) -> str:
        why = self._why_only_now(e)
        self._queue(e.groups, -1)
        for p, n in enumerate(e.vehicles):
            self.pickup.idle[p] -= n
        self.pickup.boarding = e.convoy
        self.formed[e.convoy] = e.time
        who = f"{self._people(e.groups)} in {self._vehicles(e.vehicles)}"
        left = sum(self.pickup.waiting)
        rest = f"{left:,} people still wait" if left else "nobody is left waiting"
        return f"{convoy_name(e.convoy)} starts boarding: {who}; {rest}.{why}"

    def _why_only_now(self, e: TraceEvent) -> str:
        """Why the convoy did not form before this instant, if someone could have boarded."""
        s, rules, before = self.scenario, self.scenario.convoy, self.before
        seated, vehicles = allocate(s, before.waiting, before.idle)
        if not sum(map(sum, seated)):
            return ""  # it formed as people or vehicles arrived, which the lines above say
        if not before.active:
            return " It could not form while the ceasefire was suspended."
        if before.boarding is not None:
            boarding = before.boarding + 1
            return f" It waited for convoy {boarding} to leave: one convoy boards at a time."
        if before.in_corridor >= rules.max_in_corridor:
            return (
                f" It waited for room on the road: at most {rules.max_in_corridor} "
                f"{'convoy' if rules.max_in_corridor == 1 else 'convoys'} between pickup and "
                "reception."
            )
        if before.paused:
            site = self._linkage.site
            return f" It waited for the evacuation of {site} to catch up, as the deal requires."
        hours = rules.departure_hours
        if hours is not None and not gate(hours, s.start_hour, e.time - SAME)[0]:
            return (
                f" Convoys form only between {hour_of_day(hours[0])} and {hour_of_day(hours[1])}."
            )
        if sum(e.vehicles) < rules.min_vehicles and e.people < sum(self.pickup.waiting):
            return (
                f" Its vehicles waited {duration(rules.max_wait)} for a convoy of "
                f"{rules.min_vehicles} and now go with {sum(e.vehicles)}."
            )
        if sum(vehicles) < rules.min_vehicles:
            return (
                f" It waited until {rules.min_vehicles} vehicles could go together, the "
                "smallest convoy allowed."
            )
        return ""

    def _held(self, e: TraceEvent) -> str:
        self.held[e.convoy] = e.time
        limit = self.scenario.ceasefire.max_hold
        until = "until the ceasefire resumes"
        if math.isfinite(limit):
            until += f" or {duration(limit)} have passed"
        return f"{convoy_name(e.convoy)} is held {e.note} with {e.people:,} people aboard, {until}."

    def _convoy_departs(self, e: TraceEvent) -> str:
        self.pickup.boarding = None
        self.pickup.in_corridor += 1
        self.departed.add(e.convoy)
        previous, self.last_departure = self.last_departure, (e.convoy, e.time)
        why = ""
        headway = self.scenario.convoy.headway
        if e.convoy in self.held:
            since = self.held.pop(e.convoy)
            why = f" after {duration(e.time - since)} waiting aboard for the ceasefire"
        elif (
            previous is not None
            and headway > 0
            and e.time > self.formed[e.convoy] + SAME
            and abs(e.time - (previous[1] + headway)) < SAME
        ):
            why = f", {duration(headway)} after convoy {previous[0] + 1} (the headway)"
        return (
            f"{convoy_name(e.convoy)} leaves the pickup{why}: {e.people:,} "
            f"{'person' if e.people == 1 else 'people'} in {self._vehicles(e.vehicles)}."
        )

    # -- the road ---------------------------------------------------------------------------

    def _reaches_checkpoint(self, e: TraceEvent) -> str:
        return f"{convoy_name(e.convoy)} reaches the checkpoint; inspection begins."

    def _incident(self, e: TraceEvent) -> str:
        return f"Incident at the checkpoint during {convoy_name(e.convoy).lower()}'s inspection."

    def _passes_checkpoint(self, e: TraceEvent) -> str:
        if e.convoy in self.held:
            since = self.held.pop(e.convoy)
            held = duration(e.time - since)
            return f"{convoy_name(e.convoy)} passes the checkpoint after {held} held."
        return f"{convoy_name(e.convoy)} passes the checkpoint."

    def _turned_back(self, e: TraceEvent) -> str:
        rules = self.scenario.ceasefire
        if e.convoy in self.held:
            since = self.held.pop(e.convoy)
            why = f"after {duration(e.time - since)} held, the longest a convoy waits"
        elif rules.before_checkpoint == "turn_back":
            why = "when the ceasefire breaks, convoys not past the checkpoint turn back"
        else:
            why = "the ceasefire is suspended"
        if e.convoy not in self.departed:
            self.pickup.boarding = None
        return f"{convoy_name(e.convoy)} turns back with {e.people:,} people aboard: {why}."

    def _back_at_pickup(self, e: TraceEvent) -> str:
        self._queue(e.groups, +1)
        self.pickup.add_vehicles(e.vehicles)
        if e.convoy in self.departed:
            self.pickup.in_corridor -= 1
        return (
            f"{convoy_name(e.convoy)} is back at the pickup; its {e.people:,} people rejoin "
            f"the queue, {self._waiting()} people now wait."
        )

    def _reaches_reception(self, e: TraceEvent) -> str:
        self.pickup.in_corridor -= 1
        self.evacuated += e.people
        return (
            f"{convoy_name(e.convoy)} reaches reception: {e.people:,} people are out "
            f"({self.evacuated:,} so far)."
        )

    def _unloaded(self, e: TraceEvent) -> str:
        return f"{convoy_name(e.convoy)} has unloaded; its vehicles head back."

    def _vehicles_return(self, e: TraceEvent) -> str:
        self.pickup.add_vehicles(e.vehicles)
        verb = "is" if sum(e.vehicles) == 1 else "are"
        return f"{convoy_name(e.convoy)}'s {self._vehicles(e.vehicles)} {verb} back at the pickup."

    def _cleared(self, e: TraceEvent) -> str:
        return f"Everyone is out: {self.evacuated:,} people evacuated."

    def _ending(self) -> str:
        aboard = self.scenario.people - self.evacuated - sum(self.pickup.waiting)
        return (
            f"The run ends at its horizon ({self.scenario.horizon:g} h): {self.evacuated:,} "
            f"people evacuated, {self._waiting()} waiting, {aboard:,} aboard convoys."
        )

    # -- the ceasefire -----------------------------------------------------------------------

    def _ceasefire_suspended(self, e: TraceEvent) -> str:
        self.pickup.active = False
        self.suspended_at = e.time
        k, self.suspensions = self.suspensions, self.suspensions + 1
        text = f"The ceasefire breaks: {self._cause(e)}."
        if k < len(self.resumptions):
            text += f" It resumes at {self._when(self.resumptions[k], e.time)}."
        else:
            text += " It does not resume before the run ends."
        return text

    def _cause(self, e: TraceEvent) -> str:
        rules = self.scenario.ceasefire
        if e.note == BREACH and self.pickup.paused and self._linkage.lag_breach_rate > 0:
            linkage = self._linkage
            rate = rules.breach_rate + linkage.lag_breach_rate
            return f"a breach (at random, {rate:g} an hour while this side is ahead)"
        if e.note == BREACH:
            return f"a breach (at random, {rules.breach_rate:g} an hour while it holds)"
        if e.note == INCIDENT:
            return "an incident at the checkpoint"
        for window in rules.windows:
            if abs(window.start - e.time) < SAME and (window.reason or "scheduled") == e.note:
                return f"a scheduled halt ({window.reason})" if window.reason else "scheduled"
        return e.note or "no cause given"

    def _ceasefire_resumes(self, e: TraceEvent) -> str:
        self.pickup.active = True
        return (
            f"The ceasefire resumes after {duration(e.time - self.suspended_at)}; "
            f"{self._waiting()} people wait at the pickup."
        )

    # -- the linked site ---------------------------------------------------------------------

    def _linked_departs(self, e: TraceEvent) -> str:
        return f"Linked convoy {e.convoy + 1} leaves {e.note} with {e.people:,} people."

    def _linked_arrives(self, e: TraceEvent) -> str:
        self.linked_evacuated += e.people
        return (
            f"Linked convoy {e.convoy + 1} brings {e.people:,} people out of {e.note} "
            f"({self._shares()})."
        )

    def _linkage_pause(self, e: TraceEvent) -> str:
        self.pickup.paused = True
        linkage = self._linkage
        text = (
            f"Departures here pause: {self._shares()}, further apart than the deal allows "
            f"({100 * linkage.max_lag:.0f} points). They wait for the evacuation of {e.note} "
            "to catch up"
        )
        if linkage.lag_breach_rate > 0:
            return f"{text}; meanwhile breaches are {linkage.lag_breach_rate:g} an hour likelier."
        return f"{text}."

    def _linkage_resume(self, e: TraceEvent) -> str:
        self.pickup.paused = False
        return (
            f"The evacuation of {e.note} has caught up ({self._shares()}): convoys may form "
            "here again."
        )

    @property
    def _linkage(self) -> Linkage:
        """The scenario's linkage: linkage events happen only in scenarios that have one."""
        if self.scenario.linkage is None:
            raise RuntimeError("a linkage event in a scenario without a linkage")
        return self.scenario.linkage

    def _shares(self) -> str:
        """'26% out here, 50% there': the shares of people the linkage rule compares."""
        s, linkage = self.scenario, self._linkage
        here = self.evacuated / s.people if s.people else 1.0
        there = self.linked_evacuated / linkage.people if linkage.people else 1.0
        return f"{100 * here:.0f}% out here, {100 * there:.0f}% there"

    def _unknown(self, e: TraceEvent) -> str:
        text = e.event.replace("_", " ").capitalize()
        if e.convoy >= 0:
            text = f"{convoy_name(e.convoy)}: {text.lower()}"
        if e.people:
            text += f", {e.people:,} people"
        return f"{text}: {e.note}." if e.note else f"{text}."

    # -- wording ---------------------------------------------------------------------------

    def _clock(self, hours: float) -> datetime:
        """The local time of ``hours``, to the nearest minute, as every line shows it."""
        return self.scenario.start + timedelta(minutes=round(hours * 60))

    def _when(self, hours: float, now: float) -> str:
        """A later moment: its clock time, with the day if it is not today."""
        moment = self._clock(hours)
        if moment.date() == self._clock(now).date():
            return f"{moment:%H:%M}"
        return f"{moment:%a %H:%M}"

    def _queue(self, groups: tuple[int, ...], sign: int) -> None:
        for g, n in enumerate(groups):
            self.pickup.waiting[g] += sign * n

    def _people(self, groups: tuple[int, ...] | list[int]) -> str:
        return people_phrase(self.scenario.groups, groups)

    def _vehicles(self, vehicles: tuple[int, ...]) -> str:
        return vehicles_phrase(self.scenario.pools, vehicles)

    def _waiting(self) -> str:
        return f"{sum(self.pickup.waiting):,}"
