"""The compiled loop's pickup: arrivals, and the dispatcher that forms convoys.

:mod:`sim.engines.batch_pickup` for one replication. A convoy that forms needs its slowest
vehicle's loading and unloading hours: computed here with its legs'
(:mod:`~sim.engines.compiled.hours`), or, where numpy's own functions cannot be called from
compiled code, given by numpy: forming then stops the replication (``NEEDS_HOURS``) with
the new convoy's slot pending.
"""

from __future__ import annotations

import math

from numba import njit

from sim.engines.compiled import books
from sim.engines.compiled.convoys import kick, make_idle
from sim.engines.compiled.hours import new_convoy
from sim.engines.compiled.layout import (
    ABOARD,
    ACTIVE,
    ARRIVAL_NEXT,
    ARRIVED,
    BOARD_SUSPENDED,
    BOARDED,
    BUSY_SLOTS,
    C_AT_CHECKPOINT,
    C_DEPARTED,
    C_FORMED,
    C_HOLD_HOURS,
    C_NUMBER,
    C_PEOPLE,
    C_WAITED_FOR,
    CAPACITY,
    CONVOYS,
    COUNT,
    DEADLINE_DUE,
    DECIDE_DUE,
    IDLE,
    MAX_WAIT,
    MIN_VEHICLES,
    NEEDS_HOURS,
    NOW,
    PENDING_SLOT,
    PER_CONVOY,
    PLACE_BUSY,
    RUNNING,
    WAITING,
)

INF = math.inf


@njit(cache=True)
def arrive(st, r: int) -> None:
    """The next entry of the arrivals calendar: a pool's vehicles, or a batch of people."""
    event = st.cal_order[r, st.I[r, ARRIVAL_NEXT]]
    st.I[r, ARRIVAL_NEXT] += 1
    kind, who, cohort = st.cal_kind[event, 0], st.cal_kind[event, 1], st.cal_kind[event, 2]
    if kind == 0:
        if st.PI[r, COUNT, who] > 0:  # an empty pool never arrives
            make_idle(st, r, who, st.PI[r, COUNT, who])
    else:
        n = st.cal_people[r, event]
        st.queue[r, st.group_start[who] + cohort] += n
        books.accrue(st, r)
        st.I[r, WAITING] += n
        st.I[r, ARRIVED] += n
    kick(st, r)


@njit(cache=True)
def allocate(st, r: int) -> int:
    """Seats by group and pool (``st.seated``) and vehicles by pool (``st.vehicles``) for
    the people waiting by group (``st.waiting_g``) in the idle vehicles
    (:func:`sim.model.boarding.allocate`); the people seated."""
    waiting, seated, vehicles = st.waiting_g, st.seated, st.vehicles
    PI, free = st.PI, st.free
    P = PI.shape[2]
    for p in range(P):
        free[p] = min(PI[r, IDLE, p], PI[r, PER_CONVOY, p]) * PI[r, CAPACITY, p]
    seated[:, :] = 0
    carriers = st.carriers
    for g in st.order:
        left = waiting[g]
        for i in range(P):
            p = carriers[g, i]
            if p < 0:
                break
            take = min(left, free[p])
            seated[g, p] += take
            free[p] -= take
            left -= take
    boarding = 0
    for p in range(P):
        load = 0
        for g in range(seated.shape[0]):
            load += seated[g, p]
        capacity = st.PI[r, CAPACITY, p]
        vehicles[p] = -(-load // capacity)
        boarding += load
    return boarding


@njit(cache=True)
def decide(st, r: int) -> int:
    """Form a convoy if the rules allow it (``NEEDS_HOURS``: one formed, its hours for numpy
    to give), else wait for a change or ``max_wait``."""
    now = st.F[r, NOW]
    if st.F[r, DECIDE_DUE] == now:
        st.F[r, DECIDE_DUE] = INF
    if st.F[r, DEADLINE_DUE] == now:
        st.F[r, DEADLINE_DUE] = INF
    result = RUNNING  # most decisions: a convoy is loading, or the ceasefire is off
    if (st.I[r, ACTIVE] or st.I[r, BOARD_SUSPENDED]) and not st.I[r, PLACE_BUSY]:
        result = seat(st, r)
    return result


@njit(cache=True)
def seat(st, r: int) -> int:
    """Seat the people waiting in the idle vehicles and form a convoy if it may leave."""
    waiting, queue, cell_group = st.waiting_g, st.queue, st.cell_group
    waiting[:] = 0
    for cell in range(queue.shape[1]):
        waiting[cell_group[cell]] += queue[r, cell]
    boarding = allocate(st, r)
    result = RUNNING
    if boarding > 0 and not waits_for_more(st, r, boarding):
        form(st, r)
        result = NEEDS_HOURS  # numpy gives the hours, unless its functions are at hand
        if st.native.size:
            new_convoy(st, r)
            result = RUNNING
    return result


@njit(cache=True)
def waits_for_more(st, r: int, boarding: int) -> bool:
    """Whether the convoy the idle vehicles could form waits for more vehicles, until its
    deadline (``max_wait`` after the first of them was idle), which it then keeps."""
    F, I, waiting, vehicles = st.F, st.I, st.waiting_g, st.vehicles  # noqa: E741
    here, taken, since, carried, idle_since = 0, 0, INF, st.place_groups, st.PF
    for g in range(st.CG.shape[2]):
        if carried[g]:
            here += waiting[g]
    for p in range(st.PI.shape[2]):
        taken += vehicles[p]
        if vehicles[p] > 0:
            since = min(since, idle_since[r, p])
    waits = False
    if taken < I[r, MIN_VEHICLES] and boarding < here:
        deadline = since + F[r, MAX_WAIT]
        if F[r, NOW] < deadline:
            if math.isfinite(deadline):
                F[r, DEADLINE_DUE] = min(F[r, DEADLINE_DUE], deadline)
            waits = True
    return waits


@njit(cache=True)
def form(st, r: int) -> None:
    """A convoy forms in the first free slot with the people and vehicles ``seat`` counted
    (``st.seated``, ``st.vehicles``): its people first come, first served within each
    group; its loading and unloading hours are asked of numpy."""
    books.accrue(st, r)  # first: nothing below is in the books' person-hours
    F, I, CI, CF = st.F, st.I, st.CI, st.CF  # noqa: E741
    seated, vehicles = st.seated, st.vehicles
    slot = 0
    while CI[r, slot, C_NUMBER] >= 0:  # the loop made sure one is free
        slot += 1
    CG, CM, CV, PI, queue, starts = st.CG, st.CM, st.CV, st.PI, st.queue, st.group_start
    G, P, cells = CG.shape[2], PI.shape[2], queue.shape[1]
    people = 0
    for g in range(G):
        take = 0
        for p in range(P):
            take += seated[g, p]
        CG[r, slot, g] = take
        people += take
        end = starts[g + 1] if g + 1 < G else cells
        for cell in range(starts[g], end):
            step = min(queue[r, cell], take)
            CM[r, slot, cell] = step
            queue[r, cell] -= step
            take -= step
    for p in range(P):
        PI[r, IDLE, p] -= vehicles[p]
        CV[r, slot, p] = vehicles[p]
    CI[r, slot, C_NUMBER] = I[r, CONVOYS]
    I[r, CONVOYS] += 1
    I[r, BUSY_SLOTS] += 1
    I[r, PLACE_BUSY] = 1
    CI[r, slot, C_PEOPLE] = people
    now = F[r, NOW]
    CF[r, slot, C_FORMED] = now
    CF[r, slot, C_DEPARTED] = math.nan
    CF[r, slot, C_AT_CHECKPOINT] = math.nan
    CF[r, slot, C_HOLD_HOURS] = 0.0
    CI[r, slot, C_WAITED_FOR] = 0
    I[r, WAITING] -= people
    I[r, ABOARD] += people
    I[r, BOARDED] += people
    I[r, PENDING_SLOT] = slot
