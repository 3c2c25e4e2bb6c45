"""Replications to a precision: the stopping rules of ``--precision``, for a run
(``evacsim run``) and each point of a sweep (``RULE``), and for a comparison
(``evacsim compare``, ``PAIRED_RULE``), with the rounds they double in (:func:`rounds`)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from sim.errors import ScenarioError
from sim.outputs.metrics import summarise
from sim.outputs.records import Replications
from sim.studies.paired import paired_difference

#: The rule, as the manifest and the documentation state it.
RULE = """A run (or a sweep point) is precise enough when, for every requested metric, the
half-width of the 95% confidence interval of its mean (Student t, over the replications where
the metric is defined) is at most ``precision`` times the absolute mean. A metric whose mean
is 0 meets the rule only if its half-width is 0 too (every replication gave 0); a metric
defined in fewer than two replications never meets it. A run or point that misses the rule
doubles its replications (replications n .. 2n - 1 are added) in rounds until it meets it
or reaches ``max_reps``."""

#: The rule of a comparison, as its manifest and the documentation state it.
PAIRED_RULE = """A comparison is precise enough when, for every requested metric and every
what-if, the half-width of the 95% confidence interval of the mean paired difference
whatif[r] - base[r] (Student t, over the pairs where the metric is defined in both) is at most
``precision`` times the absolute mean of the base over those pairs. The yardstick is the
base's mean, not the difference's: a what-if that changes nothing (every paired difference 0)
meets the rule at once, where no number of replications brings a half-width within a share
of a zero difference. A metric whose base mean is 0 meets the rule only if its half-width is
0 too; a metric defined in fewer than two pairs never meets it. A comparison that misses the
rule doubles the replications of the base and of every what-if together (replications
n .. 2n - 1 are added to each) in rounds until it meets it or reaches ``max_reps``; the
what-ifs' independent sample (their replications n .. 2n - 1 at the final n) is run once,
after the last round."""


def check_goal(precision: float, max_reps: int | None, reps: int = 1) -> None:
    """Refuse what the command line refuses (:mod:`sim.cli.arguments`): a precision not
    strictly between 0 and 1, a cap below one replication, or a cap below the first
    round (``reps``), which would run more replications than the cap it names.

    Raises
    ------
    ScenarioError
        Naming ``--precision`` or ``--max-reps`` and what is allowed.
    """
    if not 0 < precision < 1:
        raise ScenarioError(
            "--precision", "", f"must be between 0 and 1, e.g. 0.02, got {precision}"
        )
    if max_reps is not None and max_reps < 1:
        raise ScenarioError("--max-reps", "", f"must be at least 1, got {max_reps}")
    if max_reps is not None and max_reps < reps:
        raise ScenarioError(
            "--max-reps",
            "",
            f"must be at least the first round's --reps ({reps:,}), got {max_reps:,}",
        )


def within(half: float, scale: float, precision: float) -> bool:
    """Whether a 95% CI half-width is at most ``precision`` times ``|scale|`` (never when
    the half-width is NaN: fewer than two values)."""
    return not math.isnan(half) and half <= precision * abs(scale)


def half_width(values: np.ndarray) -> tuple[float, float]:
    """Mean and 95% CI half-width of one metric at one point (NaN if undefined)."""
    s = summarise("", values)
    return s.mean, (s.ci_high - s.ci_low) / 2


def precise(values: dict[str, np.ndarray], precision: float) -> bool:
    """Whether every metric's 95% CI half-width is within ``precision`` of its mean."""
    for metric in values.values():
        mean, half = half_width(metric)
        if not within(half, mean, precision):
            return False
    return True


def paired_share(base: np.ndarray, same: np.ndarray) -> float:
    """The paired difference's 95% CI half-width over the absolute base mean (0 when the
    half-width is 0, inf when only the base mean is, NaN with fewer than two pairs): the
    precision a comparison reached for one metric and what-if."""
    p = paired_difference(base, same)
    half = (p.ci_high - p.ci_low) / 2
    if math.isnan(half):
        return math.nan
    if half == 0:
        return 0.0
    return half / abs(p.base_mean) if p.base_mean else math.inf


def paired_precise(pairs: Iterable[tuple[np.ndarray, np.ndarray]], precision: float) -> bool:
    """Whether every ``(base, whatif)`` pair of a metric's replications meets
    :data:`PAIRED_RULE`: the paired 95% CI half-width within ``precision`` of the base mean."""
    for base, same in pairs:
        p = paired_difference(base, same)
        if not within((p.ci_high - p.ci_low) / 2, p.base_mean, precision):
            return False
    return True


def rounds(reps: int, cap: int) -> Iterator[tuple[int, int]]:
    """The rounds of replications ``first .. stop - 1`` a precision runs in: ``0 .. reps - 1``,
    then doubling (``n .. 2n - 1``) up to ``cap``; the caller stops when the rule is met.
    A ``cap`` at most ``reps`` gives one round (no precision)."""
    first, stop = 0, reps
    yield first, stop
    while stop < cap:
        first, stop = stop, min(2 * stop, cap)
        yield first, stop


def refuse_undefined(replications: Replications, metrics: Sequence[str], of: str = "") -> None:
    """Refuse a precision on a metric no replication defines: no number of them would do.

    Parameters
    ----------
    replications : Replications
        The first round.
    metrics : sequence of str
    of : str
        Whose replications, for the message (e.g. ``" of more_buses"``).

    Raises
    ------
    ScenarioError
        Naming ``--metric`` and the metric.
    """
    for name in metrics:
        if np.isnan(replications.metrics[name]).all():
            raise ScenarioError(
                "--metric",
                name,
                f"undefined in all {replications.reps:,} replications{of} (e.g. clearance_time "
                "when nothing clears), so no number of replications makes it precise; "
                "choose another --metric",
            )


def next_round(
    requests: list[tuple[int, int, int]],
    values: dict[str, list[np.ndarray]],
    precision: float,
    cap: int,
) -> list[tuple[int, int, int]]:
    """The replications to add after a round: ``(point, first, stop)`` for every point of
    the round that misses the rule and has fewer than ``cap`` replications, doubling them.

    Parameters
    ----------
    requests : list of (point, first, stop)
        The round just run: replications ``first .. stop - 1`` of each point.
    values : dict of str to list of ndarray
        Each metric's values per point so far.
    precision : float
    cap : int
        Most replications per point.
    """
    return [
        (p, stop, min(2 * stop, cap))
        for p, _, stop in requests
        if stop < cap and not precise({m: v[p] for m, v in values.items()}, precision)
    ]
