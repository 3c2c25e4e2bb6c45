"""The books of the batch engine: :class:`sim.engines.ledger.Ledger` for R replications.

Every account is an array over replications and is updated with the same operations in
the same order as the reference engine's ledger, so the two engines agree to rounding.
Here the counts, the person-hours and the trace; the wait statistics are kept by
:mod:`sim.engines.batch_waits`, the hourly series by :mod:`sim.engines.batch_hourly`, and
the metrics read from the accounts at the end by :mod:`sim.engines.batch_accounts`.
"""

from __future__ import annotations

import weakref

import numpy as np

from sim.engines.batch_accounts import BatchAccounts
from sim.engines.batch_exchange_books import ExchangeBooks
from sim.engines.batch_hourly import BatchHourly
from sim.engines.batch_milestones import TimedCounts
from sim.engines.batch_state import BatchState
from sim.engines.batch_waits import BatchWaits
from sim.outputs.records import TraceEvent

NAN = np.nan


class BatchBooks(BatchAccounts):
    """Accounts of a batch of replications."""

    def __init__(self, batch: BatchState):
        s = self.scenario = batch.scenario
        # the batch owns its books; a strong reference back would make a cycle that keeps
        # every finished chunk's arrays alive until the cyclic garbage collector runs
        self.batch = weakref.proxy(batch)
        R, G = batch.R, batch.G
        self.traced = np.isin(batch.rep, batch.traced_reps)
        self.any_traced = bool(self.traced.any())  # else no reason is worked out for the trace
        self.trace: list[tuple[int, int, TraceEvent]] = []
        self.waiting = batch.queue.sum(axis=1)  # the people there at the start
        self.arrived = self.waiting.copy()
        self.peak_queue = np.zeros(R, dtype=np.int64)  # the largest queue held a positive time
        self.boarded = np.zeros(R, dtype=np.int64)  # aboard at the pickup, not left, not held
        self.boarded_person_hours = np.zeros(R)
        self.held = np.zeros(R, dtype=np.int64)
        self.aboard = np.zeros(R, dtype=np.int64)
        self.left = np.zeros(R, dtype=np.int64)
        self.fleet_changed = np.zeros(R, dtype=np.int64)
        self.fleet_changed_at = np.zeros(R)
        # vehicles of each pool that entered by a fleet change, before any losses
        self.entered = np.zeros((batch.P, R), dtype=np.int64)
        self.since = np.zeros(R)
        # cold hours from the start to ``since``: each accrual's end is the next one's start,
        # so the curve is read once an accrual, not twice
        self.cold_since = s.weather.cold_until(self.since)
        self.wait_person_hours = np.zeros(R)
        self.held_person_hours = np.zeros(R)
        self.cold_person_hours = np.zeros(R)
        self.evacuated = np.zeros((G, R), dtype=np.int64)
        self.receptions = np.zeros(R, dtype=np.int64)
        self.first_convoy_people = np.full(R, NAN)
        self.departures = np.zeros(R, dtype=np.int64)
        self.first_departure = np.full(R, NAN)
        self.last_departure = np.full(R, NAN)
        self.turned_back = np.zeros(R, dtype=np.int64)
        self.incidents = np.zeros(R, dtype=np.int64)
        self.suspensions = np.zeros(R, dtype=np.int64)
        self.suspended_since = np.zeros(R)
        self.suspended_hours = np.zeros(R)
        self.busy_vehicle_hours = np.zeros(R)
        self.cleared_at = np.full(R, np.inf)
        self.linked_evacuated = np.zeros(R, dtype=np.int64)
        self.linked_convoys = np.zeros(R, dtype=np.int64)
        self.paused_since = np.zeros(R)
        self.paused_hours = np.zeros(R)
        self.end = np.full(R, s.horizon)
        # per time milestone: people evacuated by group, convoys received, people and
        # convoys departed (net) and crossed, at or before it
        self.timed = [m for m in s.milestones if m.at is not None]
        hours = np.array([m.at for m in self.timed], dtype=float)
        self.safe_by = TimedCounts(hours, R, G)
        self.received_by = TimedCounts(hours, R, 1)
        self.departed_by = TimedCounts(hours, R, 2)
        self.crossed_by = TimedCounts(hours, R, 2)
        self.people_departed = np.zeros(R, dtype=np.int64)  # less those turned back since
        self.people_crossed = np.zeros(R, dtype=np.int64)
        self.convoys_crossed = np.zeros(R, dtype=np.int64)
        self.private_departed = np.zeros(R, dtype=np.int64)  # people in private columns
        self.private_crossed = np.zeros(R, dtype=np.int64)
        self.counted = [
            (m, np.full((G, R), NAN), np.full(R, NAN))
            for m in s.milestones
            if m.after_convoys is not None
        ]
        self.convoy_evacuated = np.zeros((G, R), dtype=np.int64)  # by convoys, for milestones
        self.evacuated_private = np.zeros(R, dtype=np.int64)
        self.waits = BatchWaits(batch)
        self.hourly = BatchHourly(self, batch)
        self.crossers = s.crossers  # a property: read once
        # the crossing: vehicle passages by pool, and vehicles queueing for a lane
        self.crossed = np.zeros((len(s.crossers) or batch.P, R), dtype=np.int64)
        self.crossing_queued = np.zeros(R, dtype=np.int64)
        self.crossing_since = np.zeros(R)
        self.crossing_vehicle_hours = np.zeros(R)
        self.crossing_peak = np.zeros(R, dtype=np.int64)
        self.exchange = ExchangeBooks(batch) if s.exchange is not None else None

    # -- trace ------------------------------------------------------------------------------

    def record(
        self,
        idx: np.ndarray,
        event: str,
        convoy: np.ndarray | None = None,
        groups: np.ndarray | None = None,
        vehicles: np.ndarray | None = None,
        note: str | np.ndarray = "",
        people: np.ndarray | None = None,
    ) -> None:
        """Add an event to the trace of the traced replications among ``idx``.

        ``people`` defaults to the sum of ``groups``; the linked site's events give it alone.
        """
        if not self.any_traced:  # most batches: nothing to look up
            return
        traced = self.traced[idx]
        if not np.count_nonzero(traced):
            return
        b = self.batch
        for i in np.flatnonzero(traced):
            g = tuple(int(x) for x in groups[:, i]) if groups is not None else (0,) * b.G
            v = tuple(int(x) for x in vehicles[:, i]) if vehicles is not None else (0,) * b.P
            c = int(convoy[i]) if convoy is not None else -1
            text = note if isinstance(note, str) else str(note[i])
            n = sum(g) if people is None else int(people[i])
            event_ = TraceEvent(int(b.rep[idx[i]]), float(b.now[idx[i]]), event, c, n, g, v, text)
            self.trace.append((event_.rep, len(self.trace), event_))

    def convoy_event(
        self, slot: np.ndarray, idx: np.ndarray, event: str, note: str | np.ndarray = ""
    ) -> None:
        """Trace an event of the convoys in ``slot`` of replications ``idx``."""
        if self.any_traced and np.count_nonzero(self.traced[idx]):
            b = self.batch
            self.record(
                idx,
                event,
                b.c_number[slot, idx],
                b.c_groups[slot, :, idx].T,
                b.c_vehicles[slot, :, idx].T,
                note,
            )

    # -- person-hours -------------------------------------------------------------------------

    def accrue(self, idx: np.ndarray, now: np.ndarray | None = None) -> None:
        """Add the person-hours since the last change, up to ``now``."""
        now = self.batch.now[idx] if now is None else now
        span = now - self.since[idx]
        moved = span > 0
        n = np.count_nonzero(moved)
        if not n:
            return
        if n < len(idx):  # else every replication moved: no copies
            idx, now, span = idx[moved], now[moved], span[moved]
        waiting, held, boarded = self.waiting[idx], self.held[idx], self.boarded[idx]
        self.peak_queue[idx] = np.maximum(self.peak_queue[idx], waiting)
        self.wait_person_hours[idx] += waiting * span
        self.held_person_hours[idx] += held * span
        self.boarded_person_hours[idx] += boarded * span
        people = waiting + held + boarded
        cold_now = self.scenario.weather.cold_until(now)
        cold = people > 0
        if np.count_nonzero(cold):
            k = idx[cold]
            # the reference engine's cold_hours(since, now), to the bit: the same two readings
            hours = cold_now[cold] - self.cold_since[k]
            self.cold_person_hours[k] += people[cold] * hours
        self.since[idx] = now
        self.cold_since[idx] = cold_now

    def change_waiting(self, idx: np.ndarray, delta: np.ndarray, boarding: bool) -> None:
        """People join or leave the queue: arriving, or (``boarding``) to or from a convoy."""
        self.accrue(idx)
        self.waiting[idx] += delta
        if boarding:
            self.aboard[idx] -= delta
        else:
            self.arrived[idx] += delta

    def people_leave(self, idx: np.ndarray, n: np.ndarray) -> None:
        """People give up waiting at the pickup and go home."""
        self.accrue(idx)
        self.waiting[idx] -= n
        self.left[idx] += n

    def fleet_change(self, idx: np.ndarray, vehicles: np.ndarray) -> None:
        """Vehicles join the fleet (``vehicles > 0``) or leave it for good."""
        self.fleet_changed[idx] += vehicles
        self.fleet_changed_at[idx] += vehicles * self.batch.now[idx]

    def vehicles_enter(self, idx: np.ndarray, pool: int, vehicles: np.ndarray) -> None:
        """Batches of ``vehicles`` join pool ``pool``: they count as distinct vehicles that
        served (``served_<pool>``), whatever happens to them later."""
        self.entered[pool, idx] += vehicles

    def change_boarded(self, idx: np.ndarray, delta: np.ndarray) -> None:
        """People board convoys at the pickup, or stop waiting aboard them there."""
        self.accrue(idx)
        self.boarded[idx] += delta

    def board(self, idx: np.ndarray, people: np.ndarray) -> None:
        """People leave the queue for convoys forming at the pickup: the reference engine's
        ``change_waiting`` then ``change_boarded`` at one instant, accrued once (the second
        accrual would add nothing)."""
        self.accrue(idx)
        self.waiting[idx] -= people
        self.aboard[idx] += people
        self.boarded[idx] += people

    def boarded_held(self, idx: np.ndarray, people: np.ndarray) -> None:
        """People aboard convoys at the pickup are held there (``people > 0``) or no longer
        (``< 0``): ``change_boarded`` and ``change_held`` at one instant, accrued once."""
        self.accrue(idx)
        self.boarded[idx] -= people
        self.held[idx] += people

    def change_held(self, idx: np.ndarray, delta: np.ndarray) -> None:
        """People aboard convoys start (``delta > 0``) or stop being held."""
        self.accrue(idx)
        self.held[idx] += delta

    # -- the crossing ----------------------------------------------------------------------

    def passes_crossing(self, slot: np.ndarray, idx: np.ndarray) -> None:
        """Convoys' or private columns' vehicles are past the checkpoint."""
        b = self.batch
        self.crossed[: b.P, idx] += b.c_vehicles[slot, :, idx].T
        stream = b.c_private[slot, idx]
        column = stream >= 0
        if np.count_nonzero(column):
            at = b.P + stream[column]
            self.crossed[at, idx[column]] += b.c_private_n[slot[column], idx[column]]

    def change_crossing_queue(self, idx: np.ndarray, delta: np.ndarray) -> None:
        """Vehicles join (``delta > 0``) or leave the queue for an inspection lane."""
        self._accrue_crossing(idx, self.batch.now[idx])
        self.crossing_queued[idx] += delta
        self.crossing_peak[idx] = np.maximum(self.crossing_peak[idx], self.crossing_queued[idx])

    def _accrue_crossing(self, idx: np.ndarray, now: np.ndarray) -> None:
        span = now - self.crossing_since[idx]
        moved = span > 0
        j = idx[moved]
        self.crossing_vehicle_hours[j] += self.crossing_queued[j] * span[moved]
        self.crossing_since[j] = now[moved]

    # -- convoys and the ceasefire ----------------------------------------------------------

    def on_the_road(self, idx: np.ndarray, people: np.ndarray, convoys: int) -> None:
        """Convoys leave the pickup (``convoys = 1``) or turn back after leaving (-1), or
        private columns leave it (``convoys = 0``)."""
        now = self.batch.now[idx]
        self.people_departed[idx] += people
        if not convoys:
            self.private_departed[idx] += people
        self.departed_by.add(idx, now, people, convoys)

    def crossed_checkpoint(self, idx: np.ndarray, people: np.ndarray, convoys: int) -> None:
        """Convoys (``convoys = 1``) or private columns (0) pass the checkpoint."""
        now = self.batch.now[idx]
        self.people_crossed[idx] += people
        self.convoys_crossed[idx] += convoys
        if not convoys:
            self.private_crossed[idx] += people
        self.crossed_by.add(idx, now, people, convoys)

    def departure(self, idx: np.ndarray) -> None:
        now = self.batch.now[idx]
        self.departures[idx] += 1
        first = np.isnan(self.first_departure[idx])
        self.first_departure[idx[first]] = now[first]
        self.last_departure[idx] = now

    def reception(self, slot: np.ndarray, idx: np.ndarray) -> None:
        """Convoys reach reception: their people are evacuated."""
        now = self.batch.now[idx]
        groups = self._people_safe(slot, idx)
        people = groups.sum(axis=0)
        # take, then assign: ``a[:, idx] += x`` would gather through a 2-d index, 2x slower
        self.convoy_evacuated[:, idx] = self.convoy_evacuated.take(idx, axis=1) + groups
        n = self.receptions[idx]
        first = n == 0
        self.first_convoy_people[idx[first]] = people[first]
        self.receptions[idx] += 1
        self.received_by.add(idx, now, 1)
        for milestone, by_group, at in self.counted:
            on = self.receptions[idx] == milestone.after_convoys
            by_group[:, idx[on]] = self.convoy_evacuated[:, idx[on]]
            at[idx[on]] = now[on]

    def private_reception(self, slot: np.ndarray, idx: np.ndarray) -> None:
        """Private columns reach reception: their people are evacuated."""
        groups = self._people_safe(slot, idx)
        self.evacuated_private[idx] += groups.sum(axis=0)

    def _people_safe(self, slot: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """The people of convoys or columns in ``slot`` are evacuated; by group (G, n)."""
        b, now = self.batch, self.batch.now[idx]
        groups = b.c_groups[slot, :, idx].T  # (G, n)
        self.evacuated[:, idx] = self.evacuated.take(idx, axis=1) + groups  # as in reception
        self.aboard[idx] -= groups.sum(axis=0)
        self.waits.received_from(slot, idx)
        self.safe_by.add(idx, now, *groups)
        return groups

    def convoy_idle(self, slot: np.ndarray, idx: np.ndarray) -> None:
        b = self.batch
        vehicles = b.c_vehicles[slot, :, idx].sum(axis=1)
        self.busy_vehicle_hours[idx] += vehicles * (b.now[idx] - b.c_formed[slot, idx])

    def suspension_starts(self, idx: np.ndarray) -> None:
        self.suspensions[idx] += 1
        self.suspended_since[idx] = self.batch.now[idx]

    def suspension_ends(self, idx: np.ndarray) -> None:
        self.suspended_hours[idx] += self.batch.now[idx] - self.suspended_since[idx]

    def pause_starts(self, idx: np.ndarray) -> None:
        """The linkage rule pauses this side."""
        self.paused_since[idx] = self.batch.now[idx]

    def pause_ends(self, idx: np.ndarray) -> None:
        self.paused_hours[idx] += self.batch.now[idx] - self.paused_since[idx]

    # -- the end of a run ------------------------------------------------------------------

    def finish(self, idx: np.ndarray) -> None:
        """Close the books of replications that have reached their end."""
        b = self.batch
        end = np.minimum(self.cleared_at[idx], self.scenario.horizon)
        self.end[idx] = end
        self.accrue(idx, end)
        open_ = ~b.active[idx]
        j = idx[open_]
        self.suspended_hours[j] += np.minimum(b.until[j], end[open_]) - self.suspended_since[j]
        paused = b.ahead[idx]
        j = idx[paused]
        self.paused_hours[j] += end[paused] - self.paused_since[j]
        self.hourly.close(idx, open_)
        if self.crossers:
            self._accrue_crossing(idx, end)
        # vehicles still out count as busy to the end, in the order their convoys formed
        number = np.where(
            b.c_number.take(idx, axis=1) >= 0, b.c_number.take(idx, axis=1), np.iinfo(np.int64).max
        )
        order = np.argsort(number, axis=0)
        extra = np.zeros(len(idx))
        for rank in range(b.slots):
            slot = order[rank]
            out = b.c_number[slot, idx] >= 0
            vehicles = b.c_vehicles[slot, :, idx].sum(axis=1)
            extra = np.where(out, extra + vehicles * (end - b.c_formed[slot, idx]), extra)
        self.busy_vehicle_hours[idx] += extra
