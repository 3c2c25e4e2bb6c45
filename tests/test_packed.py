"""A run holds its replications packed (counts as 32-bit integers, integer arrays
compressed) and reads back the engine's values exactly; the files written from packed
replications are the bytes written from the arrays, whatever the chunking."""

import io

import numpy as np
import pyarrow.parquet as pq
import pytest

import sim
import sim.outputs.npz as npz
import sim.outputs.results as results
import sim.studies.runner
from sim.engines.vector import run_vector
from sim.outputs.hourly_counts import HourlyCounts, HourlyTally
from sim.outputs.metrics import HourlyStats, percentiles
from sim.outputs.packed import ZSTD_FROM, Block, Packed, whole_int32
from sim.outputs.records import Replications, count_metrics
from sim.outputs.run import RunRecord
from sim.studies.gathering import gather_packed
from sim.studies.runner import run

BASELINE = "scenarios/aleppo_2016.toml"


@pytest.fixture(scope="module")
def scenario():
    return sim.load_scenario(BASELINE, ["ceasefire.breach_rate=0.1"])


def test_a_run_keeps_counts_as_integers_and_reads_the_engines_values(scenario, monkeypatch):
    monkeypatch.setattr(sim.studies.runner, "CHUNK", 15)  # three chunks, packed apart
    result = run(scenario, reps=40, seed=3, workers=1)
    engine = run_vector(scenario, 40, 3)
    held = result.metrics
    assert isinstance(held, Packed) and isinstance(result.replications.series, Packed)
    assert list(held) == list(engine.metrics) and result.replications.reps == 40
    counts = count_metrics(scenario)
    for name, values in engine.metrics.items():
        kinds = {b.dtype for b in held.blocks[name]}
        assert len(held.blocks[name]) == 3
        if name in counts and all(whole_int32(values[a : a + 15]) for a in (0, 15, 30)):
            assert kinds == {np.dtype(np.int32)}, name
        read = held[name]
        assert read.dtype == np.float64
        assert np.array_equal(read, values, equal_nan=True), name
    for name, values in engine.series.items():
        read = result.replications.series[name]
        assert read.dtype == values.dtype and np.array_equal(read, values), name
    assert held.blocks["evacuated"][0].dtype == np.int32  # a count, defined in every replication
    arrays = sum(v.nbytes for v in [*engine.metrics.values(), *engine.series.values()])
    assert held.nbytes + result.replications.series.nbytes < arrays / 2


def part(values: list[float]) -> Replications:
    return Replications({"n": np.array(values)}, {"s": np.zeros((len(values), 2), np.int32)})


def test_a_count_undefined_in_a_later_chunk_is_held_as_floats_there_only():
    gathered = gather_packed([part([1.0, 2.0]), part([np.nan, 4.0])], {"n"})
    assert [b.dtype for b in gathered.metrics.blocks["n"]] == [np.int32, np.float64]
    assert np.array_equal(gathered.metrics["n"], [1.0, 2.0, np.nan, 4.0], equal_nan=True)
    assert gathered.metrics.rows("n", 0, 2).dtype == np.int32  # as held
    assert np.array_equal(gathered.metrics.rows("n", 1, 3), [2.0, np.nan], equal_nan=True)
    big = gather_packed([part([1.0, 2.0]), part([3.0, 2.0**31])], {"n"})
    assert [b.dtype for b in big.metrics.blocks["n"]] == [np.int32, np.float64]
    assert np.array_equal(big.metrics["n"], [1.0, 2.0, 3.0, 2.0**31])
    floats = gather_packed([part([1.0, 2.0])], ())  # not a count: as it is
    assert floats.metrics.blocks["n"][0].dtype == np.float64


@pytest.mark.parametrize(
    "values",
    [
        np.arange(-5, 7, dtype=np.int32),
        np.linspace(0, 1, 9),
        np.full(6, np.nan),
        np.zeros(4),
        np.array([0.0, -0.0, 0.0]),  # equal but not the same bits: still exact
        np.arange(12, dtype=np.uint8).reshape(4, 3),
        np.empty((0, 3), np.int32),
        np.arange(20_000 * 3, dtype=np.int32).reshape(20_000, 3) % 977,  # Zstandard's size
        np.full(ZSTD_FROM // 8, np.nan),
    ],
)
def test_a_block_gives_back_its_values_to_the_bit(values):
    block = Block.of(values)
    back = block.array()
    assert back.dtype == values.dtype and back.shape == values.shape
    assert back.tobytes() == values.tobytes() == block.raw()
    flat = values.ravel()
    one = values.size == 0 or np.isnan(flat).all() or (flat == flat[0]).all()  # one value
    squeezed = values.dtype.kind in "iu" or one
    assert block.codec == ("" if not squeezed else "zstd" if values.nbytes >= ZSTD_FROM else "zlib")


def test_rows_of_any_range_are_the_slice(scenario):
    whole = run_vector(scenario, 23, 1)
    sizes = [5, 1, 9, 8]
    cuts = np.cumsum([0, *sizes])
    packed = Replications.joined(
        [
            Replications({k: v[a:b] for k, v in whole.metrics.items()}, {}, []).packed(
                {"evacuated"}
            )
            for a, b in zip(cuts[:-1], cuts[1:], strict=True)
        ]
    ).metrics
    rng = np.random.default_rng(0)
    for _ in range(40):
        a, b = sorted(rng.integers(0, 24, 2))
        for name in ("evacuated", "first_departure"):
            got = packed.rows(name, int(a), int(b), np.dtype(np.float64))
            assert np.array_equal(got, whole.metrics[name][a:b], equal_nan=True)


def cut(whole: Replications, size: int) -> Replications:
    """``whole`` packed in blocks of ``size`` replications."""
    reps = whole.reps
    return Replications.joined(
        [
            Replications(
                {k: v[a : a + size] for k, v in whole.metrics.items()},
                {k: v[a : a + size] for k, v in whole.series.items()},
                [],
            ).packed({"evacuated", "convoys"})
            for a in range(0, reps, size)
        ]
    )


def parquet_bytes(record: RunRecord) -> bytes:
    buffer = io.BytesIO()
    results.write_parquet(record, buffer)
    return buffer.getvalue()


def test_files_from_packed_replications_are_the_arrays_files(scenario, monkeypatch):
    whole = run_vector(scenario, 30, 2)
    whole_npz = npz.arrays_npz(whole.series)
    monkeypatch.setattr(results, "ROW_GROUP", 8)  # four row groups
    record = RunRecord(scenario, whole, 2, 30, "vector", 0.0)
    parquet = parquet_bytes(record)
    assert pq.ParquetFile(io.BytesIO(parquet)).metadata.num_row_groups == 4
    for size in (7, 10, 30):
        packed = cut(whole, size)
        assert npz.arrays_npz(packed.series) == whole_npz
        record = RunRecord(scenario, packed, 2, 30, "vector", 0.0)
        assert parquet_bytes(record) == parquet
    back = pq.read_table(io.BytesIO(parquet))
    for name, values in whole.metrics.items():
        column = back.column(name).to_numpy().astype(float)
        assert np.array_equal(column, values, equal_nan=True), name
    with np.load(io.BytesIO(whole_npz)) as found:
        for name, values in whole.series.items():
            assert np.array_equal(found[name], values)


def test_whole_int32():
    assert whole_int32(np.array([0.0, -3.0, 2.0**31 - 1]))
    assert not whole_int32(np.array([0.5]))
    assert not whole_int32(np.array([np.nan]))
    assert not whole_int32(np.array([np.inf]))
    assert not whole_int32(np.array([2.0**31]))


def test_hourly_stats_of_packed_series_are_numpys_on_the_arrays(scenario):
    whole = run_vector(scenario, 30, 2)
    hourly = cut(whole, 7).hourly
    for name, values in whole.series.items():
        assert hourly.mean(name).tobytes() == values.mean(axis=0).tobytes(), name
        q = [5, 25, 50, 75, 95]
        assert hourly.percentiles(name, q).tobytes() == percentiles(values, q, axis=0).tobytes()
        assert np.array_equal(hourly.sums(name), values.sum(axis=0))
        assert np.array_equal(hourly.highest(name), values.max(axis=0))
        assert np.array_equal(hourly.first(name), values[0])
    assert hourly.percentiles("evacuated", [95, 5]).shape == (2, whole.series["evacuated"].shape[1])


def test_hourly_stats_of_one_array_in_blocks_are_numpys(monkeypatch):
    monkeypatch.setattr(HourlyStats, "BLOCK", 7)
    rng = np.random.default_rng(3)
    for reps, dtype in ((1, np.int32), (30, np.int32), (50, np.uint8)):
        values = rng.integers(0, 200, (reps, 6)).astype(dtype)
        hourly = HourlyStats({"s": values})
        assert hourly.mean("s").tobytes() == values.mean(axis=0).tobytes()
        q = list(HourlyStats.QUANTILES)
        assert hourly.percentiles("s", q).tobytes() == percentiles(values, q, axis=0).tobytes()


@pytest.mark.parametrize("dtype", [np.int32, np.uint8, np.int64])
def test_hourly_counts_added_over_chunks_give_numpys_statistics(dtype):
    rng = np.random.default_rng(5)
    low = -40 if np.dtype(dtype).kind == "i" else 0  # a series of differences may be negative
    values = rng.integers(low, 200, (61, 5)).astype(dtype)
    values[-1] = 250  # the last chunk spreads beyond the others
    values[:, 2] = 7  # one value all along an hour
    for sizes in ([61], [1, 60], [20, 20, 21], [5] * 12 + [1]):
        cuts = np.cumsum([0, *sizes])
        parts = [HourlyCounts.of(values[a:b]) for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
        tally = HourlyTally()  # added as they arrive, the accumulator grown as values spread
        for p in parts:
            tally.add(p)
        for counted in (HourlyCounts.joined(parts), tally.counts):
            hourly = HourlyStats({"s": values[:0]}, {"s": counted})
            q = list(HourlyStats.QUANTILES)
            want = percentiles(values, q, axis=0)
            assert hourly.percentiles("s", q).tobytes() == want.tobytes()
            assert hourly.mean("s").tobytes() == values.mean(axis=0).tobytes()
            assert np.array_equal(hourly.sums("s"), values.sum(axis=0))
            assert hourly.highest("s").dtype == values.dtype
            assert np.array_equal(hourly.highest("s"), values.max(axis=0))
            assert np.array_equal(hourly.first("s"), values[0])
        assert np.array_equal(parts[0].counts, HourlyCounts.of(values[: sizes[0]]).counts)
    assert HourlyCounts.of(values.astype(float)) is None  # counts of floats are no counts


def test_a_run_counts_its_series_where_its_chunks_run(scenario, monkeypatch):
    monkeypatch.setattr(sim.studies.runner, "CHUNK", 15)
    result = run(scenario, reps=40, seed=3, workers=1)
    engine = run_vector(scenario, 40, 3)
    counted = result.replications.counted
    assert set(counted) == set(engine.series) and counted["evacuated"].reps == 40
    monkeypatch.setattr(HourlyStats, "_blocks", None)  # the series themselves are not read
    for name, values in engine.series.items():
        assert np.array_equal(result.replications.hourly.highest(name), values.max(axis=0))
