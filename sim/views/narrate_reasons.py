"""Why a convoy formed only when it did: the dispatcher's reason, told from the event's note.

A part of :mod:`sim.views.narrate`: the dispatcher records a reason (a note of
:mod:`sim.outputs.records`) on each ``convoy_forms`` and ``convoy_departs`` event it held
back, and these functions put it in words, with the rules' numbers from the scenario.
"""

from __future__ import annotations

from sim.inputs.scenario import Scenario
from sim.outputs.records import (
    BOARDING,
    CLOSED,
    CORRIDOR,
    LINKED_BEHIND,
    MAX_WAIT,
    SUSPENDED,
    TOO_FEW,
    TraceEvent,
)
from sim.views.wording import duration, hour_of_day


def why_only_now(scenario: Scenario, e: TraceEvent) -> str:
    """Why the convoy of ``convoy_forms`` event ``e`` did not form earlier, as a sentence
    (with a leading space), or "" when it formed as soon as people and vehicles were there,
    which the narration's lines above say."""
    rules = scenario.convoy
    if e.note == SUSPENDED:
        return " It could not form while the ceasefire was suspended."
    if e.note == BOARDING:  # one boards at a time, in the order they form
        return f" It waited for convoy {e.convoy} to leave: one convoy boards at a time."
    if e.note == CORRIDOR:
        return f" It waited for room on the road: {room_on_the_road(scenario, e.time)}."
    if e.note == LINKED_BEHIND and scenario.linkage is not None:
        site = scenario.linkage.site
        return f" It waited for the evacuation of {site} to catch up, as the deal requires."
    hours = rules.departure_hours
    if e.note == CLOSED and hours is not None:
        return f" Convoys form only between {hour_of_day(hours[0])} and {hour_of_day(hours[1])}."
    if e.note == MAX_WAIT:
        return (
            f" Its vehicles waited {duration(rules.max_wait)} for a convoy of "
            f"{rules.min_vehicles} and now go with {sum(e.vehicles)}."
        )
    if e.note == TOO_FEW:
        return (
            f" It waited until {rules.min_vehicles} vehicles could go together, the "
            "smallest convoy allowed."
        )
    return f" It waited: {e.note}." if e.note else ""


def room_on_the_road(scenario: Scenario, time: float) -> str:
    """The corridor rule in force at ``time`` (hours), e.g. "at most 2 convoys between pickup
    and reception": ``max_in_corridor``, or the last period's that set it by then."""
    room = scenario.convoy.max_in_corridor
    for period in scenario.periods:  # in time order
        if period.start <= time and period.max_in_corridor is not None:
            room = period.max_in_corridor
    return f"at most {room} {'convoy' if room == 1 else 'convoys'} between pickup and reception"


def max_hold_in_force(scenario: Scenario, time: float) -> float:
    """The longest hold (hours) of a convoy held from ``time`` on: the ceasefire's
    ``max_hold``, or the last period's that set it by then, as the engines take it when the
    hold begins."""
    limit = scenario.ceasefire.max_hold
    for period in scenario.periods:  # in time order
        if period.start <= time and period.max_hold is not None:
            limit = period.max_hold
    return limit
