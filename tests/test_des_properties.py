"""Properties of the reference engine that hold in every replication of every scenario."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import BASELINE, all_scenarios, random_scenario
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from sim.engines.des import run_des
from sim.outputs.records import metric_names


def check_invariants(scenario: sim.Scenario, result) -> None:
    """People are conserved, times stay in the run, departures respect the ceasefire."""
    m = result.metrics
    left = m.get("left", 0)  # people who gave up waiting, if a group may
    np.testing.assert_array_equal(
        m["arrived"], m["evacuated"] + m["waiting_at_end"] + m["aboard_at_end"] + left
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
        # events at the horizon itself count ("at or before", docs/model.md)
        assert all(0 <= t <= scenario.horizon for t in times)
        suspended = False
        # convoys may form and load during a suspension only where the scenario allows it
        boarding = scenario.ceasefire.board_while_suspended or any(
            p.board_while_suspended for p in scenario.periods
        )
        moves = ("convoy_departs", "passes_checkpoint", *(() if boarding else ("convoy_forms",)))
        for e in trace:
            if e.event == "ceasefire_suspended":
                suspended = True
            elif e.event == "ceasefire_resumes":
                suspended = False
            elif e.event in moves:
                assert not suspended, f"{e.event} during a suspension: {e}"
        check_linkage(scenario, result, trace)
        hours = scenario.convoy.departure_hours
        for e in trace:
            if hours is not None and e.event == "convoy_forms":
                opening, closing = hours
                hour = (scenario.start_hour + e.time - opening) % 24
                # an opening instant may round to a hair before the opening hour
                assert hour < (closing - opening) % 24 or hour > 24 - 1e-6, f"out of hours: {e}"


def check_linkage(scenario: sim.Scenario, result, trace) -> None:
    """Linked convoys leave one at a time, never during a suspension or a pause of theirs;
    no convoy forms here while this side is paused."""
    linkage = scenario.linkage
    if linkage is None:
        return
    m = result.metrics
    assert (m["linked_evacuated"] <= linkage.people).all()
    assert (m["linked_evacuated"] <= m["linked_convoys"] * linkage.per_convoy).all()
    suspended = paused = travelling = False
    for e in trace:
        if e.event in ("ceasefire_suspended", "ceasefire_resumes"):
            suspended = e.event == "ceasefire_suspended"
        elif e.event in ("linkage_pause", "linkage_resume"):
            paused = e.event == "linkage_pause"
        elif e.event == "linked_departs":
            assert not (suspended or travelling), e
            travelling = True
        elif e.event == "linked_arrives":
            travelling = False
        elif e.event == "convoy_forms":
            assert not paused, f"a convoy formed during a linkage pause: {e}"


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


def test_a_lagging_linked_site_raises_the_breach_hazard_only_while_it_lags():
    scenario = sim.load_scenario(
        BASELINE,
        [
            "ceasefire.breach_rate=0.0",
            "route.incident_probability=0.0",
            "linkage.people=3000",
            "linkage.per_convoy=300",
            "linkage.trip={dist = 'lognormal', mean = 6.0, cv = 0.5}",
            "linkage.max_lag=0.05",
            "linkage.lag_breach_rate=2.0",
            "run.trace_reps=20",
        ],
    )
    result = run_des(scenario, 20, seed=3)
    assert result.metrics["breaches"].sum() > 0
    for rep in range(20):
        paused = False
        for e in (e for e in result.trace if e.rep == rep):
            if e.event in ("linkage_pause", "linkage_resume"):
                paused = e.event == "linkage_pause"
            elif e.event == "ceasefire_suspended" and e.note == "breach of the ceasefire":
                assert paused, f"a breach with no lag: {e}"
