"""Executors: where a sweep's chunks run.

``local`` runs them in processes on this machine (the default); ``dask-local`` starts a Dask
cluster on this machine; ``tcp://HOST:PORT`` uses an existing Dask cluster, whose workers
need evacsim installed. Every executor runs the same chunks through :func:`simulate_chunk`
and hands back the same bits; only the order in which chunks finish differs.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import CancelledError, Executor, ProcessPoolExecutor, as_completed
from contextlib import AbstractContextManager, ExitStack, contextmanager
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from sim.engines.vector import run_vector
from sim.errors import ScenarioError
from sim.inputs.scenario import Scenario
from sim.studies.processes import worker_pool
from sim.studies.sweeps.chunks import Chunk

Task = tuple[Scenario, int, dict[str, np.ndarray], np.ndarray, tuple[str, ...]]


def simulate_chunk(
    scenario: Scenario,
    seed: int,
    parameters: dict[str, np.ndarray],
    rep_ids: np.ndarray,
    metrics: tuple[str, ...],
) -> dict[str, np.ndarray]:
    """Run one chunk with the batch engine; return the requested metrics per replication."""
    done = run_vector(scenario, len(rep_ids), seed, parameters=parameters, rep_ids=rep_ids)
    return {m: done.metrics[m] for m in metrics}


class LocalExecutor(AbstractContextManager):
    """Chunks on processes of this machine (in this process if ``workers`` is 1), and no
    more processes than there are chunks to run: ``--workers 500`` on a sweep of three
    chunks forks three."""

    def __init__(self, workers: int | None = None):
        self.workers = workers or os.cpu_count() or 1
        self._stack = ExitStack()
        self._pool: ProcessPoolExecutor | None = None
        self._size = 0  # processes of self._pool

    def __exit__(self, *exc) -> None:
        self._stack.__exit__(*exc)

    def run(self, chunks: Sequence[Chunk], tasks: Sequence[Task]) -> Iterator[tuple[Chunk, dict]]:
        """Each chunk with its metrics, as they finish."""
        size = min(self.workers, len(chunks))
        if size <= 1:
            for chunk, task in zip(chunks, tasks, strict=True):
                yield chunk, simulate_chunk(*task)
            return
        pool = self._pool_of(size)
        futures = {pool.submit(simulate_chunk, *t): c for c, t in zip(chunks, tasks, strict=True)}
        for future in as_completed(futures):
            yield futures[future], future.result()

    def _pool_of(self, size: int) -> ProcessPoolExecutor:
        """A pool of at least ``size`` processes: an earlier round's, unless it is smaller
        (then that idle pool is shut down and a pool of ``size`` started)."""
        if self._pool is None or self._size < size:
            self._stack.close()
            self._pool = self._stack.enter_context(worker_pool(size))
            self._size = size
        return self._pool


class DaskExecutor(AbstractContextManager):
    """Chunks on a Dask cluster: a new local one, or an existing one at ``address``."""

    def __init__(self, address: str | None = None, workers: int | None = None):
        try:
            import distributed
        except ImportError:
            raise ScenarioError(
                "--scheduler", "", "Dask is not installed: pip install 'evacsim[distributed]'"
            ) from None
        self._distributed = distributed
        self.address = address
        self.workers = workers or os.cpu_count() or 1
        self._stack = ExitStack()
        self.client: Any = None  # a distributed.Client once entered

    def __enter__(self) -> DaskExecutor:
        distributed = self._distributed
        if self.address is None:
            cluster = self._stack.enter_context(
                distributed.LocalCluster(
                    n_workers=self.workers,
                    threads_per_worker=1,  # the batch engine is single-threaded numpy
                    dashboard_address=None,
                )
            )
            target = cluster
        else:
            target = self.address
        try:
            self.client = self._stack.enter_context(distributed.Client(target))
        except (OSError, ValueError, TypeError) as error:  # unreachable, malformed, no TLS
            self._stack.close()
            raise ScenarioError(
                "--scheduler", "", f"cannot reach {self.address}: {error}"
            ) from None
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()

    def run(self, chunks: Sequence[Chunk], tasks: Sequence[Task]) -> Iterator[tuple[Chunk, dict]]:
        """Each chunk with its metrics, as they finish."""
        # pure=False: identical inputs would otherwise share one key across sweeps
        futures = {
            self.client.submit(simulate_chunk, *t, pure=False): c
            for c, t in zip(chunks, tasks, strict=True)
        }
        try:
            for future in self._distributed.as_completed(futures):
                yield futures[future], future.result()
                future.release()
        except (CancelledError, asyncio.CancelledError, OSError, TimeoutError) as error:
            where = self.address or "on this machine"
            raise ScenarioError(
                "--scheduler",
                "",
                f"the Dask cluster {where} was lost ({type(error).__name__}); the chunks "
                "finished before are kept: run the same command to resume",
            ) from None


def open_executor(scheduler: str = "local", workers: int | None = None) -> AbstractContextManager:
    """The executor named by ``--scheduler``: ``local``, ``dask-local`` or ``tcp://HOST:PORT``.

    Raises
    ------
    ScenarioError
        For any other name, or when Dask is needed and missing.
    """
    if workers is not None and workers < 1:
        raise ScenarioError("--workers", "", f"must be at least 1, got {workers}")
    if scheduler == "local":
        return LocalExecutor(workers)
    if scheduler == "dask-local":
        return DaskExecutor(None, workers)
    if scheduler.startswith(("tcp://", "tls://")):
        _check_address(scheduler)
        return DaskExecutor(scheduler, workers)
    raise ScenarioError(
        "--scheduler", "", f"must be local, dask-local or tcp://HOST:PORT, got {scheduler!r}"
    )


@contextmanager
def executor_for(scheduler: str = "local", workers: int | None = None) -> Iterator[Executor | None]:
    """The executor ``run``, ``compare`` and ``calibrate`` take for ``--scheduler``: None for
    ``local`` (the runner's own processes), a Dask client's executor otherwise.

    Raises
    ------
    ScenarioError
        As :func:`open_executor` does.
    """
    with open_executor(scheduler, workers) as opened:
        yield opened.client.get_executor() if isinstance(opened, DaskExecutor) else None


def _check_address(address: str) -> None:
    """Refuse a scheduler address that is not ``tcp://HOST:PORT`` (or ``tls://``)."""
    try:
        parts = urlsplit(address)
        good = parts.hostname and parts.port is not None and parts.path in ("", "/")
    except ValueError:  # a port that is not a number, a bracket left open
        good = False
    if not good:
        raise ScenarioError(
            "--scheduler", "", f"must be tcp://HOST:PORT with a port 0-65535, got {address!r}"
        )
