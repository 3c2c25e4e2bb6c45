"""Arrays of many replications held packed in memory, block by block, read back whole.

A run of a million replications of the baseline returns 73 metrics and three hourly series
a replication: 0.85 GB as the engine's arrays. A run holds them as the blocks its chunks
return, packed where each chunk is computed (in the worker process): a whole-number count
as 32-bit integers, and integer arrays (counts, hourly series) and arrays of one repeated
value compressed (the series as the deflated pieces of ``series.npz``,
:mod:`sim.outputs.npz`), about 0.2 GB in all (the float metrics, whose bits hardly compress, stay
as they are). Reading an array joins its blocks and gives the engine's values bit for bit,
so every summary and table is unchanged.

A large block is compressed with Zstandard's level 1 (pyarrow's codec): against zlib's
fastest level it packs a run's hourly series 3 times faster and reads them 3 times
faster, into 20% fewer bytes; a run writes its folder from these blocks, reading each
array two or three times. A small block uses zlib, so a small run does not pay pyarrow's
import (0.2 s).
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

#: zlib level of a small block: the fastest, as a block is packed once and read a few
#: times (its integers shrink 10 to 12 times all the same).
LEVEL = 1
#: Bytes from which a block is compressed with Zstandard (``ZSTD_LEVEL``) rather than zlib:
#: the blocks of a chunk of 16,384 replications or more (a count's 64 KiB of int32).
ZSTD_FROM = 1 << 16
ZSTD_LEVEL = 1


@dataclass(frozen=True)
class Block:
    """Consecutive rows of one array: their bytes, compressed or as they are.

    Attributes
    ----------
    data : bytes
    dtype : numpy.dtype
    shape : tuple of int
        Rows first.
    codec : {"", "zlib", "zstd", "deflate"}
        How ``data`` is compressed (``""``: it is not; ``"deflate"``: a piece of an
        ``.npz`` entry's stream, :func:`sim.outputs.npz.deflated`).
    crc : int
        With ``"deflate"``: the CRC-32 of the values' bytes, which the entry records.
    """

    data: bytes
    dtype: np.dtype
    shape: tuple[int, ...]
    codec: str
    crc: int = 0

    @classmethod
    def of(cls, values: np.ndarray) -> Block:
        """The block of ``values``: compressed when they are integers or one repeated value
        (a metric undefined throughout a chunk, say), whose bytes shrink many times; with
        Zstandard from ``ZSTD_FROM`` bytes, else zlib."""
        values = np.ascontiguousarray(values)
        squeeze = values.dtype.kind in "iub" or values.size == 0
        if not squeeze:
            first = values.flat[0]
            squeeze = bool(np.isnan(values).all() if first != first else (values == first).all())
        codec = "" if not squeeze else "zstd" if values.nbytes >= ZSTD_FROM else "zlib"
        if codec == "zstd":
            data = _zstd().compress(values, asbytes=True)
        else:
            data = values.tobytes()
            data = zlib.compress(data, LEVEL) if codec else data
        return cls(data, values.dtype, values.shape, codec)

    @property
    def rows(self) -> int:
        return self.shape[0]

    def array(self) -> np.ndarray:
        """The values, read-only."""
        return np.frombuffer(self.raw(), self.dtype).reshape(self.shape)

    def raw(self) -> bytes:
        """The values' bytes (C order)."""
        if self.codec == "zstd":
            size = int(np.prod(self.shape)) * self.dtype.itemsize
            return _zstd().decompress(self.data, size, asbytes=True)
        if self.codec == "deflate":  # a raw stream with no final block: read what it holds
            return zlib.decompressobj(-zlib.MAX_WBITS).decompress(self.data)
        return zlib.decompress(self.data) if self.codec else self.data


def preload(rows: int) -> None:
    """Import, in this process, the codec that blocks of ``rows`` rows of 32-bit counts
    use: worker processes forked afterwards share it rather than each importing pyarrow
    (0.2 s of CPU and 34 MB resident a worker)."""
    if 4 * rows >= ZSTD_FROM:
        _zstd()


@functools.cache
def _zstd() -> Any:
    """pyarrow's Zstandard codec at ``ZSTD_LEVEL``, imported on first use."""
    import pyarrow

    return pyarrow.Codec("zstd", ZSTD_LEVEL)


class Packed(Mapping[str, np.ndarray]):
    """Named arrays of the same number of rows, held as packed :class:`Block` s.

    ``packed[name]`` joins the blocks of ``name`` into one array of the dtype it was given
    (``dtypes``), e.g. float64 for a count held as int32: the same values. Each read joins
    again: keep the array a read returns rather than reading again.

    Parameters
    ----------
    dtypes : mapping of str to numpy.dtype
        The dtype each array reads as, in order.
    blocks : mapping of str to sequence of Block
        Each array's blocks, rows in order; every array has as many rows.
    """

    def __init__(self, dtypes: Mapping[str, np.dtype], blocks: Mapping[str, Sequence[Block]]):
        self.dtypes = {name: np.dtype(d) for name, d in dtypes.items()}
        self.blocks = {name: list(blocks[name]) for name in self.dtypes}
        first = next(iter(self.blocks.values()), [])
        self.length = sum(b.rows for b in first)
        self._starts = np.cumsum([0, *(b.rows for b in first)])

    @classmethod
    def pack(cls, arrays: Mapping[str, np.ndarray], narrow: Collection[str] = ()) -> Packed:
        """One block per array; those named in ``narrow`` held as int32 where every value is
        a whole number 32-bit integers hold (see :func:`whole_int32`), read as the floats."""
        blocks = {}
        for name, values in arrays.items():
            held = values.astype(np.int32) if name in narrow and whole_int32(values) else values
            blocks[name] = [Block.of(held)]
        return cls({name: v.dtype for name, v in arrays.items()}, blocks)

    @classmethod
    def join(cls, parts: Sequence[Packed]) -> Packed:
        """The rows of ``parts`` one after the other (the same names in each)."""
        names = parts[0].dtypes
        return cls(names, {name: [b for p in parts for b in p.blocks[name]] for name in names})

    def __getitem__(self, name: str) -> np.ndarray:
        return self.rows(name, 0, self.length, self.dtypes[name])

    def __iter__(self) -> Iterator[str]:
        return iter(self.dtypes)

    def __len__(self) -> int:
        return len(self.dtypes)

    def rows(self, name: str, start: int, stop: int, dtype: np.dtype | None = None) -> np.ndarray:
        """Rows ``start .. stop - 1`` of ``name``, as ``dtype``; by default as held, when
        every block of these rows holds the same dtype (int32 for a count whole in all of
        them), else as it reads."""
        blocks = self.blocks[name]
        first = max(int(np.searchsorted(self._starts, start, "right")) - 1, 0)
        last = int(np.searchsorted(self._starts, stop, "left"))
        used = range(first, min(last, len(blocks)))
        if dtype is None:
            held = {blocks[i].dtype for i in used}
            dtype = held.pop() if len(held) == 1 else self.dtypes[name]
        shape = blocks[0].shape[1:] if blocks else ()
        out = np.empty((stop - start, *shape), dtype)
        for i in used:
            a, b = self._starts[i], self._starts[i + 1]
            lo, hi = max(a, start), min(b, stop)
            out[lo - start : hi - start] = blocks[i].array()[lo - a : hi - a]
        return out

    def pieces(self, name: str) -> Iterator[bytes]:
        """The bytes of ``name`` as it reads (C order), block by block: to write it out
        without holding it whole."""
        dtype = self.dtypes[name]
        for b in self.blocks[name]:
            yield b.raw() if b.dtype == dtype else b.array().astype(dtype).tobytes()

    @property
    def nbytes(self) -> int:
        """Bytes held."""
        return sum(len(b.data) for blocks in self.blocks.values() for b in blocks)


def whole_int32(values: np.ndarray) -> bool:
    """Every value is a whole number that 32-bit integers hold exactly (no NaN)."""
    with np.errstate(invalid="ignore"):
        return bool(
            np.isfinite(values).all()
            and (np.abs(values) <= np.iinfo(np.int32).max).all()
            and (np.trunc(values) == values).all()
        )
