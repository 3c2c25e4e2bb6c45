"""The runner: chunks and processes never change the result."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import BASELINE, DETERMINISTIC, evacsim

import sim
import sim.studies.budget
import sim.studies.runner
from sim.engines.vector import run_vector


def test_chunks_and_workers_do_not_change_the_result(monkeypatch):
    scenario = sim.load_scenario(BASELINE, ["ceasefire.breach_rate=0.1"])
    whole = run_vector(scenario, 900, seed=4)
    monkeypatch.setattr(sim.studies.runner, "CHUNK", 250)
    for workers in (1, 2):
        chunked = sim.studies.runner.run_chunked(scenario, 900, seed=4, workers=workers)
        for name, values in whole.metrics.items():
            np.testing.assert_array_equal(chunked.metrics[name], values, err_msg=name)
        for name, values in whole.series.items():
            np.testing.assert_array_equal(chunked.series[name], values, err_msg=name)
        assert chunked.trace == whole.trace


def test_no_more_processes_than_chunks(monkeypatch):
    started: list[int] = []
    pool = sim.studies.runner.worker_pool

    def recorded(workers: int):
        started.append(workers)
        return pool(workers)

    monkeypatch.setattr(sim.studies.runner, "worker_pool", recorded)
    monkeypatch.setattr(sim.studies.runner, "CHUNK", 100)
    sim.studies.runner.run_chunked(sim.load_scenario(DETERMINISTIC), 200, seed=1, workers=500)
    assert started == [2]


def test_chunks_halve_where_they_would_take_too_much_memory(monkeypatch):
    small, large = sim.load_scenario(BASELINE), sim.load_scenario("aleppo_2016_full")
    most = sim.studies.runner.CHUNK
    assert sim.studies.budget.chunk_reps(small, most) == most  # 7 kB a replication in flight
    assert sim.studies.budget.chunk_reps(large, most) == most // 2  # 81 kB
    monkeypatch.setattr(sim.studies.runner, "CHUNK", 250)
    monkeypatch.setattr(sim.studies.budget, "CHUNK_BYTES", 0)
    chunks: list[int] = []
    halved = sim.studies.runner.run_chunked(small, 300, seed=1, workers=1, done=chunks.append)
    assert chunks == [125, 125, 50]
    whole = run_vector(small, 300, seed=1)
    for name, values in whole.metrics.items():
        np.testing.assert_array_equal(halved.metrics[name], values, err_msg=name)


def test_unknown_engine_is_refused():
    with pytest.raises(ValueError, match="vector, des"):
        sim.run(sim.load_scenario(BASELINE), reps=2, engine="fast")


def test_replications_double_until_the_mean_is_precise():
    scenario = sim.load_scenario(BASELINE)
    result = sim.run(scenario, reps=20, seed=3, precision=0.01, metrics=["evacuated_by_halt"])
    assert result.precision["met"]
    assert result.reps in (20, 40, 80, 160, 320)
    s = result.summaries["evacuated_by_halt"]
    assert (s.ci_high - s.ci_low) / 2 <= 0.01 * abs(s.mean)
    # the rounds are replications 0..n-1 of one run, nothing else
    plain = sim.run(scenario, reps=result.reps, seed=3)
    for name, values in plain.metrics.items():
        np.testing.assert_array_equal(result.metrics[name], values, err_msg=name)
    h = sim.run(scenario, reps=result.reps // 2, seed=3).summaries["evacuated_by_halt"]
    assert result.reps == 20 or (h.ci_high - h.ci_low) / 2 > 0.01 * abs(h.mean)


def test_precision_stops_at_max_reps_and_says_so():
    scenario = sim.load_scenario(BASELINE)
    result = sim.run(scenario, reps=10, seed=1, precision=1e-6, max_reps=30, engine="des")
    assert (result.reps, result.precision["met"]) == (30, False)


def test_a_deterministic_run_is_precise_at_once():
    result = sim.run(sim.load_scenario(DETERMINISTIC), reps=3, precision=0.02)
    assert (result.reps, result.precision["met"]) == (3, True)


@pytest.mark.parametrize("goal", [["--precision", "0.05"], []])
def test_an_unknown_metric_is_refused_with_or_without_precision(tmp_path, goal):
    result = evacsim(
        "run", str(BASELINE), *goal, "--metric", "evacuatd", "--out", str(tmp_path / "run"),
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.startswith("evacsim: error: --metric: evacuatd: not a metric")
    assert result.stderr.count("\n") == 1
    assert not (tmp_path / "run").exists()
