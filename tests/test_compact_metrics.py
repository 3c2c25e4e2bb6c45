"""A run holds its count metrics as 32-bit integers and reads them back as the same floats."""

import numpy as np

import sim
from sim.engines.vector import run_vector
from sim.outputs.records import CompactMetrics, Replications, count_metrics, whole_int32
from sim.studies.runner import _gather, run

BASELINE = "scenarios/aleppo_2016.toml"


def test_a_run_keeps_counts_as_integers_and_reads_the_engines_floats():
    scenario = sim.load_scenario(BASELINE)
    result = run(scenario, reps=40, seed=3, workers=1)
    engine = run_vector(scenario, 40, 3).metrics
    held = result.metrics
    assert isinstance(held, CompactMetrics)
    assert list(held) == list(engine)
    counts = count_metrics(scenario)
    for name, values in engine.items():
        stored = held.arrays[name]
        assert stored.dtype == (np.int32 if name in counts and whole_int32(values) else np.float64)
        read = held[name]
        assert read.dtype == np.float64
        assert np.array_equal(read, values, equal_nan=True)
    assert held.nbytes < sum(v.nbytes for v in engine.values())
    assert held.arrays["evacuated"].dtype == np.int32  # a count, defined in every replication


def part(values: list[float]) -> Replications:
    return Replications({"n": np.array(values)}, {"s": np.zeros((len(values), 2), np.int32)})


def test_a_count_undefined_in_a_later_chunk_becomes_floats_with_the_earlier_values():
    gathered = _gather([part([1.0, 2.0]), part([np.nan, 4.0])], [0, 2], 4, counts={"n"})
    assert gathered.metrics.arrays["n"].dtype == np.float64
    assert np.array_equal(gathered.metrics["n"], [1.0, 2.0, np.nan, 4.0], equal_nan=True)
    whole = _gather([part([1.0, 2.0]), part([3.0, 2.0**31])], [0, 2], 4, counts={"n"})
    assert whole.metrics.arrays["n"].dtype == np.float64  # beyond 32 bits: floats
    assert np.array_equal(whole.metrics["n"], [1.0, 2.0, 3.0, 2.0**31])
    kept = _gather([part([1.0, 2.0]), part([3.0, -4.0])], [0, 2], 4, counts={"n"})
    assert kept.metrics.arrays["n"].dtype == np.int32
    assert np.array_equal(kept.metrics["n"], [1.0, 2.0, 3.0, -4.0])


def test_whole_int32():
    assert whole_int32(np.array([0.0, -3.0, 2.0**31 - 1]))
    assert not whole_int32(np.array([0.5]))
    assert not whole_int32(np.array([np.nan]))
    assert not whole_int32(np.array([np.inf]))
    assert not whole_int32(np.array([2.0**31]))
