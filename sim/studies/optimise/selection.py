"""Selecting the best feasible system: a fully sequential procedure with feasibility checks.

The procedure is that of Kim & Nelson (2001, "KN") for the comparison, run concurrently with
the feasibility check of Andradóttir & Kim (2010) for each constraint, under common random
numbers. It guarantees, for normal observations and for any systems, that

    P(select the best feasible system) >= 1 - alpha

whenever the best feasible system's mean is at least ``delta`` above every other feasible
system's and every constraint's mean is at least ``tolerance`` away from its bound; plans
inside those zones may be called either way (they are as good as each other, or as good as
feasible). The observations of replication ``r`` of all systems may be correlated (common
random numbers); the comparison uses the variance of each pair's differences.

The steps, for maximising ``x`` subject to ``E[y_c] <= q_c`` for each constraint ``c``:

1. Run every system ``n0`` replications. Error budget: ``alpha / 2`` for the comparisons and
   ``alpha / 2`` for the feasibility checks (all of ``alpha`` without constraints). Each of
   the ``k - 1`` pairs with the best gets ``alpha_2 / (k - 1)``; the checks that must go
   right (the best's ``s`` constraints, one violated constraint of each other system) get
   ``beta = alpha_1 / (k - 1 + s)`` each. With ``eta = ((2 a)^(-2 / (n0 - 1)) - 1) / 2`` for
   an error ``a``, ``h^2 = 2 eta (n0 - 1)``.
2. First-stage variances: ``S2_il`` of the differences ``x_i - x_l``, ``S2_ic`` of ``y_c``.
   For a chance constraint (``y`` is 0 or 1) ``S2_ic`` is at least the largest Bernoulli
   variance ``p (1 - p)`` of a probability ``p`` within ``tolerance`` of the bound: the
   variance near the bound, where mistakes are made, even when the first stage saw no event.
3. After each replication ``r >= n0``:
   - feasibility: with ``E = sum_j (y_icj - q_c)`` and
     ``R = max(0, h1^2 S2_ic / (2 eps_c) - eps_c r / 2)``, constraint ``c`` of system ``i``
     is met once ``E <= -R`` and violated once ``E >= R``; a violated constraint removes
     the system;
   - comparison: with ``D = sum_j (x_ij - x_lj)`` and
     ``W = max(0, h^2 S2_il / (2 delta) - delta r / 2)``, a system ``l`` that meets every
     constraint removes system ``i`` once ``D < -W`` (only a system known to be feasible
     can remove another);
   - a system undefined in a replication (NaN) is removed.
4. Stop when one system is left and it meets every constraint (it is selected), when none
   is left (no system is feasible), or when every pair's region has closed (``W = 0``) and
   every remaining system meets every constraint (the largest mean is selected). A
   procedure that reaches ``max_reps`` first stops without its guarantee.

Decisions are made replication by replication, but observations are drawn in blocks (one
batch of the engine per block), so a system may be simulated a little beyond the
replication at which it left; ``used`` counts the replications decisions rested on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

#: Observations ``(x, y)`` of systems ``index`` in replications ``first .. stop - 1``:
#: ``x`` of shape ``(len(index), stop - first)``, ``y`` of ``(len(index), s, stop - first)``.
Sampler = Callable[[np.ndarray, int, int], tuple[np.ndarray, np.ndarray]]


@dataclass
class Selection:
    """The outcome of the procedure.

    Attributes
    ----------
    chosen : int or None
        The selected system, or None when no system was found feasible.
    certified : bool
        Whether the procedure ended before ``max_reps`` (the guarantee holds).
    used : ndarray of int, shape (k,)
        Replications of each system the decisions rested on (the replication at which it
        left, or the last one).
    simulated : int
        Replications run in all (blocks run a little past decisions).
    exits : list of str
        Why each system left, or ``selected``, or ``in contention`` when stopped early.
    feasible : ndarray of object, shape (k, s)
        True (met), False (violated) or None (undecided) per system and constraint.
    means : ndarray, shape (k,)
        Each system's mean of ``x`` over its ``used`` replications.
    fixed_n : int
        Replications a two-stage procedure with the same first stage and the same
        constants would take (every system run to the end of its widest region).
    h2, h2_feasibility : float
        The constants of the comparison and of the feasibility checks.
    """

    chosen: int | None
    certified: bool
    used: np.ndarray
    simulated: int
    exits: list[str]
    feasible: np.ndarray
    means: np.ndarray
    fixed_n: int
    h2: float
    h2_feasibility: float


def constant(error: float, n0: int) -> float:
    """``h^2`` of a triangular continuation region with error ``error`` after ``n0`` first
    replications (Kim & Nelson 2001, with c = 1)."""
    eta = ((2 * error) ** (-2 / (n0 - 1)) - 1) / 2
    return 2 * eta * (n0 - 1)


def select(
    sample: Sampler,
    k: int,
    bounds: np.ndarray,
    tolerances: np.ndarray,
    chance: np.ndarray,
    alpha: float,
    delta: float,
    n0: int,
    max_reps: int,
    block: int = 32,
) -> Selection:
    """Select the system with the largest mean ``x`` among those with ``E[y_c] <= bounds[c]``.

    Parameters
    ----------
    sample : callable
        ``sample(index, first, stop)`` gives the observations of systems ``index`` in
        replications ``first .. stop - 1``; replication ``j`` of every system may share
        random numbers (common random numbers).
    k : int
        Systems.
    bounds, tolerances : ndarray, shape (s,)
        Each constraint's bound ``q_c`` and tolerance ``eps_c`` (``y``'s unit).
    chance : ndarray of bool, shape (s,)
        Which constraints are chance constraints (``y`` is 0 or 1).
    alpha : float
        1 - alpha is the promised probability of correct selection.
    delta : float
        Indifference zone in ``x``'s unit.
    n0 : int
        First-stage replications (at least 2).
    max_reps : int
        Most replications per system.
    block : int
        Replications drawn at a time after the first stage.
    """
    bounds, tolerances = np.asarray(bounds, float), np.asarray(tolerances, float)
    s = len(bounds)
    if k == 0:  # nothing to compare
        empty = np.zeros(0, int)
        return Selection(None, True, empty, 0, [], np.zeros((0, s), object), empty, 0, 0, 0)
    alpha_compare = alpha / 2 if s else alpha
    h2 = constant(alpha_compare / max(k - 1, 1), n0)
    h2f = constant((alpha - alpha_compare) / (k - 1 + s), n0) if s else 0.0

    everyone = np.arange(k)
    x, y = sample(everyone, 0, n0)
    alive = np.ones(k, bool)
    exits = ["in contention"] * k
    used = np.full(k, n0)
    met = np.zeros((k, s), bool)  # decided as met
    broken = np.zeros((k, s), bool)  # decided as violated
    for i in np.flatnonzero(np.isnan(x).any(axis=1) | np.isnan(y).any(axis=(1, 2))):
        alive[i] = False
        exits[i] = "undefined in the first stage (NaN)"

    diffs = x[:, None, :] - x[None, :, :]
    with np.errstate(invalid="ignore"):
        s2_pair = diffs.var(axis=2, ddof=1)  # (k, k)
        s2_cons = y.var(axis=2, ddof=1)  # (k, s)
    near = np.clip(0.5, bounds - tolerances, bounds + tolerances)  # the p nearest 1/2
    s2_cons = np.where(chance, np.maximum(s2_cons, near * (1 - near)), s2_cons)
    pair_end = np.floor(h2 * s2_pair / delta**2)  # the last r at which W > 0
    cons_end = np.floor(h2f * s2_cons / tolerances**2) if s else np.zeros((k, 0))
    ends = np.concatenate([pair_end, cons_end], axis=1)
    widest = np.where(np.isnan(ends), 0, ends).max(axis=1, initial=0) + 1
    fixed_n = int(np.maximum(widest, n0).sum())

    total_x = np.nan_to_num(x).sum(axis=1)
    total_y = np.nan_to_num(y).sum(axis=2)
    total_d = np.nan_to_num(diffs).sum(axis=2)
    r, have, simulated = n0, n0, k * n0
    chosen = None
    certified = False
    while True:
        # -- decide at replication r ------------------------------------------------------
        if s:
            gap = total_y - r * bounds  # (k, s)
            reach = np.maximum(0, h2f * s2_cons / (2 * tolerances) - tolerances * r / 2)
            open_ = alive[:, None] & ~met
            below = gap <= -reach
            met |= open_ & below
            violated = open_ & ~below & (gap >= reach)
            for i in np.flatnonzero(violated.any(axis=1)):
                c = int(np.flatnonzero(violated[i])[0])
                broken[i, c] = True
                alive[i] = False
                exits[i] = f"constraint {c} violated after {r} replications"
                used[i] = r
        known = alive & met.all(axis=1)
        margin = np.maximum(0, h2 * s2_pair / (2 * delta) - delta * r / 2)
        beaten = (total_d < -margin) & known[None, :] & alive[:, None]
        np.fill_diagonal(beaten, False)
        for i in np.flatnonzero(beaten.any(axis=1)):
            j = int(np.flatnonzero(beaten[i])[0])
            alive[i] = False
            exits[i] = f"eliminated by system {j} after {r} replications"
            used[i] = r
        left = np.flatnonzero(alive)
        if len(left) == 0:
            certified = True
            break
        if met[left].all():
            closed = (pair_end[np.ix_(left, left)] < r).all()
            if len(left) == 1 or closed:
                means = total_x[left] / r
                chosen = int(left[np.argmax(means)])  # ties: the first listed
                certified = True
                break
        if r >= max_reps:
            break
        # -- the next replication ----------------------------------------------------------
        if r == have:
            stop = min(have + block, max_reps)
            bx, by = sample(left, have, stop)
            simulated += len(left) * (stop - have)
            have = stop
            fresh_x = np.full((k, stop - r), np.nan)
            fresh_y = np.full((k, s, stop - r), np.nan)
            fresh_x[left], fresh_y[left] = bx, by
        j = r - (have - fresh_x.shape[1])
        r += 1
        xr, yr = fresh_x[:, j], fresh_y[:, :, j]
        for i in np.flatnonzero(alive & (np.isnan(xr) | np.isnan(yr).any(axis=1))):
            alive[i] = False
            exits[i] = f"undefined (NaN) in replication {r - 1}"
            used[i] = r
        xr = np.nan_to_num(xr)
        total_x += xr
        total_y += np.nan_to_num(yr)
        total_d += xr[:, None] - xr[None, :]
        used[alive] = r
    if chosen is not None:
        exits[chosen] = "selected"
    if not certified:
        chosen = _best_unfinished(alive, met, total_x / np.maximum(used, 1))
    means = total_x / np.maximum(used, 1)
    feasible = np.full(met.shape, None, dtype=object)  # undecided unless met or violated
    feasible[broken] = False
    feasible[met] = True
    return Selection(chosen, certified, used, simulated, exits, feasible, means, fixed_n, h2, h2f)


def _best_unfinished(alive: np.ndarray, met: np.ndarray, means: np.ndarray) -> int | None:
    """At ``max_reps``: the best mean among systems still in, preferring those known to be
    feasible; None if none is in."""
    left = np.flatnonzero(alive)
    if len(left) == 0:
        return None
    known = left[met[left].all(axis=1)]
    pool = known if len(known) else left
    return int(pool[np.argmax(means[pool])])
