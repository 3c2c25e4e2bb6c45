"""The variates of a compiled batch: :mod:`sim.model.variates`' uniforms in compiled code.

The same Philox4x64-10 blocks and the same map to (0, 1): integer arithmetic, so the same
bits. A batch's tables draw the same indices for every replication (``Batch._table``);
:class:`CompiledVariates` computes those in one compiled pass, with the 128-bit product of
a round as one LLVM multiplication, instead of numpy's fifteen array operations on 32-bit
halves; the loop draws a new convoy's loading and unloading uniforms with :func:`block`.
Any other draw is numpy's.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic
from numpy.typing import ArrayLike

from sim.model.variates import STREAMS, Variates, _counts

_M0, _M1 = np.uint64(0xD2E7470EE14C6C93), np.uint64(0xCA5A826395121157)  # round multipliers
_W0, _W1 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBB67AE8584CAA73B)  # key increments


@intrinsic
def _mulhilo(typingctx, a, b):
    """High and low 64-bit words of the 128-bit product ``a * b`` (both uint64)."""
    signature = types.UniTuple(types.uint64, 2)(types.uint64, types.uint64)

    def codegen(context, builder, sig, args):
        wide = ir.IntType(128)
        product = builder.mul(builder.zext(args[0], wide), builder.zext(args[1], wide))
        high = builder.trunc(builder.lshr(product, ir.Constant(wide, 64)), ir.IntType(64))
        low = builder.trunc(product, ir.IntType(64))
        return context.make_tuple(builder, sig.return_type, [high, low])

    return signature, codegen


@njit(cache=True)
def block(k0: np.uint64, k1: np.uint64, sid: np.uint64, rep: np.uint64, number: np.uint64):
    """The four words of Philox block ``number`` of replication ``rep`` in stream ``sid``
    (the counter ``(number, rep, sid, 0)``, the key ``(k0, k1)``)."""
    x0, x1, x2, x3 = number, rep, sid, np.uint64(0)
    a, b = k0, k1
    for _ in range(10):  # (mypy reads the intrinsic's typing signature)
        hi0, lo0 = _mulhilo(_M0, x0)  # type: ignore[call-arg,var-annotated]
        hi1, lo1 = _mulhilo(_M1, x2)
        x0, x1, x2, x3 = hi1 ^ x1 ^ a, lo1, hi0 ^ x3 ^ b, lo0
        a, b = a + _W0, b + _W1
    return x0, x1, x2, x3


@njit(cache=True)
def to_unit(word: np.uint64) -> float:
    """A block's word as a uniform: the documented map ``((w >> 11) + 0.5) * 2**-53``,
    capped below 1."""
    u = np.float64(np.int64(word >> np.uint64(11))) * 2.0**-53
    return min(u + 2.0**-54, 1.0 - 2.0**-53)


@njit(cache=True)
def _row(k0: np.uint64, k1: np.uint64, sid: np.uint64, reps: np.ndarray, index: np.ndarray):
    """Uniforms ``index`` (non-decreasing) of each replication of ``reps``, shape
    ``(len(reps), len(index))``: each Philox block that holds some computed once a
    replication."""
    out = np.empty((len(reps), len(index)))
    words = np.empty(4, dtype=np.uint64)
    for i in range(len(reps)):
        number = -1
        for j in range(len(index)):
            if index[j] >> 2 != number:
                number = index[j] >> 2
                x = block(k0, k1, sid, reps[i], np.uint64(number))
                words[0], words[1], words[2], words[3] = x
            out[i, j] = to_unit(words[index[j] & 3])
    return out


class CompiledVariates(Variates):
    """:class:`~sim.model.variates.Variates` that draws a table (the same non-decreasing
    indices for every replication) in compiled code."""

    def uniform(self, stream: str, rep: ArrayLike, index: ArrayLike) -> np.ndarray:
        """Same as :meth:`Variates.uniform`."""
        a, b = np.asarray(rep), np.asarray(index)
        whole = (
            stream in STREAMS
            and a.ndim == 2
            and a.shape[1] == 1
            and b.shape == (1, b.size)
            and b.size > 0
            and a.dtype.kind in "iu"
            and b.dtype.kind in "iu"
            and b[0, 0] >= 0
            and (np.diff(b[0]) >= 0).all()
        )
        if not whole:
            return super().uniform(stream, rep, index)
        reps = _counts(a[:, 0], "rep")
        k0, k1 = self.key
        return _row(k0, k1, np.uint64(STREAMS[stream]), reps, b[0].astype(np.int64))
