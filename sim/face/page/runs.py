"""Replications for the page: cached, shared between browsers, run on a process pool.

A replication's variates depend only on the seed and its number, so replications
``0 .. n-1`` of a scenario are the same whether they were run in one block or several. The
cache keeps blocks ``first .. first + n - 1`` keyed by (resolved scenario, seed, first, n):
the refined answer at 1,000 replications reuses the first answer's 300 and runs only the
other 700, and a class moving to the same setting costs one run. A block being run is
shared too: a second request for it waits for the first.

A run asked for by a browser that has since asked for something else is cancelled: before
each block starts, the request checks its ticket (:class:`Tickets`).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Executor

import numpy as np

from sim.inputs.scenario import Scenario
from sim.outputs.records import Replications
from sim.studies.runner import run_chunked

#: Memory the cache may hold, bytes (a block of 1,000 baseline replications is ~0.8 MB).
BUDGET = 512 * 1024**2

#: Fewest replications of a block run on its own worker (smaller blocks are not split).
PIECE = 100

Key = tuple[str, int, int, int]


class Cancelled(Exception):
    """The browser has asked for something newer; this answer is no longer wanted."""


def digest(scenario: Scenario) -> str:
    """A fingerprint of the resolved scenario: its merged document, key order aside."""
    text = json.dumps(scenario.document, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class Runs:
    """The replications of resolved scenarios, as blocks in a bounded cache.

    Parameters
    ----------
    executor : Executor
        Runs :func:`sim.studies.runner.run_chunked` (a process pool: both cores serve
        several browsers at once).
    workers : int
        The executor's workers: a run is split in as many blocks.
    budget : int
        Bytes of replications kept; the least recently used blocks go first.
    """

    def __init__(self, executor: Executor, workers: int = 1, budget: int = BUDGET):
        self.executor = executor
        self.workers = workers
        self.budget = budget
        self.blocks: OrderedDict[Key, Replications] = OrderedDict()
        self.running: dict[Key, asyncio.Future] = {}
        self.size = 0
        self.ran = 0  # replications run (not from the cache) and their engine CPU seconds
        self.cpu = 0.0

    async def replications(
        self, scenario: Scenario, seed: int, reps: int, cancelled: Callable[[], bool]
    ) -> tuple[Replications, int, float]:
        """Replications ``0 .. reps-1`` of a scenario, how many had to be run and the
        engine's CPU seconds for them.

        Raises
        ------
        Cancelled
            When ``cancelled()`` turns true before a block that is not cached starts.
        """
        fingerprint = digest(scenario)
        parts, first, ran, cpu = [], 0, 0, 0.0
        while first < reps:
            block = self._longest(fingerprint, seed, first)
            if block is None:
                if cancelled():
                    raise Cancelled
                pieces = [(fingerprint, seed, a, n) for a, n in self._pieces(first, reps)]
                done = await asyncio.gather(*(self._run(key, scenario) for key in pieces))
                parts += [block for block, _, _ in done]
                ran += sum(n for _, n, _ in done)
                cpu += sum(seconds for _, _, seconds in done)
                break
            take = min(block.reps, reps - first)
            parts.append(block if take == block.reps else head(block, take, first))
            first += take
        return concatenate(parts), ran, cpu

    def _pieces(self, first: int, reps: int) -> list[tuple[int, int]]:
        """Replications ``first .. reps-1`` as (first, count) blocks: one per idle core.

        Two blocks of 150 cost about 40% more CPU than one of 300 (each run has a fixed
        cost), but on an idle machine the answer comes in about two thirds of the time. So
        a run is split only over workers with nothing to do, and only while the machine's
        load is below its cores; a busy server (a class) runs whole blocks.
        """
        idle = self.workers - len(self.running)
        if os.getloadavg()[0] >= (os.cpu_count() or 1):
            idle = 1
        k = max(1, min(idle, (reps - first) // PIECE))
        bounds = [first + (reps - first) * i // k for i in range(k + 1)]
        return [(a, b - a) for a, b in zip(bounds, bounds[1:], strict=False)]

    def _longest(self, fingerprint: str, seed: int, first: int) -> Replications | None:
        keys = [k for k in self.blocks if k[:3] == (fingerprint, seed, first)]
        if not keys:
            return None
        key = max(keys, key=lambda k: k[3])
        self.blocks.move_to_end(key)
        return self.blocks[key]

    async def _run(self, key: Key, scenario: Scenario) -> tuple[Replications, int, float]:
        """A block, the replications this request ran for it and their CPU seconds."""
        if key in self.running:  # the same block for another browser: wait for it
            block, _ = await asyncio.shield(self.running[key])
            return block, 0, 0.0
        _, seed, first, n = key
        future = asyncio.wrap_future(self.executor.submit(timed_run, scenario, n, seed, first))
        self.running[key] = future
        try:
            block, cpu = await asyncio.shield(future)
        finally:
            del self.running[key]
        self.ran += n
        self.cpu += cpu
        self._keep(key, block)
        return block, n, cpu

    def _keep(self, key: Key, block: Replications) -> None:
        self.blocks[key] = block
        self.size += nbytes(block)
        while self.size > self.budget and len(self.blocks) > 1:
            _, old = self.blocks.popitem(last=False)
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


def timed_run(scenario: Scenario, reps: int, seed: int, first: int) -> tuple[Replications, float]:
    """Replications ``first .. first + reps - 1`` on one process, with the CPU seconds they
    took there (run in a worker of the pool). Untraced: the answers need no event trace
    (the teaching view traces its one replication alone), and tracing costs ~10%."""
    began = time.process_time()
    block = run_chunked(scenario, reps, seed, 1, first_rep=first, traced=())
    return block, time.process_time() - began


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
