"""``.npz`` files deflated in fixed pieces of rows (``sim.outputs.npz``): the same bytes
whoever deflated which piece, and what ``numpy.load`` and ``zipfile`` read back."""

from __future__ import annotations

import io
import zipfile
import zlib

import numpy as np
import pytest

import sim
import sim.outputs.npz as npz
import sim.studies.runner
from sim.engines.vector import run_vector
from sim.outputs.records import Replications
from sim.studies.runner import run, run_chunked


@pytest.fixture(scope="module")
def scenario():
    return sim.load_scenario("scenarios/aleppo_2016.toml", ["ceasefire.breach_rate=0.1"])


def read(data: bytes) -> dict[str, np.ndarray]:
    assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None  # every entry's CRC-32
    with np.load(io.BytesIO(data)) as found:
        return {name: found[name] for name in found.files}


def test_an_npz_reads_back_its_arrays(scenario):
    arrays = {
        **run_vector(scenario, 30, 2).series,
        "empty": np.zeros((0, 3), np.int32),
        "floats": np.linspace(0, 1, 11),
    }
    back = read(npz.arrays_npz(arrays))
    assert list(back) == list(arrays)
    for name, values in arrays.items():
        assert back[name].dtype == values.dtype and np.array_equal(back[name], values), name


@pytest.mark.parametrize("workers", [1, 2])
def test_series_npz_is_the_same_bytes_whatever_the_chunks_and_workers(
    scenario, monkeypatch, workers
):
    monkeypatch.setattr(npz, "ROWS", 8)
    whole = npz.arrays_npz(run_vector(scenario, 30, 2).series)
    for size in (7, 8, 16, 30):  # chunks across pieces, along them, of two, and one
        monkeypatch.setattr(sim.studies.runner, "CHUNK", size)
        chunked = run_chunked(scenario, 30, 2, workers=workers, packed=True)
        assert npz.arrays_npz(chunked.series) == whole, size
    rounds = [  # rounds of --precision: 10 replications, then 20 more
        run_chunked(scenario, n, 2, workers=workers, first_rep=first, packed=True)
        for first, n in ((0, 10), (10, 20))
    ]
    assert npz.arrays_npz(Replications.joined(rounds).series) == whole


def test_a_run_deflates_its_series_where_its_chunks_run(scenario, monkeypatch):
    monkeypatch.setattr(npz, "ROWS", 8)
    monkeypatch.setattr(sim.studies.runner, "CHUNK", 16)
    result = run(scenario, reps=40, seed=3, workers=1)
    deflated = []

    def piece(raw: bytes) -> tuple[bytes, int, int]:
        deflated.append(len(raw))
        return original(raw)

    original = npz.piece
    monkeypatch.setattr(npz, "piece", piece)
    data = npz.arrays_npz(result.replications.series)
    assert len(deflated) == len(result.replications.series)  # the .npy headers only
    engine = run_vector(scenario, 40, 3).series
    assert all(np.array_equal(v, engine[k]) for k, v in read(data).items())


def test_large_entries_and_archives_carry_zip64_fields(scenario, monkeypatch):
    arrays = run_vector(scenario, 30, 2).series
    monkeypatch.setattr(npz, "ZIP64_FROM", 100)  # every size and offset past it
    back = read(npz.arrays_npz(arrays))
    assert all(np.array_equal(back[k], v) for k, v in arrays.items())


@pytest.mark.parametrize("lengths", [(0, 5), (1, 1), (7, 300), (1000, 0), (64, 65_536)])
def test_joined_crcs_are_the_crc_of_the_bytes_joined(lengths):
    rng = np.random.default_rng(sum(lengths))
    first, second = (rng.integers(0, 256, n, dtype=np.uint8).tobytes() for n in lengths)
    joined = npz._crc_joined(zlib.crc32(first), zlib.crc32(second), len(second))
    assert joined == zlib.crc32(first + second)
