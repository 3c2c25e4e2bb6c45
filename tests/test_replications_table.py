"""The per-replication table: CSV for small runs, Parquet above ``CSV_UP_TO`` replications,
byte-identical on a rerun, and read back to the metrics the run held."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import BASELINE

import sim
import sim.outputs.results as results
from sim.outputs.reading import read_replications
from sim.outputs.records import count_metrics


@pytest.fixture(scope="module")
def run():
    """Eight replications of the baseline, some not cleared (``clearance_time`` undefined)."""
    return sim.run(sim.load_scenario(BASELINE), reps=8, seed=5)


def test_a_small_run_writes_csv_and_reads_back(run, tmp_path):
    folder = run.save(tmp_path / "run")
    assert (folder / "replications.csv").is_file()
    assert not (folder / "replications.parquet").exists()
    for name, values in read_replications(folder).items():
        np.testing.assert_array_equal(values, run.metrics[name], err_msg=name)


def test_a_large_run_writes_parquet_that_reads_back_the_same(run, tmp_path, monkeypatch):
    monkeypatch.setattr(results, "CSV_UP_TO", 4)
    folder = run.save(tmp_path / "run")
    assert not (folder / "replications.csv").exists()
    back = read_replications(folder)
    assert list(back) == list(run.metrics)
    for name, values in back.items():
        assert values.dtype == run.metrics[name].dtype
        np.testing.assert_array_equal(values, run.metrics[name], err_msg=name)
    assert np.isnan(run.metrics["clearance_time"]).any()  # the case the nulls are for
    loaded = sim.load_run(folder)
    for name, values in loaded.metrics.items():
        np.testing.assert_array_equal(values, run.metrics[name], err_msg=name)


def test_parquet_reads_in_one_line_with_counts_as_integers_and_undefined_as_null(run, tmp_path):
    path = tmp_path / "replications.parquet"
    with open(path, "wb") as file:
        results.write_parquet(run, file)
    frame = pd.read_parquet(path)
    assert list(frame.columns) == ["rep", *run.metrics]
    assert frame["rep"].tolist() == list(range(8))
    counts = count_metrics(run.scenario)
    for name in run.metrics:
        assert (frame[name].dtype.kind == "i") == (name in counts), name
    table = pq.read_table(path)
    undefined = np.isnan(run.metrics["clearance_time"])
    assert table.column("clearance_time").null_count == undefined.sum()


def test_the_same_run_gives_the_same_parquet_bytes(tmp_path, monkeypatch):
    monkeypatch.setattr(results, "CSV_UP_TO", 2)
    scenario = sim.load_scenario(BASELINE)
    files = [
        (sim.run(scenario, reps=5, seed=2).save(tmp_path / k) / "replications.parquet")
        for k in "ab"
    ]
    assert files[0].read_bytes() == files[1].read_bytes()
