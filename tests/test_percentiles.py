"""One percentile rule for every band the project reports (sim.outputs.metrics.percentiles):
a replication's own value, the smallest that at least q% of the replications do not exceed.
Hand-worked cases, and the same band wherever the same quantity is shown."""

from __future__ import annotations

import csv

import numpy as np
from conftest import BASELINE

import sim
from sim.face.page.answer import _fan
from sim.outputs.metrics import HourlyStats, hourly_percentiles, percentiles, summarise
from sim.outputs.results import write_tables
from sim.studies.calibration.summary import quantiles
from sim.studies.sweeps.output import read_sweep_folder

# 20 values, shuffled; sorted they are 1.5, 2.0, ..., 11.0 (the k-th smallest is 1 + k / 2)
TWENTY = np.random.default_rng(1).permutation(1.0 + np.arange(1, 21) / 2)


def test_twenty_values_by_hand():
    # p5: 5% of 20 is 1 value, so the 1st smallest; p95: 19 values, the 19th smallest;
    # the median: 10 values, the 10th smallest (the lower middle one, not the mean of two)
    assert percentiles(TWENTY, [5, 50, 95]).tolist() == [1.5, 6.0, 10.5]
    # p6: 1.2 values, so the 2nd smallest; p0 the smallest, p100 the largest
    assert percentiles(TWENTY, [6, 0, 100]).tolist() == [2.0, 1.5, 11.0]
    # a duration takes a replication's value too: no 10.525 between the 19th and 20th
    s = summarise("hours", TWENTY)
    assert (s.p5, s.median, s.p95) == (1.5, 6.0, 10.5)


def test_seven_values_and_counts_by_hand():
    seven = np.array([30, 10, 70, 50, 20, 60, 40])
    # 5% of 7 = 0.35 -> 1st; 50% = 3.5 -> 4th; 95% = 6.65 -> 7th
    assert percentiles(seven, [5, 50, 95]).tolist() == [10.0, 40.0, 70.0]
    assert percentiles(seven, [5, 50, 95]).dtype == float  # summaries are floats
    convoys = np.array([8] * 5 + [9] * 10 + [10] * 4 + [11])  # 20 replications
    s = summarise("convoys", convoys)
    assert (s.p5, s.median, s.p95) == (8, 9, 10)


def test_the_hourly_and_calibration_bands_take_the_same_rule():
    series = np.stack([TWENTY, 2 * TWENTY], axis=1)  # (R = 20, H = 2)
    expected = [[1.5, 3.0], [6.0, 12.0], [10.5, 21.0]]
    assert hourly_percentiles(series, [5, 50, 95]).tolist() == expected
    assert HourlyStats({"x": series}).percentiles("x", [5, 50, 95]).tolist() == expected
    assert quantiles(np.append(TWENTY, np.nan)) == (1.5, 6.0, 10.5)  # NaN left out


def test_summary_csv_final_band_equals_the_hourly_series(tmp_path):
    """summary.csv's p5/median/p95 of ``evacuated`` equal timeseries.csv's at the last hour,
    and the page's fan there: one quantity, one band wherever it is shown."""
    result = sim.run(sim.load_scenario(BASELINE), reps=40, seed=6)
    final = result.metrics["evacuated"]
    assert np.array_equal(result.replications.series["evacuated"][:, -1], final)  # one quantity
    write_tables(result, tmp_path)
    with open(tmp_path / "summary.csv") as f:
        summary = next(r for r in csv.DictReader(f) if r["metric"] == "evacuated")
    with open(tmp_path / "timeseries.csv") as f:
        last = list(csv.DictReader(f))[-1]
    band = [float(summary[k]) for k in ("p5", "median", "p95")]
    assert band == [float(last[f"evacuated_{k}"]) for k in ("p5", "median", "p95")]
    fan = _fan(result.replications)
    assert [fan["p5"][-1], fan["p50"][-1], fan["p95"][-1]] == band
    assert all(x in final for x in band)  # each a replication's value
    assert band != np.percentile(final, [5, 50, 95]).tolist()  # interpolated, it would differ


def test_a_sweep_read_back_summarises_as_it_ran(tmp_path):
    """The summaries of a sweep folder read back are those the sweep gave (they used to
    interpolate the counts' percentiles that the sweep itself took whole)."""
    text = f"""
        name = "back"
        base = "{BASELINE}"
        reps = 20
        seed = 4
        metrics = ["convoys", "wait_person_hours"]
        [axes]
        "fleet.buses.count" = [20, 44]
    """
    path = tmp_path / "sweep.toml"
    path.write_text(text)
    result = sim.sweep(path, root=tmp_path, workers=1)
    assert read_sweep_folder(result.folder).summaries == result.summaries
