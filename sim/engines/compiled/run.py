"""Running a batch's replications in compiled code, and when to.

:func:`compiled_loop` says whether a batch runs its main loop compiled: numba installed
(``evacsim[fast]``), the scenario within the compiled mechanisms, no traced replication,
enough replications to repay numba's start in a process, and ``EVACSIM_LOOP`` not set to
``numpy``. :func:`run_compiled` runs it by blocks of replications, each in rounds: the
compiled loop advances every replication of the block until it ends or needs numpy; numpy
then gives those more table columns, convoy slots or room for wait records (or, where
numpy's own functions cannot be called from compiled code, those that formed a convoy its
slowest vehicles' loading and unloading hours); and so on until every replication of the
block has ended. The batch then closes its books as usual.
"""

from __future__ import annotations

import os
from dataclasses import fields
from importlib.util import find_spec
from typing import Any

import numpy as np

from sim.engines.batch_waits import BatchWaits
from sim.engines.compiled.layout import CLEARED_AT, TABLED
from sim.inputs.scenario import Scenario
from sim.outputs.records import Replications

#: Fewest replications a batch runs compiled: below, numba's start in a fresh process
#: (~0.7 s of CPU, its import and the cached loop's loading) costs more than it saves.
FEWEST = 1_000
#: Replications advanced together, all their rounds before the next block's: a block's
#: state stays in the processor's caches from one round to the next.
BLOCK = 2048
#: Convoys a replication's table by convoy has room for at first (then twice as many): the
#: baseline's replications form 9 on average.
FIRST_CONVOYS = 16
#: Suspensions and breaches the table by suspension has room for at first: the baseline's
#: windows and breaches need more than 4 in most blocks of replications, so not 4 then 8.
FIRST_SUSPENSIONS = 8


#: The inputs the compiled loop was written for, by the dataclass that holds them. A
#: mechanism added later (a new field of one of these) is refused until the loop runs it:
#: it would be ignored, not run wrong.
KNOWN = {
    "Scenario": (
        "name", "description", "start", "horizon", "groups", "pools", "convoy", "route",
        "ceasefire", "weather", "linkage", "exchange", "periods", "crossing", "private",
        "milestones", "reported", "reps", "seed", "trace_reps", "path", "files", "document",
    ),
    "Group": ("name", "count", "priority", "vehicles", "arrivals", "leaving"),
    "Pool": (
        "name", "count", "seats", "crowding", "available_at", "per_convoy", "load_time",
        "unload_time", "changes", "loading_place",
    ),
    "ConvoyRules": (
        "min_vehicles", "max_wait", "headway", "max_in_corridor", "departure_hours",
        "when_corridor_full",
    ),
    "Route": ("to_checkpoint", "inspection", "to_reception", "return_trip", "incident_probability"),
    "Ceasefire": (
        "breach_rate", "negotiation", "guarantee", "before_checkpoint", "max_hold",
        "max_hold_counts", "windows", "board_while_suspended",
    ),
    "Window": ("start", "end", "reason"),
    "Weather": ("days", "cold_below", "harm_per_person_hour", "start_hour", "horizon"),
    "Milestone": ("name", "at", "after_convoys"),
}  # fmt: skip


def compiled_supports(scenario: Scenario) -> str:
    """Why ``scenario`` cannot run compiled (the first mechanism outside the compiled
    ones), or ``""`` if it can."""
    s = scenario
    parts: list[Any] = [s, s.convoy, s.route, s.ceasefire, s.weather, *s.groups, *s.pools]
    for part in [*parts, *s.ceasefire.windows, *s.milestones]:
        known = KNOWN[type(part).__name__]
        new = [f.name for f in fields(part) if f.name not in known]
        if new:
            return f"{type(part).__name__}.{new[0]}, which the compiled loop does not know"
    for present, what in (
        (s.linkage is not None, "a linked site"),
        (bool(s.periods), "periods"),
        (s.crossing is not None, "a crossing"),
        (bool(s.private), "private vehicles"),
        (any(p.changes for p in s.pools), "fleet changes"),
        (s.leaving, "people leaving the queue"),
        (len(s.loading_places) > 1, "loading places"),
        (s.convoy.departure_hours is not None, "departure hours"),
        (s.convoy.when_corridor_full != "wait_to_depart", "when_corridor_full"),
    ):
        if present:
            return what
    return ""


def compiled_loop(scenario: Scenario, reps: int, traced: bool) -> bool:
    """Whether a batch of ``reps`` replications of ``scenario`` runs its loop compiled."""
    return (
        reps >= FEWEST
        and not traced
        and os.environ.get("EVACSIM_LOOP", "") != "numpy"
        and find_spec("numba") is not None
        and not compiled_supports(scenario)
    )


def run_compiled(batch) -> Replications:
    """Advance every replication of ``batch`` (a :class:`sim.engines.vector.Batch` just set
    up) in compiled code; its results, as ``batch.run()`` gives them.

    Raises
    ------
    ValueError
        If the scenario has a mechanism the loop does not compile, or a replication is
        traced (the compiled loop keeps no trace).
    ModuleNotFoundError
        If numba is not installed.
    """
    outside = compiled_supports(batch.scenario)
    if outside or batch.books.any_traced:
        why = f"the scenario has {outside}" if outside else "a replication is traced"
        raise ValueError(f"the compiled loop cannot run this batch: {why}")
    if find_spec("numba") is None:
        raise ModuleNotFoundError(
            "the compiled loop needs numba: pip install 'evacsim[fast]'", name="numba"
        )
    from sim.engines.batch_params import batch_parameters
    from sim.engines.compiled import layout
    from sim.engines.compiled.boxes import boxed
    from sim.engines.compiled.cache import load
    from sim.engines.compiled.hours import leg_terms, vehicle_terms
    from sim.engines.compiled.loop import advance
    from sim.engines.compiled.native import addresses
    from sim.engines.compiled.philox import CompiledVariates

    load(
        lambda: run_compiled(
            type(batch)(
                batch.scenario, batch_parameters(batch.scenario, 1, None), 0, np.arange(1), ()
            )
        )
    )
    batch.variates = CompiledVariates(batch.variates.seed)  # the same uniforms, compiled
    state, shared = layout.pack(batch), layout.constants(batch)
    functions = addresses()
    if functions is not None:  # a new convoy's hours in the loop, not numpy's
        (vehicle_kind, vehicles), (leg_kind, legs) = vehicle_terms(batch), leg_terms(batch)
        state = state._replace(vehicle_terms=vehicles, leg_terms=legs)
        shared = shared._replace(native=functions, vehicle_kind=vehicle_kind, leg_kind=leg_kind)
    for first in range(0, batch.R, BLOCK):
        end = min(first + BLOCK, batch.R)
        block = slice(first, end)
        state = _room(batch, state, shared, block)
        while advance(boxed(state, shared), first, end):
            status = state.I[first:end, layout.STATUS]
            rows = first + np.flatnonzero(status == layout.NEEDS_HOURS)
            if len(rows):
                slot = state.I[rows, layout.PENDING_SLOT]
                number, vehicles = state.CI[rows, slot, layout.C_NUMBER], state.CV[rows, slot]
                for column, stream, dists in (
                    (layout.HANDED_LOAD, "load", batch.load_time),
                    (layout.HANDED_UNLOAD, "unload", batch.unload_time),
                ):
                    hours = batch.slowest_of(stream, rows, number, vehicles, dists)
                    state.F[rows, column] = hours
            if np.count_nonzero(status == layout.NEEDS_ROOM):
                state = _room(batch, state, shared, block)
    layout.unpack(state, batch)
    batch.books.waits = _waits(batch, state, shared)
    batch.books.finish(np.arange(batch.R))
    return batch.books.replications()


def _waits(batch, state, shared) -> BatchWaits:
    """The batch's wait statistics, summarised in compiled code from the loop's records."""
    from sim.engines.compiled.boxes import boxed
    from sim.engines.compiled.waits import summaries

    end = np.minimum(state.F[:, CLEARED_AT], batch.scenario.horizon)
    records = state.rec_rep[: int(state.rec_n[0])]
    order = np.argsort(records, kind="stable")
    most = int(np.bincount(records).max()) if len(records) else 0
    values = summaries(boxed(state, shared), end, order, most)
    named = {}
    for g, group in enumerate(batch.scenario.groups):
        for i, kind in enumerate(("mean", "p95", "censored_mean", "censored_p95")):
            named[f"wait_{kind}_{group.name}"] = values[:, g, i].copy()
    return SummarisedWaits(batch, named)


class SummarisedWaits(BatchWaits):
    """The wait statistics of a batch, already summarised (by the compiled loop)."""

    def __init__(self, batch, named: dict[str, np.ndarray]):
        super().__init__(batch)
        self.named = named

    def metrics(self, end: np.ndarray) -> dict[str, np.ndarray]:
        """Each group's ``wait_mean_``, ``wait_p95_`` and their censored versions, hours."""
        return self.named


def _room(batch, state, shared, block: slice):
    """``state`` with tables, slots and wait records enough for the next pass of every
    replication of ``block`` (the loop stops a replication that would outrun them:
    ``NEEDS_ROOM``); those of the other blocks have ended or not begun."""
    from sim.engines.compiled import layout

    I = state.I[block]  # noqa: E741
    convoys = int(I[:, layout.CONVOYS].max()) + 1
    if convoys > state.CT.shape[2] and shared.native.size:  # the loop fills a convoy's column
        width = max(convoys, 2 * state.CT.shape[2], FIRST_CONVOYS)
        CT = np.full((batch.R, len(TABLED), width), np.nan)
        CT[:, :, : state.CT.shape[2]] = state.CT
        state = state._replace(CT=CT)
    elif convoys > state.CT.shape[2]:
        state = state._replace(CT=_by_convoy(batch, convoys))
    suspensions = max(
        int(I[:, layout.NEGOTIATED].max()) + len(shared.window_end) + 2,
        int(I[:, layout.BREACHES].max()) + 2,
    )
    if suspensions > state.ST.shape[2]:
        width = max(suspensions, FIRST_SUSPENSIONS)
        state = state._replace(ST=_by_suspension(batch, width))
    busy = state.CI[block, :, layout.C_NUMBER] >= 0
    if np.count_nonzero(busy.all(axis=1)):
        state = layout.grow_slots(state, 2 * state.CI.shape[1])
    cells = state.CM.shape[2]
    if state.rec_n[0] + cells > len(state.rec_rep):
        size = max(2 * len(state.rec_rep), 2 * batch.R * cells)
        state = state._replace(**{
            name: np.concatenate([a, np.zeros(size - len(a), a.dtype)])
            for name, a in (
                ("rec_rep", state.rec_rep), ("rec_cell", state.rec_cell),
                ("rec_departed", state.rec_departed), ("rec_people", state.rec_people),
            )
        })  # fmt: skip
    return state


def _by_convoy(batch, width: int) -> np.ndarray:
    """The legs' hours and the incident uniforms by convoy, ``(R, 5, >= width)``."""
    at = np.array([width - 1])
    tables = [batch._table(batch._durations, leg, at, batch.legs[leg]) for leg in TABLED[:-1]]
    tables.append(batch._table(batch._tables, "incident", at))
    have = min(t.shape[1] for t in tables)
    return np.stack([t[:, :have] for t in tables], axis=1)


def _by_suspension(batch, width: int) -> np.ndarray:
    """The negotiations' and guarantees' hours and the breach hazard's unit-exponential
    gaps by suspension or breach, ``(R, 3, >= width)``."""
    at = np.array([width - 1])
    gaps = -np.log1p(-batch._table(batch._tables, "breach", at))
    tables = [
        np.zeros_like(gaps) if dist is None else batch._table(batch._durations, name, at, dist)
        for name, dist in (("negotiation", batch.negotiation), ("guarantee", batch.guarantee))
    ]
    tables.append(gaps)
    have = min(t.shape[1] for t in tables)
    return np.stack([t[:, :have] for t in tables], axis=1)
