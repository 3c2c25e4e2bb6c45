"""Counter-based standard uniforms shared by both engines.

A uniform is a pure function of ``(seed, stream, rep, index)``: word ``index % 4`` of the
Philox4x64-10 block for counter ``(index // 4, rep, STREAMS[stream], 0)`` and key
``seed_key(seed)``. So a replication run alone sees the same numbers as inside a batch, and
using one stream more or less never shifts another (common random numbers). The block
function matches ``numpy.random.Philox``, which increments its 256-bit counter *before*
each block: ``Philox(key=k, counter=c).random_raw(4) == philox4x64(c + 1, k)``.
"""

from collections.abc import Mapping
from types import MappingProxyType

import numpy as np
from numpy.typing import ArrayLike

#: Stream name -> id (the third counter word). Fixed: never renumber an existing name.
STREAMS: Mapping[str, int] = MappingProxyType({
    "load": 1, "unload": 2, "to_checkpoint": 3, "inspection": 4, "incident": 5,
    "to_reception": 6, "return_trip": 7, "breach": 8, "negotiation": 9, "guarantee": 10,
    "linked_trip": 11, "uncertainty": 12, "private_load": 13, "private_to_checkpoint": 14,
    "private_inspection": 15, "private_to_reception": 16,
    "exchange_to_meeting": 31, "exchange_from_meeting": 32, "exchange_return": 33,
    "exchange_halt": 34, "exchange_halt_duration": 35,
})  # fmt: skip

_M0, _M1 = 0xD2E7470EE14C6C93, 0xCA5A826395121157  # round multipliers
_W0, _W1 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBB67AE8584CAA73B)  # key increments
_LO32 = np.uint64(0xFFFFFFFF)
_ZERO = np.zeros((1, 1), dtype=np.uint64)  # the fourth counter word
_CHUNK = 1 << 14  # blocks per pass: temporaries stay in cache (~6x faster at 10**6 than unchunked)


def _mulhilo(m: int, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """High and low 64-bit words of the 128-bit product ``m * x`` (``x`` uint64, >= 1-d).

    From 32-bit halves, ``m * x = xh*mh * 2**64 + (xl*mh + xh*ml) * 2**32 + xl*ml``; no
    partial sum below overflows 64 bits (``xl*mh + (xl*ml >> 32)`` and ``(that mod 2**32)
    + xh*ml`` are under ``2**64``), so the high word is exact, in 15 array operations.
    """
    ml, mh = np.uint64(m & 0xFFFFFFFF), np.uint64(m >> 32)
    xl, xh = x & _LO32, x >> 32
    t, cross = xl * mh, xh * ml  # 32x32 bits fit in 64
    xl *= ml
    xl >>= 32
    t += xl  # xl*mh plus the carry of xl*ml
    np.bitwise_and(t, _LO32, out=xl)
    xl += cross  # the middle column
    xh *= mh
    t >>= 32
    xh += t
    xl >>= 32
    xh += xl
    return xh, x * np.uint64(m)


def _rounds(x0, x1, x2, x3, k0: np.ndarray, k1: np.ndarray) -> tuple[np.ndarray, ...]:
    """Ten Philox4x64 rounds on broadcastable uint64 words (each at least 1-d), ``k0``,
    ``k1`` of shape (1,).

    The words are not broadcast up front: a word that takes few values (the stream, the
    fourth counter word, a grid's block number or replication) keeps its small shape until
    a round mixes it with a larger one, so the first rounds multiply few numbers (a grid
    of blocks by replications does 15 large multiplications instead of 20).
    """
    x = (x0, x1, x2, x3)
    for _ in range(10):
        hi0, lo0 = _mulhilo(_M0, x[0])
        hi1, lo1 = _mulhilo(_M1, x[2])
        x = (_xor(hi1, x[1], k0), lo1, _xor(hi0, x[3], k1), lo0)
        k0, k1 = k0 + _W0, k1 + _W1  # the key is bumped between rounds (Random123, numpy)
    return x


def _xor(hi: np.ndarray, word: np.ndarray, k: np.ndarray) -> np.ndarray:
    """``hi ^ word ^ k``, in place in ``hi`` (a fresh product) when it has the full shape."""
    full = hi.shape == np.broadcast_shapes(hi.shape, word.shape)
    out = np.bitwise_xor(hi, word, out=hi if full else None)
    out ^= k
    return out


def philox4x64(counter: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Philox4x64-10 block function, vectorized.

    Parameters
    ----------
    counter : array_like of uint64, shape (..., 4)
        Counter words, least significant first.
    key : array_like of uint64, shape (..., 2)
        Key words; the leading shape broadcasts against ``counter``'s.

    Returns
    -------
    numpy.ndarray of uint64, shape (broadcast leading shape, 4)
    """
    ctr, k = np.asarray(counter, dtype=np.uint64), np.asarray(key, dtype=np.uint64)
    if ctr.shape[-1:] != (4,) or k.shape[-1:] != (2,):
        raise ValueError(f"need counter (..., 4) and key (..., 2), got {ctr.shape}, {k.shape}")
    shape = np.broadcast_shapes(ctr.shape[:-1], k.shape[:-1])
    ctr = np.broadcast_to(ctr, (*shape, 4)).reshape(-1, 4).T  # 1-d words: no 0-d scalars
    k = np.broadcast_to(k, (*shape, 2)).reshape(-1, 2).T
    return np.stack(np.broadcast_arrays(*_rounds(*ctr, *k)), axis=-1).reshape(*shape, 4)


def seed_key(seed: int) -> np.ndarray:
    """The Philox key of a run seed: ``SeedSequence(seed).generate_state(2, np.uint64)``."""
    return np.random.SeedSequence(seed).generate_state(2, np.uint64)


def _counts(x: ArrayLike, name: str) -> np.ndarray:
    """``x`` as a uint64 array of non-negative integers."""
    a = np.asarray(x)
    if a.dtype.kind not in "iu" or (a.dtype.kind == "i" and (a < 0).any()):
        raise ValueError(f"{name} must be non-negative integers, got {x!r:.80}")
    return a.astype(np.uint64, copy=False)


def _to_unit(words: np.ndarray) -> np.ndarray:
    """``((w >> 11) + 0.5) * 2**-53`` in float64, capped below 1 (it is 1.0 if ``w >> 11`` is
    ``2**53 - 1``: ``2**53 - 0.5`` rounds half to even)."""
    # exact: w >> 11 < 2**53, read as int64 (numpy converts int64 to float faster than uint64)
    u = (words >> 11).view(np.int64) * 2.0**-53
    u += 2.0**-54  # the one rounding
    return np.minimum(u, 1.0 - 2.0**-53, out=u)  # the largest float64 below 1


def _blocks(key: np.ndarray, sid: np.uint64, rep: np.ndarray, blocks: np.ndarray) -> np.ndarray:
    """Uniforms of the four words of Philox blocks ``blocks`` (counter word 0) of each rep:
    shape ``rep.shape + (len(blocks), 4)``.

    The counters form a grid (replications by blocks), passed to the rounds as a column and
    a row, so the first rounds work on the distinct values only."""
    reps, nb = rep.reshape(-1, 1), len(blocks)
    row = blocks.astype(np.uint64).reshape(1, -1)
    stream = np.full((1, 1), sid, dtype=np.uint64)
    out = np.empty((len(reps), nb, 4))
    step = max(1, _CHUNK // max(nb, 1))  # replications per pass: temporaries stay in cache
    for j in range(0, len(reps), step):
        w = _rounds(row, reps[j : j + step], stream, _ZERO, key[:1], key[1:])
        out[j : j + step] = _to_unit(np.stack(np.broadcast_arrays(*w), axis=-1))
    return out.reshape(*rep.shape, nb, 4)


def _run(key: np.ndarray, sid: np.uint64, rep: np.ndarray, start: int, n: int) -> np.ndarray:
    """Uniforms for indices ``start .. start+n-1`` of each rep: shape ``rep.shape + (n,)``."""
    b0, nb = start // 4, (start + n + 3) // 4 - start // 4
    out = _blocks(key, sid, rep, np.arange(b0, b0 + nb)).reshape(*rep.shape, 4 * nb)
    return np.ascontiguousarray(out[..., start % 4 : start % 4 + n])


def _row(key: np.ndarray, sid: np.uint64, rep: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Uniforms for the same indices ``index`` (1-d) of each rep: shape ``rep.shape +
    index.shape``, each Philox block that holds some of them computed once per rep."""
    blocks, at = np.unique(index >> 2, return_inverse=True)
    words = _blocks(key, sid, rep, blocks)
    return words[..., at, (index & 3).astype(np.intp)]


def uniforms(seed: int, stream: str, rep: ArrayLike, index: ArrayLike) -> np.ndarray:
    """Standard uniforms on the open interval (0, 1).

    Parameters
    ----------
    seed : int
        The run seed (non-negative).
    stream : str
        A name in ``STREAMS``.
    rep, index : array_like of int
        Replication numbers and draw indices (non-negative), broadcast together.

    Returns
    -------
    numpy.ndarray of float64, shape ``broadcast(rep, index).shape``
        Shape ``()`` for scalar inputs. Unitless. Element ``u`` is word ``index % 4`` of
        ``philox4x64((index // 4, rep, STREAMS[stream], 0), seed_key(seed))`` mapped by
        ``((word >> 11) + 0.5) * 2**-53`` (min ``2**-54``), capped at ``1 - 2**-53`` (the
        largest float64 below 1; uncapped, the top ``2**11`` words would give 1.0).

    Raises
    ------
    KeyError
        Unknown stream. The message lists the known streams.
    ValueError
        A negative or non-integer ``rep`` or ``index``.
    """
    return Variates(seed).uniform(stream, rep, index)


class Variates:
    """The variates of one run, with the key computed once.

    Parameters
    ----------
    seed : int
        The run seed (non-negative).
    """

    def __init__(self, seed: int):
        self.seed = seed
        self.key = seed_key(seed)
        self.key.flags.writeable = False

    def uniform(self, stream: str, rep: ArrayLike, index: ArrayLike) -> np.ndarray:
        """Same as ``uniforms(self.seed, stream, rep, index)``."""
        if stream not in STREAMS:
            raise KeyError(f"unknown stream {stream!r}; known streams: {', '.join(STREAMS)}")
        sid = np.uint64(STREAMS[stream])
        rep, index = _counts(rep, "rep"), _counts(index, "index")
        shape = np.broadcast_shapes(rep.shape, index.shape)
        flat = index.ravel()  # fast paths: the same indices for every rep, on the last axis
        row = index.size > 0 and index.shape[-1:] == shape[-1:] == (index.size,)
        if row and rep.shape[-1:] in ((), (1,)):
            lead = np.broadcast_to(rep[..., 0] if rep.ndim else rep, shape[:-1])
            if (np.diff(flat) == 1).all():  # consecutive: whole blocks in order
                return _run(self.key, sid, lead, int(flat[0]), shape[-1])
            return _row(self.key, sid, lead, flat)
        r, i = (a.ravel() for a in np.broadcast_arrays(rep, index))
        sids = np.full(1, sid, dtype=np.uint64)
        out = np.empty(r.size)
        for j in range(0, r.size, _CHUNK):
            s = slice(j, j + _CHUNK)
            words = _rounds(i[s] >> 2, r[s], sids, _ZERO[0], self.key[:1], self.key[1:])
            out[s] = _to_unit(np.choose((i[s] & 3).astype(np.intp), words))
        return out.reshape(shape)

    def block(self, stream: str, rep: int, start: int, n: int) -> np.ndarray:
        """Uniforms for indices ``start .. start+n-1`` of one replication.

        Parameters
        ----------
        stream : str
            A name in ``STREAMS``.
        rep, start, n : int
            The replication, the first index and the number of uniforms (non-negative).

        Returns
        -------
        numpy.ndarray of float64, shape (n,)
            Equal to ``self.uniform(stream, rep, np.arange(start, start + n))``.
        """
        if n < 0:
            raise ValueError(f"n must be non-negative, got {n}")
        return self.uniform(stream, rep, np.arange(start, start + n))
