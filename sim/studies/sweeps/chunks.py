"""Chunks of a sweep: which replications run together, and where finished ones are kept.

A chunk is a fixed list of (point, replication) pairs of one scenario variant, at most
``CHUNK`` of them, cut from the sweep's points in order. The cut depends on the sweep alone,
never on the executor or its workers, and a replication's variates depend only on the seed
and its number, so a chunk gives the same bits wherever it runs. Every point reuses
replication numbers 0, 1, ..., so points share random numbers (common random numbers).

Finished chunks are ``.npz`` files under ``chunks/``, each written to a temporary file and
renamed into place: a chunk file is complete or absent, so a killed sweep resumes from the
chunks it finished. Each holds a checksum of its contents; a file damaged afterwards (a
disk error, a hand edit, a truncated copy) is moved aside and its chunk computed again.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

#: Replications per chunk unless the sweep file says (``chunk``). Part of a sweep's identity
#: (its id, its chunk files), so it stays 10,000 when runs' chunks grow
#: (:data:`sim.studies.runner.CHUNK`): a sweep folder of an earlier version still resumes.
CHUNK = 10_000


@dataclass(frozen=True)
class Chunk:
    """Replications that run as one batch.

    Attributes
    ----------
    name : str
        ``r<round>-<index>``, its file name without ``.npz``.
    variant : int
        Index of the scenario variant its points belong to.
    points : ndarray of int
        The point of each replication, shape ``(n,)``.
    reps : ndarray of int
        The replication numbers, shape ``(n,)``.
    """

    name: str
    variant: int
    points: np.ndarray
    reps: np.ndarray


def layout(
    requests: list[tuple[int, int, int]], variants: list[int], round_: int, size: int = CHUNK
) -> list[Chunk]:
    """Cut replication requests into chunks.

    Parameters
    ----------
    requests : list of (point, first, stop)
        Replications ``first .. stop - 1`` of each point, in point order.
    variants : list of int
        Scenario variant of every point of the sweep.
    round_ : int
        Round of replications (0, then one per precision round); part of the chunk names.
    size : int
        Most replications per chunk.
    """
    chunks: list[Chunk] = []
    for variant in sorted({variants[p] for p, _, _ in requests}):
        mine = [(p, a, b) for p, a, b in requests if variants[p] == variant]
        points = np.concatenate([np.full(b - a, p) for p, a, b in mine])
        reps = np.concatenate([np.arange(a, b) for _, a, b in mine])
        for first in range(0, len(reps), size):
            name = f"r{round_:02d}-{len(chunks):05d}"
            cut = slice(first, first + size)
            chunks.append(Chunk(name, variant, points[cut], reps[cut]))
    return chunks


class ChunkStore:
    """Finished chunks of one sweep, as files in ``folder``.

    Attributes
    ----------
    damaged : list of Path
        Chunk files found damaged and moved to ``folder/damaged/`` by :meth:`load`, so
        their chunks are computed again.
    """

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.damaged: list[Path] = []

    def path(self, chunk: Chunk) -> Path:
        return self.folder / f"{chunk.name}.npz"

    def load(self, chunk: Chunk, metrics: tuple[str, ...]) -> dict[str, np.ndarray] | None:
        """The chunk's metrics if it was finished and its file is whole, else None.

        A file is whole if it reads, holds the chunk's points and replications and one
        value per replication of every metric in ``metrics``, and matches the checksum
        written with it. Any other file in its place (truncated, empty, a folder, from
        another sweep layout, a metric missing) is moved aside to ``damaged/``.
        """
        path = self.path(chunk)
        if not os.path.lexists(path):
            return None
        found = _read(path) if path.is_file() else None
        whole = (
            found is not None
            and set(found) == {"point", "rep", "checksum", *metrics}
            and np.array_equal(found["point"], chunk.points)
            and np.array_equal(found["rep"], chunk.reps)
            and all(found[m].shape == chunk.reps.shape for m in metrics)
            and found["checksum"].tobytes() == checksum(chunk, found)
        )
        if whole and found is not None:
            return {m: found[m] for m in metrics}
        self._set_aside(path)
        return None

    def save(self, chunk: Chunk, metrics: dict[str, np.ndarray]) -> None:
        """Write a finished chunk atomically, with its checksum."""
        self.folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{chunk.name}.", dir=self.folder)
        try:
            with os.fdopen(handle, "wb") as f:
                digest = np.frombuffer(checksum(chunk, metrics), np.uint8)
                arrays: dict[str, Any] = {"point": chunk.points, "rep": chunk.reps}
                arrays |= {"checksum": digest, **metrics}
                np.savez(f, **arrays)
                f.flush()
                os.fsync(f.fileno())
            os.replace(temporary, self.path(chunk))
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def _set_aside(self, path: Path) -> None:
        aside = self.folder / "damaged"
        aside.mkdir(exist_ok=True)
        target, n = aside / path.name, 1
        while os.path.lexists(target):
            n += 1
            target = aside / f"{path.name}-{n}"
        os.rename(path, target)
        self.damaged.append(target)


def checksum(chunk: Chunk, metrics: dict[str, np.ndarray]) -> bytes:
    """SHA-256 of a chunk's points, replications and metric values (by metric name)."""
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(chunk.points, np.int64).tobytes())
    digest.update(np.ascontiguousarray(chunk.reps, np.int64).tobytes())
    for name in sorted(k for k in metrics if k not in ("point", "rep", "checksum")):
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(metrics[name], np.float64).tobytes())
    return digest.digest()


def _read(path: Path) -> dict[str, np.ndarray] | None:
    """Every array of an ``.npz`` file, or None if it does not read as one."""
    try:
        with np.load(path) as data:
            return {k: data[k] for k in data.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, AttributeError):
        return None
