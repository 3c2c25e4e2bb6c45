"""Deterministic cases whose outcome is worked out by hand, on the reference engine.

The deterministic workshop scenario: 2,300 families, 10 buses of 60 places (50 seats x 1.2),
and fixed legs. One rotation takes load 0.5 + to checkpoint 0.5 + inspection 0.25 + to
reception 0.75 + unload 0.25 + return 1.75 = 4.0 h; convoy k forms at 4k h and reaches
reception 2.0 h later.
"""

from __future__ import annotations

import math

import pytest
from conftest import DETERMINISTIC

import sim
from sim.engines.des import run_des

LOAD, TO_CHECKPOINT, INSPECTION, TO_RECEPTION, UNLOAD, RETURN = 0.5, 0.5, 0.25, 0.75, 0.25, 1.75
ROTATION = LOAD + TO_CHECKPOINT + INSPECTION + TO_RECEPTION + UNLOAD + RETURN
OUTBOUND = LOAD + TO_CHECKPOINT + INSPECTION + TO_RECEPTION


def outcome(*overrides: str, reps: int = 2):
    scenario = sim.load_scenario(DETERMINISTIC, list(overrides))
    return scenario, run_des(scenario, reps, seed=1)


def events(result, kind: str, rep: int = 0):
    return [e for e in result.trace if e.event == kind and e.rep == rep]


def test_clearance_time_and_convoys_by_hand():
    scenario, result = outcome()
    per_bus = math.floor(50 * 1.2)
    per_convoy = 10 * per_bus
    convoys = math.ceil(2300 / per_convoy)
    clearance = (convoys - 1) * ROTATION + OUTBOUND
    assert (convoys, clearance) == (4, 14.0)
    m = result.metrics
    assert list(m["convoys"]) == [convoys] * 2
    assert list(m["clearance_time"]) == [clearance] * 2
    assert list(m["evacuated"]) == [2300] * 2
    # the last convoy takes only the buses it needs
    last = events(result, "convoy_forms")[-1]
    assert last.people == 2300 - 3 * per_convoy
    assert last.vehicles == (math.ceil(last.people / per_bus),)
    # people waiting: 1,700 then 1,100 then 500 people, 4 h each
    assert m["wait_person_hours"][0] == pytest.approx((1700 + 1100 + 500) * ROTATION)
    assert scenario.clock(clearance).strftime("%H:%M") == "20:00"


def test_scheduled_window_holds_convoy_and_contains_no_departure():
    # window 5-9 h: convoy 2 departed at 4.5, reaches the checkpoint at 5.0, is inspected
    # until 5.25, held until 9.0, reaches reception at 9.75 and is back at 11.75; convoys
    # 3 and 4 then form at 11.75 and 15.75 and the last reaches reception at 17.75.
    _, result = outcome("ceasefire.windows=[{start = 5.0, end = 9.0, reason = 'halt'}]")
    for rep in range(2):
        departures = [e.time for e in events(result, "convoy_departs", rep)]
        assert not [t for t in departures if 5.0 <= t < 9.0]
        held = events(result, "held", rep)
        assert [(e.time, e.convoy, e.note) for e in held] == [(5.25, 1, "at the checkpoint")]
    m = result.metrics
    assert m["clearance_time"][0] == 9.0 + TO_RECEPTION + UNLOAD + RETURN + ROTATION + OUTBOUND
    assert m["clearance_time"][0] == 17.75
    assert m["suspensions"][0] == 1 and m["suspended_hours"][0] == 4.0
    assert m["held_person_hours"][0] == 600 * (9.0 - 5.25)


def test_patients_board_before_others():
    _, result = outcome(
        "population.patients={count = 100, priority = 1, vehicles = ['buses'],"
        " arrivals = [{at = 3.0, count = 50}]}",
        "population.families.priority=2",
    )
    forms = events(result, "convoy_forms")
    # groups are in file order: families, patients
    assert forms[0].groups == (500, 100)
    assert forms[1].groups == (550, 50)  # the 50 patients who arrived at 3.0 go first
    m = result.metrics
    assert m["wait_mean_patients"][0] == pytest.approx((100 * 0.5 + 50 * (4.5 - 3.0)) / 150)
    assert m["evacuated_patients"][0] == 150


def test_turned_back_passengers_are_not_evacuated():
    # suspended from 1.1 to 3.0 h: convoy 1 is at the checkpoint (reached at 1.0 after
    # leaving at 0.5), drives 0.5 h back and its 600 people rejoin the queue at 1.6.
    # From 3.0 four convoys form 4 h apart and the last reaches reception at 17.0.
    _, result = outcome(
        "ceasefire.before_checkpoint='turn_back'",
        "ceasefire.windows=[{start = 1.1, end = 3.0}]",
        "milestones=[{name = 'resume', at = 3.0}]",
    )
    back = events(result, "back_at_pickup")
    assert [(e.time, e.people) for e in back] == [(1.6, 600)]
    assert not [e for e in events(result, "reaches_reception") if e.convoy == 0]
    m = result.metrics
    assert m["turned_back"][0] == 1
    assert m["evacuated_by_resume"][0] == 0
    assert m["clearance_time"][0] == 3.0 + 3 * ROTATION + OUTBOUND == 17.0
    assert m["evacuated"][0] == 2300


def test_held_convoy_turns_back_after_max_hold():
    # held at the checkpoint from 5.25; after 2 h it turns back (0.5 h drive) at 7.25
    _, result = outcome("ceasefire.windows=[{start = 5.0, end = 9.0}]", "ceasefire.max_hold=2.0")
    turned = events(result, "turned_back")
    assert [(e.time, e.convoy) for e in turned] == [(7.25, 1)]
    assert [e.time for e in events(result, "back_at_pickup")] == [7.75]
    assert result.metrics["held_person_hours"][0] == 600 * 2.0


def test_min_vehicles_waits_until_max_wait():
    # 5 buses at 0 h and 5 more at 3 h; a convoy needs 8 unless buses have waited 2 h
    _, result = outcome(
        "fleet.buses.count=5",
        "fleet.extra={count = 5, seats = 50, crowding = 1.2, available_at = 3.0,"
        " load_time = 0.5, unload_time = 0.25}",
        "population.families.vehicles=['buses', 'extra']",
        "convoy.min_vehicles=8",
        "convoy.max_wait=2.0",
    )
    first = events(result, "convoy_forms")[0]
    assert (first.time, first.vehicles) == (2.0, (5, 0))


def test_incident_suspends_and_negotiation_ends_it():
    # every inspection ends in an incident; a negotiated suspension lasts 1 + 0.5 h
    _, result = outcome(
        "route.incident_probability=1.0",
        "ceasefire.negotiation=1.0",
        "ceasefire.guarantee=0.5",
        "ceasefire.before_checkpoint='hold'",
    )
    sus = events(result, "ceasefire_suspended")
    resumes = events(result, "ceasefire_resumes")
    assert sus[0].time == 1.25 and sus[0].note == "incident at the checkpoint"
    assert resumes[0].time == 1.25 + 1.0 + 0.5
    passes = events(result, "passes_checkpoint")
    assert passes[0].time == 2.75


def test_no_convoy_forms_outside_departure_hours():
    # start 06:00, convoys may form 06:00-12:00: convoys 1 and 2 form at 0 and 4 h (06:00,
    # 10:00); the buses are back at 8 h (14:00), so convoy 3 waits for 06:00 next day (24 h)
    # and convoy 4 forms at 28 h, reaching reception at 28 + 2 = 30 h.
    scenario, result = outcome("horizon=48.0", "convoy.departure_hours=[6, 12]")
    formed = [e.time for e in events(result, "convoy_forms")]
    assert formed == [0.0, ROTATION, 24.0, 24.0 + ROTATION]
    assert list(result.metrics["clearance_time"]) == [24.0 + ROTATION + OUTBOUND] * 2
    assert all(6 <= scenario.clock(t).hour < 12 for t in formed)


LINKED = (
    "linkage.people=1000",
    "linkage.per_convoy=500",
    "linkage.trip=5.0",
    "linkage.max_lag=0.1",
)


def test_linked_site_and_the_lag_rule_by_hand():
    # Shares evacuated: here of 2,300, there of 1,000; a side ahead by more than 0.1 waits.
    #  0 h  linked convoy 1 leaves (500); convoy 1 forms here
    #  2 h  600 here (0.26 vs 0): ahead, pause; buses back at 4 h but no convoy forms
    #  5 h  linked convoy 1 arrives (0.26 vs 0.5): resume, convoy 2 forms; the linked side
    #       is now ahead by 0.24 and waits
    #  7 h  1,200 here (0.52 vs 0.5): linked convoy 2 leaves, arrives at 12 h
    #  9 h  buses back, convoy 3 forms; 11 h: 1,800 here (0.78 vs 0.5): pause
    # 12 h  linked convoy 2 arrives (0.78 vs 1.0): resume; 13 h buses back, convoy 4 forms
    # 15 h  the last 500 reach reception: clear. Paused 2-5 h and 11-12 h: 4 h.
    _, result = outcome(*LINKED)
    m = result.metrics
    assert list(m["clearance_time"]) == [15.0] * 2
    assert list(m["linked_evacuated"]) == [1000] * 2
    assert list(m["linked_convoys"]) == [2] * 2
    assert list(m["linkage_paused_hours"]) == [4.0] * 2
    assert [e.time for e in events(result, "convoy_forms")] == [0.0, 5.0, 9.0, 13.0]
    assert [e.time for e in events(result, "linked_departs")] == [0.0, 7.0]
    assert [(e.event, e.time) for e in events(result, "linkage_pause")] == [
        ("linkage_pause", 2.0),
        ("linkage_pause", 11.0),
    ]
    assert [e.time for e in events(result, "linkage_resume")] == [5.0, 12.0]
