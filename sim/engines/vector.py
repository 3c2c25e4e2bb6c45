"""Batch engine: R replications of the model in lockstep, as numpy arrays.

The model is the reference engine's (:mod:`sim.engines.des`), event for event. Each pass of
the main loop handles the next event of every running replication at once: the next event is
the smallest of a few timers per replication (ceasefire changes, arrivals, one per convoy in
flight, the linked site's next convoy, the dispatcher's decision), taken in the reference
engine's order, by time, then priority (ceasefire, then arrivals, convoy legs and the linked
site, then convoy formation), then creation.
Events of one kind are applied with masks over the replications that have them; the Python
loop runs over events, never over replications or vehicles. Finished replications leave the
active set.

State is laid out as ``(entities, replications)``: queues ``(groups, cohorts, R)``, idle
vehicles ``(pools, R)``, convoys in flight in slots ``(slots, R)``.
"""

from __future__ import annotations

import numpy as np

from sim.daylight import gate
from sim.distributions import slowest_uniform
from sim.engines.batch_books import BatchBooks
from sim.engines.batch_params import BatchParameters, batch_parameters, pick
from sim.records import Replications
from sim.scenario import MAX_POOLS, Scenario
from sim.variates import Variates

INF = np.inf
# convoy stages: what its next event is
LOADING, HELD_PICKUP, TO_CHECKPOINT, INSPECTION = 1, 2, 3, 4
HELD_CHECKPOINT, TO_RECEPTION, UNLOADING, RETURNING, TURNING_BACK = 5, 6, 7, 8, 9
BEFORE_CHECKPOINT = (LOADING, TO_CHECKPOINT, INSPECTION)


class Batch:
    """Replications ``rep_ids`` of one scenario, advanced together."""

    def __init__(self, scenario: Scenario, params: BatchParameters, seed: int, rep_ids: np.ndarray):
        s = self.scenario = scenario
        self.params = params
        self.variates = Variates(seed)
        self._tables: dict[str, np.ndarray] = {}
        self.rep = np.asarray(rep_ids, dtype=np.int64)
        self.R = R = len(self.rep)
        G, P = len(s.groups), len(s.pools)
        self.G, self.P = G, P
        cohorts = [[0.0] + [t for t, _ in g.arrivals] for g in s.groups]
        self.K = K = max(len(c) for c in cohorts)
        self.cohort_times = np.array([c + [0.0] * (K - len(c)) for c in cohorts])  # (G, K)
        self.order = s.boarding_order
        self.carriers = s.carriers
        self._pool_params(params)
        self._dists(params)
        self.now = np.zeros(R)
        self.queue = np.zeros((G, K, R), dtype=np.int64)
        self.queue[:, 0, :] = np.array([g.count for g in s.groups])[:, None]
        self.idle = np.zeros((P, R), dtype=np.int64)
        self.idle_since = np.full((P, R), INF)
        self.loading = np.zeros(R, dtype=bool)
        self.in_corridor = np.zeros(R, dtype=np.int64)
        self.last_departure = np.full(R, -INF)
        self.convoys = np.zeros(R, dtype=np.int64)
        self.evacuated = np.zeros(R, dtype=np.int64)
        self.people = s.people
        self.seq = np.zeros(R, dtype=np.int64)  # timers created: ties go to the oldest
        self.decide_due = np.full(R, INF)
        self.deadline_due = np.full(R, INF)
        self._arrivals(params)
        self._ceasefire_start(params)
        self._linkage_start(params)
        self.slots = 0
        self._grow_slots(4)
        self.books = BatchBooks(self)
        self.deferred: list[tuple[np.ndarray, np.ndarray]] = []  # turn-backs after an event

    # -- set-up -------------------------------------------------------------------------

    def _pool_params(self, params: BatchParameters) -> None:
        R, names = self.R, [p.name for p in self.scenario.pools]

        def column(field: str) -> np.ndarray:
            rows = [np.broadcast_to(params[f"fleet.{n}.{field}"], (R,)) for n in names]
            return np.array(rows)

        self.count = column("count").astype(np.int64)
        self.available_at = column("available_at")
        self.per_convoy = column("per_convoy").astype(np.int64)
        self.capacity = np.floor(column("seats") * column("crowding") + 1e-9).astype(np.int64)

    def _dists(self, params: BatchParameters) -> None:
        s = self.scenario
        self.load_time = [params.dist(f"fleet.{p.name}.load_time", p.load_time) for p in s.pools]
        self.unload_time = [
            params.dist(f"fleet.{p.name}.unload_time", p.unload_time) for p in s.pools
        ]
        self.legs = {
            leg: params.dist(f"route.{leg}", getattr(s.route, leg))
            for leg in ("to_checkpoint", "inspection", "to_reception", "return_trip")
        }
        rules = s.ceasefire
        self.negotiation = rules.negotiation and params.dist(
            "ceasefire.negotiation", rules.negotiation
        )
        self.guarantee = rules.guarantee and params.dist("ceasefire.guarantee", rules.guarantee)

    def _arrivals(self, params: BatchParameters) -> None:
        """Vehicle pools then people batches, in creation order, sorted by time per rep."""
        s, R = self.scenario, self.R
        times, kinds = [], []
        for p, pool in enumerate(s.pools):
            times.append(np.broadcast_to(params[f"fleet.{pool.name}.available_at"], (R,)))
            kinds.append((0, p, 0, 0))
        for g, group in enumerate(s.groups):
            for k, (t, n) in enumerate(group.arrivals, start=1):
                times.append(np.full(R, t))
                kinds.append((1, g, k, n))
        self.arrival_kind = np.array(kinds, dtype=np.int64).reshape(-1, 4)
        times = np.array(times).reshape(-1, R)
        order = np.argsort(times, axis=0, kind="stable")
        self.arrival_times = np.vstack([np.take_along_axis(times, order, 0), np.full((1, R), INF)])
        self.arrival_order = order
        self.arrival_next = np.zeros(R, dtype=np.int64)

    def _ceasefire_start(self, params: BatchParameters) -> None:
        rules, R = self.scenario.ceasefire, self.R
        self.active = np.ones(R, dtype=bool)
        self.until = np.zeros(R)
        self.negotiated = np.zeros(R, dtype=np.int64)
        self.breaches = np.zeros(R, dtype=np.int64)
        self.breach_rate = params["ceasefire.breach_rate"]
        self.max_hold = params["ceasefire.max_hold"]
        self.incident_probability = params["route.incident_probability"]
        self.turn_back_mode = rules.before_checkpoint == "turn_back"
        self.windows = rules.windows
        self.window_start = np.array([w.start for w in rules.windows] + [INF])
        self.window_next = np.zeros(R, dtype=np.int64)
        self.resume_due = np.full(R, INF)
        self.breach_due = np.full(R, INF)
        self.hazard_since = np.zeros(R)
        self.extra_rate = np.zeros(R)  # breaches per hour added by the linkage rule
        all_reps = np.arange(R)
        self.hazard_left = self._hazard_gap(all_reps)
        self._arm_breach(all_reps)

    def _linkage_start(self, params: BatchParameters) -> None:
        """The linked site's first convoy may leave at its start (a timer made now)."""
        R, linkage = self.R, self.scenario.linkage
        self.ahead = np.zeros(R, dtype=bool)
        self.linked_due = np.full(R, INF)  # never due without a linkage
        self.linked_seq = np.zeros(R, dtype=np.int64)
        if linkage is None:
            return
        self.linked_people = params["linkage.people"]
        self.linked_per_convoy = params["linkage.per_convoy"]
        self.linked_start = params["linkage.start"]
        self.max_lag = params["linkage.max_lag"]
        self.lag_breach_rate = params["linkage.lag_breach_rate"]
        self.linked_trip = params.dist("linkage.trip", linkage.trip)
        self.linked_sent = np.zeros(R, dtype=np.int64)
        self.linked_n = np.zeros(R, dtype=np.int64)  # people in the linked convoy on its way
        self.linked_travelling = np.zeros(R, dtype=bool)
        self.linked_due[:] = np.broadcast_to(self.linked_start, (R,))
        self.linked_seq[:] = self.seq
        self.seq += 1

    def _grow_slots(self, slots: int) -> None:
        """Room for ``slots`` convoys in flight per replication."""
        R, G, K, P, old = self.R, self.G, self.K, self.P, self.slots

        def grow(name: str, shape: tuple, fill, dtype) -> None:
            fresh = np.full((slots - old, *shape), fill, dtype=dtype)
            current = getattr(self, name, None)
            setattr(self, name, fresh if current is None else np.concatenate([current, fresh]))

        grow("c_number", (R,), -1, np.int64)
        grow("c_stage", (R,), 0, np.int8)
        grow("c_next", (R,), INF, float)
        grow("c_seq", (R,), 0, np.int64)
        grow("c_vehicles", (P, R), 0, np.int64)
        grow("c_manifest", (R, G, K), 0, np.int32)  # a replication's block is contiguous
        grow("c_groups", (G, R), 0, np.int64)
        grow("c_people", (R,), 0, np.int64)
        grow("c_formed", (R,), 0.0, float)
        grow("c_departed", (R,), np.nan, float)
        grow("c_at_checkpoint", (R,), np.nan, float)
        grow("c_hold_seq", (R,), 0, np.int64)
        grow("c_hop", (R,), False, bool)
        self.slots = slots

    # -- variates -------------------------------------------------------------------------

    def _u(self, stream: str, idx: np.ndarray, index: np.ndarray | int) -> np.ndarray:
        return self.variates.uniform(stream, self.rep[idx], index)

    def _convoy_u(self, stream: str, idx: np.ndarray, convoy: np.ndarray) -> np.ndarray:
        """Uniforms of convoys ``convoy`` of replications ``idx`` in a per-convoy stream.

        A replication's convoy variates are drawn 16 convoys at a time into a table, with
        consecutive indices so one Philox block gives four of them: the same numbers as
        drawing each alone, for a quarter of the work. Per-pool streams (loading,
        unloading) hold ``MAX_POOLS`` columns per convoy, of which the pools' are drawn.
        """
        table = self._tables.get(stream)
        width = 0 if table is None else table.shape[1]
        if convoy.max(initial=-1) >= width:
            grow = max(16, int(convoy.max()) + 1 - width)
            reps = self.rep[:, None]
            if stream in ("load", "unload"):
                number = np.arange(width, width + grow)[:, None] * MAX_POOLS
                index = (number + np.arange(self.P)).reshape(1, -1)
                fresh = self.variates.uniform(stream, reps, index).reshape(self.R, grow, -1)
            else:
                fresh = self.variates.uniform(stream, reps, np.arange(width, width + grow)[None])
            table = fresh if table is None else np.concatenate([table, fresh], axis=1)
            self._tables[stream] = table
        return table[idx, convoy]

    def _slowest(self, stream: str, slot: np.ndarray, idx: np.ndarray, dists) -> np.ndarray:
        """Hours until the slowest vehicle of each convoy has loaded (or unloaded)."""
        longest = np.zeros(len(idx))
        drawn = self._convoy_u(stream, idx, self.c_number[slot, idx])  # (n, pools)
        for p in range(self.P):
            n = self.c_vehicles[slot, p, idx]
            has = n > 0
            if has.any():
                u = slowest_uniform(drawn[has, p], n[has])
                longest[has] = np.maximum(longest[has], dists[p].ppf(u, idx[has]))
        return longest

    def _leg(self, leg: str, slot: np.ndarray, idx: np.ndarray) -> np.ndarray:
        return self.legs[leg].ppf(self._convoy_u(leg, idx, self.c_number[slot, idx]), idx)

    def _hazard_gap(self, idx: np.ndarray) -> np.ndarray:
        return -np.log1p(-self._u("breach", idx, self.breaches[idx]))

    def _set_timer(self, slot: np.ndarray, idx: np.ndarray, at: np.ndarray, stage: int) -> None:
        self.c_next[slot, idx] = at
        self.c_stage[slot, idx] = stage
        self.c_seq[slot, idx] = self.seq[idx]
        self.seq[idx] += 1

    # -- the ceasefire ------------------------------------------------------------------

    def _rate(self, idx: np.ndarray) -> np.ndarray:
        """Breaches per hour while active."""
        return pick(self.breach_rate, idx) + self.extra_rate[idx]

    def _set_extra_rate(self, idx: np.ndarray, extra: np.ndarray) -> None:
        """Change the extra breach rate; the hazard used so far is kept."""
        armed = self.active[idx] & np.isfinite(self.breach_due[idx])
        a = idx[armed]
        self.hazard_left[a] -= self._rate(a) * (self.now[a] - self.hazard_since[a])
        self.breach_due[a] = INF
        self.extra_rate[idx] = extra
        self._arm_breach(idx[self.active[idx]])

    def _arm_breach(self, idx: np.ndarray) -> None:
        rate = self._rate(idx)
        on = rate > 0
        if on.any():
            j, rate_j = idx[on], rate[on]
            self.hazard_since[j] = self.now[j]
            with np.errstate(over="ignore"):  # a vanishing rate: no breach, ever
                self.breach_due[j] = self.now[j] + self.hazard_left[j] / rate_j

    def suspend(
        self,
        idx: np.ndarray,
        cause: str | list[str],
        end: np.ndarray | None,
        exclude_slot: np.ndarray | None = None,
    ) -> None:
        """The ceasefire breaks in replications ``idx``; ``end`` NaN means negotiated."""
        now = self.now[idx]
        end = np.full(len(idx), np.nan) if end is None else np.asarray(end, dtype=float)
        negotiated = np.isnan(end)
        if negotiated.any():
            j, k = idx[negotiated], self.negotiated[idx[negotiated]]
            self.negotiated[j] += 1
            delay = self.negotiation.ppf(self._u("negotiation", j, k), j)
            end[negotiated] = (
                now[negotiated] + delay + self.guarantee.ppf(self._u("guarantee", j, k), j)
            )
        was_active = self.active[idx]
        extend = idx[~was_active]
        self.until[extend] = np.maximum(self.until[extend], end[~was_active])
        j = idx[was_active]
        if not len(j):
            return
        self.active[j] = False
        self.until[j] = end[was_active]
        self.books.suspension_starts(j)
        note = cause if isinstance(cause, str) else np.asarray(cause, dtype=object)[was_active]
        self.books.record(j, "ceasefire_suspended", note=note)
        armed = np.isfinite(self.breach_due[j])
        if armed.any():
            a = j[armed]
            self.hazard_left[a] -= self._rate(a) * (self.now[a] - self.hazard_since[a])
            self.breach_due[a] = INF
        self.resume_due[j] = self.until[j]
        if self.turn_back_mode:
            stage = self.c_stage[:, j]
            hit = np.isin(stage, BEFORE_CHECKPOINT)
            if exclude_slot is not None:
                hit[exclude_slot[was_active], np.arange(len(j))] = False
            self.deferred.append((hit, j))

    def _window(self, idx: np.ndarray) -> None:
        w = self.window_next[idx]
        self.window_next[idx] += 1
        ends = np.array([np.nan if x.end is None else x.end for x in self.windows])[w]
        causes = [self.windows[i].reason or "scheduled" for i in w]
        self.suspend(idx, causes, ends)

    def _breach(self, idx: np.ndarray) -> None:
        self.breach_due[idx] = INF
        self.breaches[idx] += 1
        self.hazard_left[idx] = self._hazard_gap(idx)
        self.suspend(idx, "breach of the ceasefire", None)

    def _resume(self, idx: np.ndarray) -> None:
        later = self.now[idx] < self.until[idx]
        self.resume_due[idx[later]] = self.until[idx[later]]
        j = idx[~later]
        self.resume_due[j] = INF
        self.active[j] = True
        self.books.suspension_ends(j)
        self.books.record(j, "ceasefire_resumes")
        # held convoys still waiting move on, in the order they stopped; one already woken
        # at this instant (by an earlier resumption or its max_hold) keeps its place
        held = np.isin(self.c_stage[:, j], (HELD_PICKUP, HELD_CHECKPOINT)) & (
            self.c_next[:, j] > self.now[j]
        )
        if held.any():
            order = np.argsort(
                np.where(held, self.c_hold_seq[:, j], np.iinfo(np.int64).max), axis=0, kind="stable"
            )
            for rank in range(held.sum(0).max()):
                slot = order[rank]
                on = held[slot, np.arange(len(j))]
                self.c_next[slot[on], j[on]] = self.now[j[on]]
                self.c_seq[slot[on], j[on]] = self.seq[j[on]]
                self.seq[j[on]] += 1
        self._arm_breach(j)
        self._linked_try(j)
        self.kick(j)

    # -- the linked site ----------------------------------------------------------------

    def _gap(self, idx: np.ndarray) -> np.ndarray:
        """This side's evacuated share minus the linked site's (shares of 1)."""
        people = pick(self.linked_people, idx)
        with np.errstate(invalid="ignore", divide="ignore"):
            linked = np.where(people > 0, self.books.linked_evacuated[idx] / people, 1.0)
        own = self.evacuated[idx] / self.people if self.people else np.ones(len(idx))
        return own - linked

    def _linked_try(self, idx: np.ndarray) -> None:
        """A linked convoy leaves where none is on its way, the ceasefire holds and the
        linked site is not ahead by more than the deal allows."""
        if self.scenario.linkage is None:
            return
        people = pick(self.linked_people, idx)
        go = (
            (self.now[idx] >= pick(self.linked_start, idx))
            & ~self.linked_travelling[idx]
            & (self.linked_sent[idx] < people)
            & self.active[idx]
        )
        go[go] = ~(-self._gap(idx[go]) > pick(self.max_lag, idx[go]))
        j = idx[go]
        if not len(j):
            return
        k = self.books.linked_convoys[j]
        n = np.minimum(
            pick(self.linked_per_convoy, j), pick(self.linked_people, j) - self.linked_sent[j]
        )
        n = n.astype(np.int64)
        self.linked_sent[j] += n
        self.linked_n[j] = n
        self.linked_travelling[j] = True
        self.books.record(j, "linked_departs", k, note=self.scenario.linkage.site, people=n)
        trip = self.linked_trip.ppf(self._u("linked_trip", j, k), j)
        self.linked_due[j] = self.now[j] + trip
        self.linked_seq[j] = self.seq[j]
        self.seq[j] += 1

    def _linked_event(self, idx: np.ndarray) -> None:
        """The linked site's timer: its first convoy may leave, or a convoy arrives."""
        self.linked_due[idx] = INF
        travelling = self.linked_travelling[idx]
        self._linked_try(idx[~travelling])
        j = idx[travelling]
        if not len(j):
            return
        n = self.linked_n[j]
        self.linked_travelling[j] = False
        self.books.linked_evacuated[j] += n
        self.books.linked_convoys[j] += 1
        site = self.scenario.linkage.site
        self.books.record(
            j, "linked_arrives", self.books.linked_convoys[j] - 1, note=site, people=n
        )
        self._check_lag(j)
        self._linked_try(j)
        self.kick(j)

    def _check_lag(self, idx: np.ndarray) -> None:
        """Pause this side, and raise the breach hazard, while it is ahead beyond the deal."""
        ahead = self._gap(idx) > pick(self.max_lag, idx)
        changed = ahead != self.ahead[idx]
        j, ahead = idx[changed], ahead[changed]
        if not len(j):
            return
        self.ahead[j] = ahead
        site = self.scenario.linkage.site
        self.books.pause_starts(j[ahead])
        self.books.record(j[ahead], "linkage_pause", note=site)
        self.books.pause_ends(j[~ahead])
        self.books.record(j[~ahead], "linkage_resume", note=site)
        self._set_extra_rate(j, np.where(ahead, pick(self.lag_breach_rate, j), 0.0))

    # -- arrivals -------------------------------------------------------------------------

    def _arrive(self, idx: np.ndarray) -> None:
        event = self.arrival_order[self.arrival_next[idx], idx]
        self.arrival_next[idx] += 1
        kind, who, cohort, n = self.arrival_kind[event].T
        vehicles = kind == 0
        for p in np.unique(who[vehicles]):
            j = idx[vehicles & (who == p)]
            self._make_idle(j, p, self.count[p, j])
            counts = np.zeros((self.P, len(j)), dtype=np.int64)
            counts[p] = self.count[p, j]
            self.books.record(j, "vehicles_arrive", vehicles=counts)
        people = ~vehicles
        if people.any():
            j, g, k, m = idx[people], who[people], cohort[people], n[people]
            self.queue[g, k, j] += m
            self.books.change_waiting(j, m, boarding=False)
            groups = np.zeros((self.G, len(j)), dtype=np.int64)
            groups[g, np.arange(len(j))] = m
            self.books.record(j, "people_arrive", groups=groups)
        self.kick(idx)

    def _make_idle(self, idx: np.ndarray, p: int, n: np.ndarray) -> None:
        first = self.idle[p, idx] == 0
        self.idle_since[p, idx[first]] = self.now[idx[first]]
        self.idle[p, idx] += n

    # -- the dispatcher -------------------------------------------------------------------

    def kick(self, idx: np.ndarray) -> None:
        """Decide about a convoy after this instant's events."""
        self.decide_due[idx] = np.minimum(self.decide_due[idx], self.now[idx])

    def _decide(self, idx: np.ndarray) -> None:
        now = self.now[idx]
        self.decide_due[idx] = np.where(self.decide_due[idx] == now, INF, self.decide_due[idx])
        self.deadline_due[idx] = np.where(
            self.deadline_due[idx] == now, INF, self.deadline_due[idx]
        )
        room = pick(self.params["convoy.max_in_corridor"], idx)
        idx = idx[
            self.active[idx]
            & ~self.loading[idx]
            & (self.in_corridor[idx] < room)
            & ~self.ahead[idx]
        ]
        if not len(idx):
            return
        waiting = self.queue[:, :, idx].sum(axis=1)  # (G, n)
        seated, vehicles = self._allocate(waiting, idx)
        boarding = seated.sum(axis=(0, 1))
        go = boarding > 0
        hours = self.scenario.convoy.departure_hours
        if hours is not None:  # outside departure hours: decide again at the opening
            open_now, opening = gate(hours, self.scenario.start_hour, self.now[idx])
            closed = go & ~open_now
            j = idx[closed]
            self.deadline_due[j] = np.minimum(self.deadline_due[j], opening[closed])
            go &= open_now
        idx, seated, vehicles, waiting, boarding = (
            x[..., go] for x in (idx, seated, vehicles, waiting, boarding)
        )
        short = (vehicles.sum(0) < pick(self.params["convoy.min_vehicles"], idx)) & (
            boarding < waiting.sum(0)
        )
        if short.any():
            j = idx[short]
            since = np.where(vehicles[:, short] > 0, self.idle_since[:, j], INF).min(axis=0)
            deadline = since + pick(self.params["convoy.max_wait"], j)
            wait = self.now[j] < deadline
            self.deadline_due[j[wait & np.isfinite(deadline)]] = deadline[
                wait & np.isfinite(deadline)
            ]
            short[np.flatnonzero(short)[wait]] = True
            short[np.flatnonzero(short)[~wait]] = False
        form = ~short
        if form.any():
            self._form(idx[form], seated[..., form], vehicles[:, form])

    def _allocate(self, waiting: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Seats by group and pool, and vehicles by pool: see :func:`sim.boarding.allocate`."""
        capacity = self.capacity[:, idx]
        free = np.minimum(self.idle[:, idx], self.per_convoy[:, idx]) * capacity
        seated = np.zeros((self.G, self.P, len(idx)), dtype=np.int64)
        for g in self.order:
            left = waiting[g].copy()
            for p in self.carriers[g]:
                take = np.minimum(left, free[p])
                seated[g, p] += take
                free[p] -= take
                left -= take
        vehicles = -(-seated.sum(axis=0) // capacity)
        return seated, vehicles

    def _form(self, idx: np.ndarray, seated: np.ndarray, vehicles: np.ndarray) -> None:
        take = seated.sum(axis=1)  # (G, n)
        queue = self.queue[:, :, idx]
        before = np.cumsum(queue, axis=1) - queue
        manifest = np.clip(take[:, None, :] - before, 0, queue)  # first come, first served
        self.queue[:, :, idx] -= manifest
        self.idle[:, idx] -= vehicles
        slot = self._free_slot(idx)
        self.c_number[slot, idx] = self.convoys[idx]
        self.convoys[idx] += 1
        self.loading[idx] = True
        self.c_vehicles[slot, :, idx] = vehicles.T
        self.c_manifest[slot, idx] = manifest.transpose(2, 0, 1)
        groups = manifest.sum(axis=1)
        self.c_groups[slot, :, idx] = groups.T
        self.c_people[slot, idx] = groups.sum(axis=0)
        self.c_formed[slot, idx] = self.now[idx]
        self.c_departed[slot, idx] = np.nan
        self.c_at_checkpoint[slot, idx] = np.nan
        self.books.change_waiting(idx, -self.c_people[slot, idx], boarding=True)
        self.books.convoy_event(slot, idx, "convoy_forms")
        self._set_timer(
            slot, idx, self.now[idx] + self._slowest("load", slot, idx, self.load_time), LOADING
        )

    def _free_slot(self, idx: np.ndarray) -> np.ndarray:
        free = self.c_number[:, idx] < 0
        if not free.any(axis=0).all():
            self._grow_slots(2 * self.slots)
            free = self.c_number[:, idx] < 0
        return free.argmax(axis=0)

    # -- convoys --------------------------------------------------------------------------

    def _convoy(self, slot: np.ndarray, idx: np.ndarray) -> None:
        """Each convoy whose timer fired takes its next step."""
        stage = self.c_stage[slot, idx]
        for code, step in (
            (LOADING, self._at_pickup),
            (HELD_PICKUP, self._held_at_pickup),
            (TO_CHECKPOINT, self._reach_checkpoint),
            (INSPECTION, self._inspected),
            (HELD_CHECKPOINT, self._held_at_checkpoint),
            (TO_RECEPTION, self._reach_reception),
            (UNLOADING, self._unloaded),
            (RETURNING, self._returned),
            (TURNING_BACK, self._back_at_pickup),
        ):
            here = stage == code
            if here.any():
                step(slot[here], idx[here])

    def _at_pickup(self, slot: np.ndarray, idx: np.ndarray) -> None:
        """Loaded: leave if the ceasefire holds and the headway has passed."""
        now = self.now[idx]
        suspended = ~self.active[idx]
        if suspended.any():
            self._hold(slot[suspended], idx[suspended], HELD_PICKUP, "at the pickup")
        ready = self.last_departure[idx] + pick(self.params["convoy.headway"], idx)
        early = ~suspended & (now < ready)
        if early.any():
            self._set_timer(slot[early], idx[early], ready[early], LOADING)
        go = ~suspended & ~early
        if go.any():
            self._depart(slot[go], idx[go])

    def _depart(self, slot: np.ndarray, idx: np.ndarray) -> None:
        now = self.now[idx]
        self.c_departed[slot, idx] = now
        self.last_departure[idx] = now
        self.loading[idx] = False
        self.in_corridor[idx] += 1
        self.books.departure(idx)
        self.books.convoy_event(slot, idx, "convoy_departs")
        self.kick(idx)
        self._set_timer(slot, idx, now + self._leg("to_checkpoint", slot, idx), TO_CHECKPOINT)

    def _hold(self, slot: np.ndarray, idx: np.ndarray, stage: int, where: str) -> None:
        self.books.convoy_event(slot, idx, "held", where)
        self.books.change_held(idx, self.c_people[slot, idx])
        self._set_timer(slot, idx, self.now[idx] + pick(self.max_hold, idx), stage)
        self.c_hold_seq[slot, idx] = self.c_seq[slot, idx]
        self.c_hop[slot, idx] = False

    def _wakes(self, slot: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """Which held convoys act now; the others take one more scheduling hop first.

        A convoy held with a finite ``max_hold`` waits for the resumption *or* its timer;
        in the reference engine that condition is an event of its own, scheduled when
        either fires, so the convoy moves one event later than a plain wait would.
        """
        finite = np.broadcast_to(np.isfinite(pick(self.max_hold, idx)), idx.shape)
        hop = finite & ~self.c_hop[slot, idx]
        if hop.any():
            s, j = slot[hop], idx[hop]
            self.c_hop[s, j] = True
            self.c_seq[s, j] = self.seq[j]
            self.seq[j] += 1
        return ~hop

    def _held_at_pickup(self, slot: np.ndarray, idx: np.ndarray) -> None:
        wake = self._wakes(slot, idx)
        slot, idx = slot[wake], idx[wake]
        self.books.change_held(idx, -self.c_people[slot, idx])
        on = self.active[idx]
        if on.any():
            self._at_pickup(slot[on], idx[on])
        if (~on).any():
            self._turn_back(slot[~on], idx[~on])

    def _reach_checkpoint(self, slot: np.ndarray, idx: np.ndarray) -> None:
        self.c_at_checkpoint[slot, idx] = self.now[idx]
        self.books.convoy_event(slot, idx, "reaches_checkpoint")
        self._set_timer(slot, idx, self.now[idx] + self._leg("inspection", slot, idx), INSPECTION)

    def _inspected(self, slot: np.ndarray, idx: np.ndarray) -> None:
        incident = self.active[idx] & (
            self._convoy_u("incident", idx, self.c_number[slot, idx])
            < pick(self.incident_probability, idx)
        )
        if incident.any():
            j, s = idx[incident], slot[incident]
            self.books.incidents[j] += 1
            self.books.convoy_event(s, j, "incident")
            self.suspend(j, "incident at the checkpoint", np.full(len(j), np.nan), exclude_slot=s)
        stopped = ~self.active[idx]
        if stopped.any():
            if self.turn_back_mode:
                self._turn_back(slot[stopped], idx[stopped])
            else:
                self._hold(slot[stopped], idx[stopped], HELD_CHECKPOINT, "at the checkpoint")
        if (~stopped).any():
            self._pass(slot[~stopped], idx[~stopped])

    def _held_at_checkpoint(self, slot: np.ndarray, idx: np.ndarray) -> None:
        wake = self._wakes(slot, idx)
        slot, idx = slot[wake], idx[wake]
        self.books.change_held(idx, -self.c_people[slot, idx])
        on = self.active[idx]
        if on.any():
            self._pass(slot[on], idx[on])
        if (~on).any():
            self._turn_back(slot[~on], idx[~on])

    def _pass(self, slot: np.ndarray, idx: np.ndarray) -> None:
        self.books.convoy_event(slot, idx, "passes_checkpoint")
        self._set_timer(
            slot, idx, self.now[idx] + self._leg("to_reception", slot, idx), TO_RECEPTION
        )

    def _turn_back(self, slot: np.ndarray, idx: np.ndarray) -> None:
        """Drive back as far as the convoy came; its people rejoin the queue on arrival."""
        now = self.now[idx]
        self.books.turned_back[idx] += 1
        self.books.convoy_event(slot, idx, "turned_back")
        departed, at_checkpoint = self.c_departed[slot, idx], self.c_at_checkpoint[slot, idx]
        at_pickup = np.isnan(departed)
        self.loading[idx[at_pickup]] = False
        travelled = np.where(
            at_pickup,
            0.0,
            np.where(np.isnan(at_checkpoint), now - departed, at_checkpoint - departed),
        )
        self._set_timer(slot, idx, now + travelled, TURNING_BACK)

    def _back_at_pickup(self, slot: np.ndarray, idx: np.ndarray) -> None:
        self.queue[:, :, idx] += self.c_manifest[slot, idx].transpose(1, 2, 0)
        self.books.change_waiting(idx, self.c_people[slot, idx], boarding=True)
        departed = ~np.isnan(self.c_departed[slot, idx])
        self.in_corridor[idx[departed]] -= 1
        self._vehicles_back(slot, idx, "back_at_pickup")

    def _reach_reception(self, slot: np.ndarray, idx: np.ndarray) -> None:
        self.in_corridor[idx] -= 1
        self.evacuated[idx] += self.c_people[slot, idx]
        self.books.reception(slot, idx)
        self.books.convoy_event(slot, idx, "reaches_reception")
        cleared = self.evacuated[idx] == self.people
        if cleared.any():
            self.books.cleared_at[idx[cleared]] = self.now[idx[cleared]]
            self.books.record(idx[cleared], "cleared")
        if self.scenario.linkage is not None:  # once clear, the run ends: no more pauses
            self._check_lag(idx[~cleared])
            self._linked_try(idx[~cleared])
        self.kick(idx)
        self._set_timer(
            slot,
            idx,
            self.now[idx] + self._slowest("unload", slot, idx, self.unload_time),
            UNLOADING,
        )

    def _unloaded(self, slot: np.ndarray, idx: np.ndarray) -> None:
        self.books.convoy_event(slot, idx, "unloaded")
        self._set_timer(slot, idx, self.now[idx] + self._leg("return_trip", slot, idx), RETURNING)

    def _returned(self, slot: np.ndarray, idx: np.ndarray) -> None:
        self._vehicles_back(slot, idx, "vehicles_return")

    def _vehicles_back(self, slot: np.ndarray, idx: np.ndarray, event: str) -> None:
        for p in range(self.P):
            n = self.c_vehicles[slot, p, idx]
            if (n > 0).any():
                self._make_idle(idx[n > 0], p, n[n > 0])
        self.books.convoy_idle(slot, idx)
        self.books.convoy_event(slot, idx, event)
        self.kick(idx)
        self.c_number[slot, idx] = -1
        self.c_stage[slot, idx] = 0
        self.c_next[slot, idx] = INF

    def _run_deferred(self) -> None:
        """Turn back convoys interrupted by a suspension, in convoy order.

        Interruptions are urgent events created after the suspension's resume timer, so a
        suspension that ends the instant it starts resumes first.
        """
        while self.deferred:
            hit, idx = self.deferred.pop(0)
            if len(hit) < self.slots:  # other replications added convoy slots meanwhile
                hit = np.vstack([hit, np.zeros((self.slots - len(hit), len(idx)), bool)])
            instant = self.resume_due[idx] == self.now[idx]
            if instant.any():
                self._resume(idx[instant])
            number = np.where(hit, self.c_number[:, idx], np.iinfo(np.int64).max)
            order = np.argsort(number, axis=0, kind="stable")
            for rank in range(hit.sum(0).max(initial=0)):
                slot = order[rank]
                on = hit[slot, np.arange(len(idx))]
                self._turn_back(slot[on], idx[on])

    # -- the main loop ----------------------------------------------------------------------

    def run(self) -> Replications:
        """Advance every replication to its horizon or its clearance; return the results."""
        horizon = self.scenario.horizon
        act = np.arange(self.R)
        while act.size:
            urgent = np.minimum(
                np.minimum(self.window_start[self.window_next[act]], self.breach_due[act]),
                self.resume_due[act],
            )
            arrival = self.arrival_times[self.arrival_next[act], act]
            slot_next = self.c_next[:, act]
            convoy_t = slot_next.min(axis=0)
            normal = np.minimum(np.minimum(arrival, convoy_t), self.linked_due[act])
            late = np.minimum(self.decide_due[act], self.deadline_due[act])
            t = np.minimum(np.minimum(urgent, normal), late)
            done = (t >= horizon) | (t > self.books.cleared_at[act])
            if done.any():
                self.books.finish(act[done])
                keep = ~done
                act, t, urgent, arrival, convoy_t, normal = (
                    x[keep] for x in (act, t, urgent, arrival, convoy_t, normal)
                )
                slot_next = slot_next[:, keep]
                if not act.size:
                    break
            self.books.fill_series(act, t)
            self.now[act] = t
            is_urgent = urgent == t
            is_normal = ~is_urgent & (normal == t)
            is_late = ~is_urgent & ~is_normal
            if is_urgent.any():
                j = act[is_urgent]
                window = self.window_start[self.window_next[j]] == self.now[j]
                breach = ~window & (self.breach_due[j] == self.now[j])
                resume = ~window & ~breach
                if window.any():
                    self._window(j[window])
                if breach.any():
                    self._breach(j[breach])
                if resume.any():
                    self._resume(j[resume])
            if is_normal.any():
                j = act[is_normal]
                arriving = arrival[is_normal] == t[is_normal]
                if arriving.any():
                    self._arrive(j[arriving])
                moving = ~arriving
                if moving.any():
                    jj = j[moving]
                    times = slot_next[:, is_normal][:, moving]
                    tie = times == t[is_normal][moving]
                    seqs = np.where(tie, self.c_seq[:, jj], np.iinfo(np.int64).max)
                    # the linked site's timer goes first if it is due and older
                    linked = (self.linked_due[jj] == self.now[jj]) & (
                        self.linked_seq[jj] < seqs.min(axis=0)
                    )
                    if linked.any():
                        self._linked_event(jj[linked])
                    if (~linked).any():
                        self._convoy(seqs.argmin(axis=0)[~linked], jj[~linked])
            if is_late.any():
                self._decide(act[is_late])
            self._run_deferred()
        return self.books.replications()


def run_vector(
    scenario: Scenario,
    reps: int,
    seed: int,
    first_rep: int = 0,
    parameters: dict[str, np.ndarray] | None = None,
    rep_ids: np.ndarray | None = None,
) -> Replications:
    """Run replications ``first_rep .. first_rep + reps - 1`` with the batch engine.

    Parameters
    ----------
    scenario : Scenario
    reps : int
    seed : int
        As for :func:`sim.engines.des.run_des`: replication ``r`` gives the same result in
        either engine and in any batch.
    first_rep : int
    parameters : dict of str to ndarray, optional
        Numeric scenario inputs that differ per replication, by key path, each of shape
        ``(reps,)`` (see :mod:`sim.engines.batch_params`).
    rep_ids : ndarray of int, optional
        Replication numbers, shape ``(reps,)``, instead of the consecutive ones: sweep
        points sharing one batch each reuse replications ``0 .. n-1`` (common random
        numbers), and a replication's number alone fixes its variates.
    """
    params = batch_parameters(scenario, reps, parameters)
    if rep_ids is None:
        rep_ids = first_rep + np.arange(reps)
    elif np.shape(rep_ids) != (reps,):
        raise ValueError(f"rep_ids must have shape ({reps},), got {np.shape(rep_ids)}")
    return Batch(scenario, params, seed, rep_ids).run()
