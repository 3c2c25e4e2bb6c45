"""The books of one replication of the reference engine.

The processes in :mod:`sim.engines.des` report what happens; the ledger accumulates
person-hours between changes, keeps the logs the hourly series and milestones are read
from, and turns it all into the metrics of :func:`sim.outputs.records.metric_names` at the end.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from sim.inputs.scenario import Scenario
from sim.outputs.records import TraceEvent, hours_grid

NAN = math.nan


def in_order(values: Iterable[float]) -> float:
    """The sum of ``values`` added left to right, one rounding per addition.

    This is what the batch engine's running totals and ``numpy.cumsum`` do. The built-in
    ``sum()`` of floats is compensated from Python 3.12 on, so it would give other bits
    there (one ulp in a mean wait) and the engines would differ by Python version.
    """
    total = 0.0
    for value in values:
        total += value
    return total


class Ledger:
    """Accounts of one replication.

    Waiting and held person-hours are integrals of step functions, accumulated each time the
    number of people waiting at the pickup (``waiting``) or aboard held convoys (``held``)
    changes; cold exposure weights the same intervals by their cold hours.
    """

    def __init__(self, scenario: Scenario, rep: int, traced: bool):
        self.scenario = scenario
        self.rep = rep
        self.traced = traced
        self.trace: list[TraceEvent] = []
        self.waiting = sum(g.count for g in scenario.groups)
        self.held = 0
        self.since = 0.0
        self.wait_person_hours = 0.0
        self.held_person_hours = 0.0
        self.cold_person_hours = 0.0
        self.peak_queue = 0  # the largest queue held for a positive time
        self.boarded = 0  # aboard convoys at the pickup that have not left, not held
        self.boarded_person_hours = 0.0
        self.queue_log: list[tuple[float, int]] = [(0.0, self.waiting)]
        self.suspension_log: list[list[float]] = []
        # (time, convoy people by group) per convoy reaching reception, in order
        self.receptions: list[tuple[float, list[int]]] = []
        # the same per private column reaching reception
        self.private_receptions: list[tuple[float, list[int]]] = []
        # (group, wait in hours, people) for everyone evacuated, and everyone who gave up
        self.gave_up: list[tuple[int, float, int]] = []
        # (group, departure or None if not left, arrival, people) of those not yet out at the end
        self.unfinished: list[tuple[int, float | None, float, int]] = []
        self.waits: list[tuple[int, float, int]] = []
        self.departures: list[float] = []
        # (time, people, convoys) of each departure (+) and each turn-back after one (-);
        # a private column's departure counts its people and no convoy
        self.road_log: list[tuple[float, int, int]] = []
        # (time, people, convoys) of each convoy (1) and private column (0) past the checkpoint
        self.crossing_log: list[tuple[float, int, int]] = []
        self.busy_vehicle_hours = 0.0
        self.busy: dict[int, tuple[float, int]] = {}
        self.counts = {"turned_back": 0, "breaches": 0, "incidents": 0, "suspensions": 0}
        self.linked_evacuated = 0
        self.linked_convoys = 0
        # [start, end] of each pause by the linkage rule; end is inf while it lasts
        self.pause_log: list[list[float]] = []
        self.cleared_at = math.inf
        self.arrived = self.waiting
        self.aboard = 0
        self.left = 0  # people who gave up waiting
        self.left_log: list[tuple[float, int]] = []  # (time, people who have left so far)
        # vehicles that entered (> 0) or left (< 0) after the pools' first arrival, and the
        # sum of those vehicles times the hour they did: the fleet's vehicle-hours follow
        self.fleet_changed = 0
        self.fleet_changed_at = 0.0
        # vehicles of each pool that entered by a fleet change, before any losses
        self.entered = [0] * len(scenario.pools)

    def record(
        self,
        time: float,
        event: str,
        convoy: int = -1,
        groups: list[int] | None = None,
        vehicles: list[int] | None = None,
        note: str = "",
        people: int | None = None,
    ) -> None:
        """Add an event to the trace, if this replication is traced.

        ``people`` defaults to the sum of ``groups``; the linked site's events give it alone.
        """
        if not self.traced:
            return
        groups = groups or [0] * len(self.scenario.groups)
        vehicles = vehicles or [0] * len(self.scenario.pools)
        people = sum(groups) if people is None else people
        self.trace.append(
            TraceEvent(self.rep, time, event, convoy, people, tuple(groups), tuple(vehicles), note)
        )

    def accrue(self, now: float) -> None:
        """Add the person-hours since the last change, up to ``now``."""
        if now > self.since:
            span = now - self.since
            self.peak_queue = max(self.peak_queue, self.waiting)
            self.wait_person_hours += self.waiting * span
            self.held_person_hours += self.held * span
            self.boarded_person_hours += self.boarded * span
            exposed = self.waiting + self.held + self.boarded
            if exposed:
                cold = self.scenario.weather.cold_hours(self.since, now)
                self.cold_person_hours += exposed * float(cold)
            self.since = now

    def change_waiting(self, now: float, delta: int, boarding: bool) -> None:
        """People join (``delta > 0``) or leave the queue at the pickup, arriving from
        elsewhere or (``boarding``) to or from a convoy."""
        self.accrue(now)
        self.waiting += delta
        if boarding:
            self.aboard -= delta
        else:
            self.arrived += delta
        self.queue_log.append((now, self.waiting))

    def people_leave(self, now: float, n: int) -> None:
        """``n`` people give up waiting at the pickup and go home."""
        self.accrue(now)
        self.waiting -= n
        self.left += n
        self.queue_log.append((now, self.waiting))
        self.left_log.append((now, self.left))

    def fleet_change(self, now: float, vehicles: int) -> None:
        """Vehicles join the fleet (``vehicles > 0``) or leave it for good."""
        self.fleet_changed += vehicles
        self.fleet_changed_at += vehicles * now

    def vehicles_enter(self, pool: int, vehicles: int) -> None:
        """A batch of ``vehicles`` joins pool ``pool``: they count as distinct vehicles that
        served (``served_<pool>``), whatever happens to them later."""
        self.entered[pool] += vehicles

    def reception(self, now: float, groups: list[int]) -> None:
        """A convoy reaches reception: its people, by group, are evacuated."""
        self.receptions.append((now, groups))
        self.aboard -= sum(groups)

    def change_boarded(self, now: float, delta: int) -> None:
        """People board a convoy at the pickup (``delta > 0``), or stop waiting aboard it
        there: it leaves, is held or turns back."""
        self.accrue(now)
        self.boarded += delta

    def private_reception(self, now: float, groups: list[int]) -> None:
        """A private column reaches reception: its people, by group, are evacuated."""
        self.private_receptions.append((now, groups))
        self.aboard -= sum(groups)

    def change_held(self, now: float, delta: int) -> None:
        """People aboard a convoy start (``delta > 0``) or stop being held."""
        self.accrue(now)
        self.held += delta

    def convoy_busy(self, convoy: int, now: float, vehicles: int) -> None:
        """A convoy's vehicles leave the idle pool."""
        self.busy[convoy] = (now, vehicles)

    def convoy_idle(self, convoy: int, now: float) -> None:
        """A convoy's vehicles are back at the pickup."""
        formed, vehicles = self.busy.pop(convoy)
        self.busy_vehicle_hours += vehicles * (now - formed)

    def metrics(self) -> dict[str, float]:
        """The metrics the ledger keeps for this replication, by name.

        The engine adds those kept elsewhere (the crossing's) and orders them by
        ``metric_names(scenario)``.
        """
        s = self.scenario
        end = min(self.cleared_at, s.horizon)
        self.accrue(end)
        groups = [g.name for g in s.groups]
        by_group = np.zeros(len(groups), dtype=np.int64)
        for _, people in self.receptions + self.private_receptions:
            by_group += people
        m: dict[str, float] = {"evacuated": float(by_group.sum())}
        m.update({f"evacuated_{g}": float(n) for g, n in zip(groups, by_group, strict=True)})
        m["arrived"] = float(self.arrived)
        m["waiting_at_end"] = float(self.waiting)
        m["aboard_at_end"] = float(self.aboard)
        m["left"] = float(self.left)
        m["convoys"] = float(len(self.receptions))
        m["convoys_departed"] = float(len(self.departures))
        m["people_departed"] = float(sum(p for _, p, _ in self.road_log))
        m["convoys_crossed"] = float(sum(c for _, _, c in self.crossing_log))
        m["people_crossed"] = float(sum(p for _, p, _ in self.crossing_log))
        m["turned_back"] = float(self.counts["turned_back"])
        m["first_departure"] = self.departures[0] if self.departures else NAN
        m["last_departure"] = self.departures[-1] if self.departures else NAN
        m["first_convoy_people"] = float(sum(self.receptions[0][1])) if self.receptions else NAN
        m["clearance_time"] = self.cleared_at if self.cleared_at <= s.horizon else NAN
        m["suspensions"] = float(self.counts["suspensions"])
        m["suspended_hours"] = in_order(min(b, end) - a for a, b in self.suspension_log if a < end)
        m["breaches"] = float(self.counts["breaches"])
        m["incidents"] = float(self.counts["incidents"])
        m["wait_person_hours"] = self.wait_person_hours
        m["held_person_hours"] = self.held_person_hours
        m["boarded_person_hours"] = self.boarded_person_hours
        m["cold_person_hours"] = self.cold_person_hours
        m["cold_harm"] = self.cold_person_hours * s.weather.harm_per_person_hour
        for g, name in enumerate(groups):
            evacuated = [(w, n) for group, w, n in self.waits if group == g]
            m[f"wait_mean_{name}"], m[f"wait_p95_{name}"] = wait_summary(evacuated)
            censored = evacuated + [(w, n) for group, w, n in self.gave_up if group == g]
            censored += [
                (end - a if left is None else left - a, n)
                for group, left, a, n in self.unfinished
                if group == g
            ]
            key = f"wait_censored_mean_{name}", f"wait_censored_p95_{name}"
            m[key[0]], m[key[1]] = wait_summary(censored)
        busy = self.busy_vehicle_hours + in_order(n * (end - t) for t, n in self.busy.values())
        available = in_order(p.count * max(0.0, end - p.available_at) for p in s.pools)
        if any(p.changes for p in s.pools):
            available += self.fleet_changed * end - self.fleet_changed_at
        m["utilisation"] = busy / available if available > 0 else NAN
        m["peak_queue"] = float(self.peak_queue)
        m["mean_queue"] = self.wait_person_hours / end if end > 0 else NAN  # a run of no time
        m["linked_evacuated"] = float(self.linked_evacuated)
        m["linked_convoys"] = float(self.linked_convoys)
        m["linkage_paused_hours"] = in_order(min(b, end) - a for a, b in self.pause_log if a < end)
        for milestone in s.milestones:
            m.update(self._milestone(milestone, groups))
        if s.private:
            m["evacuated_private"] = float(sum(sum(p) for _, p in self.private_receptions))
            m["people_departed_private"] = float(sum(p for _, p, c in self.road_log if not c))
            m["people_crossed_private"] = float(sum(p for _, p, c in self.crossing_log if not c))
        if any(p.changes for p in s.pools):
            for p, pool in enumerate(s.pools):
                m[f"served_{pool.name}"] = float(pool.count + self.entered[p])
        return m

    def _milestone(self, milestone, groups: list[str]) -> dict[str, float]:
        if milestone.at is not None:
            arrived = [p for t, p in self.receptions if t <= milestone.at]
        elif len(self.receptions) >= milestone.after_convoys:
            arrived = [p for _, p in self.receptions[: milestone.after_convoys]]
        else:
            arrived = None
        key = milestone.name
        out: dict[str, float] = {}
        totals = np.sum(arrived, axis=0) if arrived else np.zeros(len(groups), dtype=np.int64)
        out[f"convoys_by_{key}"] = float(len(arrived)) if arrived is not None else NAN
        if milestone.at is not None and arrived is not None:  # private vehicles' people count too
            arrived += [p for t, p in self.private_receptions if t <= milestone.at]
            totals = np.sum(arrived, axis=0) if arrived else totals
        out[f"evacuated_by_{key}"] = float(totals.sum()) if arrived is not None else NAN
        for g, name in enumerate(groups):
            out[f"evacuated_{name}_by_{key}"] = float(totals[g]) if arrived is not None else NAN
        if milestone.at is not None:  # left the pickup (and not turned back) or crossed by then
            road = [(p, c) for t, p, c in self.road_log if t <= milestone.at]
            crossed = [(p, c) for t, p, c in self.crossing_log if t <= milestone.at]
            out[f"departed_by_{key}"] = float(sum(p for p, _ in road))
            out[f"convoys_departed_by_{key}"] = float(sum(c for _, c in road))
            out[f"people_crossed_by_{key}"] = float(sum(p for p, _ in crossed))
            out[f"convoys_crossed_by_{key}"] = float(sum(c for _, c in crossed))
        if milestone.after_convoys is not None:
            out[f"time_of_{key}"] = (
                self.receptions[milestone.after_convoys - 1][0] if arrived is not None else NAN
            )
        return out

    def series(self) -> dict[str, np.ndarray]:
        """Cumulative evacuated, waiting and suspended (0/1) at each whole hour; the series
        of people who may leave and of the people past the checkpoint, where the scenario has
        them."""
        hours = hours_grid(self.scenario)
        times = np.array([t for t, _ in self.receptions])
        counts = np.array([sum(p) for _, p in self.receptions], dtype=float)
        cumulative = np.concatenate([[0.0], np.cumsum(counts)])
        evacuated = cumulative[np.searchsorted(times, hours, side="right")]
        if self.private_receptions:
            times = np.array([t for t, _ in self.private_receptions])
            counts = np.array([sum(p) for _, p in self.private_receptions], dtype=float)
            cumulative = np.concatenate([[0.0], np.cumsum(counts)])
            evacuated = evacuated + cumulative[np.searchsorted(times, hours, side="right")]
        log_t = np.array([t for t, _ in self.queue_log])
        log_n = np.array([n for _, n in self.queue_log], dtype=float)
        waiting = log_n[np.searchsorted(log_t, hours, side="right") - 1]
        suspended = np.zeros_like(hours)
        for a, b in self.suspension_log:
            suspended[(hours >= a) & (hours < b)] = 1.0
        out = {"evacuated": evacuated, "waiting": waiting, "suspended": suspended}
        if self.scenario.leaving:
            out.update(self._group_series(hours))
        if self.scenario.crossers:  # with a crossing or private vehicles, as crossed_<name>
            times = np.array([t for t, _, _ in self.crossing_log])
            counts = np.array([p for _, p, _ in self.crossing_log], dtype=float)
            cumulative = np.concatenate([[0.0], np.cumsum(counts)])
            out["people_crossed"] = cumulative[np.searchsorted(times, hours, side="right")]
        return out

    def _group_series(self, hours: np.ndarray) -> dict[str, np.ndarray]:
        """Cumulative evacuated by group (convoys, then private columns, as ``evacuated``)
        and cumulative people who have left the queue, at each whole hour."""
        out: dict[str, np.ndarray] = {}
        for g, group in enumerate(self.scenario.groups):
            total = np.zeros_like(hours)
            for log in (self.receptions, self.private_receptions):
                times = np.array([t for t, _ in log])
                counts = np.array([p[g] for _, p in log], dtype=float)
                cumulative = np.concatenate([[0.0], np.cumsum(counts)])
                total = total + cumulative[np.searchsorted(times, hours, side="right")]
            out[f"evacuated_{group.name}"] = total
        times = np.array([t for t, _ in self.left_log])
        left = np.array([0.0] + [n for _, n in self.left_log])
        out["left"] = left[np.searchsorted(times, hours, side="right")]
        return out


def wait_summary(waits: list[tuple[float, int]]) -> tuple[float, float]:
    """Mean and 95th percentile of waits given as (hours, people); NaN for nobody.

    The 95th percentile is the smallest wait that 95% of the people do not exceed; the
    mean adds the waits in sorted order (:func:`in_order`), as the batch engine does.
    """
    pairs = sorted((w, n) for w, n in waits if n > 0)
    people = sum(n for _, n in pairs)
    if not people:
        return NAN, NAN
    mean = in_order(w * n for w, n in pairs) / people
    seen = 0
    for wait, n in pairs:
        seen += n
        if 100 * seen >= 95 * people:
            return mean, wait
    raise AssertionError("unreachable")
