"""A new convoy's hours, in compiled code: its slowest vehicles' and its route legs'.

The numpy batch engine's, to the bit. Its slowest vehicles' loading and unloading hours
are :meth:`sim.engines.vector.Batch.slowest_of` for one convoy: the uniforms of the
``load`` and ``unload`` streams (``MAX_POOLS`` indices a convoy, one a pool), the slowest of
each pool's ``n`` vehicles as ``exp(log(u) / n)``
(:func:`sim.model.distributions.slowest_uniform`), each pool's distribution's quantile, the
largest of the pools'. Its legs' hours and its incident uniform are the convoy's column of
the batch engine's tables by convoy (``Batch._hours``, ``Batch._u``), drawn for the
convoys a replication forms rather than for 16 convoys of every replication. ``exp``,
``log`` and ``log1p`` are numpy's own loops, ``ndtri`` and ``gammaincinv`` scipy's
(:mod:`~sim.engines.compiled.native`), the values of each convoy in one call a function.

A distribution's parameters are folded into ``TERMS`` numbers a replication by numpy first
(:func:`terms`), with the expressions of its ``ppf``
(:func:`sim.model.distributions.lognormal_terms`, :func:`~sim.model.distributions.gamma_terms`);
the compiled transform (:func:`quantile`, :func:`finish`) does the rest of ``ppf``, in its
order.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit

from sim.engines.batch_params import BatchDistribution, pick
from sim.engines.batch_state import LOADING
from sim.engines.compiled.convoys import set_timer
from sim.engines.compiled.layout import (
    C_NUMBER,
    C_UNLOAD,
    HANDED_LOAD,
    HANDED_UNLOAD,
    NOW,
    PENDING_SLOT,
    T_INCIDENT,
    TABLED,
    TERMS,
)
from sim.engines.compiled.native import EXP, LOG, LOG1P, gammaincinv, ndtri, unary
from sim.engines.compiled.philox import block, to_unit
from sim.inputs.scenario import MAX_POOLS
from sim.model.distributions import CV_FIXED, Distribution, gamma_terms, lognormal_terms

# a distribution's kind (Constants.vehicle_kind, leg_kind) and its terms (State.vehicle_terms,
# leg_terms), by kind:
# CONSTANT (hours), EXPONENTIAL (mean), UNIFORM (low, high), TRIANGULAR (low, mode, high,
# cut), LOGNORMAL (mu, sigma, mean, fixed), GAMMA (shape, scale, mean, fixed): ``fixed`` is
# 1.0 where a replication's cv counts as zero (the duration is its mean)
CONSTANT, EXPONENTIAL, UNIFORM, TRIANGULAR, LOGNORMAL, GAMMA = range(6)
LEGS = TABLED[:T_INCIDENT]  # the route's legs, in the order of their tables' rows
KINDS = {"exponential": EXPONENTIAL, "uniform": UNIFORM, "triangular": TRIANGULAR,
         "lognormal": LOGNORMAL, "gamma": GAMMA}  # fmt: skip


def terms(dist: BatchDistribution, R: int) -> tuple[int, np.ndarray]:
    """``dist``'s kind and terms, ``(1, TERMS)`` with scalar parameters, else
    ``(R, TERMS)``: the numbers of its ``ppf`` that do not depend on the uniform."""
    if dist.scalar is not None:
        return _scalar_terms(dist.scalar)
    out = np.zeros((R, TERMS))
    p: dict[str, Any] = {k: pick(v, np.arange(R)) for k, v in dist.params.items()}
    if dist.dist == "fixed":  # as BatchDistribution.ppf
        out[:, 0] = p["value"]
        return CONSTANT, out
    if dist.dist == "exponential":
        out[:, 0] = p["mean"]
    elif dist.dist == "uniform":
        out[:, 0], out[:, 1] = p["low"], p["high"]
    elif dist.dist == "triangular":
        low, mode, high = p["low"], p["mode"], p["high"]
        span = np.where(high > low, high - low, 1.0)
        out[:, 0], out[:, 1], out[:, 2], out[:, 3] = low, mode, high, (mode - low) / span
    else:
        cv, mean = p["cv"], p["mean"]
        fixed = cv < CV_FIXED
        if dist.dist == "lognormal":
            out[:, 0], out[:, 1] = lognormal_terms(mean, cv)
        else:
            out[:, 0], out[:, 1] = gamma_terms(mean, np.where(fixed, 1.0, cv))
        out[:, 2], out[:, 3] = mean, fixed
    return KINDS[dist.dist], out


def _scalar_terms(d: Distribution) -> tuple[int, np.ndarray]:
    """As :func:`terms` for a distribution of scalar parameters (as its ``ppf``)."""
    out = np.zeros((1, TERMS))
    p = dict(d.params)
    if d.is_fixed:
        out[:, 0] = d.mean
        return CONSTANT, out
    if d.dist == "exponential":
        out[:, 0] = p["mean"]
    elif d.dist == "uniform":
        out[:, :2] = p["low"], p["high"]
    elif d.dist == "triangular":
        low, mode, high = p["low"], p["mode"], p["high"]
        out[:] = low, mode, high, (mode - low) / (high - low)
    else:
        split = lognormal_terms if d.dist == "lognormal" else gamma_terms
        out[:, :3] = *split(p["mean"], p["cv"]), p["mean"]
    return KINDS[d.dist], out


def vehicle_terms(batch) -> tuple[np.ndarray, np.ndarray]:
    """The kinds ``(2, P)`` and terms ``(1 or R, 2, P, TERMS)`` of the batch's loading
    (row 0) and unloading (row 1) distributions."""
    dists = [*batch.load_time, *batch.unload_time]
    kinds, table = _stacked([terms(d, batch.R) for d in dists])
    return kinds.reshape(2, batch.P), table.reshape(len(table), 2, batch.P, TERMS)


def leg_terms(batch) -> tuple[np.ndarray, np.ndarray]:
    """The kinds ``(4,)`` and terms ``(1 or R, 4, TERMS)`` of the route's legs, in the
    order of ``LEGS``."""
    return _stacked([terms(batch.legs[leg], batch.R) for leg in LEGS])


def _stacked(folded: list[tuple[int, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Kinds and terms side by side: ``(n,)`` and ``(1 or R, n, TERMS)``."""
    rows = max(t.shape[0] for _, t in folded)
    table = np.stack([np.broadcast_to(t, (rows, TERMS)) for _, t in folded], axis=1)
    return np.array([kind for kind, _ in folded], dtype=np.int64), table


@njit(cache=True)
def quantile(st, t: np.ndarray, kind: int, u: float) -> float:
    """A distribution's hours for uniform ``u``, up to its last numpy call: for
    ``EXPONENTIAL`` the argument of its ``log1p``, for ``LOGNORMAL`` of its ``exp``
    (:func:`finish` does the rest)."""
    if kind == CONSTANT:
        return t[0]
    if kind == EXPONENTIAL:
        return -u
    if kind == UNIFORM:
        return t[0] + (t[1] - t[0]) * u
    if kind == TRIANGULAR:
        low, mode, high = t[0], t[1], t[2]
        if u < t[3]:
            return low + math.sqrt(u * (high - low) * (mode - low))
        return high - math.sqrt((1 - u) * (high - low) * (high - mode))
    if kind == LOGNORMAL:
        return t[0] + t[1] * ndtri(st.native, u)
    if t[3]:  # GAMMA, its cv zero
        return t[2]
    return gammaincinv(st.native, t[0], u) * t[1]


@njit(cache=True)
def finish(t: np.ndarray, kind: int, partial: float, exp: float, log1p: float) -> float:
    """The hours of :func:`quantile`'s ``partial`` value, given its ``exp`` and ``log1p``."""
    if kind == EXPONENTIAL:
        return -log1p * t[0]
    if kind == LOGNORMAL:
        return t[2] if t[3] else exp
    return partial


@njit(cache=True)
def new_convoy(st, r: int) -> None:
    """The pending convoy's hours: its legs' in its column of the tables by convoy, and its
    loading starts, for its slowest vehicle (its unloading's kept for later)."""
    slot = st.I[r, PENDING_SLOT]
    number = st.CI[r, slot, C_NUMBER]
    legs(st, r, number)
    slowest(st, r, slot, number)
    start_loading(st, r)


@njit(cache=True)
def legs(st, r: int, number: int) -> None:
    """Convoy ``number``'s legs' hours and incident uniform, in ``CT[r, :, number]``."""
    x, y, z, call = st.hour_x, st.hour_y, st.hour_z, st.hour_call
    rep, k0, k1, index = np.uint64(st.rep_ids[r]), st.key[0], st.key[1], np.uint64(number >> 2)
    row = r if st.leg_terms.shape[0] > 1 else 0
    needs_exp = needs_log1p = False
    for i in range(len(LEGS)):
        u = to_unit(block(k0, k1, st.leg_streams[i], rep, index)[number & 3])
        kind = st.leg_kind[i]
        y[i] = quantile(st, st.leg_terms[row, i], kind, u)
        needs_exp = needs_exp or kind == LOGNORMAL
        needs_log1p = needs_log1p or kind == EXPONENTIAL
    if needs_exp:
        unary(st.native, EXP, y, x, len(LEGS), call)
    if needs_log1p:
        unary(st.native, LOG1P, y, z, len(LEGS), call)
    for i in range(len(LEGS)):
        st.CT[r, i, number] = finish(st.leg_terms[row, i], st.leg_kind[i], y[i], x[i], z[i])
    incident = block(k0, k1, st.leg_streams[len(LEGS)], rep, index)[number & 3]
    st.CT[r, T_INCIDENT, number] = to_unit(incident)


@njit(cache=True)
def slowest(st, r: int, slot: int, number: int) -> None:
    """The slowest loading and unloading hours of convoy ``number`` in ``slot``, in
    ``HANDED_LOAD`` and ``HANDED_UNLOAD`` (where numpy would hand them)."""
    P = st.CV.shape[2]
    x, y, z, n, call = st.hour_x, st.hour_y, st.hour_z, st.hour_n, st.hour_call
    rep, k0, k1 = np.uint64(st.rep_ids[r]), st.key[0], st.key[1]
    m, zero = 0, np.uint64(0)
    for s in range(2):  # the uniforms of the pools that send vehicles
        words, drawn = (zero, zero, zero, zero), -1
        for p in range(P):
            if st.CV[r, slot, p] > 0:
                index = number * MAX_POOLS + p
                if index >> 2 != drawn:
                    drawn = index >> 2
                    words = block(k0, k1, st.hour_streams[s], rep, np.uint64(drawn))
                x[m], n[m] = to_unit(words[index & 3]), s * P + p
                m += 1
    unary(st.native, LOG, x, y, m, call)
    for j in range(m):
        y[j] = y[j] / st.CV[r, slot, n[j] % P]
    unary(st.native, EXP, y, x, m, call)  # the slowest vehicles' uniforms
    row = r if st.vehicle_terms.shape[0] > 1 else 0
    needs_exp = needs_log1p = False
    for j in range(m):
        s, p = n[j] // P, n[j] % P
        kind = st.vehicle_kind[s, p]
        y[j] = quantile(st, st.vehicle_terms[row, s, p], kind, x[j])
        needs_exp = needs_exp or kind == LOGNORMAL
        needs_log1p = needs_log1p or kind == EXPONENTIAL
    if needs_exp:
        unary(st.native, EXP, y, x, m, call)
    if needs_log1p:
        unary(st.native, LOG1P, y, z, m, call)
    load = unload = 0.0
    for j in range(m):
        s, p = n[j] // P, n[j] % P
        h = finish(st.vehicle_terms[row, s, p], st.vehicle_kind[s, p], y[j], x[j], z[j])
        if s == 0:
            load = _maximum(load, h)
        else:
            unload = _maximum(unload, h)
    st.F[r, HANDED_LOAD], st.F[r, HANDED_UNLOAD] = load, unload


@njit(cache=True)
def _maximum(a: float, b: float) -> float:
    """``np.maximum(a, b)``: NaN if either is."""
    return a if a >= b or a != a else b


@njit(cache=True)
def start_loading(st, r: int) -> None:
    """The pending convoy starts loading for its handed hours; its unloading's are kept."""
    slot = st.I[r, PENDING_SLOT]
    st.CF[r, slot, C_UNLOAD] = st.F[r, HANDED_UNLOAD]
    set_timer(st, r, slot, st.F[r, NOW] + st.F[r, HANDED_LOAD], LOADING)
