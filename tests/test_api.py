"""The Python API a notebook user calls, including the examples in docstrings."""

from __future__ import annotations

import doctest
import os

import pytest
from conftest import ROOT, SCENARIOS

import sim
import sim.model.distributions
import sim.views.narrate


@pytest.mark.parametrize("module", [sim, sim.model.distributions, sim.views.narrate])
def test_docstring_examples(module, monkeypatch):
    monkeypatch.chdir(ROOT)
    failures, _ = doctest.testmod(module, raise_on_error=False, verbose=False)
    assert failures == 0


def test_run_and_save(tmp_path):
    scenario = sim.load_scenario(SCENARIOS / "workshop" / "deterministic.toml")
    result = sim.run(scenario, reps=4, seed=9)
    assert result.reps == 4 and result.engine == "vector"
    assert list(result.summaries) == list(result.metrics)
    assert all(result.summaries[m].metric == m for m in result.metrics)
    folder = result.save(tmp_path / "run")
    assert sorted(os.listdir(folder))[:3] == ["convoys.png", "evacuated.png", "manifest.json"]
