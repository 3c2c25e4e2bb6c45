"""The calibrated first phase, run as ``make run`` runs it, still meets its targets, and the
whole operation keeps it: issue 11's "the first-phase calibration targets still met by
``make run``" and "``aleppo_2016.toml`` stays consistent with the whole operation"."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import BASELINE, SCENARIOS

import sim
from sim.engines.vector import run_vector
from sim.studies.calibration import load_targets

TARGETS = load_targets(SCENARIOS / "calibration" / "aleppo_2016_targets.toml").targets


@pytest.fixture(scope="module")
def baseline():
    """The baseline's metrics at its own replications and seed: what ``make run`` runs."""
    scenario = sim.load_scenario(BASELINE)
    return scenario, run_vector(scenario, scenario.reps, scenario.seed).metrics


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.metric)
def test_make_run_meets_each_first_phase_target_within_two_sigma(baseline, target):
    # Two sigma, the targets file's own yardstick: the two figures the calibration reports
    # in conflict (3,000 after two convoys, 951 in the first) are each within it too, at
    # about -1.3 and +0.75 sigma (docs/calibration.md).
    _, metrics = baseline
    mean = float(np.nanmean(metrics[target.metric]))
    assert abs(mean - target.value) <= 2 * target.sigma, (target.metric, mean, target.value)


def test_the_whole_operation_leaves_the_first_phase_as_it_is(baseline):
    # aleppo_2016_full.toml extends the baseline; nothing it adds acts before the Friday
    # halt, so every first-phase target metric is the baseline's, replication by replication.
    scenario, metrics = baseline
    full = run_vector(sim.load_scenario(SCENARIOS / "aleppo_2016_full.toml"), 60, scenario.seed)
    for target in TARGETS:
        assert np.array_equal(
            full.metrics[target.metric], metrics[target.metric][:60], equal_nan=True
        ), target.metric
