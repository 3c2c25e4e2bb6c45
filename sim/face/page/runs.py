"""Replications for the page: cached, shared between browsers, stopped when no longer
wanted.

A replication's variates depend only on the seed and its number, so replications
``0 .. n-1`` of a scenario are the same whether they were run in one block or several. The
cache keeps blocks ``first .. first + n - 1`` keyed by (resolved scenario, seed, first, n):
the base is run once for every what-if of it (common random numbers: a slider move runs
only the what-if), a refined answer reuses the blocks of the answers before it, and a class
moving to the same setting costs one run. A block being run is shared too: a second request
for it waits for the first.

Which blocks an answer's replications are cut into, and when, is the progress's
(:mod:`sim.face.page.progress`); every block run here is also a measurement of what the
scenario costs (:class:`~sim.face.page.costs.Costs`).

A block every one of whose requests has been overtaken by a newer one from the same
browser (:class:`Tickets`) is stopped: dropped from the queue, or interrupted in its worker
(:meth:`Runs.prune`, :mod:`sim.face.page.workers`).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from sim.face.page.costs import Costs
from sim.face.page.workers import NOW, Stopped, Task, Workers
from sim.inputs.scenario import Scenario
from sim.outputs.records import Replications
from sim.studies.runner import run_chunked

#: Memory the cache may hold, bytes (a block of 1,000 baseline replications is ~0.8 MB).
BUDGET = 512 * 1024**2

Key = tuple[str, int, int, int]


class Cancelled(Exception):
    """The browser has asked for something newer; this answer is no longer wanted."""


def digest(scenario: Scenario) -> str:
    """A fingerprint of the resolved scenario: its merged document, key order aside."""
    text = json.dumps(scenario.document, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Running:
    """A block queued or running, and the requests that want it.

    Attributes
    ----------
    task : Task
    wanted : list of callable
        Each request's test of whether it has been overtaken; the block is stopped when
        every one says so.
    """

    key: Key
    task: Task
    family: str = ""
    wanted: list[Callable[[], bool]] = field(default_factory=list)
    booked: bool = False  # its outcome is in the cache and the counts


@dataclass
class Plan:
    """The blocks that make up replications ``0 .. reps-1``: cached ones and running ones,
    each with its key and how many of its replications are taken."""

    parts: list[tuple[Replications | Running, Key, int]]


class Runs:
    """The replications of resolved scenarios, as blocks in a bounded cache.

    Parameters
    ----------
    workers : Workers
        Where blocks run (warm processes, one per core).
    budget : int
        Bytes of replications kept; the least recently used blocks go first.
    costs : Costs, optional
        Where the wall seconds of every block run are recorded, by family.

    Attributes
    ----------
    ran, cpu : int, float
        Replications run (not from the cache) and their engine CPU seconds.
    unclaimed : dict
        Key -> engine CPU seconds of each block run and not yet used by a request: the
        first request to use a block (a refined answer, for the block run ahead of it)
        counts its replications and seconds as its own.
    """

    def __init__(self, workers: Workers, budget: int = BUDGET, costs: Costs | None = None):
        self.workers = workers
        self.budget = budget
        self.costs = Costs() if costs is None else costs
        self.blocks: OrderedDict[Key, Replications] = OrderedDict()
        self.running: dict[tuple[str, int, int], Running] = {}
        self.unclaimed: dict[Key, float] = {}
        self.size = 0
        self.ran = 0
        self.cpu = 0.0

    def plan(
        self,
        scenario: Scenario,
        seed: int,
        reps: int,
        cancelled: Callable[[], bool],
        priority: int = NOW,
        family: str = "",
    ) -> Plan:
        """Find or start the blocks of replications ``0 .. reps-1`` (they start at once).

        Parameters
        ----------
        cancelled : callable
            Whether the request has been overtaken (a block only such requests want stops).
        priority : int
            The rank of a block started (and of one queued at a later rank, moved up):
            ``NOW`` for one a request waits for, a progress's round for its next answers.
        family : str
            The scenario family whose measured costs a block started adds to.

        Raises
        ------
        Cancelled
            When a block must be started for a request already overtaken.
        """
        fingerprint = digest(scenario)
        parts: list[tuple[Replications | Running, Key, int]] = []
        first = 0
        while first < reps:
            cached = self._longest(fingerprint, seed, first)
            if cached is not None:
                block = self.blocks[cached]
                take = min(block.reps, reps - first)
                parts.append((block, cached, take))
                first += take
                continue
            running = self.running.get((fingerprint, seed, first))
            if running is None:
                if cancelled():
                    raise Cancelled
                key = (fingerprint, seed, first, reps - first)
                task = self.workers.submit(
                    run_block, scenario, reps - first, seed, first, priority=priority
                )
                running = Running(key, task, family)
                self.running[key[:3]] = running
                task.future.add_done_callback(functools.partial(self._finished, running))
            else:
                self.workers.hurry(running.task, priority)
            running.wanted.append(cancelled)
            take = min(running.key[3], reps - first)
            parts.append((running, running.key, take))
            first += take
        return Plan(parts)

    async def gather(self, plan: Plan) -> tuple[Replications, int, float]:
        """The replications of a plan, how many this request ran and their CPU seconds.

        Raises
        ------
        Cancelled
            When a block of the plan was stopped (every request for it was overtaken).
        """
        parts, ran, cpu = [], 0, 0.0
        first = 0
        for item, key, take in plan.parts:
            if isinstance(item, Running):
                try:
                    block, *_ = await asyncio.shield(item.task.future)
                except Stopped:
                    raise Cancelled from None
                # a block done before this await returns at once, maybe before the future's
                # own callback ran: book it now, so its replications are counted here
                self._finished(item, item.task.future)
            else:
                block = item
            if key in self.unclaimed:
                ran += key[3]
                cpu += self.unclaimed.pop(key)
            parts.append(block if take == block.reps else head(block, take, first))
            first += take
        return concatenate(parts), ran, cpu

    async def replications(
        self, scenario: Scenario, seed: int, reps: int, cancelled: Callable[[], bool]
    ) -> tuple[Replications, int, float]:
        """Replications ``0 .. reps-1`` of a scenario, how many had to be run and the
        engine's CPU seconds for them (:meth:`plan`, then :meth:`gather`)."""
        return await self.gather(self.plan(scenario, seed, reps, cancelled))

    def covered(self, scenario: Scenario, seed: int, running: bool = True) -> int:
        """How many replications from 0 on are cached (or, with ``running``, cached or
        being run) without a gap."""
        fingerprint = digest(scenario)
        first = 0
        while True:
            cached = self._longest(fingerprint, seed, first)
            if cached is not None:
                first += cached[3]
            elif running and (fingerprint, seed, first) in self.running:
                first += self.running[fingerprint, seed, first].key[3]
            else:
                return first

    def prune(self) -> int:
        """Stop every block that no request wants any more; return how many."""
        unwanted = [r for r in self.running.values() if all(test() for test in r.wanted)]
        for running in unwanted:
            del self.running[running.key[:3]]
            self.workers.stop(running.task)
        return len(unwanted)

    def _finished(self, running: Running, future: asyncio.Future) -> None:
        if running.booked:
            return
        running.booked = True
        if self.running.get(running.key[:3]) is running:
            del self.running[running.key[:3]]
        if future.exception() is None:
            block, seconds, wall = future.result()
            self.ran += running.key[3]
            self.cpu += seconds
            self.unclaimed[running.key] = seconds
            if running.family:
                self.costs.add(running.family, running.key[3], wall)
            self._keep(running.key, block)

    def _longest(self, fingerprint: str, seed: int, first: int) -> Key | None:
        keys = [k for k in self.blocks if k[:3] == (fingerprint, seed, first)]
        if not keys:
            return None
        key = max(keys, key=lambda k: k[3])
        self.blocks.move_to_end(key)
        return key

    def _keep(self, key: Key, block: Replications) -> None:
        self.blocks[key] = block
        self.size += nbytes(block)
        while self.size > self.budget and len(self.blocks) > 1:
            gone, old = self.blocks.popitem(last=False)
            self.unclaimed.pop(gone, None)
            self.size -= nbytes(old)


class Tickets:
    """The latest request of each browser: an older one is cancelled.

    Each browser numbers its requests (``client``, ``seq``); a request is wanted while no
    request with a higher number has arrived from the same browser.
    """

    def __init__(self, most: int = 10_000):
        self.latest: OrderedDict[str, int] = OrderedDict()
        self.most = most

    def take(self, client: str, seq: int) -> Callable[[], bool]:
        """Register a request; return the test of whether it has been overtaken."""
        if not client:
            return lambda: False
        if seq >= self.latest.get(client, -1):
            self.latest[client] = seq
        self.latest.move_to_end(client)
        while len(self.latest) > self.most:
            self.latest.popitem(last=False)
        return lambda: self.latest.get(client, seq) > seq


def run_block(scenario: Scenario, reps: int, seed: int, first: int) -> Replications:
    """Replications ``first .. first + reps - 1`` on one process (a worker's). Untraced:
    the answers need no event trace (the teaching view traces its one replication alone),
    and tracing costs ~10%."""
    return run_chunked(scenario, reps, seed, 1, first_rep=first, traced=())


def head(block: Replications, n: int, first: int) -> Replications:
    """The first ``n`` replications of a block of replications ``first`` onwards."""
    return Replications(
        {k: v[:n] for k, v in block.metrics.items()},
        {k: v[:n] for k, v in block.series.items()},
        [e for e in block.trace if e.rep < first + n],
    )


def concatenate(parts: list[Replications]) -> Replications:
    """Consecutive blocks as one (replication numbers run on from block to block)."""
    if len(parts) == 1:
        return parts[0]
    return Replications(
        {k: np.concatenate([p.metrics[k] for p in parts]) for k in parts[0].metrics},
        {k: np.concatenate([p.series[k] for p in parts]) for k in parts[0].series},
        [e for p in parts for e in p.trace],
    )


def nbytes(block: Replications) -> int:
    """Bytes a block's arrays hold."""
    arrays = [*block.metrics.values(), *block.series.values()]
    return sum(a.nbytes for a in arrays) + 200 * len(block.trace)
