"""The books of the batch engine: :class:`sim.engines.ledger.Ledger` for R replications.

Every account is an array over replications and is updated with the same operations in
the same order as the reference engine's ledger, so the two engines agree to rounding.
"""

from __future__ import annotations

import weakref

import numpy as np

from sim.engines.batch_exchange_books import ExchangeBooks
from sim.engines.batch_state import RETURNING, TURNING_BACK, UNLOADING, BatchState
from sim.outputs.records import Replications, TraceEvent, hours_grid, metric_names, series_types

NAN = np.nan


class BatchBooks:
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
        self.waiting = batch.queue.sum(axis=(0, 1))  # the people there at the start
        self.arrived = self.waiting.copy()
        self.peak_queue = np.zeros(R, dtype=np.int64)  # the largest queue held a positive time
        self.boarded = np.zeros(R, dtype=np.int64)  # aboard at the pickup, not left, not held
        self.boarded_person_hours = np.zeros(R)
        self.held = np.zeros(R, dtype=np.int64)
        self.aboard = np.zeros(R, dtype=np.int64)
        self.left = np.zeros(R, dtype=np.int64)
        self.fleet_changed = np.zeros(R, dtype=np.int64)
        self.fleet_changed_at = np.zeros(R)
        self.since = np.zeros(R)
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
        at = [m for m in s.milestones if m.at is not None]
        self.timed = [
            (m, np.zeros((G, R), dtype=np.int64), np.zeros(R, dtype=np.int64)) for m in at
        ]
        self.people_departed = np.zeros(R, dtype=np.int64)  # less those turned back since
        self.people_crossed = np.zeros(R, dtype=np.int64)
        self.convoys_crossed = np.zeros(R, dtype=np.int64)
        self.private_departed = np.zeros(R, dtype=np.int64)  # people in private columns
        self.private_crossed = np.zeros(R, dtype=np.int64)

        # per time milestone: people and convoys departed (net), crossed, at or before it
        def counts() -> np.ndarray:
            return np.zeros(R, dtype=np.int64)

        self.road = [(m, counts(), counts(), counts(), counts()) for m in at]
        self.counted = [
            (m, np.full((G, R), NAN), np.full(R, NAN))
            for m in s.milestones
            if m.after_convoys is not None
        ]
        # people who went home: (group, replications, people, their wait until then in hours)
        self.gone: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = []
        self.convoy_evacuated = np.zeros((G, R), dtype=np.int64)  # by convoys, for milestones
        self.evacuated_private = np.zeros(R, dtype=np.int64)
        self.records = np.zeros(R, dtype=np.int64)  # receptions of convoys and columns
        self.departed_at = np.zeros((0, R))  # per reception, for waits
        self.manifests = np.zeros((0, R, G, batch.K), dtype=np.int32)
        self.hours = hours_grid(s)
        self.series: dict[str, np.ndarray] = {
            name: np.zeros((R, len(self.hours)), dtype) for name, dtype in series_types(s).items()
        }
        self.next_hour = np.zeros(R, dtype=np.int64)
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
        traced = self.traced[idx]
        if not traced.any():
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
        if self.traced[idx].any():
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
        if not moved.any():
            return
        j, span = idx[moved], span[moved]
        self.peak_queue[j] = np.maximum(self.peak_queue[j], self.waiting[j])
        self.wait_person_hours[j] += self.waiting[j] * span
        self.held_person_hours[j] += self.held[j] * span
        self.boarded_person_hours[j] += self.boarded[j] * span
        exposed = self.waiting[j] + self.held[j] + self.boarded[j]
        cold = exposed > 0
        if cold.any():
            k = j[cold]
            hours = self.scenario.weather.cold_hours(self.since[k], now[moved][cold])
            self.cold_person_hours[k] += exposed[cold] * hours
        self.since[j] = now[moved]

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

    def change_boarded(self, idx: np.ndarray, delta: np.ndarray) -> None:
        """People board convoys at the pickup, or stop waiting aboard them there."""
        self.accrue(idx)
        self.boarded[idx] += delta

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
        if column.any():
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

    def _crossing_state(self, idx: np.ndarray) -> dict[str, np.ndarray]:
        """The crossing's hourly series' current values for replications ``idx``."""
        names = self.scenario.crossers
        state = {"people_crossed": self.people_crossed[idx]}
        state.update({f"crossed_{name}": self.crossed[i, idx] for i, name in enumerate(names)})
        if self.batch.crossing_on:
            state["crossing_queue"] = self.crossing_queued[idx]
        return state

    # -- convoys and the ceasefire ----------------------------------------------------------

    def on_the_road(self, idx: np.ndarray, people: np.ndarray, convoys: int) -> None:
        """Convoys leave the pickup (``convoys = 1``) or turn back after leaving (-1), or
        private columns leave it (``convoys = 0``)."""
        now = self.batch.now[idx]
        self.people_departed[idx] += people
        if not convoys:
            self.private_departed[idx] += people
        for milestone, by_people, by_convoys, _, _ in self.road:
            on = now <= milestone.at
            by_people[idx[on]] += people[on]
            by_convoys[idx[on]] += convoys

    def crossed_checkpoint(self, idx: np.ndarray, people: np.ndarray, convoys: int) -> None:
        """Convoys (``convoys = 1``) or private columns (0) pass the checkpoint."""
        now = self.batch.now[idx]
        self.people_crossed[idx] += people
        self.convoys_crossed[idx] += convoys
        if not convoys:
            self.private_crossed[idx] += people
        for milestone, _, _, by_people, by_convoys in self.road:
            on = now <= milestone.at
            by_people[idx[on]] += people[on]
            by_convoys[idx[on]] += convoys

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
        self.convoy_evacuated[:, idx] += groups
        n = self.receptions[idx]
        first = n == 0
        self.first_convoy_people[idx[first]] = people[first]
        self.receptions[idx] += 1
        for milestone, _, convoys in self.timed:
            convoys[idx[now <= milestone.at]] += 1
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
        self.evacuated[:, idx] += groups
        self.aboard[idx] -= groups.sum(axis=0)
        n = self.records[idx]
        if n.max() >= len(self.departed_at):
            more = max(8, len(self.departed_at))
            self.departed_at = np.concatenate([self.departed_at, np.full((more, b.R), NAN)])
            self.manifests = np.concatenate(
                [self.manifests, np.zeros((more, *self.manifests.shape[1:]), dtype=np.int32)]
            )
        self.departed_at[n, idx] = b.c_departed[slot, idx]
        self.manifests[n, idx] = b.c_manifest[slot, idx]
        self.records[idx] += 1
        for milestone, by_group, _ in self.timed:
            on = now <= milestone.at
            by_group[:, idx[on]] += groups[:, on]
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

    # -- hourly series and the end of a run ------------------------------------------------

    def fill_series(self, idx: np.ndarray, t: np.ndarray) -> None:
        """Hours before ``t`` keep the state they end with: the current one."""
        limit = np.minimum(np.ceil(t), len(self.hours)).astype(np.int64)
        b = self.batch
        while True:
            due = self.next_hour[idx] < limit
            if not due.any():
                return
            j = idx[due]
            h = self.next_hour[j]
            self.series["suspended"][j, h] = ~b.active[j]
            for name, values in self._hourly_state(j).items():
                self.series[name][j, h] = values
            self.next_hour[j] += 1

    def _hourly_state(self, idx: np.ndarray) -> dict[str, np.ndarray]:
        """The current values of every hourly series but ``suspended``, for ``idx``."""
        state = {"evacuated": self.batch.evacuated[idx], "waiting": self.waiting[idx]}
        if self.scenario.leaving:
            for g, group in enumerate(self.scenario.groups):
                state[f"evacuated_{group.name}"] = self.evacuated[g, idx]
            state["left"] = self.left[idx]
        if self.scenario.crossers:
            state.update(self._crossing_state(idx))
        return state

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
        hours = self.hours
        late = hours[None, :] >= self.next_hour[idx][:, None]
        state = self._hourly_state(idx)
        if self.scenario.crossers:
            self._accrue_crossing(idx, end)
        for name, values in state.items():
            self.series[name][idx] = np.where(late, values[:, None], self.series[name][idx])
        still = open_[:, None] & (hours[None, :] < b.until[idx][:, None])
        self.series["suspended"][idx] = np.where(late, still, self.series["suspended"][idx])
        # vehicles still out count as busy to the end, in the order their convoys formed
        number = np.where(b.c_number[:, idx] >= 0, b.c_number[:, idx], np.iinfo(np.int64).max)
        order = np.argsort(number, axis=0)
        extra = np.zeros(len(idx))
        cols = np.arange(len(idx))
        for rank in range(b.slots):
            slot = order[rank]
            out = b.c_number[slot, idx] >= 0
            vehicles = b.c_vehicles[slot, :, idx].sum(axis=1)
            extra = np.where(out, extra + vehicles * (end - b.c_formed[slot, idx]), extra)
        self.busy_vehicle_hours[idx] += extra
        del cols

    def replications(self) -> Replications:
        """The metrics, series and trace of the whole batch."""
        trace = [e for _, _, e in sorted(self.trace, key=lambda x: (x[0], x[1]))]
        return Replications(self.metrics(), self.series, trace)

    def metrics(self) -> dict[str, np.ndarray]:
        s, b = self.scenario, self.batch
        end = self.end
        groups = [g.name for g in s.groups]
        m: dict[str, np.ndarray] = {"evacuated": self.evacuated.sum(axis=0).astype(float)}
        for g, name in enumerate(groups):
            m[f"evacuated_{name}"] = self.evacuated[g].astype(float)
        m["arrived"] = self.arrived.astype(float)
        m["waiting_at_end"] = self.waiting.astype(float)
        m["aboard_at_end"] = self.aboard.astype(float)
        m["left"] = self.left.astype(float)
        m["convoys"] = self.receptions.astype(float)
        m["convoys_departed"] = self.departures.astype(float)
        m["people_departed"] = self.people_departed.astype(float)
        m["convoys_crossed"] = self.convoys_crossed.astype(float)
        m["people_crossed"] = self.people_crossed.astype(float)
        m["turned_back"] = self.turned_back.astype(float)
        m["first_departure"] = self.first_departure
        m["last_departure"] = self.last_departure
        m["first_convoy_people"] = self.first_convoy_people
        m["clearance_time"] = np.where(self.cleared_at <= s.horizon, self.cleared_at, NAN)
        m["suspensions"] = self.suspensions.astype(float)
        m["suspended_hours"] = self.suspended_hours
        m["breaches"] = b.breaches.astype(float)
        m["incidents"] = self.incidents.astype(float)
        m["wait_person_hours"] = self.wait_person_hours
        m["held_person_hours"] = self.held_person_hours
        m["boarded_person_hours"] = self.boarded_person_hours
        m["cold_person_hours"] = self.cold_person_hours
        m["cold_harm"] = self.cold_person_hours * s.weather.harm_per_person_hour
        for g, name in enumerate(groups):
            evacuated = self._evacuated_waits(g)
            m[f"wait_mean_{name}"], m[f"wait_p95_{name}"] = wait_summary(*evacuated)
            censored = self._censored_waits(g, *evacuated)
            mean, p95 = f"wait_censored_mean_{name}", f"wait_censored_p95_{name}"
            m[mean], m[p95] = wait_summary(*censored)
        available = np.zeros(b.R)
        for p in range(b.P):
            available = available + b.count[p] * np.maximum(0.0, end - b.available_at[p])
        if any(p.changes for p in s.pools):
            available = available + (self.fleet_changed * end - self.fleet_changed_at)
        with np.errstate(invalid="ignore", divide="ignore"):
            m["utilisation"] = np.where(available > 0, self.busy_vehicle_hours / available, NAN)
        m["peak_queue"] = self.peak_queue.astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):  # a run of no time: NaN
            m["mean_queue"] = np.where(end > 0, self.wait_person_hours / end, NAN)
        m["linked_evacuated"] = self.linked_evacuated.astype(float)
        m["linked_convoys"] = self.linked_convoys.astype(float)
        m["linkage_paused_hours"] = self.paused_hours
        if self.exchange is not None:
            m.update(self.exchange.metrics(b, end))
        if s.private:
            m["evacuated_private"] = self.evacuated_private.astype(float)
            m["people_departed_private"] = self.private_departed.astype(float)
            m["people_crossed_private"] = self.private_crossed.astype(float)
        for i, name in enumerate(s.crossers):
            m[f"crossed_{name}"] = self.crossed[i].astype(float)
        if b.crossing_on:
            m["crossing_queue_peak"] = self.crossing_peak.astype(float)
            m["crossing_queue_vehicle_hours"] = self.crossing_vehicle_hours
        for milestone in s.milestones:
            key = milestone.name
            if milestone.at is not None:
                _, by_group, convoys = next(x for x in self.timed if x[0] is milestone)
                total, by, count = by_group.sum(axis=0), by_group, convoys
            else:
                assert milestone.after_convoys is not None  # by a time or after convoys
                _, by, time = next(x for x in self.counted if x[0] is milestone)
                total, count = (
                    by.sum(axis=0),
                    np.where(np.isnan(time), NAN, milestone.after_convoys),
                )
            m[f"evacuated_by_{key}"] = total.astype(float)
            for g, name in enumerate(groups):
                m[f"evacuated_{name}_by_{key}"] = by[g].astype(float)
            m[f"convoys_by_{key}"] = np.asarray(count, dtype=float)
            if milestone.at is not None:
                _, departed, convoys_departed, crossed, convoys_crossed = next(
                    x for x in self.road if x[0] is milestone
                )
                m[f"departed_by_{key}"] = departed.astype(float)
                m[f"convoys_departed_by_{key}"] = convoys_departed.astype(float)
                m[f"people_crossed_by_{key}"] = crossed.astype(float)
                m[f"convoys_crossed_by_{key}"] = convoys_crossed.astype(float)
            if milestone.after_convoys is not None:
                m[f"time_of_{key}"] = time
        return {name: m[name] for name in metric_names(s)}

    def _evacuated_waits(self, g: int) -> tuple[np.ndarray, np.ndarray]:
        """Waits (hours) and people of group ``g``'s evacuated, one row per replication:
        its (convoy, cohort) records."""
        b = self.batch
        cohorts = 1 + len(self.scenario.groups[g].arrivals)
        starts = b.cohort_times[g, :cohorts]
        waits = (self.departed_at.T[:, :, None] - starts[None, None, :]).reshape(b.R, -1)
        people = self.manifests[:, :, g, :cohorts].transpose(1, 0, 2).reshape(b.R, -1)
        return waits, people

    def _censored_waits(
        self, g: int, waits: np.ndarray, people: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The evacuated's records, and those of group ``g``'s people who gave up (wait until
        then) or are not out at the end: at the pickup or turned back (wait until the end),
        or on a convoy on its way (wait until it left)."""
        b = self.batch
        cohorts = 1 + len(self.scenario.groups[g].arrivals)
        starts = b.cohort_times[g, :cohorts]
        so_far = self.end[:, None] - starts[None, :]  # (R, cohorts)
        parts_w, parts_n = [waits, so_far], [people, b.queue[g, :cohorts].T]
        for group, reps, n, wait in self.gone:
            if group == g:
                column_n, column_w = np.zeros((b.R, 1), dtype=np.int64), np.zeros((b.R, 1))
                column_n[reps, 0], column_w[reps, 0] = n, wait
                parts_n.append(column_n)
                parts_w.append(column_w)
        aboard = (b.c_number >= 0) & ~np.isin(b.c_stage, (UNLOADING, RETURNING))  # (slots, R)
        on_way = ~np.isnan(b.c_departed) & (b.c_stage != TURNING_BACK)
        left = b.c_departed[:, :, None] - starts[None, None, :]  # (slots, R, cohorts)
        slot_w = np.where(on_way[:, :, None], left, so_far[None])
        slot_n = np.where(aboard[:, :, None], b.c_manifest[:, :, g, :cohorts], 0)
        parts_w.append(slot_w.transpose(1, 0, 2).reshape(b.R, -1))
        parts_n.append(slot_n.transpose(1, 0, 2).reshape(b.R, -1))
        return np.concatenate(parts_w, axis=1), np.concatenate(parts_n, axis=1)

    def gave_up(
        self, idx: np.ndarray, group: np.ndarray, cohort: np.ndarray, n: np.ndarray
    ) -> None:
        """``n`` people of ``(group, cohort)`` (arrays over ``idx``) go home now."""
        b = self.batch
        wait = b.now[idx] - b.cohort_times[group, cohort]
        for g in np.unique(group):
            on = group == g
            self.gone.append((int(g), idx[on], n[on], wait[on]))


def wait_summary(waits: np.ndarray, people: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and 95th percentile wait per replication, hours, from records of (wait, people)
    per row; NaN where nobody.

    As :func:`sim.engines.ledger.wait_summary`: records sorted by (wait, people), the mean a
    running sum in that order (to the same bits), the 95th percentile the smallest wait
    95% of the people do not exceed. Records of nobody count for nothing, so each row's
    others are moved to its front first and only those are sorted (most records are empty:
    a convoy carries few of a group's cohorts).
    """
    R = len(waits)
    has = people > 0
    counts = has.sum(axis=1)
    width = int(counts.max(initial=0))
    if not width:  # nobody in any replication
        return np.full(R, NAN), np.full(R, NAN)
    rows, cols = np.nonzero(has)  # row by row, in order
    at = np.arange(len(rows)) - np.repeat(np.cumsum(counts) - counts, counts)
    w = np.full((R, width), np.inf)
    n = np.zeros((R, width), dtype=people.dtype)
    w[rows, at] = waits[rows, cols]
    n[rows, at] = people[rows, cols]
    order = np.lexsort((n, w), axis=1)
    w = np.take_along_axis(w, order, 1)
    n = np.take_along_axis(n, order, 1)
    total = n.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        spent = np.cumsum(np.where(n > 0, w * n, 0.0), axis=1)[:, -1]
        mean = np.where(total > 0, spent / total, NAN)
    seen = np.cumsum(n, axis=1)
    first = np.argmax(100 * seen >= 95 * total[:, None], axis=1)
    p95 = np.where(total > 0, np.take_along_axis(w, first[:, None], 1)[:, 0], NAN)
    return mean, p95
