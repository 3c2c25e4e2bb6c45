"""Paired comparisons: known differences, CI coverage, measured variance reduction, the CLI."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest
from conftest import BASELINE, DETERMINISTIC, evacsim

import sim
from sim.studies.paired import Difference, difference

# One bus carries all 50 people in one trip, so the enclave is clear after
# load 0.5 + to checkpoint 0.5 + inspection 0.25 = 1.25 h plus the lognormal trip to reception.
ONE_BUS = """
name = "one_bus"
start = 2016-12-15T06:00:00
horizon = 24.0

[population.families]
count = 50
priority = 1
vehicles = ["buses"]

[fleet.buses]
count = 1
seats = 60
load_time = 0.5
unload_time = 0.25

[convoy]
min_vehicles = 1

[route]
to_checkpoint = 0.5
inspection = 0.25
to_reception = { dist = "lognormal", mean = 1.0, cv = 0.5 }
return_trip = 1.0
"""


@pytest.fixture
def one_bus(tmp_path):
    """The one-bus scenario, and the same with a trip to reception 0.5 h longer on average."""
    path = tmp_path / "one_bus.toml"
    path.write_text(ONE_BUS)
    base = sim.load_scenario(path)
    slower = sim.load_scenario(path, ["route.to_reception.mean=1.5", "name='slower'"])
    return base, slower


def clearance(comparison: sim.Comparison) -> Difference:
    return next(d for d in comparison.differences if d.metric == "clearance_time")


def test_paired_differences_share_random_numbers(one_bus):
    base, slower = one_bus
    comparison = sim.compare(base, [slower], reps=50, seed=1)
    before = comparison.paired["one_bus"].metrics["clearance_time"]
    after = comparison.paired["slower"].metrics["clearance_time"]
    # the same standard normal in both: the trip scales by 1.5 / 1.0 replication by replication
    np.testing.assert_allclose(after - 1.25, 1.5 * (before - 1.25), rtol=1e-12)


def test_ci_covers_the_known_difference(one_bus):
    """The true mean difference is 1.5 - 1.0 = 0.5 h; its 95% CIs over 20 fixed seeds."""
    base, slower = one_bus
    found = [clearance(sim.compare(base, [slower], reps=100, seed=s)) for s in range(20)]
    paired = sum(d.ci_low <= 0.5 <= d.ci_high for d in found)
    independent = sum(d.independent_ci_low <= 0.5 <= d.independent_ci_high for d in found)
    # 95% intervals: fewer than 17 of 20 would happen with probability 1.6%
    assert paired >= 17 and independent >= 17, (paired, independent)


def test_variance_reduction_is_measured_and_matches_theory(one_bus):
    """Paired differences are 0.5 X for the trip X, independent ones 1.5 X' - X: the ratio
    of variances is (1.5^2 + 1) / 0.5^2 = 13."""
    base, slower = one_bus
    d = clearance(sim.compare(base, [slower], reps=2000, seed=5))
    assert 10 < d.variance_reduction < 16
    paired_half = (d.ci_high - d.ci_low) / 2
    independent_half = (d.independent_ci_high - d.independent_ci_low) / 2
    assert independent_half > 3 * paired_half


def test_deterministic_difference_is_exact():
    """Workshop scenario: a 1.75 h trip makes each rotation 5 h instead of 4, so the last of
    four convoys reaches reception at 15 + 3 = 18 h instead of 14 h."""
    base = sim.load_scenario(DETERMINISTIC)
    slower = sim.load_scenario(DETERMINISTIC, ["route.to_reception=1.75", "name='slower'"])
    d = clearance(sim.compare(base, [slower], reps=3, seed=1))
    assert (d.difference, d.ci_low, d.ci_high) == (4.0, 4.0, 4.0)
    assert math.isnan(d.variance_reduction)  # no variance either way
    assert d.pairs == 3


def test_pairs_only_where_both_are_defined():
    base = np.array([1.0, np.nan, 3.0, 4.0, np.nan])
    same = np.array([2.0, 5.0, np.nan, 6.0, np.nan])
    independent = np.array([2.0, 3.0, 4.0, np.nan, 5.0])
    d = difference("w", "m", base, same, independent)
    assert d.pairs == 2 and d.difference == 1.5  # (2 - 1 + 6 - 4) / 2
    assert d.base_mean == 2.5 and d.whatif_mean == 4.0
    assert d.independent_difference == pytest.approx(3.5 - 8 / 3)


def test_whatifs_are_labelled_by_name_or_file(one_bus, tmp_path):
    base, slower = one_bus
    with pytest.raises(sim.ScenarioError, match="distinct names"):
        sim.compare(base, [slower, slower], reps=10)
    child = tmp_path / "longer_trip.toml"  # inherits the base's name
    child.write_text('extends = "one_bus.toml"\n[route]\nto_reception = 2.0\n')
    comparison = sim.compare(base, [sim.load_scenario(child)], reps=5, seed=1)
    assert set(comparison.paired) == {"one_bus", "longer_trip"}
    assert clearance(comparison).difference > 0  # against the base, not itself


def test_cli_writes_a_compare_folder(tmp_path):
    whatif = tmp_path / "more_buses.toml"
    whatif.write_text(f'extends = "{BASELINE}"\nname = "more_buses"\n[fleet.buses]\ncount = 80\n')
    out = tmp_path / "cmp"
    done = evacsim("compare", str(BASELINE), str(whatif), "--reps", "40", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "more_buses - aleppo_2016" in done.stdout and "variance reduction" in done.stdout
    assert {p.name for p in out.iterdir()} == {
        "manifest.json",
        "differences.csv",
        "differences.png",
        "paired.npz",
    }
    with open(out / "differences.csv") as f:
        rows = {r["metric"]: r for r in csv.DictReader(f)}
    assert float(rows["evacuated"]["difference"]) > 0
    assert json.loads((out / "manifest.json").read_text())["independent_replications"] == [40, 79]


def test_cli_bad_whatif_writes_nothing(tmp_path):
    out = tmp_path / "cmp"
    done = evacsim("compare", str(BASELINE), str(tmp_path / "missing.toml"), "--out", str(out))
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "missing.toml" in done.stderr
    assert not out.exists() and not list(tmp_path.iterdir())
