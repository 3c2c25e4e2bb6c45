"""Warm engine processes whose block can be stopped halfway.

A block of replications runs in one call of the batch engine, and the engine's loop steps
all of its replications together: a block half done has no replications done. So a block
the page no longer wants (its browser has moved the slider again) is stopped where it is,
not left to finish: the server sends its worker ``SIGUSR1``, whose handler raises
:class:`Interrupted` at the engine's next Python instruction (numpy's operations are short,
a few milliseconds at most). The worker reports the block stopped and takes the next one,
warm: numpy, the package and the scenario's parsing are paid for once per worker, not per
slider move.

Blocks wait in a queue by rank, lowest first, whichever browser asked first: a block a
browser waits for now (``NOW``, rank 0) goes first, then the blocks of each browser's next
answers by their round (:mod:`sim.face.page.progress`: every browser's first answer before
anyone's second).

This needs POSIX signals; where ``SIGUSR1`` does not exist (Windows) a block that is
running finishes and only blocks still queued are dropped.
"""

from __future__ import annotations

import asyncio
import heapq
import importlib
import itertools
import multiprocessing
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

#: The rank of a block a browser waits for now (the queue takes the lowest rank first).
NOW = 0
STOP = getattr(signal, "SIGUSR1", None)


class Interrupted(Exception):
    """Raised inside a worker by the stop signal: its block is not wanted any more."""


class Stopped(Exception):
    """A block was dropped from the queue or stopped while it ran."""


@dataclass
class Task:
    """A call waiting for, or running on, a worker."""

    priority: int
    number: int
    function: Callable
    args: tuple
    future: asyncio.Future
    worker: Worker | None = None
    dropped: bool = False


class Worker:
    """One engine process and the server's end of its pipe."""

    def __init__(self, context: multiprocessing.context.SpawnContext, preload: tuple[str, ...]):
        self.conn, child = context.Pipe()
        self.stopping = context.Value("q", -1, lock=False)  # the task number to stop
        args = (child, self.stopping, preload)
        self.process = context.Process(target=work, args=args, daemon=True)
        self.process.start()
        child.close()
        self.ready = False  # until its stop signal is handled and its imports are done
        self.task: Task | None = None

    def stop(self, task: Task) -> None:
        """Interrupt ``task`` if this worker is still running it (or receiving it: the
        worker looks at ``stopping`` before it begins)."""
        pid = self.process.pid  # set once started, in __init__
        if STOP is not None and self.task is task and pid is not None:
            self.stopping.value = task.number
            os.kill(pid, STOP)


class Workers:
    """A pool of warm engine processes with a priority queue and stoppable blocks.

    Parameters
    ----------
    count : int
        Processes (one per core serves several browsers at once).
    preload : tuple of str
        Modules each process imports before it takes a block, so that no browser waits
        for imports.

    Attributes
    ----------
    done, stopped, dropped : int
        Blocks that finished, blocks interrupted while they ran, and blocks dropped from
        the queue before they began.
    """

    def __init__(self, count: int, preload: tuple[str, ...] = ()):
        self.context = multiprocessing.get_context("spawn")  # the server's threads stay out
        self.preload = preload
        self.workers = [Worker(self.context, preload) for _ in range(count)]
        self.queue: list[tuple[int, int, Task]] = []
        self.numbers = itertools.count()
        self.done = self.stopped = self.dropped = 0
        self._loop: asyncio.AbstractEventLoop | None = None

    def submit(self, function: Callable, *args: Any, priority: int = NOW) -> Task:
        """Queue ``function(*args)`` at a rank (lowest first); ``task.future``'s result is
        the triple (its result, the worker's CPU seconds for it, its wall seconds in the
        worker: what the block cost there, queueing aside)."""
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
            for worker in self.workers:
                self._loop.add_reader(worker.conn.fileno(), self._reply, worker)
        task = Task(priority, next(self.numbers), function, args, self._loop.create_future())
        task.future.add_done_callback(_seen)  # a stopped block nobody awaits is no error
        heapq.heappush(self.queue, (priority, task.number, task))
        self._dispatch()
        return task

    def hurry(self, task: Task, priority: int = NOW) -> None:
        """A block queued at a later rank is now wanted sooner: move it up to ``priority``."""
        if task.worker is None and not task.dropped and priority < task.priority:
            task.priority = priority  # its old place in the heap is skipped
            heapq.heappush(self.queue, (priority, task.number, task))
            self._dispatch()

    def stop(self, task: Task) -> None:
        """Drop a queued task or interrupt a running one; its future raises Stopped."""
        if task.worker is not None:
            task.worker.stop(task)
        elif not task.dropped:
            task.dropped = True
            self.dropped += 1
            task.future.set_exception(Stopped())

    def _dispatch(self) -> None:
        for worker in self.workers:
            if not worker.ready or worker.task is not None:
                continue
            task = self._next()
            if task is None:
                return
            task.worker, worker.task = worker, task
            worker.conn.send((task.number, task.function, task.args))

    def _next(self) -> Task | None:
        while self.queue:
            priority, _, task = heapq.heappop(self.queue)
            if priority == task.priority and not task.dropped and task.worker is None:
                return task
        return None

    def _reply(self, worker: Worker) -> None:
        try:
            number, outcome, value, cpu, wall = worker.conn.recv()
        except EOFError:  # the worker died (killed from outside): fail its block, replace it
            assert self._loop is not None  # a reply comes only through the loop's reader
            self._loop.remove_reader(worker.conn.fileno())
            if worker.task is not None:
                worker.task.future.set_exception(RuntimeError("an engine process died"))
            spare = Worker(self.context, self.preload)
            self.workers[self.workers.index(worker)] = spare
            self._loop.add_reader(spare.conn.fileno(), self._reply, spare)
            self._dispatch()
            return
        if outcome == "ready":
            worker.ready = True
            self._dispatch()
            return
        task, worker.task = worker.task, None
        assert task is not None and task.number == number
        if outcome == "done":
            self.done += 1
            task.future.set_result((value, cpu, wall))
        elif outcome == "stopped":
            self.stopped += 1
            task.future.set_exception(Stopped())
        else:
            task.future.set_exception(value)
        self._dispatch()

    def close(self) -> None:
        """Stop every worker (the server is shutting down)."""
        for worker in self.workers:
            if self._loop is not None:
                self._loop.remove_reader(worker.conn.fileno())
            worker.process.terminate()
        for worker in self.workers:
            worker.process.join(5)


def _seen(future: asyncio.Future) -> None:
    if not future.cancelled():
        future.exception()


def work(conn: Connection, stopping, preload: tuple[str, ...]) -> None:
    """A worker's life: import, say it is ready, then run what the pipe brings until it
    closes; a stop signal for the task being run interrupts it."""
    running = [-1]

    def interrupt(signum, frame):
        if running[0] >= 0 and running[0] == stopping.value:
            running[0] = -1  # a second signal for the same task finds nothing to stop
            raise Interrupted

    if STOP is not None:
        signal.signal(STOP, interrupt)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle
    for module in preload:
        importlib.import_module(module)
    conn.send((-1, "ready", None, 0.0, 0.0))
    while True:
        try:
            number, function, args = conn.recv()
        except EOFError:
            return
        began, wall = time.process_time(), time.perf_counter()
        try:
            running[0] = number  # inside the try: a signal from here on is caught below
            if stopping.value == number:  # stopped before it began (while being received)
                raise Interrupted
            value, outcome = function(*args), "done"
            running[0] = -1
        except Interrupted:
            value, outcome = None, "stopped"
        except Exception as error:  # the server raises it where the block was wanted
            running[0] = -1
            value, outcome = error, "failed"
        cpu, wall = time.process_time() - began, time.perf_counter() - wall
        conn.send((number, outcome, value, cpu, wall))
