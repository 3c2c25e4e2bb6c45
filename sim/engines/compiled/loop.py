"""The compiled main loop: each replication's events in the batch engine's order.

:meth:`sim.engines.vector.Batch.run` for one replication at a time. The next event is the
smallest of the ceasefire's timers (urgent), the arrivals calendar and the convoys' timers
(normal, the oldest timer first), and the dispatcher's decision and deadline (late); after
it, convoys a suspension interrupted turn back, and a decision asked for at this instant is
taken at once if nothing else is due now. A replication runs until its end, or until it
needs numpy (more table columns or slots, or a new convoy's slowest vehicles where numpy's
functions cannot be called from here), when it stops with its status; :func:`advance` goes
through the replications of a block that can go on.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from sim.engines.compiled import books
from sim.engines.compiled.ceasefire import breach, resume, window, windows_due
from sim.engines.compiled.convoys import step, turn_back
from sim.engines.compiled.hours import start_loading
from sim.engines.compiled.layout import (
    ARRIVAL_NEXT,
    BREACH_DUE,
    BREACHES,
    BUSY_SLOTS,
    C_NEXT,
    C_NUMBER,
    C_SEQ,
    CLEARED_AT,
    CONVOYS,
    DEADLINE_DUE,
    DECIDE_DUE,
    DONE,
    NEEDS_HOURS,
    NEEDS_ROOM,
    NEGOTIATED,
    NOW,
    RESUME_DUE,
    RUNNING,
    STATUS,
    WINDOW_NEXT,
)
from sim.engines.compiled.pickup import arrive, decide

INF = math.inf
LAST = np.iinfo(np.int64).max


@njit(cache=True)
def next_times(st, r: int) -> tuple[float, float, float]:
    """The next urgent event (the ceasefire's), arrival, and normal event, hours."""
    F, CF = st.F, st.CF
    urgent = min(min(st.window_start[st.I[r, WINDOW_NEXT]], F[r, BREACH_DUE]), F[r, RESUME_DUE])
    arrival = st.cal_times[r, st.I[r, ARRIVAL_NEXT]]
    normal = arrival
    for s in range(CF.shape[1]):
        normal = min(normal, CF[r, s, C_NEXT])
    return urgent, arrival, normal


@njit(cache=True)
def needs_room(st, r: int) -> bool:
    """Whether the replication's next pass could outrun its tables, slots or records."""
    I = st.I  # noqa: E741
    # one return, no early ones: numba's reference-count pruning keeps the increments
    # and decrements of the arguments only where a function has several exits
    full = I[r, CONVOYS] >= st.CT.shape[2]
    full |= I[r, NEGOTIATED] + len(st.window_end) + 2 > st.ST.shape[2]
    full |= I[r, BREACHES] + 2 > st.ST.shape[2]
    full |= st.rec_n[0] + st.CM.shape[2] > len(st.rec_rep)
    full |= I[r, BUSY_SLOTS] >= st.CI.shape[1]
    return full


@njit(cache=True)
def run_deferred(st, r: int) -> None:
    """Turn back the convoys each suspension of this pass interrupted, in convoy order,
    after the windows due now and a resumption due now."""
    i = 0
    slots = st.CI.shape[1]
    while i < st.n_hits[0]:
        hit = False
        for s in range(slots):
            hit = hit or st.hits[i, s]
        if hit:
            windows_due(st, r)
            if st.F[r, RESUME_DUE] == st.F[r, NOW]:
                resume(st, r)
        number, CI = np.full(slots, LAST), st.CI
        for s in range(slots):
            if st.hits[i, s]:
                number[s] = CI[r, s, C_NUMBER]
        for s in np.argsort(number, kind="mergesort"):
            if st.hits[i, s]:
                turn_back(st, r, s)
        i += 1
    st.n_hits[0] = 0


@njit(cache=True)
def decide_in_pass(st, r: int) -> int:
    """Take a decision asked for now if no other event is due at this instant."""
    now, result = st.F[r, NOW], RUNNING
    if st.F[r, DECIDE_DUE] == now:
        urgent, _, normal = next_times(st, r)
        if min(urgent, normal) > now:
            result = decide(st, r)
            run_deferred(st, r)
    return result


@njit(cache=True)
def run_one(st, r: int) -> int:
    """Advance replication ``r`` until its end or until it needs numpy; its status."""
    F, I = st.F, st.I  # noqa: E741
    if I[r, STATUS] == NEEDS_HOURS:  # its decision formed a convoy: the pass ends with it
        start_loading(st, r)
    while True:
        if needs_room(st, r):
            return NEEDS_ROOM
        urgent, arrival, normal = next_times(st, r)
        late = min(F[r, DECIDE_DUE], F[r, DEADLINE_DUE])
        t = min(min(urgent, normal), late)
        if t > st.horizon or t > F[r, CLEARED_AT]:  # the horizon's instant counts
            return DONE
        books.fill(st, r, t)
        F[r, NOW] = t
        if urgent == t:
            if st.window_start[I[r, WINDOW_NEXT]] == t:
                window(st, r)
            elif F[r, BREACH_DUE] == t:
                breach(st, r)
            else:
                resume(st, r)
        elif normal == t:
            if arrival == t:
                arrive(st, r)
            else:
                first, order, CF, CI = -1, LAST, st.CF, st.CI
                for s in range(CF.shape[1]):
                    if CF[r, s, C_NEXT] == t and CI[r, s, C_SEQ] < order:
                        first, order = s, CI[r, s, C_SEQ]
                step(st, r, first)
        else:
            if decide(st, r) == NEEDS_HOURS:
                return NEEDS_HOURS
            run_deferred(st, r)
            continue
        run_deferred(st, r)
        if decide_in_pass(st, r) == NEEDS_HOURS:
            return NEEDS_HOURS


@njit(cache=True)
def advance(st, first: int, end: int) -> int:
    """Run every replication of ``first .. end - 1`` that can go on; how many still need
    numpy."""
    waiting = 0
    for r in range(first, end):
        if st.I[r, STATUS] == DONE:
            continue
        status = run_one(st, r)
        st.I[r, STATUS] = status
        if status != DONE:
            waiting += 1
    return waiting
