"""A replication told as a plain-language timeline, day by day with clock times.

The narration reads a run's trace and nothing else of the model: what happened, and why,
as the engines recorded it (the reasons in the events' notes, see
:mod:`sim.outputs.records`): who boarded which convoy and how many still wait, why a
convoy formed only now or left later than it loaded, why the ceasefire broke and until
when, why a convoy turned back. The scenario gives names and the rules' numbers for the
wording. Every line fits an 80-column terminal.

>>> import sim
>>> from sim.views.narrate import narrate
>>> scenario = sim.load_scenario("scenarios/workshop/deterministic.toml")
>>> result = sim.run(scenario, reps=1, seed=1, trace=[0])
>>> lines = narrate(scenario, result.replications.trace, rep=0)
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
from collections.abc import Iterable
from datetime import datetime

from sim.inputs.scenario import Scenario
from sim.outputs.records import (
    BREACH,
    HEADWAY,
    HELD_TOO_LONG,
    INCIDENT,
    ROOM,
    SCHEDULED,
    SENT_HOME,
    TURN_BACK_RULE,
    WAITED_AT_BRIDGE,
    TraceEvent,
)
from sim.views.narrate_linked import LinkedTelling
from sim.views.narrate_reasons import max_hold_in_force, room_on_the_road, why_only_now
from sim.views.wording import convoy_name, duration, people_phrase, vehicles_phrase

WIDTH = 80
STAMP = "%H:%M  "
INDENT = " " * len("00:00  ")


def narrate(scenario: Scenario, trace: Iterable[TraceEvent], rep: int = 0) -> list[str]:
    """The timeline of replication ``rep`` of a run, as lines of at most 80 characters.

    Parameters
    ----------
    scenario : Scenario
        The scenario the run was made with.
    trace : iterable of TraceEvent
        The run's trace: ``sim.run(..., trace=[rep]).replications.trace``, or a run
        folder's ``trace.csv`` read with :func:`sim.outputs.reading.read_trace`.
    rep : int
        The replication to tell.

    Raises
    ------
    ValueError
        If the trace has no event of replication ``rep`` (it was not traced).
    """
    events = [e for e in trace if e.rep == rep]
    if not events:
        raise ValueError(f"replication {rep} is not in the trace: run it with trace=[{rep}]")
    return describe(scenario, events)


def describe(scenario: Scenario, trace: list[TraceEvent]) -> list[str]:
    """Turn the trace events of one replication into timeline lines.

    A heading names each day; each event is one entry stamped with its clock time (to the
    nearest minute) and wrapped to 80 columns. Event kinds the narration does not know are
    told in a generic way.
    """
    return Narrator(scenario, trace).lines()


class Narrator(LinkedTelling):
    """Tells one replication's trace, event by event, keeping count of who waits; the
    linked evacuation's events in its part :class:`~sim.views.narrate_linked.LinkedTelling`."""

    def __init__(self, scenario: Scenario, trace: list[TraceEvent]):
        self.scenario, self.trace = scenario, trace
        self.waiting = [g.count for g in scenario.groups]  # people waiting per group
        self.evacuated = 0
        self.held: dict[int, float] = {}  # convoy -> since when it is held
        self.last_departure: tuple[int, float] | None = None  # (convoy, time)
        self.suspended_at = 0.0
        self.suspensions = 0
        # the k-th suspension ends at the k-th resumption: they alternate in the trace
        self.resumptions = [e.time for e in trace if e.event == "ceasefire_resumes"]
        # convoys that found every inspection lane busy, by (convoy, time)
        self.queueing = {(e.convoy, e.time) for e in trace if e.event == "queues_at_crossing"}
        self.queued_since: dict[int, float] = {}
        self._init_linked()

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
        tell = getattr(self, f"_{e.event}", None)
        return self._unknown(e) if tell is None else tell(e)

    # -- the pickup ------------------------------------------------------------------------

    def _opening(self) -> str:
        if not sum(self.waiting):
            return "Nobody waits at the pickup yet."
        return f"{self._people(self.waiting)} wait at the pickup."

    def _vehicles_arrive(self, e: TraceEvent) -> str:
        return f"{self._vehicles(e.vehicles)} reach the pickup."

    def _people_arrive(self, e: TraceEvent) -> str:
        self._queue(e.groups, +1)
        return f"{self._people(e.groups)} arrive at the pickup; {self._waiting()} people now wait."

    def _people_leave(self, e: TraceEvent) -> str:
        self._queue(e.groups, -1)
        what = "are sent home" if e.note == SENT_HOME else "give up waiting and go home"
        return f"{self._people(e.groups)} {what}; {self._waiting()} people still wait."

    def _vehicles_lost(self, e: TraceEvent) -> str:
        if not sum(e.vehicles):
            return f"Vehicles are lost ({e.note}); none is at the pickup: the next back will go."
        why = "as they come back" if e.note == "on return" else e.note
        verb = "leaves" if sum(e.vehicles) == 1 else "leave"
        return f"{self._vehicles(e.vehicles)} {verb} the operation: {why}."

    def _period_starts(self, e: TraceEvent) -> str:
        name = f" ({e.note})" if e.note else ""
        return f"New operating rules{name} apply from now on."

    def _convoy_forms(self, e: TraceEvent) -> str:
        why = why_only_now(self.scenario, e)
        self._queue(e.groups, -1)
        who = f"{self._people(e.groups)} in {self._vehicles(e.vehicles)}"
        left = sum(self.waiting)
        rest = f"{left:,} people still wait" if left else "nobody is left waiting"
        return f"{convoy_name(e.convoy)} starts boarding: {who}; {rest}.{why}"

    def _held(self, e: TraceEvent) -> str:
        self.held[e.convoy] = e.time
        rules = self.scenario.ceasefire
        limit = max_hold_in_force(self.scenario, e.time)
        until = "until the ceasefire resumes"
        if math.isfinite(limit):
            until += f" or it has been held {duration(limit)}"
            if rules.max_hold_counts == "total":
                until += " in all"
        return f"{convoy_name(e.convoy)} is held {e.note} with {e.people:,} people aboard, {until}."

    def _convoy_departs(self, e: TraceEvent) -> str:
        previous, self.last_departure = self.last_departure, (e.convoy, e.time)
        why = ""
        if e.convoy in self.held:
            since = self.held.pop(e.convoy)
            why = f" after {duration(e.time - since)} waiting aboard for the ceasefire"
        elif e.note == ROOM:
            room = room_on_the_road(self.scenario, e.time)
            why = f" as soon as there is room on the road ({room})"
        elif e.note == HEADWAY and previous is not None:
            # the gap is the headway in force, which a period may have changed
            why = f", {duration(e.time - previous[1])} after convoy {previous[0] + 1} (the headway)"
        return (
            f"{convoy_name(e.convoy)} leaves the pickup{why}: {e.people:,} "
            f"{'person' if e.people == 1 else 'people'} in {self._vehicles(e.vehicles)}."
        )

    # -- the road ---------------------------------------------------------------------------

    def _reaches_checkpoint(self, e: TraceEvent) -> str:
        if (e.convoy, e.time) in self.queueing:
            return f"{convoy_name(e.convoy)} reaches the checkpoint."
        return f"{convoy_name(e.convoy)} reaches the checkpoint; inspection begins."

    def _queues_at_crossing(self, e: TraceEvent) -> str:
        crossing = self.scenario.crossing
        assert crossing is not None  # only a scenario with a crossing has a queue there
        lanes = crossing.lanes
        busy = "its lane is" if lanes == 1 else f"all {lanes:.0f} inspection lanes are"
        self.queued_since[e.convoy] = e.time
        return f"{convoy_name(e.convoy)} waits its turn at the crossing: {busy} busy."

    def _inspection_starts(self, e: TraceEvent) -> str:
        waited = duration(e.time - self.queued_since.pop(e.convoy, e.time))
        return (
            f"{convoy_name(e.convoy)} takes a freed lane after {waited} in the queue; "
            "its inspection begins."
        )

    def _private_departs(self, e: TraceEvent) -> str:
        self._queue(e.groups, -1)
        stream, vehicles = e.note.split(": ", 1)
        return (
            f"A column of {vehicles} ({stream}) leaves the pickup with {self._people(e.groups)}; "
            f"{self._waiting()} people still wait."
        )

    def _private_arrives(self, e: TraceEvent) -> str:
        self.evacuated += e.people
        stream, vehicles = e.note.split(": ", 1)
        return (
            f"A column of {vehicles} ({stream}) reaches reception: {e.people:,} people are out "
            f"({self.evacuated:,} so far)."
        )

    def _incident(self, e: TraceEvent) -> str:
        return f"Incident at the checkpoint during {convoy_name(e.convoy).lower()}'s inspection."

    def _passes_checkpoint(self, e: TraceEvent) -> str:
        if e.note == WAITED_AT_BRIDGE:
            waited = duration(e.time - self.at_bridge.pop(e.convoy, e.time))
            where = self._exchange.meeting_point
            return f"{convoy_name(e.convoy)} crosses {where} after {waited} there."
        if e.convoy in self.held:
            since = self.held.pop(e.convoy)
            held = duration(e.time - since)
            return f"{convoy_name(e.convoy)} passes the checkpoint after {held} held."
        return f"{convoy_name(e.convoy)} passes the checkpoint."

    def _turned_back(self, e: TraceEvent) -> str:
        since = self.held.pop(e.convoy, None)
        if e.note == HELD_TOO_LONG and since is not None:
            why = f"after {duration(e.time - since)} held, the longest a convoy waits"
        elif e.note == TURN_BACK_RULE:
            why = "when the ceasefire breaks, convoys not past the checkpoint turn back"
        else:
            why = e.note or "the ceasefire is suspended"
        return f"{convoy_name(e.convoy)} turns back with {e.people:,} people aboard: {why}."

    def _back_at_pickup(self, e: TraceEvent) -> str:
        self._queue(e.groups, +1)
        return (
            f"{convoy_name(e.convoy)} is back at the pickup; its {e.people:,} people rejoin "
            f"the queue, {self._waiting()} people now wait."
        )

    def _reaches_reception(self, e: TraceEvent) -> str:
        self.evacuated += e.people
        return (
            f"{convoy_name(e.convoy)} reaches reception: {e.people:,} people are out "
            f"({self.evacuated:,} so far)."
        )

    def _unloaded(self, e: TraceEvent) -> str:
        return f"{convoy_name(e.convoy)} has unloaded; its vehicles head back."

    def _vehicles_return(self, e: TraceEvent) -> str:
        verb = "is" if sum(e.vehicles) == 1 else "are"
        return f"{convoy_name(e.convoy)}'s {self._vehicles(e.vehicles)} {verb} back at the pickup."

    def _cleared(self, e: TraceEvent) -> str:
        return f"Everyone is out: {self.evacuated:,} people evacuated."

    def _ending(self) -> str:
        aboard = self.scenario.people - self.evacuated - sum(self.waiting)
        return (
            f"The run ends at its horizon ({self.scenario.horizon:g} h): {self.evacuated:,} "
            f"people evacuated, {self._waiting()} waiting, {aboard:,} aboard convoys."
        )

    # -- the ceasefire -----------------------------------------------------------------------

    def _ceasefire_suspended(self, e: TraceEvent) -> str:
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
        if e.note == BREACH and self.paused and self._linkage.lag_breach_rate > 0:
            linkage = self._linkage
            rate = rules.breach_rate + linkage.lag_breach_rate
            return f"a breach (at random, {rate:g} an hour while this side is ahead)"
        if e.note == BREACH:
            return f"a breach (at random, {rules.breach_rate:g} an hour while it holds)"
        if e.note == INCIDENT:
            return "an incident at the checkpoint"
        if e.note == SCHEDULED:
            return "scheduled"
        if any(window.reason == e.note for window in rules.windows):
            return f"a scheduled halt ({e.note})"
        return e.note or "no cause given"

    def _ceasefire_resumes(self, e: TraceEvent) -> str:
        return (
            f"The ceasefire resumes after {duration(e.time - self.suspended_at)}; "
            f"{self._waiting()} people wait at the pickup."
        )

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
        return self.scenario.shown(hours)

    def _when(self, hours: float, now: float) -> str:
        """A later moment: its clock time, with the day if it is not today."""
        moment = self._clock(hours)
        if moment.date() == self._clock(now).date():
            return f"{moment:%H:%M}"
        return f"{moment:%a %H:%M}"

    def _queue(self, groups: tuple[int, ...], sign: int) -> None:
        for g, n in enumerate(groups):
            self.waiting[g] += sign * n

    def _people(self, groups: tuple[int, ...] | list[int]) -> str:
        return people_phrase(self.scenario.groups, groups)

    def _vehicles(self, vehicles: tuple[int, ...]) -> str:
        return vehicles_phrase(self.scenario.pools, vehicles)

    def _waiting(self) -> str:
        return f"{sum(self.waiting):,}"
