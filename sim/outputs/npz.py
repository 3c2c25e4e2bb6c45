"""``.npz`` files (``numpy.load`` reads them) whose entries are deflated in fixed blocks of
rows, so that the blocks can be deflated where the rows are made.

Each entry's deflate stream is its ``.npy`` header, then its rows ``ROWS`` at a time, each
piece deflated on its own (a fresh compressor, ended by a sync flush, as ``pigz`` does)
and the pieces joined, then an empty final block: one valid stream, whose bytes depend
only on the array, whoever deflated which piece. A run's chunks deflate their hourly
series in these pieces in the worker processes (:func:`deflated`), and the run's
``series.npz`` is then their bytes one after the other (for a million replications of
the baseline: 420 MB deflated in the workers, rather than in the run's own process
after the last chunk, ~1.5 s of CPU). A piece a chunk could not make whole (a run's
rows cut elsewhere, by the rounds of ``--precision``) is deflated again from the rows.
"""

from __future__ import annotations

import functools
import io
import struct
import zlib
from collections.abc import Iterator, Mapping
from typing import BinaryIO

import numpy as np

from sim.outputs.packed import Block, Packed

#: Rows of each deflated piece after the header: it divides a chunk of the batch engine
#: (``sim.studies.runner.CHUNK`` and its half), so a run's chunks make whole pieces.
ROWS = 5_000
#: zlib level of the ``.npz`` files: 2 deflates a run's hourly series at about 1.3 µs a
#: replication (level 6, zlib's default: 4.4 µs) into about 30 bytes (16).
LEVEL = 2
#: An empty final deflate block: what ends each entry's stream.
END = b"\x03\x00"
#: Sizes and offsets from which a zip archive needs zip64's fields.
ZIP64_FROM = 0xFFFFFFFF
#: What a 32-bit zip field holds when its value is in zip64's fields.
WIDE = 0xFFFFFFFF


def deflated(values: np.ndarray, first: int = 0) -> list[Block]:
    """The rows of ``values`` as deflated pieces (codec ``"deflate"``), cut where the run's
    rows ``first``, ``first + 1``, ... cross a multiple of ``ROWS``: the pieces of
    ``series.npz`` that lie within these rows, and parts of those at their two ends."""
    values = np.ascontiguousarray(values)
    stop = first + len(values)
    cuts = [first, *range((first // ROWS + 1) * ROWS, stop, ROWS), stop]
    blocks = []
    for a, b in zip(cuts[:-1], cuts[1:], strict=True):
        data, crc, _ = piece(values[a - first : b - first].tobytes())
        blocks.append(Block(data, values.dtype, (b - a, *values.shape[1:]), "deflate", crc))
    return blocks


def piece(raw: bytes) -> tuple[bytes, int, int]:
    """``raw`` deflated on its own at ``LEVEL`` and ended by a sync flush (so that a stream
    may go on after it), with the CRC-32 and length of ``raw``."""
    compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    data = compressor.compress(raw) + compressor.flush(zlib.Z_SYNC_FLUSH)
    return data, zlib.crc32(raw), len(raw)


def arrays_npz(arrays: Mapping[str, np.ndarray]) -> bytes:
    """Arrays as an ``.npz`` file whose bytes depend only on the arrays: entries in the
    given order, with a fixed date."""
    buffer = io.BytesIO()
    write_npz(buffer, arrays)
    return buffer.getvalue()


def write_npz(file: BinaryIO, arrays: Mapping[str, np.ndarray]) -> None:
    """Write :func:`arrays_npz` 's bytes to ``file``; packed arrays
    (:class:`~sim.outputs.packed.Packed`) go piece by piece, never whole in memory, and
    the pieces they hold deflated already (:func:`deflated`) are written as they are."""
    entries = []
    for name in arrays:
        if isinstance(arrays, Packed):
            dtype = arrays.dtypes[name]
            shape = (arrays.length, *arrays.blocks[name][0].shape[1:])
        else:
            values = np.ascontiguousarray(arrays[name])
            dtype, shape = values.dtype, values.shape
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(
            header,
            {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False, "shape": shape},
        )
        entries.append((f"{name}.npy", [piece(header.getvalue()), *_pieces(arrays, name)]))
    _write_zip(file, entries)


Piece = tuple[bytes, int, int]  # deflated bytes, CRC-32 and length of what they hold


def _pieces(arrays: Mapping[str, np.ndarray], name: str) -> Iterator[Piece]:
    """The deflated pieces of an array's rows, ``ROWS`` at a time: a packed array's own
    where it holds them, else deflated here."""
    if not isinstance(arrays, Packed):
        values = np.ascontiguousarray(arrays[name])
        for a in range(0, len(values), ROWS):
            yield piece(values[a : a + ROWS].tobytes())
        return
    dtype, held, start = arrays.dtypes[name], {}, 0
    for block in arrays.blocks[name]:  # the pieces held whole, by their first row
        whole = start % ROWS == 0 and block.rows == min(ROWS, arrays.length - start)
        if block.codec == "deflate" and block.dtype == dtype and whole:
            held[start] = block
        start += block.rows
    for a in range(0, arrays.length, ROWS):
        if a in held:
            block = held[a]
            yield block.data, block.crc, int(np.prod(block.shape)) * dtype.itemsize
        else:
            yield piece(arrays.rows(name, a, min(a + ROWS, arrays.length), dtype).tobytes())


def _write_zip(file: BinaryIO, entries: list[tuple[str, list[Piece]]]) -> None:
    """A zip archive of deflated entries (each its name and pieces, in order), dated
    1980-01-01 as ``zipfile`` dates them, with zip64's fields where a size or an offset
    needs them."""
    directory, offset = [], 0
    for name, pieces in entries:
        crc, size, compressed = 0, 0, len(END)
        for data, piece_crc, length in pieces:
            crc = _crc_joined(crc, piece_crc, length)
            size += length
            compressed += len(data)
        big = max(size, compressed) >= ZIP64_FROM
        extra = struct.pack("<HHQQ", 1, 16, size, compressed) if big else b""
        sizes = (WIDE, WIDE) if big else (compressed, size)
        head = struct.pack(LOCAL, b"PK\x03\x04", 45 if big else 20, *FIXED, crc, *sizes)
        head += struct.pack("<2H", len(name), len(extra)) + name.encode() + extra
        file.write(head)
        for data, _, _ in pieces:
            file.write(data)
        file.write(END)
        directory.append((name, crc, size, compressed, offset))
        offset += len(head) + compressed
    start = offset
    for name, crc, size, compressed, at in directory:
        wide = [v for v in (size, compressed, at) if v >= ZIP64_FROM]
        extra = struct.pack(f"<HH{len(wide)}Q", 1, 8 * len(wide), *wide) if wide else b""
        narrow = [WIDE if v >= ZIP64_FROM else v for v in (compressed, size)]
        version = 45 if wide else 20
        record = struct.pack(CENTRAL, b"PK\x01\x02", version, 3, version, *FIXED, crc)
        record += struct.pack("<2L5H", *narrow, len(name), len(extra), *NONE)
        record += struct.pack("<2L", 0, WIDE if at >= ZIP64_FROM else at)
        record += name.encode() + extra
        file.write(record)
        offset += len(record)
    _write_end(file, len(directory), offset - start, start, offset)


#: A zip entry's header fields (little-endian) from its signature to its CRC, then its
#: sizes: locally, and in the central directory (which adds the system it was made by:
#: Unix, 3, as zipfile writes it).
LOCAL, CENTRAL = "<4s2B4H3L", "<4s4B4HL"
#: Those after the version: no flags, deflated (8), at 00:00 (0) on 1980-01-01 (DOS 0x21).
FIXED = (0, 0, 8, 0, 0x21)
#: A central record's comment length, disk and internal attributes: none.
NONE = (0, 0, 0)


def _write_end(file: BinaryIO, entries: int, size: int, start: int, offset: int) -> None:
    """The end of the central directory (``size`` bytes from ``start``, ending at
    ``offset``), with zip64's record and locator before it when the numbers need them."""
    counts = (entries, entries)
    if max(size, start) >= ZIP64_FROM or entries >= 0xFFFF:
        record = struct.pack("<4sQ2H2L", b"PK\x06\x06", 44, 45, 45, 0, 0)
        file.write(record + struct.pack("<4Q", *counts, size, start))
        file.write(struct.pack("<4sLQL", b"PK\x06\x07", 0, offset, 1))
        counts, size, start = (min(entries, 0xFFFF),) * 2, WIDE, WIDE
    file.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, *counts, size, start, 0))


def _crc_joined(crc: int, after: int, length: int) -> int:
    """The CRC-32 of two byte strings one after the other, from the first's CRC ``crc``
    and the second's, ``after``, of ``length`` bytes (zlib's ``crc32_combine``, which
    Python's zlib does not offer): ``crc`` carried over ``length`` bytes is linear in
    ``crc``, read off a table of its bytes."""
    table = _carried(length)
    carried = table[0][crc & 255] ^ table[1][crc >> 8 & 255]
    return carried ^ table[2][crc >> 16 & 255] ^ table[3][crc >> 24] ^ after


@functools.lru_cache(maxsize=32)
def _carried(length: int) -> tuple[tuple[int, ...], ...]:
    """For each byte of a CRC-32 and each of its values, that byte's share of the CRC
    carried over ``length`` zero bytes: ``crc32(zeros, c) ^ crc32(zeros, 0)`` is linear in
    ``c``, so it is the XOR of its bits' images (one CRC of ``length`` zeros each)."""
    zeros = bytes(length)
    base = zlib.crc32(zeros)
    images = [zlib.crc32(zeros, 1 << bit) ^ base for bit in range(32)]
    tables = []
    for byte in range(4):
        table = [0] * 256
        for value in range(1, 256):
            low = value & -value  # the lowest bit set: the rest is a smaller value
            table[value] = table[value ^ low] ^ images[8 * byte + low.bit_length() - 1]
        tables.append(tuple(table))
    return tuple(tables)
