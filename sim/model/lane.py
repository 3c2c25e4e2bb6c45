"""The passage of a convoy's vehicles through a lane of the crossing, at the rate in force.

A lane passes its vehicles one after another at ``crossing.vehicles_per_hour``, a rate the
scenario's periods may change at their start. The changes are known in advance, so when a
convoy's vehicles start to pass (the end of its inspection in the lane), the instant its
last vehicle is through is a pure function of that start, its vehicles and the schedule:
:func:`passage_end`. Both engines call it, the reference engine with numbers and the batch
engine with arrays over convoys, and get the same bits (the same operations in the same
order): a convoy's fate must not depend on the engine.

>>> # 60 buses start at 0.0 at 2 an hour; from 10.0 the lane passes 120 an hour:
>>> # 20 pass by 10.0, the other 40 in 1/3 h
>>> round(float(passage_end(0.0, 60, (10.0,), (2.0, 120.0))), 6)
10.333333
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import overload

import numpy as np

Value = float | np.ndarray


@overload
def passage_end(
    start: float, vehicles: float, changes: Sequence[float], rates: Sequence[float]
) -> float: ...
@overload
def passage_end(
    start: np.ndarray, vehicles: Value, changes: Sequence[float], rates: Sequence[Value]
) -> np.ndarray: ...
def passage_end(
    start: Value, vehicles: Value, changes: Sequence[float], rates: Sequence[Value]
) -> Value:
    """The instant the last of ``vehicles`` has passed a lane, from ``start`` on.

    Parameters
    ----------
    start : float or ndarray
        Hours from the scenario's start at which the first vehicle starts to pass.
    vehicles : int, float or ndarray
        Vehicles to pass, one after another (>= 0).
    changes : sequence of float
        Hours from the start at which the rate changes, in time order (equal instants
        allowed: the last of them holds). At a change the new rate is in force.
    rates : sequence of float or ndarray
        Vehicles per hour (> 0, ``inf`` for no time per vehicle): ``rates[0]`` before
        ``changes[0]``, ``rates[k]`` from ``changes[k - 1]``; one more than ``changes``.
        An array gives one rate per element of ``start`` (per convoy).

    Returns
    -------
    float or ndarray
        Hours from the start: ``start + vehicles / rate`` while the rate holds; across a
        change, the vehicles left after it pass at the new rate.
    """
    t = np.asarray(start, dtype=float)
    left = np.asarray(vehicles, dtype=float)
    end = np.full(np.broadcast(t, left).shape, np.inf)
    going = np.ones(end.shape, dtype=bool)
    for k, rate in enumerate(rates):
        upper = changes[k] if k < len(changes) else np.inf
        here = going & (t < upper)  # still passing, and in this rate's span
        with np.errstate(invalid="ignore"):  # 0 * inf where a span is over: not used
            room = (upper - t) * rate  # vehicles the lane passes before the next change
        done = here & (room >= left)
        end = np.where(done, t + left / rate, end)
        on = here & ~done
        left = np.where(on, left - room, left)
        t = np.where(on, upper, t)
        going = going & ~done
    return end if end.ndim else float(end)
