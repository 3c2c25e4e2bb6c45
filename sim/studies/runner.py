"""Running a scenario: replications, their summaries and the run folder.

``run`` is what the CLI's ``evacsim run`` calls; a notebook calls it directly::

    import sim
    result = sim.run(sim.load_scenario("scenarios/aleppo_2016.toml"), reps=200)
    result.summaries            # mean, 95% CI and quantiles per metric
    result.save()               # results/aleppo_2016/<run-id>/
"""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path

import numpy as np

from sim.engines.compiled.cache import load
from sim.engines.compiled.run import compiled_loop
from sim.engines.des import run_des
from sim.engines.vector import run_vector
from sim.errors import ScenarioError
from sim.inputs.loader import load_scenario
from sim.inputs.scenario import Scenario
from sim.outputs.folders import atomic_folder, default_folder
from sim.outputs.packed import preload
from sim.outputs.records import Replications, count_metrics, metric_names
from sim.outputs.results import CSV_UP_TO, checkout_commit, large_tables, small_tables
from sim.outputs.run import RunRecord
from sim.studies.budget import check_memory, chunk_reps, run_bytes
from sim.studies.gathering import gather_filled, gather_packed
from sim.studies.precision import RULE, check_goal, precise, refuse_undefined, rounds
from sim.studies.processes import worker_pool
from sim.views.progress import progress_bar

log = logging.getLogger(__name__)

#: The engines: ``vector`` (batch, the default) and ``des`` (SimPy reference).
ENGINES = {"vector": run_vector, "des": run_des}

#: Most replications per batch-engine chunk: numpy's per-call overhead is spread over more
#: replications the larger the chunk, but a worker's memory grows with it. With the compiled
#: loop 10,000 cost ~2% more CPU than 20,000 at 10**6 replications and took the tree's peak
#: resident memory from 1,018 to 884 MB (under the 1 GB the 10**6 run must stay within).
#: The memory bound: :func:`sim.studies.budget.chunk_reps`.
CHUNK = 10_000
#: Replications per reference-engine call: how often its progress is shown.
DES_BLOCK = 10


class RunResult(RunRecord):
    """A run of :func:`run`: its replications, what produced them, and its folder."""

    def save(self, folder: str | Path | None = None) -> Path:
        """Write the run folder (default ``results/<scenario>/<run-id>``); return its path.

        The folder holds the tables and manifest (:mod:`sim.outputs.results`), the figures
        (:mod:`sim.views.plots`) and ``report.html`` (:mod:`sim.views.report`), written
        atomically: all of them, or nothing. If another run took the folder meanwhile, the
        files go to ``folder-2`` (and so on): the path returned is where they are.

        Raises
        ------
        ScenarioError
            If the folder exists already (runs never overwrite each other), or the files
            cannot be written (nothing is left behind).
        """
        from sim.views.plots import write_figures  # matplotlib, on first save: after the workers
        from sim.views.report import report_html

        target = Path(folder) if folder is not None else default_folder(self)
        writer = atomic_folder(target)
        # the two large files compress on threads of their own while the rest is written
        # and drawn here (for 10**6 replications, ~4 s of the parent's ~6 s of CPU); the
        # threads are waited for before the folder is renamed into place or, after a
        # failure or Ctrl-C, removed: nothing half-written is left
        threads = ThreadPoolExecutor(2, thread_name_prefix="run-folder")
        with writer as staging, threads:
            large = [threads.submit(write) for write in large_tables(self, staging)]
            manifest = small_tables(self, staging)
            write_figures(self.scenario, self.replications, staging, self.overrides)
            page = report_html(self, staging, manifest)
            (staging / "report.html").write_text(page, encoding="utf-8")
            for written in large:
                written.result()  # raises what a writer raised
        return writer.folder


@functools.cache
def prepare_save(reps: int) -> None:
    """Import what :meth:`RunResult.save` uses for ``reps`` replications (matplotlib and
    the figures, the report, scipy's t quantile, Parquet's writer above ``CSV_UP_TO``): a
    run of several chunks calls it as its last chunk runs, when one of the workers' cores
    has nothing left to do, rather than after it (~0.9 s of CPU: for 10**6 replications,
    that much less between the last chunk and the folder written)."""
    import sim.views.plots  # noqa: F401
    import sim.views.report  # noqa: F401
    from sim.outputs.metrics import t975

    t975(reps)  # imports scipy.special
    if reps > CSV_UP_TO:
        import pyarrow.parquet  # noqa: F401


def run(
    scenario: Scenario | str | Path,
    reps: int | None = None,
    seed: int | None = None,
    engine: str = "vector",
    overrides: list[str] | None = None,
    workers: int | None = None,
    precision: float | None = None,
    metrics: Sequence[str] = ("evacuated",),
    max_reps: int | None = None,
    trace: Sequence[int] | None = None,
    progress: bool = False,
    executor: Executor | None = None,
) -> RunResult:
    """Run replications of a scenario, optionally until the means are precise enough.

    Parameters
    ----------
    scenario : Scenario, str or Path
        A scenario, or a scenario file or the name of a bundled one (``"aleppo_2016"``),
        read with :func:`sim.load_scenario` and ``overrides``.
    reps : int, optional
        Replications; the scenario's ``run.reps`` by default.
    seed : int, optional
        The run's seed; the scenario's ``run.seed`` by default.
    engine : {"vector", "des"}
        ``vector``, the batch engine, or ``des``, the SimPy reference engine. Both give the
        same result for every replication.
    overrides : list of str, optional
        ``KEY=VALUE`` settings: applied when ``scenario`` is a file or a name, and recorded
        in the manifest (a ``Scenario`` given as such was read with them already).
    workers : int, optional
        Processes for the batch engine; by default every core once there are several
        chunks of ``CHUNK`` replications. Results do not depend on it.
    precision : float, optional
        Relative precision, e.g. 0.02: replications double (``reps`` first) until each of
        ``metrics`` has a 95% CI half-width within this fraction of its mean, or
        ``max_reps`` is reached; the rule is :data:`sim.studies.precision.RULE`.
    metrics : sequence of str
        The metrics the precision applies to.
    max_reps : int, optional
        Most replications with ``precision``; 16 times ``reps`` by default.
    trace : sequence of int, optional
        The replications whose every event is kept (for narration, animation, the convoy
        timeline); the scenario's first ``run.trace_reps`` by default.
    progress : bool
        Show replications done, their rate and the time left on standard error (when it
        is a terminal), chunk by chunk (batch engine) or block by block (reference engine).
    executor : concurrent.futures.Executor, optional
        Runs the batch engine's chunks (see :func:`run_chunked`), e.g. a Dask client's
        ``client.get_executor()``; the same result whatever runs them. The ``des`` engine
        runs in this process.

    Raises
    ------
    ScenarioError
        For a precision not between 0 and 1, a ``max_reps`` below 1 or below ``reps``, a
        metric the scenario does not have, or more replications than the
        memory of the machine can hold (refused before any runs; see
        :mod:`sim.studies.budget`).
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario, list(overrides or []))
    reps = scenario.reps if reps is None else reps
    seed = scenario.seed if seed is None else seed
    if reps < 1:
        raise ValueError("reps must be at least 1")
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")

    def replicate(first: int, n: int) -> Replications:
        bar.total += n
        bar.refresh()
        if engine == "vector":
            left = [n]

            def gathered(chunk: int) -> None:
                bar.update(chunk)
                left[0] -= chunk
                if 0 < left[0] <= size:  # the last chunk runs, and one core idles
                    prepare_save(n)

            return run_chunked(
                scenario,
                n,
                seed,
                workers,
                first_rep=first,
                traced=trace,
                done=gathered,
                executor=executor,
                packed=True,
            )
        blocks = (
            run_des(scenario, min(DES_BLOCK, n - a), seed, first_rep=first + a, traced=trace)
            for a in range(0, n, DES_BLOCK)
        )
        return gather_packed(blocks, counts, bar.update, first)

    if precision is not None:
        check_goal(precision, max_reps, reps)
    known = metric_names(scenario)  # a misspelt --metric is refused with or without --precision
    for name in metrics:
        if name not in known:
            raise ScenarioError(
                "--metric", name, f"not a metric of this run; known: {', '.join(known)}"
            )
    counts = count_metrics(scenario)  # held as integers where whole (Replications.packed)
    size = chunk_reps(scenario, CHUNK)
    cap = 16 * reps if max_reps is None else max_reps
    most, flag = (reps, "--reps") if precision is None else (cap, "--max-reps")
    check_memory(run_bytes(scenario, most), f"{most:,} replications", flag, "")
    checkout_commit()  # for the manifest: its git forks while this process is still small
    began = time.perf_counter()
    bar = progress_bar(progress)
    met, parts = precision is None, []
    with bar:
        for first, stop in rounds(reps, reps if precision is None else cap):
            parts.append(replicate(first, stop - first))
            replications = Replications.joined(parts)
            if precision is not None:
                if first == 0:
                    refuse_undefined(replications, metrics)
                met = precise({m: replications.metrics[m] for m in metrics}, precision)
                log.info("precision: %d replications, %s", stop, "met" if met else "not met")
                if met:
                    break
    record = None
    if precision is not None:
        record = {
            "precision": precision,
            "metrics": list(metrics),
            "max_reps": cap,
            "met": met,
            "rule": " ".join(RULE.split()),
        }
    wall = time.perf_counter() - began
    return RunResult(
        scenario,
        replications,
        seed,
        replications.reps,
        engine,
        wall,
        list(overrides or []),
        record,
    )


def run_chunked(
    scenario: Scenario,
    reps: int,
    seed: int,
    workers: int | None = None,
    parameters: dict[str, np.ndarray] | None = None,
    first_rep: int = 0,
    rep_ids: np.ndarray | None = None,
    traced: Sequence[int] | None = None,
    done: Callable[[int], object] | None = None,
    executor: Executor | None = None,
    packed: bool = False,
) -> Replications:
    """The batch engine over ``reps`` replications in chunks, on several processes.

    Each chunk is replications ``first .. first + n - 1`` (``n`` from :func:`chunk_reps
    <sim.studies.budget.chunk_reps>`: ``CHUNK``, or half of it for a scenario whose
    replications take much memory in flight); a replication's variates
    depend only on the seed and its number, so the result is the same whatever the
    chunking and the number of processes.

    Parameters
    ----------
    scenario : Scenario
    reps, seed : int
    workers : int, optional
        Processes; by default every core once there are several chunks.
    parameters : dict of str to ndarray, optional
        Scenario inputs that differ per replication, each of shape ``(reps,)`` (see
        :mod:`sim.engines.batch_params`); sweeps and calibration put many parameter points
        in one run this way.
    first_rep : int
        Number of the first replication.
    rep_ids : ndarray of int, optional
        Replication numbers, shape ``(reps,)``, instead of ``first_rep`` onwards (see
        :func:`sim.engines.vector.run_vector`).
    traced : sequence of int, optional
        The replication numbers whose events are traced; the first ``run.trace_reps`` by
        default.
    done : callable, optional
        Called with the number of replications of each chunk as it is gathered.
    executor : concurrent.futures.Executor, optional
        Where the chunks run instead of this machine's processes: any executor, e.g. a Dask
        client's ``client.get_executor()``. Its workers need evacsim installed. The result
        does not depend on it.
    packed : bool
        Hand back the replications packed (:meth:`Replications.packed
        <sim.outputs.records.Replications.packed>`), each chunk packed by the process that
        ran it: a long run's memory (about a quarter of the arrays'); read, the same values.
    """
    if rep_ids is None:
        rep_ids = first_rep + np.arange(reps)
    size = chunk_reps(scenario, CHUNK)
    starts = range(0, reps, size)
    sizes = [min(size, reps - first) for first in starts]
    parts = [
        None if parameters is None else {k: v[first : first + n] for k, v in parameters.items()}
        for first, n in zip(starts, sizes, strict=True)
    ]
    numbers = [rep_ids[first : first + n] for first, n in zip(starts, sizes, strict=True)]
    n = len(sizes)
    # no more processes than chunks: `--workers 500` for a run of two chunks forks two
    workers = min(n, (os.cpu_count() or 1) if workers is None else workers)
    args = ([scenario] * n, sizes, [seed] * n, [0] * n, parts, numbers, [traced] * n)
    task: Callable[..., Replications] = run_vector
    if packed:
        task = functools.partial(_run_packed, frozenset(count_metrics(scenario)))

    def gather(chunks: Iterable[Replications]) -> Replications:
        if packed:
            return gather_packed(chunks, (), done)
        return gather_filled(chunks, starts, reps, done)

    if executor is not None:
        return gather(executor.map(task, *args))
    if workers <= 1 or n == 1:
        return gather(map(task, *args))
    # before the workers fork, so that they share it: the compiled loop, the codec's import
    if compiled_loop(scenario, min(sizes), traced=False):
        # the first time ever, it compiles: about a minute of CPU
        load(lambda: run_vector(scenario, 1, 0, traced=(), loop="compiled"))
    if packed:
        preload(size)
    with worker_pool(workers) as pool:
        return gather(pool.map(task, *args))


def _run_packed(
    counts: frozenset[str],
    scenario: Scenario,
    reps: int,
    seed: int,
    first_rep: int,
    parameters: dict[str, np.ndarray] | None,
    rep_ids: np.ndarray,
    traced: Sequence[int] | None,
) -> Replications:
    """:func:`~sim.engines.vector.run_vector` on one chunk of a run, packed where it ran
    (in the worker: its packing costs the parent nothing, and less crosses between
    processes); a run's replication numbers are its rows, so the series are deflated in
    the pieces of ``series.npz`` from row ``rep_ids[0]``."""
    batch = run_vector(scenario, reps, seed, first_rep, parameters, rep_ids, traced)
    return batch.packed(counts, int(rep_ids[0]))
