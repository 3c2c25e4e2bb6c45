"""The compiled loop's books: person-hours, the hourly series, milestones and wait records.

:mod:`sim.engines.batch_books` for one replication ``r`` at a time, with the same
operations in the same order. The cold curve is read with :func:`interp`, numpy's
``numpy.interp`` written out: the same formula gives the same bits.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from sim.engines.compiled.layout import (
    ABOARD,
    ACTIVE,
    BOARDED,
    BOARDED_PH,
    C_DEPARTED,
    COLD_KNOT,
    COLD_PH,
    COLD_SINCE,
    CONVOYS_CROSSED,
    EVACUATED,
    HELD,
    HELD_PH,
    NEXT_HOUR,
    NOW,
    PEAK_QUEUE,
    PEOPLE_CROSSED,
    PEOPLE_DEPARTED,
    SINCE,
    WAIT_PH,
    WAITING,
)


@njit(cache=True, inline="always")  # in its callers: no call, no counted arrays
def interp(x: float, xp: np.ndarray, fp: np.ndarray, j: int) -> tuple[float, int]:
    """``numpy.interp(x, xp, fp)`` for one ``x``, as numpy's C code computes it: the last
    knot at or below ``x``, then ``slope * (x - xp[j]) + fp[j]``; and that knot. ``j`` is a
    knot at or below ``x`` to search on from: a replication's clock only moves forward."""
    n = len(xp)
    if x > xp[n - 1]:
        y = fp[n - 1]
    elif x < xp[0]:
        y = fp[0]
    else:
        while j + 1 < n and xp[j + 1] <= x:
            j += 1
        if j == n - 1 or xp[j] == x:
            y = fp[j]
        else:
            slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j])
            y = slope * (x - xp[j]) + fp[j]
            if math.isnan(y):  # numpy tries from the other end, then the flat value
                y = slope * (x - xp[j + 1]) + fp[j + 1]
                if math.isnan(y) and fp[j] == fp[j + 1]:
                    y = fp[j]
    return y, j


@njit(cache=True)
def accrue(st, r: int) -> None:
    """Add the person-hours since the last change, up to now."""
    now = st.F[r, NOW]
    span = now - st.F[r, SINCE]
    if span > 0:
        waiting, held, boarded = st.I[r, WAITING], st.I[r, HELD], st.I[r, BOARDED]
        st.I[r, PEAK_QUEUE] = max(st.I[r, PEAK_QUEUE], waiting)
        st.F[r, WAIT_PH] += waiting * span
        st.F[r, HELD_PH] += held * span
        st.F[r, BOARDED_PH] += boarded * span
        people = waiting + held + boarded
        # the cold curve: hours cold since 0 (its knot kept, searched on from there next time)
        cold_now, st.I[r, COLD_KNOT] = interp(now, st.cold_x, st.cold_y, st.I[r, COLD_KNOT])
        if people > 0:
            st.F[r, COLD_PH] += people * (cold_now - st.F[r, COLD_SINCE])
        st.F[r, SINCE] = now
        st.F[r, COLD_SINCE] = cold_now


@njit(cache=True)
def change_waiting(st, r: int, delta: int) -> None:
    """People join or leave the queue to or from a convoy."""
    accrue(st, r)
    st.I[r, WAITING] += delta
    st.I[r, ABOARD] -= delta


@njit(cache=True)
def change_boarded(st, r: int, delta: int) -> None:
    accrue(st, r)
    st.I[r, BOARDED] += delta


@njit(cache=True)
def change_held(st, r: int, delta: int) -> None:
    accrue(st, r)
    st.I[r, HELD] += delta


@njit(cache=True)
def boarded_held(st, r: int, people: int) -> None:
    """People aboard at the pickup are held (``people > 0``) or no longer."""
    accrue(st, r)
    st.I[r, BOARDED] -= people
    st.I[r, HELD] += people


@njit(cache=True)
def fill(st, r: int, t: float) -> None:
    """Hours before ``t`` keep the state they end with: the current one."""
    I = st.I  # noqa: E741
    limit = min(math.ceil(t), st.hours)
    if limit > I[r, NEXT_HOUR]:
        # local names: a structure's array read once, not once an hour
        evacuated, waiting, suspended = st.hour_evacuated, st.hour_waiting, st.hour_suspended
        now_evacuated, now_waiting = I[r, EVACUATED], I[r, WAITING]
        now_suspended = 1 - I[r, ACTIVE]
        for h in range(I[r, NEXT_HOUR], limit):
            evacuated[r, h] = now_evacuated
            waiting[r, h] = now_waiting
            suspended[r, h] = now_suspended
        I[r, NEXT_HOUR] = limit


@njit(cache=True)
def on_the_road(st, r: int, people: int, convoys: int) -> None:
    """A convoy leaves the pickup (``convoys = 1``) or turns back after leaving (-1)."""
    st.I[r, PEOPLE_DEPARTED] += people
    now, at, by = st.F[r, NOW], st.timed_at, st.departed_by
    for m in range(len(at)):
        if now <= at[m]:
            by[r, m, 0] += people
            by[r, m, 1] += convoys


@njit(cache=True)
def crossed_checkpoint(st, r: int, people: int) -> None:
    """A convoy passes the checkpoint."""
    st.I[r, PEOPLE_CROSSED] += people
    st.I[r, CONVOYS_CROSSED] += 1
    now, at, by = st.F[r, NOW], st.timed_at, st.crossed_by
    for m in range(len(at)):
        if now <= at[m]:
            by[r, m, 0] += people
            by[r, m, 1] += 1


@njit(cache=True)
def received(st, r: int, slot: int) -> int:
    """The people of the convoy in ``slot`` are evacuated: the books by group, the
    milestones and one wait record per (group, cohort) cell aboard; their number."""
    now, CG, CM, evacuated = st.F[r, NOW], st.CG, st.CM, st.evacuated
    G = CG.shape[2]
    people = 0
    for g in range(G):
        n = CG[r, slot, g]
        evacuated[r, g] += n
        people += n
    st.I[r, ABOARD] -= people
    departed = st.CF[r, slot, C_DEPARTED]
    rep, cells, hours, counts = st.rec_rep, st.rec_cell, st.rec_departed, st.rec_people
    at = st.rec_n[0]
    for cell in range(CM.shape[2]):
        n = CM[r, slot, cell]
        if n:
            rep[at], cells[at], hours[at], counts[at] = r, cell, departed, n
            at += 1
    st.rec_n[0] = at
    timed, safe_by = st.timed_at, st.safe_by
    for m in range(len(timed)):
        if now <= timed[m]:
            for g in range(G):
                safe_by[r, m, g] += CG[r, slot, g]
    return people
