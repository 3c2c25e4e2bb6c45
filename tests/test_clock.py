"""The reference engine's clock: absolute timers, exact times, one order for simultaneous events.

:mod:`sim.engines.clock` uses one piece of SimPy below its public API (an event born
triggered, as SimPy's ``Timeout`` is). These tests fail loudly if a SimPy release changes it.
"""

from __future__ import annotations

import math
from importlib import metadata

import simpy

from sim.engines.clock import LATE, NORMAL, URGENT, Clock

#: The SimPy releases sim/engines/clock.py was checked against; pyproject.toml says the same.
CHECKED = ((4, 1), (4, 2))


def test_simpy_is_a_release_the_clock_was_checked_against():
    version = tuple(int(x) for x in metadata.version("simpy").split(".")[:2])
    low, high = CHECKED
    assert low <= version < high, (
        f"SimPy {metadata.version('simpy')}: sim/engines/clock.py pushes timers on "
        "Environment._queue with _eid and makes them born triggered (Event._ok, _value). "
        "Check it against this release's simpy/core.py and simpy/events.py, run "
        "tests/test_clock.py and tests/test_vector_equivalence.py, then raise the bound "
        "here and in pyproject.toml."
    )


def test_a_timer_fires_at_exactly_its_time():
    env = Clock()
    env.at(2.29).callbacks.append(lambda _: None)
    env.step()
    assert env.now == 2.29
    later = 11.74
    assert 2.29 + (later - 2.29) != later  # the sum a plain delay would give is off by one ulp
    fired = []
    env.at(later).callbacks.append(lambda _: fired.append(env.now))
    env.run()
    assert fired == [later]


def test_no_public_delay_reaches_some_times():
    """Why the clock does not use Environment.schedule: 2.29 + d is never 11.74."""
    below = 11.74 - 2.29
    assert 2.29 + below < 11.74 < 2.29 + math.nextafter(below, math.inf)


def test_simultaneous_timers_go_by_priority_then_by_creation():
    env = Clock()
    order = []
    for name, priority in [("late", LATE), ("normal a", NORMAL), ("urgent", URGENT)]:
        env.at(2.0, priority).callbacks.append(lambda _, n=name: order.append(n))
    env.at(2.0).callbacks.append(lambda _: order.append("normal b"))
    env.run()
    assert order == ["urgent", "normal a", "normal b", "late"]


def test_a_process_waits_on_a_timer():
    env = Clock()
    seen = []

    def convoy():
        yield env.at(1.5)
        seen.append(env.now)
        value = yield env.at(0.5)  # in the past: fires now
        seen.append((env.now, value))

    env.process(convoy())
    env.run()
    assert seen == [1.5, (1.5, None)]


def test_a_timer_is_a_simpy_event():
    env = Clock()
    timer = env.at(1.0)
    assert isinstance(timer, simpy.Event) and timer.triggered and timer.ok
