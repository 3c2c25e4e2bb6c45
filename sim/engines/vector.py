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
vehicles ``(pools, R)``, convoys in flight in slots ``(slots, R)``. This module holds the
batch's start, the variates and the main loop; the set-up (the fleet, the distributions, the
arrivals calendar, the convoy slots) is :mod:`~sim.engines.batch_setup`, and the events are
mixed in by concept: the pickup and its dispatcher (:mod:`~sim.engines.batch_pickup`), convoys
(:mod:`~sim.engines.batch_convoys`), the crossing (:mod:`~sim.engines.batch_crossing`), private
vehicles (:mod:`~sim.engines.batch_private`), the
ceasefire (:mod:`~sim.engines.batch_ceasefire`), the linked site
(:mod:`~sim.engines.batch_linkage`) and the exchange (:mod:`~sim.engines.batch_exchange`).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from sim.engines.batch_after_safe import BatchAfterSafe
from sim.engines.batch_books import BatchBooks
from sim.engines.batch_ceasefire import BatchCeasefire
from sim.engines.batch_convoys import BatchConvoys
from sim.engines.batch_corridor import BatchCorridor
from sim.engines.batch_crossing import BatchCrossing
from sim.engines.batch_exchange import BatchExchange
from sim.engines.batch_linkage import BatchLinkage
from sim.engines.batch_params import BatchDistribution, BatchParameters, batch_parameters
from sim.engines.batch_pickup import BatchPickup
from sim.engines.batch_private import BatchPrivate
from sim.engines.batch_setup import BatchSetup
from sim.engines.batch_timetable import BatchTimetable
from sim.engines.compiled.run import FEWEST, compiled_loop, run_compiled
from sim.inputs.scenario import MAX_POOLS, Scenario
from sim.model.distributions import slowest_uniform
from sim.model.variates import Variates
from sim.outputs.records import Replications, interleaved

INF = np.inf
LAST = np.iinfo(np.int64).max
#: Indices a stream's table grows by: 16 for streams indexed by convoy; streams indexed by
#: a replication's breaches, suspensions or halts (a few each) start at one Philox block
#: and double.
FEW_INDICES, MOST_INDICES = 4, 16
FEW_DRAWS = ("breach", "negotiation", "guarantee", "exchange_halt", "exchange_halt_duration")


class Batch(
    BatchSetup,
    BatchPickup,
    BatchConvoys,
    BatchCorridor,
    BatchCrossing,
    BatchPrivate,
    BatchCeasefire,
    BatchLinkage,
    BatchExchange,
    BatchAfterSafe,
    BatchTimetable,
):
    """Replications ``rep_ids`` of one scenario, advanced together."""

    def __init__(
        self,
        scenario: Scenario,
        params: BatchParameters,
        seed: int,
        rep_ids: np.ndarray,
        traced: Iterable[int] | None = None,
    ):
        s = self.scenario = scenario
        self.params = params
        self.variates = Variates(seed)
        self._tables: dict[str, np.ndarray] = {}  # uniforms by stream (see _u)
        self._durations: dict[str, np.ndarray] = {}  # hours by stream (see _hours)
        self.rep = np.asarray(rep_ids, dtype=np.int64)
        self.traced_reps = np.arange(s.trace_reps) if traced is None else np.array(list(traced))
        self.R = R = len(self.rep)
        G, P = len(s.groups), len(s.pools)
        self.G, self.P = G, P
        cohorts = [[0.0] + [t for t, _ in g.arrivals] for g in s.groups]
        self.K = K = max(len(c) for c in cohorts)
        self.cohort_times = np.array([c + [0.0] * (K - len(c)) for c in cohorts])  # (G, K)
        # the queue's cells: one per real (group, cohort), each group's cohorts side by side
        sizes = [len(c) for c in cohorts]
        self.group_start = np.cumsum([0] + sizes[:-1])
        starts = zip(self.group_start.tolist(), sizes, strict=True)
        self.group_cells = tuple(slice(a, a + n) for a, n in starts)
        self.cell_group = np.repeat(np.arange(G), sizes)
        self.cell_time = np.concatenate(cohorts)
        self.order = s.boarding_order
        self.carriers = s.carriers
        self._pool_params(params)
        self._dists(params)
        self._rules_start(params)
        self.now = np.zeros(R)
        self.queue = np.zeros((R, len(self.cell_time)), dtype=np.int64)
        for g, group in enumerate(s.groups):
            self.queue[:, self.group_start[g]] = params[f"population.{group.name}.count"]
        self.idle = np.zeros((P, R), dtype=np.int64)
        self.idle_since = np.full((P, R), INF)
        self.places = s.loading_places
        L = len(self.places)
        self.place_pools = np.array([[p in pools for p in range(P)] for pools in self.places])
        self.place_groups = np.array(
            [[bool(set(pools) & set(c)) for c in self.carriers] for pools in self.places]
        )  # (L, G): groups that pools of the place may carry
        self.loading = np.zeros((L, R), dtype=bool)
        self.room_tickets = np.zeros(R, dtype=np.int64)
        self.in_corridor = np.zeros(R, dtype=np.int64)
        self.last_departure = np.full((L, R), -INF)
        self.convoys = np.zeros(R, dtype=np.int64)
        self.evacuated = np.zeros(R, dtype=np.int64)
        self.people = self.queue[:, self.group_start].sum(axis=1) + sum(
            sum(np.broadcast_to(n, (R,)) for n in counts) for counts in params.arrivals
        )  # everyone who ever reaches the pickup, per replication
        self.seq = np.zeros(R, dtype=np.int64)  # timers created: ties go to the oldest
        self.decide_due = np.full(R, INF)
        self.deadline_due = np.full(R, INF)
        self.waited = np.zeros(R, dtype=np.int64)  # traced replications only
        self.waited_since = np.zeros(R)
        self._arrivals(params)
        self._ceasefire_start(params)
        self._linkage_start(params)
        self._exchange_start(params)
        self._after_safe_start(params)
        self._crossing_start(params)
        self._private_start(params)
        self.slots = 0
        self._grow_slots(4)
        self.books = BatchBooks(self)
        self.deferred: list[tuple[np.ndarray, np.ndarray]] = []  # turn-backs after an event

    # -- variates -------------------------------------------------------------------------

    def _u(self, stream: str, idx: np.ndarray, index: np.ndarray) -> np.ndarray:
        """Uniforms ``index`` (one per replication) of replications ``idx`` in ``stream``.

        A replication's variates are drawn 16 indices at a time into a table, for every
        replication of the batch at once and with consecutive indices, so one Philox block
        gives four of them: the same numbers as drawing each alone, for a few large calls
        instead of one small call per event. Per-pool streams (loading, unloading) hold
        ``MAX_POOLS`` columns per index (a convoy), of which the pools' are drawn.
        """
        return self._table(self._tables, stream, index)[idx, index]

    def _hours(
        self, stream: str, dist: BatchDistribution, idx: np.ndarray, index: np.ndarray
    ) -> np.ndarray:
        """Durations (hours) of ``dist`` for uniforms ``index`` of replications ``idx`` in
        ``stream``.

        As :meth:`_u`, with each table transformed once as it is drawn rather than each
        event's uniforms: the transform is elementwise, and numpy's ``exp``, ``log`` and
        ``sqrt`` (and scipy's ``ndtri``) give the same bits for a number alone, in a slice or
        in a whole table (``tests/test_variates.py``), so the same hours in far fewer calls.
        """
        return self._table(self._durations, stream, index, dist)[idx, index]

    def _table(
        self,
        tables: dict[str, np.ndarray],
        stream: str,
        index: np.ndarray,
        dist: BatchDistribution | None = None,
    ) -> np.ndarray:
        """``tables[stream]``, drawn (and transformed by ``dist``) at least to ``index``."""
        table = tables.get(stream)
        width = 0 if table is None else table.shape[1]
        if index.max(initial=-1) >= width:
            first = FEW_INDICES if stream in FEW_DRAWS else MOST_INDICES
            step = min(max(width, first), MOST_INDICES)  # 16, 32, 48...; few: 4, 8, 16, 32...
            grow = max(step, int(index.max()) + 1 - width)
            reps = self.rep[:, None]
            if stream in ("load", "unload"):
                number = np.arange(width, width + grow)[:, None] * MAX_POOLS
                index_ = (number + np.arange(self.P)).reshape(1, -1)
                fresh = self.variates.uniform(stream, reps, index_).reshape(self.R, grow, -1)
            else:
                fresh = self.variates.uniform(stream, reps, np.arange(width, width + grow)[None])
            if dist is not None:
                fresh = dist.ppf(fresh, np.arange(self.R)[:, None])
            table = fresh if table is None else np.concatenate([table, fresh], axis=1)
            tables[stream] = table
        assert table is not None  # drawn above unless no index was asked of a stream not drawn
        return table

    def _slowest(self, stream: str, slot: np.ndarray, idx: np.ndarray, dists) -> np.ndarray:
        """Hours until the slowest vehicle of each convoy has loaded (or unloaded)."""
        return self.slowest_of(
            stream, idx, self.c_number[slot, idx], self.c_vehicles[slot, :, idx], dists
        )

    def slowest_of(
        self,
        stream: str,
        idx: np.ndarray,
        number: np.ndarray,
        vehicles: np.ndarray,
        dists: list[BatchDistribution],
    ) -> np.ndarray:
        """Hours until the slowest vehicle has loaded (or unloaded) of convoys ``number`` of
        replications ``idx``, with ``vehicles`` by pool (shape ``(len(idx), P)``)."""
        longest = np.zeros(len(idx))
        drawn = self._u(stream, idx, number)  # (n, pools)
        for p in range(self.P):
            n = vehicles[:, p]
            has = n > 0
            if np.count_nonzero(has):
                u = slowest_uniform(drawn[has, p], n[has])
                longest[has] = np.maximum(longest[has], dists[p].ppf(u, idx[has]))
        return longest

    def _leg(
        self, leg: str, slot: np.ndarray, idx: np.ndarray, stream: str | None = None
    ) -> np.ndarray:
        """Hours of a leg starting now, times the period's inspection or travel factor;
        ``stream`` names the variates' stream if it is not the leg's (private columns)."""
        factor = self.inspection_factor if leg == "inspection" else self.travel_factor
        hours = self._hours(stream or leg, self.legs[leg], idx, self.c_number[slot, idx])
        return hours * factor[idx]

    def _set_timer(
        self, slot: np.ndarray, idx: np.ndarray, at: np.ndarray, stage: int | np.ndarray
    ) -> None:
        self.c_next[slot, idx] = at
        self.c_stage[slot, idx] = stage
        self.c_seq[slot, idx] = self.seq[idx]
        self.seq[idx] += 1

    # -- the main loop ----------------------------------------------------------------------

    def _next_times(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The next urgent event (the ceasefire's), arrival, and normal event (arrivals,
        convoys, the linked site) of replications ``idx``, hours."""
        urgent = np.minimum(
            np.minimum(self.window_start[self.window_next[idx]], self.breach_due[idx]),
            self.resume_due[idx],
        )
        arrival = self.arrival_times[self.arrival_next[idx], idx]
        normal = np.minimum(
            np.minimum(arrival, self.c_next.take(idx, axis=1).min(axis=0)), self.linked_due[idx]
        )
        return urgent, arrival, normal

    def _decide_in_pass(self, idx: np.ndarray) -> None:
        """Take the dispatcher's decisions that the events of this pass asked for now, in
        the replications of ``idx`` where no other event is due at this instant: the next
        pass would take them next (decisions come last at an instant), so this saves a pass
        of the main loop per decision and changes nothing else."""
        j = idx[self.decide_due[idx] == self.now[idx]]
        if not len(j):
            return
        urgent, _, normal = self._next_times(j)
        j = j[np.minimum(urgent, normal) > self.now[j]]
        if len(j):
            self._decide(j)
            self._run_deferred()

    def run(self) -> Replications:
        """Advance every replication to its horizon or its clearance; return the results."""
        horizon = self.scenario.horizon
        act = np.arange(self.R)
        # the masks here are tested with np.count_nonzero: a fraction of ndarray.any()'s
        # fixed cost, which a pass pays a dozen times (it dominates for small batches)
        while act.size:
            urgent, arrival, normal = self._next_times(act)
            late = np.minimum(self.decide_due[act], self.deadline_due[act])
            t = np.minimum(np.minimum(urgent, normal), late)
            done = (t > horizon) | (t > self.books.cleared_at[act])  # the horizon's instant counts
            if np.count_nonzero(done):
                self._private_finish(act[done])
                keep = ~done
                act, t, urgent, arrival, normal = (
                    x[keep] for x in (act, t, urgent, arrival, normal)
                )
                if not act.size:
                    break
            self.books.hourly.fill(act, t)
            self.now[act] = t
            is_urgent = urgent == t
            is_normal = ~is_urgent & (normal == t)
            is_late = ~is_urgent & ~is_normal
            if np.count_nonzero(is_urgent):
                j = act[is_urgent]
                window = self.window_start[self.window_next[j]] == self.now[j]
                breach = ~window & (self.breach_due[j] == self.now[j])
                resume = ~window & ~breach
                if np.count_nonzero(window):
                    self._window(j[window])
                if np.count_nonzero(breach):
                    self._breach(j[breach])
                if np.count_nonzero(resume):
                    self._resume(j[resume])
            if np.count_nonzero(is_normal):
                j = act[is_normal]
                arriving = arrival[is_normal] == t[is_normal]
                if np.count_nonzero(arriving):
                    self._arrive(j[arriving])
                moving = ~arriving
                if np.count_nonzero(moving):
                    jj = j[moving]
                    times = self.c_next.take(jj, axis=1)  # an arrival may have added slots
                    tie = times == t[is_normal][moving]
                    seqs = np.where(tie, self.c_seq.take(jj, axis=1), LAST)
                    # the linked site's timer goes first if it is due and older
                    linked = (self.linked_due[jj] == self.now[jj]) & (
                        self.linked_seq[jj] < seqs.min(axis=0)
                    )
                    if np.count_nonzero(linked):
                        self._linked_event(jj[linked])
                    if np.count_nonzero(~linked):
                        self._convoy(seqs.argmin(axis=0)[~linked], jj[~linked])
            if np.count_nonzero(is_late):
                self._decide(act[is_late])
            self._run_deferred()
            self._decide_in_pass(act[~is_late])
        # a finished replication's state no longer changes (no event reaches it) and its books
        # are closed elementwise, so all of them are closed at once: one call, not one a pass
        self.books.finish(np.arange(self.R))
        return self.books.replications()


def run_vector(
    scenario: Scenario,
    reps: int,
    seed: int,
    first_rep: int = 0,
    parameters: dict[str, np.ndarray] | None = None,
    rep_ids: np.ndarray | None = None,
    traced: Iterable[int] | None = None,
    loop: str = "",
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
    traced : iterable of int, optional
        The replication numbers whose events are traced; the first ``run.trace_reps`` by
        default.
    loop : {"", "numpy", "compiled"}
        How the main loop runs: in numpy, or compiled (:mod:`sim.engines.compiled`; the
        same results); ``""`` (the default) compiled where
        :func:`~sim.engines.compiled.run.compiled_loop` says it pays.
    """
    if loop not in ("", "numpy", "compiled"):
        raise ValueError(f"loop must be '', 'numpy' or 'compiled', got {loop!r}")
    params = batch_parameters(scenario, reps, parameters)
    if rep_ids is None:
        rep_ids = first_rep + np.arange(reps)
    elif np.shape(rep_ids) != (reps,):
        raise ValueError(f"rep_ids must have shape ({reps},), got {np.shape(rep_ids)}")
    if traced is None:
        traced = range(scenario.trace_reps)
    shown = np.isin(rep_ids, list(traced))
    split = reps >= 2 * FEWEST and compiled_loop(scenario, reps, traced=False)
    if not loop and np.count_nonzero(shown) and split:
        # the few traced replications in the numpy loop, the others compiled (a small batch
        # of the numpy loop costs ~0.1 s: below 2,000 replications it would not pay)
        parts = []
        for kind, these in (("numpy", shown), ("compiled", ~shown)):
            part = None if parameters is None else {k: v[these] for k, v in parameters.items()}
            marked = traced if kind == "numpy" else ()
            n = int(np.count_nonzero(these))
            parts.append(run_vector(scenario, n, seed, 0, part, rep_ids[these], marked, kind))
        return interleaved(parts, [shown, ~shown])
    batch = Batch(scenario, params, seed, rep_ids, traced)
    if loop == "compiled" or (not loop and compiled_loop(scenario, reps, batch.books.any_traced)):
        return run_compiled(batch)
    return batch.run()
