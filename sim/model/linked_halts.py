"""The linked site's random halts: when each starts and ends.

An exchange may give the linked site halts of its own beyond its scripted ``halts``: from the
deal's ``start``, the next halt comes after an exponential gap of mean ``1 / halt_rate``
hours and lasts ``halt_duration``; the next gap starts when it ends (a renewal process,
independent of the ceasefire, of the scripted halts and of everything else in the run).
Halt ``k`` reads its gap from the standard unit exponential of stream ``exchange_halt`` at
index ``k`` and its duration from stream ``exchange_halt_duration`` at index ``k``.

Both engines use :func:`random_halts`, with scalars (the reference engine) or arrays over
replications (the batch engine), so the schedule is the same number for number.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

#: The streams of the random halts' gaps and durations (``sim.model.variates.STREAMS``).
GAPS, DURATIONS = "exchange_halt", "exchange_halt_duration"


def random_halts(
    uniform: Callable[[str, int], np.ndarray | float],
    rate: np.ndarray | float,
    duration: Callable[[np.ndarray], np.ndarray],
    start: np.ndarray | float,
    horizon: float,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """The random halts that start by ``horizon``, as ``(starts, ends)`` hours per halt.

    Parameters
    ----------
    uniform : callable
        ``uniform(stream, k)``: the standard uniforms of index ``k`` of a stream (a scalar,
        or one per replication).
    rate : float or array
        Halts per hour while the linked site is not in a random halt (0: none).
    duration : callable
        Hours a halt lasts, for standard uniforms (the distribution's ``ppf``).
    start, horizon : float or array, float
        Hours: the deal's start (the first gap begins then) and the run's horizon.

    Returns
    -------
    list of (array, array)
        Halt ``k``'s start and end hours (``inf`` in replications where it starts after the
        horizon); the list ends at the first ``k`` that starts after the horizon everywhere.
    """
    rate = np.asarray(rate, dtype=float)
    t = np.asarray(start, dtype=float)
    halts: list[tuple[np.ndarray, np.ndarray]] = []
    while True:
        gap = -np.log1p(-np.asarray(uniform(GAPS, len(halts)), dtype=float))
        with np.errstate(over="ignore"):  # a rate so small that the gap is beyond any horizon
            wait = np.divide(gap, rate, out=np.full(np.shape(gap), np.inf), where=rate > 0)
        begins = t + wait
        on = begins <= horizon
        if not on.any():
            return halts
        lasts = duration(np.asarray(uniform(DURATIONS, len(halts)), dtype=float))
        ends = begins + np.asarray(lasts, dtype=float)
        halts.append((np.where(on, begins, np.inf), np.where(on, ends, np.inf)))
        t = ends
