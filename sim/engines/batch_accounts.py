"""The batch engine's accounts at the end of a run: the metrics, series and trace of its
replications, read from the books.

Mixed into :class:`sim.engines.batch_books.BatchBooks`, whose accounts it declares, as
:class:`sim.engines.accounts.Accounts` is into the reference engine's ``Evacuation``. The
books keep the accruals; this reads them once, when every replication of the batch has
reached its end (:meth:`~sim.engines.batch_books.BatchBooks.finish`).
"""

from __future__ import annotations

from abc import ABC

import numpy as np

from sim.engines.batch_exchange_books import ExchangeBooks
from sim.engines.batch_hourly import BatchHourly
from sim.engines.batch_milestones import TimedCounts
from sim.engines.batch_state import BatchState
from sim.engines.batch_waits import BatchWaits
from sim.inputs.marks import Milestone
from sim.inputs.scenario import Scenario
from sim.outputs.records import Replications, TraceEvent, metric_names

NAN = np.nan


class BatchAccounts(ABC):
    """What a batch of replications reports once every one has run.

    Every account is an array over the batch's R replications (by group or pool first
    where two-dimensional); counts are people, vehicles or convoys, times and durations
    hours since the start.
    """

    # the accounts of sim.engines.batch_books.BatchBooks the metrics read
    scenario: Scenario
    batch: BatchState
    end: np.ndarray  # when each replication's books closed
    trace: list[tuple[int, int, TraceEvent]]  # (replication, order recorded, event)
    hourly: BatchHourly
    waits: BatchWaits
    exchange: ExchangeBooks | None
    # people
    evacuated: np.ndarray  # (G, R)
    arrived: np.ndarray
    waiting: np.ndarray
    aboard: np.ndarray
    left: np.ndarray
    people_departed: np.ndarray
    people_crossed: np.ndarray
    first_convoy_people: np.ndarray
    peak_queue: np.ndarray
    linked_evacuated: np.ndarray
    evacuated_private: np.ndarray
    private_departed: np.ndarray
    private_crossed: np.ndarray
    # convoys and vehicles
    receptions: np.ndarray
    departures: np.ndarray
    convoys_crossed: np.ndarray
    turned_back: np.ndarray
    linked_convoys: np.ndarray
    crossed: np.ndarray  # vehicle passages, (pools or crossers, R)
    crossing_peak: np.ndarray
    fleet_changed: np.ndarray  # vehicles joined less left
    fleet_changed_at: np.ndarray  # their sum of vehicles x hours joined
    entered: np.ndarray  # vehicles that joined each pool by a fleet change, (P, R)
    # events and times
    first_departure: np.ndarray
    last_departure: np.ndarray
    cleared_at: np.ndarray
    suspensions: np.ndarray
    incidents: np.ndarray
    # hours and person-hours
    suspended_hours: np.ndarray
    paused_hours: np.ndarray
    wait_person_hours: np.ndarray
    held_person_hours: np.ndarray
    boarded_person_hours: np.ndarray
    cold_person_hours: np.ndarray
    busy_vehicle_hours: np.ndarray
    crossing_vehicle_hours: np.ndarray
    # milestones: by a time (counts at each) or after a number of convoys
    timed: list[Milestone]
    safe_by: TimedCounts
    received_by: TimedCounts
    departed_by: TimedCounts
    crossed_by: TimedCounts
    counted: list[tuple[Milestone, np.ndarray, np.ndarray]]  # (it, by group, when reached)

    def replications(self) -> Replications:
        """The metrics, series and trace of the whole batch."""
        trace = [e for _, _, e in sorted(self.trace, key=lambda x: (x[0], x[1]))]
        return Replications(self.metrics(), self.hourly.series, trace)

    def metrics(self) -> dict[str, np.ndarray]:
        """Every metric of ``metric_names(scenario)``, an array over the batch's
        replications each (NaN where a replication has no value, e.g. no departure);
        call after every replication's :meth:`~sim.engines.batch_books.BatchBooks.finish`."""
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
        m.update(self.waits.metrics(end))
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
        if any(p.changes for p in s.pools):
            for p, pool in enumerate(s.pools):
                m[f"served_{pool.name}"] = (b.count[p] + self.entered[p]).astype(float)
        safe, received = self.safe_by.totals(), self.received_by.totals()
        departed, crossed = self.departed_by.totals(), self.crossed_by.totals()
        for milestone in s.milestones:
            key = milestone.name
            if milestone.at is not None:
                i = next(i for i, x in enumerate(self.timed) if x is milestone)
                by, count = safe[i], received[i, 0]
                total = by.sum(axis=0)
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
                m[f"departed_by_{key}"] = departed[i, 0].astype(float)
                m[f"convoys_departed_by_{key}"] = departed[i, 1].astype(float)
                m[f"people_crossed_by_{key}"] = crossed[i, 0].astype(float)
                m[f"convoys_crossed_by_{key}"] = crossed[i, 1].astype(float)
            if milestone.after_convoys is not None:
                m[f"time_of_{key}"] = time
        return {name: m[name] for name in metric_names(s)}
