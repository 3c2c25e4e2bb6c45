"""Memory a request needs, checked before anything runs.

A run holds every replication's metrics and hourly series (packed) until it writes them, and a
sweep every replication's chosen metrics; a request far beyond the machine (``--reps
100000000``, a sweep of a billion points) would allocate until the system kills it,
after hours of work. :func:`check_memory` refuses such a request at once, with the
estimate, so it fails fast instead.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from sim.errors import ScenarioError
from sim.inputs.scenario import Scenario
from sim.outputs.records import SERIES, metric_names

#: Share of the available memory a request may plan to use: the rest is for the engine's
#: working arrays, Python itself and the other programs of the machine.
SHARE = 0.5


def run_bytes(scenario: Scenario, reps: int) -> int:
    """Peak bytes of ``reps`` replications of ``scenario`` in memory, at most: their metrics
    and series as a run holds them (packed: :mod:`sim.outputs.packed`; float metrics do not
    shrink, so count 8 bytes a metric, and the series as they are), plus one series read
    whole and the float copy of one hour the percentiles take when the run is written."""
    hours = math.floor(scenario.horizon) + 1
    metrics = 8 * len(metric_names(scenario))
    sizes = [np.dtype(t).itemsize * hours for t in SERIES.values()]
    quantiles = 8  # percentiles work on a float64 copy of one hour of one series
    return reps * (metrics + sum(sizes) + max(sizes) + quantiles)


#: The batch engine's working memory a replication, at most, as a multiple of what it hands
#: back (:func:`run_bytes` of one replication): measured 5.7 on the baseline (7 kB in flight
#: for 1.2 kB of records) and 16 on the whole operation (81 kB for 5.1 kB).
WORKING = 16
#: Working memory a chunk of replications may take in one process.
CHUNK_BYTES = 400 * 2**20


def chunk_reps(scenario: Scenario, most: int) -> int:
    """Replications per batch-engine chunk: ``most``, or half of it when ``most``
    replications of ``scenario`` would take more than ``CHUNK_BYTES`` in flight (estimated
    as ``WORKING`` times their records), so that each worker holds no more than before chunks
    grew from 10,000 to 20,000 (the whole operation: about 0.8 GB a chunk of 10,000). The
    results do not depend on the chunks."""
    if most * WORKING * run_bytes(scenario, 1) <= CHUNK_BYTES:
        return most
    return max(most // 2, 1)


def sweep_bytes(replications: int, metrics: int) -> int:
    """Peak bytes of a sweep's ``replications`` (points times replications per point), each
    with ``metrics`` values: collected chunks, their concatenation and its sorted copy, plus
    the point and replication numbers."""
    return replications * (3 * 8 * metrics + 2 * 8 * 2)


def available_bytes() -> int:
    """Memory this process may still use: the system's available memory, or the limit of
    its control group (a container, a Slurm job) if that is lower."""
    found = []
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                found.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        used = Path("/sys/fs/cgroup/memory.current").read_text().strip()
        if limit != "max":
            found.append(int(limit) - int(used))
    except (OSError, ValueError):
        pass
    if not found:
        try:
            found.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (OSError, ValueError):
            return 2**63 - 1  # nothing to go by: do not refuse
    return max(min(found), 0)


def check_memory(needed: int, what: str, source: str, key: str) -> None:
    """Refuse a request that needs more than ``SHARE`` of the available memory.

    Raises
    ------
    ScenarioError
        Naming ``source`` and ``key``, the estimate and the memory available.
    """
    available = available_bytes()
    if needed > SHARE * available:
        raise ScenarioError(
            source,
            key,
            f"{what} need about {_size(needed)} of memory; this machine has {_size(available)} "
            f"available, and a run plans on at most {SHARE:.0%} of it: ask for fewer",
        )


def _size(n: float) -> str:
    """Bytes in the largest unit that keeps the number at least 1 (decimal units)."""
    units = ("bytes", "kB", "MB", "GB", "TB", "PB")
    power = min(int(math.log10(max(n, 1)) // 3), len(units) - 1)
    return f"{n:,.0f} bytes" if power == 0 else f"{n / 1000**power:,.1f} {units[power]}"
