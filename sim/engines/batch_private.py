"""The batch engine's private vehicles: columns of cars, vans and pickups leaving once.

As in the reference engine (:mod:`sim.engines.private`): a column due while the ceasefire
holds leaves at once, else at the resumption; its vehicles take people from its stream's
groups, each its own load; it drives to the checkpoint, shares the crossing's lanes and
queue with the convoys, waits aboard at the checkpoint while the ceasefire is suspended,
and reaches reception. A column in flight sits in a convoy slot (``c_private`` its stream,
``c_private_n`` its vehicles, no vehicle of any pool), so the crossing serves convoys and
columns from one queue. The state lives on :class:`sim.engines.vector.Batch`, which mixes
these methods in.
"""

from __future__ import annotations

import numpy as np

from sim.engines.batch_params import BatchParameters
from sim.engines.batch_part import BatchPart
from sim.engines.batch_state import (
    PRIVATE_HELD,
    PRIVATE_INSPECTION,
    PRIVATE_TO_CHECKPOINT,
    PRIVATE_TO_RECEPTION,
)
from sim.inputs.scenario import MAX_COLUMN

INF = np.inf
#: Kind of a private column in the arrivals calendar, after the timetable's kinds.
PRIVATE_COLUMN = 5


class BatchPrivate(BatchPart):
    """Private columns: leaving, the checkpoint, holds and reception."""

    def _private_start(self, params: BatchParameters) -> None:
        s, R = self.scenario, self.R
        columns = s.private_columns
        self.column_stream = np.array([k for _, k, _ in columns], dtype=np.int64)
        self.column_vehicles = np.array(  # (columns, R): vehicles may differ per replication
            [np.broadcast_to(n, (R,)) for n in params.columns], dtype=np.int64
        ).reshape(len(columns), R)
        times = np.array([t for t, _, _ in columns])
        self.column_order = np.argsort(times, kind="stable")  # the order columns fall due
        self.column_pending = np.zeros((len(columns), R), dtype=bool)
        names = [g.name for g in s.groups]
        self.column_takes = [tuple(names.index(g) for g in p.groups) for p in s.private]
        self.column_load = [params.dist(f"private.{p.name}.people", p.load) for p in s.private]
        # each column's seats, summed vehicle by vehicle, for every replication (see _seats)
        self.column_seats: dict[int, np.ndarray] = {}
        self.column_open = np.ones((len(columns), R), dtype=bool)  # may still leave

    def _private_due(self, idx: np.ndarray, column: np.ndarray) -> None:
        """Columns fall due: they leave, or wait for the ceasefire to resume."""
        on = self.active[idx]
        self.column_pending[column[~on], idx[~on]] = True
        if np.count_nonzero(on):
            self._private_leave(idx[on], column[on])

    def _private_resume(self, idx: np.ndarray) -> None:
        """The ceasefire resumes: columns that fell due meanwhile leave, in order."""
        pending = self.column_pending.take(idx, axis=1)  # (columns, n)
        if not pending.any():
            return
        for k in self.column_order[np.any(pending, axis=1)[self.column_order]]:
            j = idx[pending[k]]  # leaving clears only column k's own rows
            self.column_pending[k, j] = False
            self._private_leave(j, np.full(len(j), k))

    def _seats(self, column: int) -> np.ndarray:
        """Seats of column ``column``'s vehicles, summed vehicle by vehicle (cumulative), for
        every replication of the batch: shape (R, most vehicles), flat after a replication's
        last vehicle (the column's vehicles may differ per replication).

        Drawn once for the whole batch when a first replication's column leaves (the
        replications reach it in different passes of the main loop: one large draw instead
        of many small ones, the same numbers), and dropped when no replication may still
        take it.
        """
        seats = self.column_seats.get(column)
        if seats is None:
            vehicles = self.column_vehicles[column]
            n, stream = int(vehicles.max()), int(self.column_stream[column])
            index = column * MAX_COLUMN + np.arange(n)[None, :]
            u = self.variates.uniform("private_load", self.rep[:, None], index)
            people = self.column_load[stream].ppf(u, np.arange(self.R)[:, None])
            people += 0.5  # rounded half up, at least one person a vehicle, as in private.py
            seats = np.maximum(np.floor(people, out=people), 1, out=people).astype(np.int64)
            seats[np.arange(n)[None, :] >= vehicles[:, None]] = 0
            seats = np.cumsum(seats, axis=1)
            if seats[:, -1].max() <= np.iinfo(np.int32).max:
                seats = seats.astype(np.int32)  # half the memory while the column is open
            self.column_seats[column] = seats
        return seats

    def _private_finish(self, idx: np.ndarray) -> None:
        """Replications ``idx`` have ended: their columns will not leave."""
        self.column_open[:, idx] = False
        self._drop_seats()

    def _drop_seats(self) -> None:
        for column in [c for c in self.column_seats if not self.column_open[c].any()]:
            del self.column_seats[column]

    def _private_leave(self, idx: np.ndarray, column: np.ndarray) -> None:
        """Columns leave the pickup with the people their vehicles can take."""
        stream = self.column_stream[column]
        columns = np.unique(column)
        if len(columns) == 1:  # most passes: one column, its table's rows as they are
            seats = self._seats(int(columns[0]))[idx]
        else:
            drawn = {int(k): self._seats(int(k)) for k in columns}
            width = max(d.shape[1] for d in drawn.values())
            seats = np.empty((len(idx), width), dtype=np.int64)  # cumulative, as _seats
            for k, table in drawn.items():
                on = column == k
                seats[on, : table.shape[1]] = table[idx[on]]
                seats[on, table.shape[1] :] = table[idx[on], -1:]  # no more vehicles or seats
        self.column_open[column, idx] = False
        self._drop_seats()
        free = seats[:, -1].astype(np.int64)
        everyone = self._waiting(idx)
        may = self._boardable(everyone, idx)  # an exchange's clause may hold groups back
        held = may is not everyone
        if held and self.books.any_traced:  # who would have gone but for it
            would, left = np.zeros_like(everyone), free.copy()
            for k in np.unique(stream):
                on = np.flatnonzero(stream == k)
                for g in self.column_takes[k]:
                    would[g, on] = np.minimum(everyone[g, on], left[on])
                    left[on] -= would[g, on]
            self._note_held(idx, would)
        manifest = np.zeros((len(idx), self.queue.shape[1]), dtype=np.int64)
        for k in np.unique(stream):
            on_k = np.flatnonzero(stream == k)
            for g in self.column_takes[k]:
                on = on_k[may[g, on_k] > 0] if held else on_k  # held back: nobody of g boards
                cells = self.group_cells[g]
                queue = self.queue[idx[on], cells]  # (n, cohorts)
                take = np.minimum(queue.sum(axis=1), free[on])
                before = np.cumsum(queue, axis=1) - queue
                manifest[on, cells] = np.clip(take[:, None] - before, 0, queue)
                free[on] -= take
        taken = manifest.sum(axis=1)
        go = taken > 0
        if not go.any():
            return
        idx, manifest, taken, column, stream = (
            x[go] for x in (idx, manifest, taken, column, stream)
        )
        used = (seats[go] < taken[:, None]).sum(axis=1) + 1
        self.queue[idx] -= manifest
        slot = self._free_slot(idx)
        now = self.now[idx]
        self.c_number[slot, idx] = column
        self.c_private[slot, idx] = stream
        self.c_private_n[slot, idx] = used
        self.c_vehicles[slot, :, idx] = 0
        self.c_manifest[slot, idx] = manifest
        self.c_groups[slot, :, idx] = np.add.reduceat(manifest, self.group_start, axis=1)
        self.c_people[slot, idx] = taken
        self.c_formed[slot, idx] = now
        self.c_departed[slot, idx] = now
        self.c_at_checkpoint[slot, idx] = np.nan
        self.books.change_waiting(idx, -taken, boarding=True)
        self.books.on_the_road(idx, taken, 0)
        self._column_event(slot, idx, "private_departs")
        trip = self._leg("to_checkpoint", slot, idx, "private_to_checkpoint")
        self._set_timer(slot, idx, now + trip, PRIVATE_TO_CHECKPOINT)

    def _column_event(self, slot: np.ndarray, idx: np.ndarray, event: str) -> None:
        traced = self.books.traced[idx]
        if not traced.any():
            return
        slot, idx = slot[traced], idx[traced]  # the trace keeps only these: notes for them
        names = [p.name for p in self.scenario.private]
        note = np.array(
            [
                f"{names[k]}: {n} vehicles"
                for k, n in zip(self.c_private[slot, idx], self.c_private_n[slot, idx], strict=True)
            ],
            dtype=object,
        )
        convoy = np.full(len(idx), -1)
        self.books.record(idx, event, convoy, self.c_groups[slot, :, idx].T, note=note)

    def _private_step(self, slot: np.ndarray, idx: np.ndarray) -> None:
        """Each column whose timer fired takes its next step."""
        stage = self.c_stage[slot, idx]
        for code, step in (
            (PRIVATE_TO_CHECKPOINT, self._column_at_checkpoint),
            (PRIVATE_INSPECTION, self._column_inspected),
            (PRIVATE_HELD, self._column_released),
            (PRIVATE_TO_RECEPTION, self._column_arrives),
        ):
            here = stage == code
            if here.any():
                step(slot[here], idx[here])

    def _column_at_checkpoint(self, slot: np.ndarray, idx: np.ndarray) -> None:
        self.c_at_checkpoint[slot, idx] = self.now[idx]
        inspection = self._leg("inspection", slot, idx, "private_inspection")
        self._enter_crossing(slot, idx, inspection)

    def _column_inspected(self, slot: np.ndarray, idx: np.ndarray) -> None:
        self._release_lane(slot, idx)
        self._column_pass_or_hold(slot, idx)

    def _column_released(self, slot: np.ndarray, idx: np.ndarray) -> None:
        self.books.change_held(idx, -self.c_people[slot, idx])
        self._column_pass_or_hold(slot, idx)

    def _column_pass_or_hold(self, slot: np.ndarray, idx: np.ndarray) -> None:
        """Past the checkpoint while the ceasefire holds; else wait aboard for it."""
        on = self.active[idx]
        if (~on).any():
            s, j = slot[~on], idx[~on]
            self.books.change_held(j, self.c_people[s, j])
            self.c_stage[s, j] = PRIVATE_HELD
            self.c_next[s, j] = INF
            self.c_hold_seq[s, j] = self.seq[j]
            self.seq[j] += 1
        if on.any():
            s, j = slot[on], idx[on]
            self._crossed(s, j)
            self.books.crossed_checkpoint(j, self.c_people[s, j], 0)
            trip = self._leg("to_reception", s, j, "private_to_reception")
            self._set_timer(s, j, self.now[j] + trip, PRIVATE_TO_RECEPTION)

    def _column_arrives(self, slot: np.ndarray, idx: np.ndarray) -> None:
        self.books.private_reception(slot, idx)
        self._column_event(slot, idx, "private_arrives")
        people = self.c_people[slot, idx]
        self.c_number[slot, idx] = -1
        self.c_private[slot, idx] = -1
        self.c_private_n[slot, idx] = 0
        self.c_stage[slot, idx] = 0
        self.c_next[slot, idx] = INF
        self._people_safe(idx, people)
