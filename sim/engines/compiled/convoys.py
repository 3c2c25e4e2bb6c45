"""The compiled loop's convoys: :mod:`sim.engines.batch_convoys` and
:mod:`sim.engines.batch_corridor` for one replication.

A convoy in flight sits in a slot with a timer and a stage, its next event; each function
here is one step of its trip. Its slowest vehicle's unloading hours were handed to it by
numpy as it formed (``C_UNLOAD``).
"""

from __future__ import annotations

import math

from numba import njit

from sim.engines.batch_state import (
    HELD_CHECKPOINT,
    HELD_PICKUP,
    INSPECTION,
    LOADING,
    RETURNING,
    TO_CHECKPOINT,
    TO_RECEPTION,
    TURNING_BACK,
    UNLOADING,
    WAITING_ROOM,
)
from sim.engines.compiled import books
from sim.engines.compiled.ceasefire import suspend
from sim.engines.compiled.layout import (
    ACTIVE,
    BUSY_SLOTS,
    BUSY_VH,
    C_AT_CHECKPOINT,
    C_DEPARTED,
    C_FORMED,
    C_HOLD_HOURS,
    C_HOLD_SEQ,
    C_HOLD_START,
    C_HOLD_UNTIL,
    C_HOP,
    C_NEXT,
    C_NUMBER,
    C_PEOPLE,
    C_ROOM,
    C_SEQ,
    C_STAGE,
    C_UNLOAD,
    C_WAITED_FOR,
    CLEARED_AT,
    DECIDE_DUE,
    DEPARTURES,
    EVACUATED,
    FIRST_CONVOY_PEOPLE,
    FIRST_DEPARTURE,
    HEADWAY,
    IDLE,
    IN_CORRIDOR,
    INCIDENT_P,
    INCIDENTS,
    INSPECTION_FACTOR,
    LAST_DEPARTURE,
    LAST_LEFT,
    LEFT,
    MAX_HOLD,
    MAX_IN_CORRIDOR,
    NOW,
    PEOPLE,
    PLACE_BUSY,
    RECEPTIONS,
    ROOM_TICKETS,
    SEQ,
    T_INCIDENT,
    T_INSPECTION,
    T_RETURN_TRIP,
    T_TO_CHECKPOINT,
    T_TO_RECEPTION,
    TRAVEL_FACTOR,
    TURNED_BACK,
)

INF = math.inf


@njit(cache=True)
def set_timer(st, r: int, slot: int, at: float, stage: int) -> None:
    st.CF[r, slot, C_NEXT] = at
    st.CI[r, slot, C_STAGE] = stage
    st.CI[r, slot, C_SEQ] = st.I[r, SEQ]
    st.I[r, SEQ] += 1


@njit(cache=True)
def kick(st, r: int) -> None:
    """Decide about a convoy after this instant's events."""
    st.F[r, DECIDE_DUE] = min(st.F[r, DECIDE_DUE], st.F[r, NOW])


@njit(cache=True)
def leg(st, r: int, slot: int, which: int, factor: int) -> float:
    """Hours of a route leg starting now, times the period's factor."""
    return st.CT[r, which, st.CI[r, slot, C_NUMBER]] * st.F[r, factor]


@njit(cache=True)
def make_idle(st, r: int, p: int, n: int) -> None:
    if st.PI[r, IDLE, p] == 0:
        st.PF[r, p] = st.F[r, NOW]
    st.PI[r, IDLE, p] += n


@njit(cache=True)
def at_pickup(st, r: int, slot: int) -> None:
    """Loaded: leave if the ceasefire holds, the headway has passed and the corridor has
    room."""
    ready = st.F[r, LAST_LEFT] + st.F[r, HEADWAY]
    if not st.I[r, ACTIVE]:
        hold(st, r, slot, HELD_PICKUP)
    elif st.F[r, NOW] < ready:
        st.CI[r, slot, C_WAITED_FOR] = 1  # LEFT_AFTER: the headway
        set_timer(st, r, slot, ready, LOADING)
    elif st.I[r, IN_CORRIDOR] >= st.I[r, MAX_IN_CORRIDOR]:  # woken by leave_corridor
        st.CI[r, slot, C_WAITED_FOR] = 2  # LEFT_AFTER: room on the road
        st.CI[r, slot, C_STAGE] = WAITING_ROOM
        st.CF[r, slot, C_NEXT] = INF
        st.CI[r, slot, C_ROOM] = st.I[r, ROOM_TICKETS]
        st.I[r, ROOM_TICKETS] += 1
    else:
        depart(st, r, slot)


@njit(cache=True)
def depart(st, r: int, slot: int) -> None:
    now = st.F[r, NOW]
    st.CF[r, slot, C_DEPARTED] = now
    st.F[r, LAST_LEFT] = now
    st.I[r, PLACE_BUSY] = 0
    st.I[r, IN_CORRIDOR] += 1
    st.I[r, DEPARTURES] += 1
    if math.isnan(st.F[r, FIRST_DEPARTURE]):
        st.F[r, FIRST_DEPARTURE] = now
    st.F[r, LAST_DEPARTURE] = now
    people = st.CI[r, slot, C_PEOPLE]
    books.change_boarded(st, r, -people)
    books.on_the_road(st, r, people, 1)
    kick(st, r)
    hours = leg(st, r, slot, T_TO_CHECKPOINT, TRAVEL_FACTOR)
    set_timer(st, r, slot, now + hours, TO_CHECKPOINT)


@njit(cache=True)
def hold(st, r: int, slot: int, stage: int) -> None:
    people = st.CI[r, slot, C_PEOPLE]
    if stage == HELD_PICKUP:  # held, no longer merely boarded
        books.boarded_held(st, r, people)
    else:
        books.change_held(st, r, people)
    st.CI[r, slot, C_WAITED_FOR] = 0
    if st.hold_each:
        st.CF[r, slot, C_HOLD_HOURS] = 0.0
    hold_wait(st, r, slot, stage)


@njit(cache=True)
def hold_wait(st, r: int, slot: int, stage: int) -> None:
    """Wait for the resumption, or until the convoy's ``max_hold`` is spent."""
    now, limit = st.F[r, NOW], st.F[r, MAX_HOLD]
    until = now + (limit - st.CF[r, slot, C_HOLD_HOURS])
    st.CF[r, slot, C_HOLD_START] = now
    st.CF[r, slot, C_HOLD_UNTIL] = until
    set_timer(st, r, slot, max(until, now), stage)
    st.CI[r, slot, C_HOLD_SEQ] = st.CI[r, slot, C_SEQ]
    # with no limit it waits for the resumption alone: no scheduling hop to take
    st.CI[r, slot, C_HOP] = not math.isfinite(limit)


@njit(cache=True)
def released(st, r: int, slot: int, stage: int) -> bool:
    """A held convoy woke: whether it moves on or turns back (else it waits again)."""
    now = st.F[r, NOW]
    st.CF[r, slot, C_HOLD_HOURS] += now - st.CF[r, slot, C_HOLD_START]
    moves = st.I[r, ACTIVE] != 0 or not now < st.CF[r, slot, C_HOLD_UNTIL]  # NaN: moves
    people = st.CI[r, slot, C_PEOPLE]
    if not moves:
        hold_wait(st, r, slot, stage)
    elif stage == HELD_PICKUP:  # boarded again, no longer held
        books.boarded_held(st, r, -people)
    else:
        books.change_held(st, r, -people)
    return moves


@njit(cache=True)
def wakes(st, r: int, slot: int) -> bool:
    """Whether a held convoy acts now, or takes one more scheduling hop first (a wait for
    the resumption or a timer is an event of its own in the reference engine)."""
    acts = st.CI[r, slot, C_HOP] != 0
    if not acts:
        st.CI[r, slot, C_HOP] = 1
        st.CI[r, slot, C_SEQ] = st.I[r, SEQ]
        st.I[r, SEQ] += 1
    return acts


@njit(cache=True)
def held_at(st, r: int, slot: int, stage: int) -> None:
    """A convoy held at the pickup or the checkpoint wakes."""
    if wakes(st, r, slot) and released(st, r, slot, stage):
        if not st.I[r, ACTIVE]:
            turn_back(st, r, slot)
        elif stage == HELD_PICKUP:
            at_pickup(st, r, slot)
        else:
            pass_checkpoint(st, r, slot)


@njit(cache=True)
def inspected(st, r: int, slot: int) -> None:
    c = st.CI[r, slot, C_NUMBER]
    if st.I[r, ACTIVE] and st.CT[r, T_INCIDENT, c] < st.F[r, INCIDENT_P]:
        st.I[r, INCIDENTS] += 1
        suspend(st, r, math.nan, slot)
    if st.I[r, ACTIVE]:
        pass_checkpoint(st, r, slot)
    elif st.turn_back:
        turn_back(st, r, slot)
    else:
        hold(st, r, slot, HELD_CHECKPOINT)


@njit(cache=True)
def pass_checkpoint(st, r: int, slot: int) -> None:
    books.crossed_checkpoint(st, r, st.CI[r, slot, C_PEOPLE])
    hours = leg(st, r, slot, T_TO_RECEPTION, TRAVEL_FACTOR)
    set_timer(st, r, slot, st.F[r, NOW] + hours, TO_RECEPTION)


@njit(cache=True)
def turn_back(st, r: int, slot: int) -> None:
    """Drive back as far as the convoy came; its people rejoin the queue on arrival."""
    now = st.F[r, NOW]
    st.I[r, TURNED_BACK] += 1
    people = st.CI[r, slot, C_PEOPLE]
    departed, at_checkpoint = st.CF[r, slot, C_DEPARTED], st.CF[r, slot, C_AT_CHECKPOINT]
    if math.isnan(departed):
        books.change_boarded(st, r, -people)
        st.I[r, PLACE_BUSY] = 0
        travelled = 0.0
    else:  # its people have not left after all
        books.on_the_road(st, r, -people, -1)
        travelled = now - departed if math.isnan(at_checkpoint) else at_checkpoint - departed
    set_timer(st, r, slot, now + travelled, TURNING_BACK)


@njit(cache=True)
def back_at_pickup(st, r: int, slot: int) -> None:
    queue, CM = st.queue, st.CM
    for cell in range(queue.shape[1]):
        queue[r, cell] += CM[r, slot, cell]
    books.change_waiting(st, r, st.CI[r, slot, C_PEOPLE])
    if not math.isnan(st.CF[r, slot, C_DEPARTED]):
        leave_corridor(st, r)
    vehicles_back(st, r, slot)


@njit(cache=True)
def reach_reception(st, r: int, slot: int) -> None:
    """The convoy's people are safe; it unloads."""
    now = st.F[r, NOW]
    leave_corridor(st, r)
    people = books.received(st, r, slot)
    CG, by_convoys = st.CG, st.convoy_evacuated
    G = CG.shape[2]
    for g in range(G):
        by_convoys[r, g] += CG[r, slot, g]
    if st.I[r, RECEPTIONS] == 0:
        st.F[r, FIRST_CONVOY_PEOPLE] = people
    st.I[r, RECEPTIONS] += 1
    timed, received_by = st.timed_at, st.received_by
    for m in range(len(timed)):
        if now <= timed[m]:
            received_by[r, m] += 1
    after, counted_by = st.counted_after, st.counted_by
    for m in range(len(after)):
        if st.I[r, RECEPTIONS] == after[m]:
            for g in range(G):
                counted_by[r, m, g] = by_convoys[r, g]
            st.counted_at[r, m] = now
    st.I[r, EVACUATED] += st.CI[r, slot, C_PEOPLE]
    if st.I[r, EVACUATED] + st.I[r, LEFT] == st.I[r, PEOPLE]:
        st.F[r, CLEARED_AT] = now
    kick(st, r)
    set_timer(st, r, slot, now + st.CF[r, slot, C_UNLOAD], UNLOADING)


@njit(cache=True)
def vehicles_back(st, r: int, slot: int) -> None:
    vehicles, CV = 0, st.CV
    for p in range(CV.shape[2]):
        n = CV[r, slot, p]
        vehicles += n
        if n > 0:
            make_idle(st, r, p, n)
    st.F[r, BUSY_VH] += vehicles * (st.F[r, NOW] - st.CF[r, slot, C_FORMED])
    kick(st, r)
    st.I[r, BUSY_SLOTS] -= 1
    st.CI[r, slot, C_NUMBER] = -1
    st.CI[r, slot, C_STAGE] = 0
    st.CF[r, slot, C_NEXT] = INF


@njit(cache=True)
def leave_corridor(st, r: int) -> None:
    """A convoy is off the road: the first loaded convoy waiting for room may leave."""
    I, CI = st.I, st.CI  # noqa: E741
    I[r, IN_CORRIDOR] -= 1
    first, ticket = -1, 0
    if min(1, I[r, MAX_IN_CORRIDOR] - I[r, IN_CORRIDOR]) > 0:
        for s in range(CI.shape[1]):
            if CI[r, s, C_STAGE] == WAITING_ROOM and (first < 0 or CI[r, s, C_ROOM] < ticket):
                first, ticket = s, CI[r, s, C_ROOM]
    if first >= 0:
        CI[r, first, C_STAGE] = LOADING
        st.CF[r, first, C_NEXT] = st.F[r, NOW]
        CI[r, first, C_SEQ] = I[r, SEQ]
        I[r, SEQ] += 1


@njit(cache=True)
def step(st, r: int, slot: int) -> None:
    """The convoy in ``slot`` takes its next step."""
    stage = st.CI[r, slot, C_STAGE]
    now = st.F[r, NOW]
    if stage == LOADING:
        at_pickup(st, r, slot)
    elif stage in (HELD_PICKUP, HELD_CHECKPOINT):
        held_at(st, r, slot, stage)
    elif stage == TO_CHECKPOINT:
        st.CF[r, slot, C_AT_CHECKPOINT] = now
        hours = leg(st, r, slot, T_INSPECTION, INSPECTION_FACTOR)
        set_timer(st, r, slot, now + hours, INSPECTION)
    elif stage == INSPECTION:
        inspected(st, r, slot)
    elif stage == TO_RECEPTION:
        reach_reception(st, r, slot)
    elif stage == UNLOADING:
        hours = leg(st, r, slot, T_RETURN_TRIP, TRAVEL_FACTOR)
        set_timer(st, r, slot, now + hours, RETURNING)
    elif stage == RETURNING:
        vehicles_back(st, r, slot)
    elif stage == TURNING_BACK:
        back_at_pickup(st, r, slot)
