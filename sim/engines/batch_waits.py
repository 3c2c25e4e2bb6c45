"""The wait statistics of the batch engine: each group's mean and 95th percentile wait.

As the reference engine's :class:`sim.engines.ledger.Ledger` does, the books keep records
of (replication, wait, people): one per non-empty (convoy, cohort) cell received, one per
cohort's share of people who went home; at the end they add those still at the pickup or
on their way (censored waits) and summarise each replication's records.
"""

from __future__ import annotations

import weakref

import numpy as np

from sim.engines.batch_state import RETURNING, TURNING_BACK, UNLOADING, BatchState

NAN = np.nan


class BatchWaits:
    """Records of the waits of a batch's people, and their summaries."""

    def __init__(self, batch: BatchState):
        # weak, as the books' own reference: no cycle keeps a finished chunk's arrays alive
        self.batch = weakref.proxy(batch)
        # the evacuated's (group, cohort) records, for waits: one array per reception event of
        # its non-empty cells (replication, queue cell, hours departed, people); most
        # of a convoy's (group, cohort) cells are empty, so none of those is kept
        self.received: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        # people who went home: (group, replications, people, their wait until then in hours)
        self.gone: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = []

    def received_from(self, slot: np.ndarray, idx: np.ndarray) -> None:
        """The convoys or columns in ``slot`` of replications ``idx`` reach reception."""
        b = self.batch
        manifest = b.c_manifest[slot, idx]  # (n, cells)
        i, cell = np.nonzero(manifest)
        self.received.append((idx[i], cell, b.c_departed[slot[i], idx[i]], manifest[i, cell]))

    def gave_up(
        self, idx: np.ndarray, group: np.ndarray, cohort: np.ndarray, n: np.ndarray
    ) -> None:
        """``n`` people of ``(group, cohort)`` (arrays over ``idx``) go home now."""
        b = self.batch
        wait = b.now[idx] - b.cohort_times[group, cohort]
        for g in np.unique(group):
            on = group == g
            self.gone.append((int(g), idx[on], n[on], wait[on]))

    def metrics(self, end: np.ndarray) -> dict[str, np.ndarray]:
        """Each group's ``wait_mean_``, ``wait_p95_`` and their censored versions, hours,
        for runs that ended at ``end`` (hours, per replication)."""
        b = self.batch
        m: dict[str, np.ndarray] = {}
        for g, group in enumerate(b.scenario.groups):
            name = group.name
            evacuated = self._evacuated_waits(g)
            m[f"wait_mean_{name}"], m[f"wait_p95_{name}"] = wait_summary(b.R, *evacuated)
            censored = self._censored_waits(g, end, *evacuated)
            mean, p95 = f"wait_censored_mean_{name}", f"wait_censored_p95_{name}"
            m[mean], m[p95] = wait_summary(b.R, *censored)
        return m

    def _evacuated_waits(self, g: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Records of group ``g``'s evacuated: replication, wait (hours) and people of each
        non-empty (convoy, cohort) record."""
        b = self.batch
        if not self.received:
            return np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int32)
        rows, cells, departed, people = (
            np.concatenate(x) for x in zip(*self.received, strict=True)
        )
        self.received = [(rows, cells, departed, people)]  # joined once for every group
        mine = b.cell_group[cells] == g
        waits = departed[mine] - b.cell_time[cells[mine]]
        return rows[mine], waits, people[mine]

    def _censored_waits(
        self, g: int, end: np.ndarray, rows: np.ndarray, waits: np.ndarray, people: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The evacuated's records, and those of group ``g``'s people who gave up (wait until
        then) or are not out at the end: at the pickup or turned back (wait until the end),
        or on a convoy on its way (wait until it left)."""
        b = self.batch
        cells = b.group_cells[g]
        starts = b.cell_time[cells]
        so_far = end[:, None] - starts[None, :]  # (R, cohorts)
        parts = [(rows, waits, people), _records(so_far, b.queue[:, cells])]
        for group, reps, n, wait in self.gone:
            if group == g:
                parts.append((reps, wait, n))
        stage = b.c_stage
        aboard = (b.c_number >= 0) & (stage != UNLOADING) & (stage != RETURNING)  # (slots, R)
        manifest = b.c_manifest[:, :, cells]  # (slots, R, cohorts)
        # the waits of the cells that hold people only: the order of records does not
        # matter (wait_summary sorts each replication's)
        slot, rep, k = np.nonzero(aboard[:, :, None] & (manifest > 0))
        departed = b.c_departed[slot, rep]
        on_way = ~np.isnan(departed) & (stage[slot, rep] != TURNING_BACK)
        wait = np.where(on_way, departed - starts[k], so_far[rep, k])
        parts.append((rep, wait, manifest[slot, rep, k]))
        return tuple(np.concatenate(x) for x in zip(*parts, strict=True))  # type: ignore[return-value]


def _records(waits: np.ndarray, people: np.ndarray) -> tuple[np.ndarray, ...]:
    """Records (replication, wait, people) of the cells of ``(R, ...)`` arrays that hold
    people."""
    has = people.reshape(len(people), -1) > 0
    rows, cols = np.nonzero(has)
    return (
        rows,
        waits.reshape(len(waits), -1)[rows, cols],
        people.reshape(len(people), -1)[rows, cols],
    )


def wait_summary(
    R: int, rows: np.ndarray, waits: np.ndarray, people: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and 95th percentile wait per replication, hours, from records of (wait, people)
    of replications ``rows`` (of ``R``); NaN where nobody.

    As :func:`sim.engines.ledger.wait_summary`: each replication's records sorted by
    (wait, people), the mean a running sum in that order (to the same bits), the 95th
    percentile the smallest wait 95% of the people do not exceed. Records of nobody count
    for nothing and are dropped first; the others are laid out one row per replication
    (padded with empty records, last once sorted, which add 0.0) and sorted row by row.
    Waits are never NaN, so the order is that of the reference's ``sorted``.
    """
    has = people > 0
    rows, w, n = rows[has], waits[has], people[has]
    if not len(rows):  # nobody in any replication
        return np.full(R, NAN), np.full(R, NAN)
    # a stable sort of small whole numbers is a radix sort, several times faster
    order = np.argsort(rows.astype(np.uint16) if R <= 1 << 16 else rows, kind="stable")
    rows = rows[order]
    counts = np.bincount(rows, minlength=R)
    at = np.arange(len(rows)) - np.repeat(np.cumsum(counts) - counts, counts)
    width = int(counts.max())
    # (wait, people) as one complex number sorts by wait, then people: one sort of a row
    # rather than lexsort's two and their gathers (people are exact in a float below 2**53)
    pairs = np.full((R, width), complex(np.inf, 0.0))
    pairs[rows, at] = (w + 1j * n)[order]
    pairs.sort(axis=1)
    w, n = pairs.real, pairs.imag.astype(n.dtype)
    total = n.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        spent = np.cumsum(np.where(n > 0, w * n, 0.0), axis=1)[:, -1]
        mean = np.where(total > 0, spent / total, NAN)
    seen = np.cumsum(n, axis=1)
    first = np.argmax(100 * seen >= 95 * total[:, None], axis=1)
    p95 = np.where(total > 0, np.take_along_axis(w, first[:, None], 1)[:, 0], NAN)
    return mean, p95
