"""Properties of the reference engine that hold in every replication of every scenario."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import BASELINE, all_scenarios, random_scenario
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from sim.engines.des import run_des
from sim.records import metric_names


def check_invariants(scenario: sim.Scenario, result) -> None:
    """People are conserved, times stay in the run, departures respect the ceasefire."""
    m = result.metrics
    np.testing.assert_array_equal(
        m["arrived"], m["evacuated"] + m["waiting_at_end"] + m["aboard_at_end"]
    )
    by_group = sum(m[f"evacuated_{g.name}"] for g in scenario.groups)
    np.testing.assert_array_equal(by_group, m["evacuated"])
    assert (m["arrived"] <= scenario.people).all()
    assert (m["convoys"] <= m["convoys_departed"]).all()
    for name in ("wait_person_hours", "held_person_hours", "cold_person_hours"):
        assert (m[name] >= 0).all()
    utilisation = m["utilisation"][~np.isnan(m["utilisation"])]
    assert ((utilisation >= 0) & (utilisation <= 1 + 1e-12)).all()
    evacuated = result.series["evacuated"]
    assert (np.diff(evacuated, axis=1) >= 0).all()
    assert (evacuated[:, -1] <= m["evacuated"]).all()
    for rep in range(min(scenario.trace_reps, result.reps)):
        trace = [e for e in result.trace if e.rep == rep]
        times = [e.time for e in trace]
        assert times == sorted(times)
        assert all(0 <= t < scenario.horizon for t in times)
        suspended = False
        for e in trace:
            if e.event == "ceasefire_suspended":
                suspended = True
            elif e.event == "ceasefire_resumes":
                suspended = False
            elif e.event in ("convoy_departs", "convoy_forms", "passes_checkpoint"):
                assert not suspended, f"{e.event} during a suspension: {e}"


@pytest.mark.parametrize("path", all_scenarios(), ids=lambda p: p.name)
def test_conservation_in_every_scenario(path):
    scenario = sim.load_scenario(path)
    result = run_des(scenario, 50, seed=scenario.seed)
    assert list(result.metrics) == metric_names(scenario)
    check_invariants(scenario, result)


def test_replication_alone_equals_replication_in_batch():
    scenario = sim.load_scenario(BASELINE)
    batch = run_des(scenario, 8, seed=5)
    for rep in (0, 3, 7):
        alone = run_des(scenario, 1, seed=5, first_rep=rep)
        for name, values in batch.metrics.items():
            np.testing.assert_array_equal(alone.metrics[name], values[rep : rep + 1])


def test_seed_changes_the_outcome_and_fixed_seed_repeats_it():
    scenario = sim.load_scenario(BASELINE)
    a, b = run_des(scenario, 20, seed=1), run_des(scenario, 20, seed=1)
    c = run_des(scenario, 20, seed=2)
    for name in a.metrics:
        np.testing.assert_array_equal(a.metrics[name], b.metrics[name])
    assert not np.array_equal(a.metrics["evacuated"], c.metrics["evacuated"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(overrides=random_scenario(), seed=st.integers(0, 2**32))
def test_invariants_on_random_scenarios(overrides, seed):
    scenario = sim.load_scenario(BASELINE, overrides)
    result = run_des(scenario, 3, seed=seed)
    check_invariants(scenario, result)
