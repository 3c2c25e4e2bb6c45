"""The runner: chunks and processes never change the result."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import BASELINE

import sim
import sim.runner
from sim.engines.vector import run_vector


def test_chunks_and_workers_do_not_change_the_result(monkeypatch):
    scenario = sim.load_scenario(BASELINE, ["ceasefire.breach_rate=0.1"])
    whole = run_vector(scenario, 900, seed=4)
    monkeypatch.setattr(sim.runner, "CHUNK", 250)
    for workers in (1, 2):
        chunked = sim.runner.run_chunked(scenario, 900, seed=4, workers=workers)
        for name, values in whole.metrics.items():
            np.testing.assert_array_equal(chunked.metrics[name], values, err_msg=name)
        for name, values in whole.series.items():
            np.testing.assert_array_equal(chunked.series[name], values, err_msg=name)
        assert chunked.trace == whole.trace


def test_unknown_engine_is_refused():
    with pytest.raises(ValueError, match="vector, des"):
        sim.run(sim.load_scenario(BASELINE), reps=2, engine="fast")
