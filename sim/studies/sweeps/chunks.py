"""Chunks of a sweep: which replications run together, and where finished ones are kept.

A chunk is a fixed list of (point, replication) pairs of one scenario variant, at most
``CHUNK`` of them, cut from the sweep's points in order. The cut depends on the sweep alone,
never on the executor or its workers, and a replication's variates depend only on the seed
and its number, so a chunk gives the same bits wherever it runs. Every point reuses
replication numbers 0, 1, ..., so points share random numbers (common random numbers).

Finished chunks are ``.npz`` files under ``chunks/``, each written to a temporary file and
renamed into place: a chunk file is complete or absent, so a killed sweep resumes from the
chunks it finished.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.studies.runner import CHUNK


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
    """Finished chunks of one sweep, as files in ``folder``."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def path(self, chunk: Chunk) -> Path:
        return self.folder / f"{chunk.name}.npz"

    def load(self, chunk: Chunk) -> dict[str, np.ndarray] | None:
        """The chunk's metrics if it was finished, else None."""
        path = self.path(chunk)
        if not path.is_file():
            return None
        with np.load(path) as data:
            found = {k: data[k] for k in data.files}
        same = np.array_equal(found.pop("point"), chunk.points) and np.array_equal(
            found.pop("rep"), chunk.reps
        )
        return found if same else None

    def save(self, chunk: Chunk, metrics: dict[str, np.ndarray]) -> None:
        """Write a finished chunk atomically."""
        self.folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{chunk.name}.", dir=self.folder)
        try:
            with os.fdopen(handle, "wb") as f:
                arrays: dict[str, Any] = {"point": chunk.points, "rep": chunk.reps, **metrics}
                np.savez(f, **arrays)
                f.flush()
                os.fsync(f.fileno())
            os.replace(temporary, self.path(chunk))
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
