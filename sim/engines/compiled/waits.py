"""The compiled loop's wait statistics: each group's mean and 95th percentile wait.

:mod:`sim.engines.batch_waits` for one replication at a time: the records of its evacuated
(one per (convoy, cohort) cell received), and for the censored waits also those still at
the pickup or on their way at the end; each replication's records sorted by (wait,
people), the mean a running sum in that order, the 95th percentile the smallest wait 95%
of the people do not exceed. The same operations in the same order: the same bits.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from sim.engines.batch_state import RETURNING, TURNING_BACK, UNLOADING
from sim.engines.compiled.layout import C_DEPARTED, C_NUMBER, C_STAGE


@njit(cache=True)
def _summary(waits: np.ndarray, people: np.ndarray, n: int) -> tuple[float, float]:
    """Mean and 95th percentile of the first ``n`` records (hours, people; NaN for
    nobody), sorting them in place by (wait, people)."""
    for i in range(1, n):  # insertion sort: a replication has a few dozen records
        w, p = waits[i], people[i]
        j = i - 1
        while j >= 0 and (waits[j] > w or (waits[j] == w and people[j] > p)):
            waits[j + 1], people[j + 1] = waits[j], people[j]
            j -= 1
        waits[j + 1], people[j + 1] = w, p
    total = 0
    for i in range(n):
        total += people[i]
    mean, p95 = math.nan, math.nan
    if total > 0:
        spent = 0.0
        for i in range(n):
            spent += waits[i] * people[i]
        mean = spent / total
        seen = 0
        for i in range(n):
            seen += people[i]
            if 100 * seen >= 95 * total:
                p95 = waits[i]
                break
    return mean, p95


@njit(cache=True)
def summaries(st, end: np.ndarray, order: np.ndarray, most: int) -> np.ndarray:
    """Per replication and group: mean and 95th percentile wait of the evacuated, then of
    everyone (censored at ``end``, hours), shape (R, G, 4). ``order``: the wait records
    by replication (a stable sort of ``rec_rep``); ``most``: the most of a replication."""
    R, G, cells = st.F.shape[0], st.CG.shape[2], st.queue.shape[1]
    out = np.empty((R, G, 4))
    slots = st.CI.shape[1]
    waits = np.empty(most + cells * (slots + 1))  # a replication's records of a group
    people = np.empty(len(waits), dtype=np.int64)
    rec_rep, rec_cell, rec_departed = st.rec_rep, st.rec_cell, st.rec_departed
    rec_people, cell_group, cell_time = st.rec_people, st.cell_group, st.cell_time
    CI, CF, CM, queue = st.CI, st.CF, st.CM, st.queue
    at = 0
    for r in range(R):
        first = at
        while at < len(order) and rec_rep[order[at]] == r:
            at += 1
        for g in range(G):
            n = 0
            for i in range(first, at):
                record = order[i]
                cell = rec_cell[record]
                if cell_group[cell] == g and rec_people[record] > 0:
                    waits[n] = rec_departed[record] - cell_time[cell]
                    people[n] = rec_people[record]
                    n += 1
            # sorted in place: the censored records add to a sorted list
            out[r, g, 0], out[r, g, 1] = _summary(waits, people, n)
            for cell in range(cells):  # still at the pickup, or back there
                if cell_group[cell] == g and queue[r, cell] > 0:
                    waits[n], people[n] = end[r] - cell_time[cell], queue[r, cell]
                    n += 1
            for s in range(slots):  # aboard: on its way (its wait ended as it left) or not
                stage = CI[r, s, C_STAGE]
                if CI[r, s, C_NUMBER] < 0 or stage in (UNLOADING, RETURNING):
                    continue
                departed = CF[r, s, C_DEPARTED]
                on_way = not math.isnan(departed) and stage != TURNING_BACK
                for cell in range(cells):
                    if cell_group[cell] == g and CM[r, s, cell] > 0:
                        start = cell_time[cell]
                        waits[n] = departed - start if on_way else end[r] - start
                        people[n] = CM[r, s, cell]
                        n += 1
            out[r, g, 2], out[r, g, 3] = _summary(waits, people, n)
    return out
