"""Answers that come progressively after a change: a first one in about 0.3 s, a refined
one within the second, then more until the state's replications (or its precision).

Each answer rests on replications ``0 .. n-1`` of the base and of the what-if, so each is
``evacsim compare``'s for its ``n``, only with fewer replications than the last; the page
says how many. The replications between two answers are a *round*: blocks run at once,
one per worker, sized by what blocks of the scenario have measured
(:class:`~sim.face.page.costs.Costs`) so that the round ends on time: the first in
:data:`FIRST_S` seconds of engine, the second by :data:`SECOND_S`, and each later round
as long as all before it (the answers' times double), until the next *checkpoint*: the
state's replications, or with a precision 300, 600, 1,200, … (the answers the precision is
judged at, so a URL always gives the same final answer, whatever the machine's speed). A
round reaches its checkpoint at once when the rest takes at most :data:`SLACK` times its
time while it carries a promise, :data:`FINISH` times after.

On the baseline a block of 500 replications costs about 0.1 s, so its first answer may be
its last; on the whole operation one replication costs 0.1–0.2 s and 30 about 0.6 s, so
its first answer has a handful of replications (its CIs say so) and the refined ones
follow.

A round's blocks start when the round before it is gathered, before its answer's
statistics are computed; the queue takes lower rounds first (every browser's first answer
before anyone's second). A newer move of the browser stops the progress and its blocks
(:meth:`Progresses.prune`), except the base's first :data:`~sim.face.page.whatif.DEFAULT_REPS`,
which every what-if of that base needs next.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from typing import Any

from sim.face.page.runs import Cancelled, Runs, digest
from sim.face.page.whatif import DEFAULT_REPS, FIRST_REPS, MAX_REPS
from sim.inputs.scenario import Scenario
from sim.outputs.records import Replications

#: Seconds of engine after a change to the first answer and to the second (the rest of
#: the page's 0.3 s and 1 s is the answer's statistics, its JSON and the drawing).
FIRST_S, SECOND_S = 0.22, 0.85
#: How much longer than its time a round may run to reach its checkpoint rather than
#: leave the rest for another round: a little while the round carries a promise (the
#: first answer by 0.3 s, the second by 1 s), and much more after (each round pays the
#: engine's fixed cost again: on the whole operation one block of 500 replications costs
#: what eight blocks of 3 do, so one more round puts the final answer off by about its
#: own time).
SLACK, FINISH = 1.5, 4.0
#: The fewest replications of an answer (a CI needs a few pairs).
FEWEST = 4

Answer = dict[str, Any]


def checkpoints(reps: int, precision: float | None) -> list[int]:
    """The answers a state's refining must reach: its replications, or with a precision
    :data:`FIRST_REPS` doubling up to :data:`MAX_REPS`, the precision judged at each."""
    if precision is None:
        return [reps]
    points = [FIRST_REPS]
    while points[-1] < MAX_REPS:
        points.append(min(2 * points[-1], MAX_REPS))
    return points


def budget(round_: int, elapsed: float) -> float:
    """Seconds of engine for round ``round_`` (0: the first answer's), ``elapsed`` seconds
    after the change: the first by :data:`FIRST_S`, the second by :data:`SECOND_S`, and
    each later round as long as everything before it (on a loaded machine, where the first
    answers come late, too: the answers' times double from the actual ones)."""
    if round_ == 0:
        return FIRST_S
    if round_ == 1:
        return max(SECOND_S - FIRST_S, elapsed)
    return max(SECOND_S * 2 ** (round_ - 2), elapsed)


def next_round(
    done: int,
    goal: int,
    seconds: float,
    most: Callable[[float], int],
    arms: int,
    workers: int,
    slack: float = SLACK,
) -> tuple[int, int]:
    """The replications of the next answer, and in how many blocks each arm runs its share.

    Parameters
    ----------
    done : int
        Replications of the answer before (0 for the first).
    goal : int
        The next checkpoint: the round never goes past it.
    seconds : float
        The round's time (:func:`budget`).
    most : callable
        Seconds -> the most replications one block may have to take no longer
        (:meth:`Costs.most`).
    arms, workers : int
        Scenarios to run (the what-if, and the base if it is not cached) and engine
        processes: each arm's share is cut into ``workers // arms`` blocks run side by side
        (with fewer workers than arms, a worker runs several blocks in turn and each gets a
        share of the time).
    slack : float
        The round reaches ``goal`` if that takes at most ``slack`` times ``seconds``.
    """
    pieces = max(1, workers // arms)
    turns = math.ceil(arms * pieces / workers)
    rest = goal - done
    if pieces * most(slack * seconds / turns) >= rest:
        return goal, pieces
    size = max(most(seconds / turns), math.ceil(FEWEST / pieces))
    return min(goal, done + pieces * size), pieces


class Progress:
    """The answers of one state as they come: a task that runs the rounds.

    Parameters
    ----------
    runs : Runs
    family : str
        The base's name: whose measured costs size the rounds.
    base, whatif : Scenario
    seed : int
    goals : list of int
        The checkpoints (:func:`checkpoints`).
    precise : callable or None
        Answer -> whether it is precise enough to stop (at a checkpoint); None: no
        precision, refine to the last checkpoint.
    respond : callable
        ``(base replications, what-if replications) ->`` the answer's JSON data.
    wanted : callable
        The first request's test of whether it has been overtaken.
    workers : int
        Engine processes.

    Attributes
    ----------
    answers : list of dict
        Published so far, each with ``reps``, ``final``, ``next`` (the next answer's
        replications, or None) and ``progress`` (its round, replications run for it, the
        engine's CPU seconds, seconds since the change).
    """

    def __init__(
        self,
        runs: Runs,
        family: str,
        base: Scenario,
        whatif: Scenario,
        seed: int,
        goals: list[int],
        precise: Callable[[Answer], bool] | None,
        respond: Callable[[Replications, Replications], Answer],
        wanted: Callable[[], bool],
        workers: int,
    ):
        self.runs, self.family, self.seed, self.goals = runs, family, seed, goals
        self.base = base
        self.arms = [base] if digest(base) == digest(whatif) else [base, whatif]
        self.precise, self.respond, self.workers = precise, respond, workers
        self.wanted = [wanted]
        self.answers: list[Answer] = []
        self.enough = False  # a precise answer: nothing more is wanted
        self.over = False  # the final answer is out, or the progress stopped
        self.error: BaseException | None = None
        self.began = time.perf_counter()
        self._news = asyncio.Event()
        self.task = asyncio.ensure_future(self._drive())

    def unwanted(self) -> bool:
        """Whether no request wants more of this progress."""
        return self.enough or all(test() for test in self.wanted)

    def want(self, test: Callable[[], bool]) -> None:
        """Another request (a browser's next answer, or another browser) wants it."""
        self.wanted.append(test)

    def poke(self) -> None:
        """Wake the requests waiting, to see whether they have been overtaken."""
        self._news.set()
        self._news = asyncio.Event()

    async def after(self, reps: int, cancelled: Callable[[], bool]) -> Answer:
        """The latest answer on more than ``reps`` replications, waiting for it.

        Raises
        ------
        Cancelled
            The request was overtaken, or the progress stopped before such an answer.
        """
        while True:
            newer = [a for a in self.answers if a["reps"] > reps]
            if newer:
                return newer[-1]
            if self.error is not None:
                raise self.error
            if cancelled() or self.over:
                raise Cancelled
            await self._news.wait()

    async def _drive(self) -> None:
        try:
            await self._rounds()
        except Cancelled:
            pass
        except Exception as error:  # a block failed: the waiting requests raise it
            self.error = error
        finally:
            self.over = True
            self.poke()

    async def _rounds(self) -> None:
        goal, round_ = 0, 0  # the checkpoint aimed at (its index), the rounds run
        reps, ran = self._start(0, self.goals[goal], round_)
        while True:
            rank = round_
            plans = [
                self.runs.plan(arm, self.seed, reps, self._test(arm, reps), rank)
                for arm in self.arms
            ]
            got = [await self.runs.gather(plan) for plan in plans]
            if self.unwanted():
                raise Cancelled
            round_ += ran
            checkpoint = reps == self.goals[goal]
            last = checkpoint and goal == len(self.goals) - 1
            goal += checkpoint and not last
            # the next round starts now, beside this answer's statistics
            following = None if last else self._start(reps, self.goals[goal], round_)
            cpu = time.process_time()
            answer = self.respond(got[0][0], got[-1][0])
            precise = checkpoint and self.precise is not None and self.precise(answer)
            final = last or precise
            stopped = 0
            if precise:
                self.enough = True
                stopped = self.runs.prune()  # the next round's blocks are not wanted
            if self.precise is not None:
                answer["precise"] = precise
            answer.update(
                final=final,
                next=None if final or following is None else following[0],
                goal=reps if final else self.goals[goal],
                progress={
                    "round": rank if ran else None,
                    "replications_run": sum(g[1] for g in got),
                    "engine_cpu_s": round(sum(g[2] for g in got), 4),
                    "server_cpu_s": round(time.process_time() - cpu, 4),
                    "since_change_s": round(time.perf_counter() - self.began, 4),
                    "blocks_stopped": stopped,
                },
            )
            self.answers.append(answer)
            self.poke()
            if final or following is None:
                return
            reps, ran = following

    def _start(self, done: int, goal: int, round_: int) -> tuple[int, int]:
        """Start the blocks of the answer after ``done``; return its replications and
        whether it is a round run (1) or an answer straight from the cache (0)."""
        cached = min(self.runs.covered(arm, self.seed, running=False) for arm in self.arms)
        if cached >= goal:
            return goal, 0
        if cached > done:
            return cached, 0  # a first look at what the cache holds, at once
        needing = [arm for arm in self.arms if self.runs.covered(arm, self.seed) < goal]
        if not needing:
            return goal, 0  # every block it needs is being run already
        elapsed = time.perf_counter() - self.began
        promised = round_ == 0 or (round_ == 1 and elapsed < SECOND_S)  # and still on time
        reps, pieces = next_round(
            done,
            goal,
            budget(round_, elapsed),
            lambda seconds: self.runs.costs.most(self.family, seconds),
            len(needing),
            self.workers,
            SLACK if promised else FINISH,
        )
        for arm in needing:
            start = max(done, self.runs.covered(arm, self.seed))
            step = math.ceil((reps - start) / pieces) if reps > start else 0
            for piece in range(1, pieces + 1):
                end = min(start + piece * step, reps)
                if step:
                    self.runs.plan(arm, self.seed, end, self._test(arm, end), round_, self.family)
        return reps, 1

    def _test(self, arm: Scenario, reps: int) -> Callable[[], bool]:
        """The cancellation test of an arm's blocks up to ``reps``: the base's first
        :data:`DEFAULT_REPS` are wanted whatever the browser does next."""
        if arm is self.base and reps <= DEFAULT_REPS:
            return _never
        return self.unwanted


class Progresses:
    """The progresses under way, one per state (browsers at the same state share one)."""

    def __init__(self) -> None:
        self.under_way: dict[tuple, Progress] = {}

    def join(
        self, key: tuple, start: Callable[[], Progress], wanted: Callable[[], bool]
    ) -> Progress:
        """The progress of a state, started if none is under way; ``wanted`` joins it."""
        progress = self.under_way.get(key)
        if progress is None or progress.over:
            progress = self.under_way[key] = start()
            progress.task.add_done_callback(lambda _: self._forget(key, progress))
        else:
            progress.want(wanted)
        return progress

    def prune(self) -> None:
        """Stop the progresses no request wants any more (their blocks are stopped by
        :meth:`Runs.prune`), and wake every waiting request to look at its own ticket."""
        for key, progress in list(self.under_way.items()):
            if progress.unwanted():
                progress.task.cancel()
                del self.under_way[key]
            progress.poke()

    def _forget(self, key: tuple, progress: Progress) -> None:
        if self.under_way.get(key) is progress:
            del self.under_way[key]


def _never() -> bool:
    return False
