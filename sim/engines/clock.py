"""Simulated time for the reference engine: absolute timers and the order of simultaneous events.

Simultaneous events happen in one documented order, by SimPy priority: ceasefire changes
first (``URGENT``), then arrivals, returns and convoy legs (``NORMAL``), then convoy
formation (``LATE``); events of one priority in the order they were made.

This is the one place the reference engine goes below SimPy's public API, on purpose: the
public ``Environment.schedule(event, priority, delay)`` puts an event at ``now + delay``,
and for some pairs no float delay gives the wanted time exactly (from 2.29 h, 11.74 h is
out of reach: the sums round to its neighbours, ties to even), while bit-for-bit agreement
with the batch engine needs the exact time. So :meth:`Clock.at` pushes the event on the
queue as ``schedule`` does (``_queue``, ``_eid``) and makes it born triggered as
``simpy.Timeout`` does (``_ok``, ``_value``). ``pyproject.toml`` bounds SimPy below its next
minor release, and ``tests/test_clock.py`` fails loudly on a SimPy that changes any of this:
check this module against the new ``simpy/core.py`` and ``simpy/events.py`` before raising
the bound.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappush
from typing import ParamSpec

import simpy
from simpy.events import EventPriority

P = ParamSpec("P")

URGENT, NORMAL, LATE = EventPriority(0), EventPriority(1), EventPriority(2)


class Clock(simpy.Environment):
    """A SimPy environment that can set a timer at an absolute time and priority."""

    def at(self, time: float, priority: EventPriority = NORMAL) -> simpy.Event:
        """An event that fires at ``time`` (hours), not before now.

        ``Environment.schedule`` adds a delay to ``now``; ``now + (time - now)`` may round
        to a neighbour of ``time``, so the event is pushed at ``time`` itself, as
        ``schedule`` does internally. Times in the results are then exactly the sums the
        model defines, the same the batch engine computes.
        """
        return self.fire(simpy.Event(self), time, priority)

    def fire(
        self, event: simpy.Event, time: float, priority: EventPriority = NORMAL
    ) -> simpy.Event:
        """Make an event a process already waits on fire at ``time`` (hours), as :meth:`at`."""
        event._ok, event._value = True, None
        heappush(self._queue, (max(time, self._now), priority, next(self._eid), event))
        return event


def then(
    action: Callable[P, None], *args: P.args, **kwargs: P.kwargs
) -> Callable[[simpy.Event], None]:
    """An event's callback that calls ``action(*args, **kwargs)`` when the event fires.

    The arguments are bound now, as a lambda's default arguments would bind them in a loop,
    but typed: mypy cannot infer a lambda with default arguments as a callback.
    """
    return lambda _: action(*args, **kwargs)
