"""Suspensions at one instant: the rule of docs/model.md, worked out by hand in both engines.

At one instant the ceasefire's changes come first, windows before resumptions (a window's
timer is set when the replication starts, a resumption's only when its suspension begins).
So a window that starts at the instant a suspension ends, or a second window at the instant
of a first, extends the suspension: one spell, counted once in ``suspensions``, its hours
counted once in ``suspended_hours``, one ``ceasefire_suspended`` (with the first cause) and
one ``ceasefire_resumes`` in the trace. A zero-length suspension is still a spell of 0 h.

All cases start from the deterministic workshop scenario: 2,300 families, 10 buses of 60
places, fixed legs. One rotation takes 4.0 h, a convoy reaches reception 2.0 h after it
forms, the four convoys of 600, 600, 600 and 500 clear the pickup at 14.0 h.
"""

from __future__ import annotations

import pytest
from conftest import DETERMINISTIC

import sim
from sim.engines.des import run_des
from sim.engines.vector import run_vector

ENGINES = {"reference": run_des, "batch": run_vector}
TURN_BACK = "ceasefire.before_checkpoint='turn_back'"
NO_DELAY = ["ceasefire.negotiation=0.0", "ceasefire.guarantee=0.0"]


def outcome(engine: str, *overrides: str):
    scenario = sim.load_scenario(DETERMINISTIC, ["run.trace_reps=2", *overrides])
    return ENGINES[engine](scenario, 2, seed=1)


def ceasefire_trace(result, rep: int = 0) -> list[tuple[float, str, str]]:
    return [
        (e.time, e.event, e.note)
        for e in result.trace
        if e.rep == rep and e.event.startswith("ceasefire")
    ]


@pytest.mark.parametrize("engine", ENGINES)
def test_two_zero_length_windows_at_one_instant_are_one_spell(engine):
    # Both windows start at 0.25 h and, negotiated in 0 h, end there. Convoy 0 (loading
    # since 0.0) is turned back at 0.25 with 0 h driven, so convoy 1 forms at 0.25 and the
    # pickup clears 0.25 h late, at 14.25 h. The second window starts before the first
    # suspension's resumption: one spell of 0 h.
    result = outcome(
        engine, TURN_BACK, "ceasefire.windows=[{start = 0.25}, {start = 0.25}]", *NO_DELAY
    )
    assert ceasefire_trace(result) == [
        (0.25, "ceasefire_suspended", "scheduled"),
        (0.25, "ceasefire_resumes", ""),
    ]
    turned = [(e.time, e.convoy) for e in result.trace if e.event == "turned_back"]
    assert turned == [(0.25, 0), (0.25, 0)]  # replications 0 and 1
    m = result.metrics
    assert list(m["suspensions"]) == [1, 1]
    assert list(m["suspended_hours"]) == [0.0, 0.0]
    assert list(m["turned_back"]) == [1, 1]
    assert list(m["clearance_time"]) == [14.25, 14.25]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_second_window_at_the_instant_of_a_zero_length_one_extends_it(engine):
    # The first window would end at 0.25 (0 h of negotiation); the second, due at the same
    # instant, lasts until 1.0: one spell of 0.75 h. Convoy 0 is turned back at 0.25 and
    # convoy 1 forms at the resumption, so the pickup clears at 1.0 + 14.0 = 15.0 h.
    result = outcome(
        engine,
        TURN_BACK,
        "ceasefire.windows=[{start = 0.25}, {start = 0.25, end = 1.0}]",
        *NO_DELAY,
    )
    assert ceasefire_trace(result) == [
        (0.25, "ceasefire_suspended", "scheduled"),
        (1.0, "ceasefire_resumes", ""),
    ]
    m = result.metrics
    assert list(m["suspensions"]) == [1, 1]
    assert list(m["suspended_hours"]) == [0.75, 0.75]
    assert list(m["turned_back"]) == [1, 1]
    assert list(m["clearance_time"]) == [15.0, 15.0]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_window_that_starts_as_another_ends_extends_it(engine):
    # Windows 0.25-1.0 ("mined") and 1.0-2.0 ("talks"): one spell of 1.75 h, told once, with
    # its first cause. Convoy 0 is loaded at 0.5 and held at the pickup until 2.0 (600 people
    # x 1.5 h aboard), so every convoy is 1.5 h late: convoys form at 0, 5.5, 9.5, 13.5 and
    # the last reaches reception at 15.5 h.
    result = outcome(
        engine,
        "ceasefire.windows=[{start = 0.25, end = 1.0, reason = 'mined'},"
        " {start = 1.0, end = 2.0, reason = 'talks'}]",
    )
    assert ceasefire_trace(result) == [
        (0.25, "ceasefire_suspended", "mined"),
        (2.0, "ceasefire_resumes", ""),
    ]
    held = [(e.time, e.convoy) for e in result.trace if e.event == "held" and e.rep == 0]
    assert held == [(0.5, 0)]
    m = result.metrics
    assert list(m["suspensions"]) == [1, 1]
    assert list(m["suspended_hours"]) == [1.75, 1.75]
    assert list(m["held_person_hours"]) == [900.0, 900.0]
    assert list(m["clearance_time"]) == [15.5, 15.5]


@pytest.mark.parametrize("engine", ENGINES)
def test_windows_apart_are_two_spells(engine):
    # The contrast: 0.25-1.0 and 1.5-2.0 leave the ceasefire active in between, two spells.
    result = outcome(
        engine, "ceasefire.windows=[{start = 0.25, end = 1.0}, {start = 1.5, end = 2.0}]"
    )
    assert [event for _, event, _ in ceasefire_trace(result)] == [
        "ceasefire_suspended",
        "ceasefire_resumes",
        "ceasefire_suspended",
        "ceasefire_resumes",
    ]
    m = result.metrics
    assert list(m["suspensions"]) == [2, 2]
    assert list(m["suspended_hours"]) == [1.25, 1.25]
