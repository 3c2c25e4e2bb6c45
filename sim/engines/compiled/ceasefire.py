"""The compiled loop's ceasefire: :mod:`sim.engines.batch_ceasefire` for one replication.

Windows, breaches from a hazard that runs only while active, negotiated resumptions. A
suspension in ``turn_back`` mode notes the convoys it interrupts (``st.hits``, a row per
suspension); the loop turns them back after the event, as the batch engine's
``_run_deferred`` does.
"""

from __future__ import annotations

import math

from numba import njit

from sim.engines.batch_state import (
    CROSSING_QUEUE,
    HELD_CHECKPOINT,
    HELD_PICKUP,
    INSPECTION,
    LOADING,
    TO_CHECKPOINT,
    WAITING_ROOM,
)
from sim.engines.compiled.layout import (
    ACTIVE,
    BREACH_DUE,
    BREACH_RATE,
    BREACHES,
    C_HOLD_SEQ,
    C_NEXT,
    C_NUMBER,
    C_SEQ,
    C_STAGE,
    DECIDE_DUE,
    EXTRA_RATE,
    HAZARD_LEFT,
    HAZARD_SINCE,
    NEGOTIATED,
    NOW,
    RESUME_DUE,
    SEQ,
    SUSPENDED_HOURS,
    SUSPENDED_SINCE,
    SUSPENSIONS,
    T_BREACH_GAP,
    T_GUARANTEE,
    T_NEGOTIATION,
    UNTIL,
    WINDOW_NEXT,
)

INF = math.inf
#: Stages a convoy may be turned back from: at the pickup or on its way to the checkpoint.
BEFORE_CHECKPOINT = (LOADING, WAITING_ROOM, TO_CHECKPOINT, CROSSING_QUEUE, INSPECTION)


@njit(cache=True)
def rate(st, r: int) -> float:
    """Breaches per hour while active."""
    return st.F[r, BREACH_RATE] + st.F[r, EXTRA_RATE]


@njit(cache=True)
def arm_breach(st, r: int) -> None:
    """While the ceasefire holds, the next breach comes when the hazard runs out."""
    per_hour = rate(st, r)
    if per_hour > 0:
        F = st.F
        F[r, HAZARD_SINCE] = F[r, NOW]
        F[r, BREACH_DUE] = F[r, NOW] + F[r, HAZARD_LEFT] / per_hour


@njit(cache=True)
def suspend(st, r: int, end: float, exclude: int):
    """The ceasefire breaks; ``end`` NaN means negotiated. ``exclude``: a slot whose
    convoy handles the suspension itself (-1: none)."""
    F, I = st.F, st.I  # noqa: E741
    now = F[r, NOW]
    if math.isnan(end):
        j = I[r, NEGOTIATED]
        I[r, NEGOTIATED] += 1
        end = now + st.ST[r, T_NEGOTIATION, j] + st.ST[r, T_GUARANTEE, j]
    if not I[r, ACTIVE]:
        F[r, UNTIL] = max(F[r, UNTIL], end)
    else:
        I[r, ACTIVE] = 0
        F[r, UNTIL] = end
        I[r, SUSPENSIONS] += 1
        F[r, SUSPENDED_SINCE] = now
        if math.isfinite(F[r, BREACH_DUE]):
            F[r, HAZARD_LEFT] -= rate(st, r) * (now - F[r, HAZARD_SINCE])
            F[r, BREACH_DUE] = INF
        F[r, RESUME_DUE] = F[r, UNTIL]
        if st.turn_back:
            row = st.n_hits[0]
            st.n_hits[0] += 1
            CI = st.CI
            for s in range(CI.shape[1]):
                st.hits[row, s] = s != exclude and CI[r, s, C_STAGE] in BEFORE_CHECKPOINT


@njit(cache=True)
def window(st, r: int) -> None:
    w = st.I[r, WINDOW_NEXT]
    st.I[r, WINDOW_NEXT] += 1
    suspend(st, r, st.window_end[w], -1)


@njit(cache=True)
def windows_due(st, r: int) -> None:
    """Start the windows due at this instant, in file order."""
    starts = st.window_start
    while starts[st.I[r, WINDOW_NEXT]] == st.F[r, NOW]:
        window(st, r)


@njit(cache=True)
def breach(st, r: int) -> None:
    st.F[r, BREACH_DUE] = INF
    st.I[r, BREACHES] += 1
    st.F[r, HAZARD_LEFT] = st.ST[r, T_BREACH_GAP, st.I[r, BREACHES]]
    suspend(st, r, math.nan, -1)


@njit(cache=True)
def resume(st, r: int) -> None:
    """The ceasefire resumes, unless a later suspension extended it: held convoys still
    waiting move on, in the order they stopped."""
    F, I, CI, CF = st.F, st.I, st.CI, st.CF  # noqa: E741
    now = F[r, NOW]
    if now < F[r, UNTIL]:
        F[r, RESUME_DUE] = F[r, UNTIL]
    else:
        F[r, RESUME_DUE] = INF
        I[r, ACTIVE] = 1
        F[r, SUSPENDED_HOURS] += now - F[r, SUSPENDED_SINCE]
        while True:  # the held convoy that stopped first, of those not yet woken
            first, order = -1, 0
            for s in range(CI.shape[1]):
                stage = CI[r, s, C_STAGE]
                if (
                    stage in (HELD_PICKUP, HELD_CHECKPOINT)
                    and CF[r, s, C_NEXT] > now
                    and CI[r, s, C_NUMBER] >= 0
                    and (first < 0 or CI[r, s, C_HOLD_SEQ] < order)
                ):
                    first, order = s, CI[r, s, C_HOLD_SEQ]
            if first < 0:
                break
            CF[r, first, C_NEXT] = now
            CI[r, first, C_SEQ] = I[r, SEQ]
            I[r, SEQ] += 1
        arm_breach(st, r)
        F[r, DECIDE_DUE] = min(F[r, DECIDE_DUE], now)
