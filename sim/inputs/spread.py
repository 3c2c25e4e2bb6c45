"""Batches spread over a time range: people arriving in batches, private vehicles in columns.

A scenario gives a run of batches as ``{start, end, every}``: a batch every ``every`` hours
from ``start``, the last before ``end``. People may come as a ``total`` shared out over the
batches, the first ones taking the rest. The loader and the batch engine's per-replication
totals (:mod:`sim.engines.batch_entries`) both use these two rules.
"""

from __future__ import annotations

import math


def batch_times(first: float, last: float, every: float) -> list[float]:
    """Hours of the batches from ``first`` (included) to ``last`` (excluded), ``every`` apart."""
    n = math.ceil((last - first) / every - 1e-9)
    return [first + k * every for k in range(n)]


def share_out(total, n: int) -> list:
    """``total`` people (an int, or an integer array of one total per replication) shared
    over ``n`` batches: each ``total // n``, the first ``total % n`` one more."""
    return [total // n + (k < total % n) for k in range(n)]
