"""Percentiles found by counting or selecting (a run's summaries of a million replications,
its hourly bands) are numpy's ``inverted_cdf`` to the bit: ties, all equal, NaN, signed
zeros, values beyond the counting bins, series held whole or packed in blocks."""

from __future__ import annotations

import numpy as np
import pytest

from sim.outputs.metrics import HourlyStats, ranks, summarise, summarise_all
from sim.outputs.packed import Packed


@pytest.mark.parametrize("n", [1, 2, 3, 99, 100, 4_095, 4_096, 4_097, 10_007, 20_000, 1_000_003])
def test_ranks_are_numpys_choice(n):
    q = (0, 5, 25, 50, 75, 95, 100, 33.3)
    assert list(ranks(n, q)) == list(np.percentile(np.arange(n), q, method="inverted_cdf"))


def numpy_summary(values):
    """percentiles as numpy takes them on the defined values."""
    defined = values[~np.isnan(values)]
    return np.percentile(defined, [5, 50, 95], method="inverted_cdf")


@pytest.mark.parametrize(
    "make",
    [
        lambda rng, n: rng.integers(0, 50, n).astype(float),  # small counts, many ties
        lambda rng, n: rng.integers(0, 10**7, n).astype(float),  # counts beyond the bins
        lambda rng, n: np.full(n, 7.0),  # all equal
        lambda rng, n: np.zeros(n),
        lambda rng, n: rng.lognormal(2, 1, n),  # durations
        lambda rng, n: rng.normal(0, 1, n),  # negative values
        lambda rng, n: np.where(rng.random(n) < 0.3, np.nan, rng.integers(0, 9, n)),  # NaN
        lambda rng, n: np.where(rng.random(n) < 0.5, -0.0, 1.0),  # signed zeros
        lambda rng, n: rng.integers(0, 3, n) + 0.5,  # ties, not whole
    ],
)
@pytest.mark.parametrize("n", [5, 4_096, 20_001])
def test_summary_percentiles_are_numpys_to_the_bit(make, n):
    values = make(np.random.default_rng(n), n)
    s = summarise("m", values)
    want = numpy_summary(values)
    got = np.array([s.p5, s.median, s.p95])
    assert got.tobytes() == want.astype(float).tobytes()


@pytest.mark.parametrize("block", [7, 8_192])
def test_hourly_stats_are_numpys_on_the_whole_series_to_the_bit(block, monkeypatch):
    rng = np.random.default_rng(3)
    reps, hours = 10_001, 6
    series = {
        "evacuated": np.cumsum(rng.integers(0, 40, (reps, hours)), axis=1).astype(np.int32),
        "suspended": (rng.random((reps, hours)) < 0.2).astype(np.uint8),
        "ties": np.full((reps, hours), 3, np.int32),
    }
    monkeypatch.setattr(HourlyStats, "BLOCK", block)
    packed = Packed.join(
        [Packed.pack({k: v[a : a + 997] for k, v in series.items()}) for a in range(0, reps, 997)]
    )
    for held in (series, packed):
        stats = HourlyStats(held)
        for name, values in series.items():
            q = list(HourlyStats.QUANTILES)
            want = np.percentile(values, q, axis=0, method="inverted_cdf").astype(float)
            assert stats.percentiles(name, q).tobytes() == want.tobytes()
            assert stats.mean(name).tobytes() == values.mean(axis=0).tobytes()
            assert stats.highest(name).tobytes() == values.max(axis=0).tobytes()
            assert stats.first(name).tobytes() == values[0].tobytes()


@pytest.mark.parametrize("n", [5, 4_096, 20_001])
def test_a_runs_packed_metrics_summarise_as_the_arrays_to_the_bit(n):
    """Read into reused memory, counts held as integers counted as such: numpy's figures."""
    rng = np.random.default_rng(n)
    arrays = {
        "count": rng.integers(0, 50, n).astype(float),
        "big_count": rng.integers(0, 10**7, n).astype(float),
        "undefined_somewhere": np.where(rng.random(n) < 0.3, np.nan, rng.integers(0, 9, n)),
        "duration": rng.lognormal(2, 1, n),
        "negative": rng.normal(0, 1, n),
        "signed_zeros": np.where(rng.random(n) < 0.5, -0.0, 1.0),
        "nowhere": np.full(n, np.nan),
    }
    narrow = {"count", "big_count", "undefined_somewhere"}
    packed = Packed.join(
        [
            Packed.pack({k: v[a : a + 997] for k, v in arrays.items()}, narrow)
            for a in range(0, n, 997)
        ]
    )
    assert packed.blocks["count"][0].dtype == np.int32
    got = summarise_all(packed)
    for s, (name, values) in zip(got, arrays.items(), strict=True):
        assert repr(tuple(s)) == repr(tuple(summarise(name, values))), name
        assert s.n == 0 or s.mean == np.nanmean(values)
