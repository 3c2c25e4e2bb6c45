"""Paired comparisons: known differences, CI coverage, measured variance reduction, the CLI."""

from __future__ import annotations

import csv
import json
import math
import re

import numpy as np
import pytest
from conftest import BASELINE, DETERMINISTIC, SCENARIOS, evacsim
from scipy import stats

import sim
from sim.cli import main
from sim.studies.compare_folder import read_compare_folder
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


# Replications to a precision (sim.studies.precision.PAIRED_RULE): the paired difference's 95%
# CI half-width within a share of the base mean, the replications of every scenario doubling.


def paired_half(base: np.ndarray, same: np.ndarray) -> float:
    """The paired 95% CI half-width, worked out here from its definition."""
    d = same - base
    return stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / math.sqrt(len(d))


def test_precision_a_whatif_that_changes_nothing_meets_it_at_once(one_bus, tmp_path):
    """Every paired difference is 0, so its half-width is 0: met by the first round however
    small the precision, where a share of the (zero) difference could never be met."""
    base, _ = one_bus
    same = sim.load_scenario(base.path, ["name='same'"])
    comparison = sim.compare(
        base, [same], reps=4, seed=1, precision=1e-6, metrics=["clearance_time", "evacuated"]
    )
    assert comparison.reps == 4
    p = comparison.precision
    assert (p["met"], p["rounds"], p["max_reps"]) == (True, [4], 64)
    assert p["reached"] == {"same": {"clearance_time": 0.0, "evacuated": 0.0}}


def test_precision_doubles_until_the_paired_interval_is_within_the_share(one_bus):
    """The slower trip is 1.5 X for the base's X (mean 1 h, CV 0.5): the paired difference
    is 0.5 X, standard deviation 0.25 h, and the base's clearance 1.25 + X has mean 2.25 h.
    Within 5% of it needs about 1.96 * 0.25 / sqrt(n) <= 0.1125, n >= 19: from 4 replications
    the rounds are 4, 8, 16, 32, ... and it stops at the first where the interval (worked out
    here) is narrow enough, 16 or 32."""
    base, slower = one_bus
    comparison = sim.compare(
        base, [slower], reps=4, seed=1, precision=0.05, metrics=["clearance_time"]
    )
    n = comparison.reps
    assert n in (16, 32) and comparison.precision["met"]
    assert comparison.precision["rounds"] == [r for r in (4, 8, 16, 32) if r <= n]
    before = comparison.paired["one_bus"].metrics["clearance_time"]
    after = comparison.paired["slower"].metrics["clearance_time"]
    for r in comparison.precision["rounds"]:
        half = paired_half(before[:r], after[:r])
        assert bool(half <= 0.05 * before[:r].mean()) is (r == n), (r, half)
    share = comparison.precision["reached"]["slower"]["clearance_time"]
    assert share == pytest.approx(paired_half(before, after) / before.mean(), rel=1e-5)


def test_precision_a_large_exact_effect_stops_at_once():
    """The workshop's slower trip makes the clearance 4 h later in every replication: a
    large effect with no spread is known exactly from the first round."""
    base = sim.load_scenario(DETERMINISTIC)
    slower = sim.load_scenario(DETERMINISTIC, ["route.to_reception=1.75", "name='slower'"])
    comparison = sim.compare(
        base, [slower], reps=3, precision=1e-4, metrics=["clearance_time", "evacuated"]
    )
    assert (comparison.reps, comparison.precision["met"]) == (3, True)
    assert clearance(comparison).difference == 4.0


def test_precision_stops_at_max_reps_and_says_so(one_bus):
    base, slower = one_bus
    comparison = sim.compare(
        base, [slower], reps=4, seed=1, precision=1e-4, metrics=["clearance_time"], max_reps=12
    )
    p = comparison.precision
    assert (comparison.reps, p["rounds"], p["met"]) == (12, [4, 8, 12], False)
    assert p["reached"]["slower"]["clearance_time"] > 1e-4


def test_precision_gives_the_tables_of_the_replications_it_stopped_at(one_bus, tmp_path):
    """The rounds are replications 0 .. n-1 of each scenario and the independent sample
    n .. 2n-1 at the last n: the files are those of a plain comparison with that n."""
    base, slower = one_bus
    precise = sim.compare(
        base, [slower], reps=4, seed=1, precision=0.05, metrics=["clearance_time"]
    )
    plain = sim.compare(base, [slower], reps=precise.reps, seed=1)
    assert precise.differences == plain.differences
    a, b = precise.save(tmp_path / "precise"), plain.save(tmp_path / "plain")
    for name in ("differences.csv", "paired.npz", "differences.png"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    manifest = json.loads((a / "manifest.json").read_text())
    assert manifest["reps"] == precise.reps and manifest["precision"]["rounds"][-1] == precise.reps
    assert manifest["precision"]["rule"].startswith("A comparison is precise enough")
    assert "precision" not in json.loads((b / "manifest.json").read_text())
    assert read_compare_folder(a).precision == precise.precision


def test_cli_precision_says_what_it_reached(one_bus, tmp_path, capsys):
    base, _ = one_bus
    whatif = tmp_path / "slower.toml"
    whatif.write_text(
        'extends = "one_bus.toml"\nname = "slower"\n[route.to_reception]\nmean = 1.5\n'
    )
    out = tmp_path / "cmp"
    status = main([
        "compare", base.path, str(whatif), "--reps", "4", "--seed", "1", "--precision", "0.05",
        "--metric", "clearance_time", "--out", str(out), "-q",
    ])  # fmt: skip
    done = capsys.readouterr()
    assert status == 0, done.err
    assert (
        "Precision ±5.0% (paired 95% CI half-width over the base mean) for clearance_time: met "
        "with 16 replications (rounds 4, 8, 16); reached: slower ±"
    ) in done.out
    assert json.loads((out / "manifest.json").read_text())["reps"] == 16


@pytest.mark.parametrize(
    "args, message",
    [
        (["--precision", "0"], "--precision: must be between 0 and 1, e.g. 0.02, got 0"),
        (["--precision", "1.5"], "--precision: must be between 0 and 1"),
        (["--precision", "often"], "--precision: must be a number, got 'often'"),
        (["--precision", "0.1", "--max-reps", "0"], "--max-reps: must be at least 1, got 0"),
    ],
)
def test_cli_bad_precision_is_one_line(args, message, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["compare", str(BASELINE), str(BASELINE), *args])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and message in err, err
    assert err.strip().splitlines()[-1].startswith("evacsim compare: error:")


def test_cli_precision_on_an_unknown_metric_is_refused_before_running(tmp_path, capsys):
    out = tmp_path / "cmp"
    whatif = SCENARIOS / "what-if" / "double_fleet.toml"
    args = ["compare", str(BASELINE), str(whatif), "--precision", "0.05", "--metric", "evacuatd"]
    assert main([*args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("evacsim: error: --metric: evacuatd: not a metric of this comparison")
    assert err.count("\n") == 1 and not out.exists()


def test_precision_on_a_metric_never_defined_is_refused(one_bus):
    """An hour is too short for anyone to reach reception: no clearance time to judge."""
    base = sim.load_scenario(one_bus[0].path, ["horizon=1.0"])
    slower = sim.load_scenario(one_bus[0].path, ["horizon=1.0", "name='slower'"])
    with pytest.raises(
        sim.ScenarioError, match="clearance_time: undefined in all 4 replications of one_bus"
    ):
        sim.compare(base, [slower], reps=4, precision=0.05, metrics=["clearance_time"])


@pytest.mark.parametrize(
    "goal, message",
    [
        ({"precision": 0.0}, "--precision: must be between 0 and 1, e.g. 0.02, got 0.0"),
        ({"precision": 1.0}, "--precision: must be between 0 and 1"),
        ({"precision": math.nan}, "--precision: must be between 0 and 1"),
        ({"precision": 0.1, "max_reps": 0}, "--max-reps: must be at least 1, got 0"),
        (
            {"precision": 0.1, "max_reps": 3},
            "--max-reps: must be at least the first round's --reps (4), got 3",
        ),
        ({"precision": 0.1, "metrics": ["evacuatd"]}, "--metric: evacuatd: not a metric"),
    ],
)
def test_bad_precision_from_python_is_refused_before_running(one_bus, goal, message):
    base, slower = one_bus
    with pytest.raises(sim.ScenarioError, match=re.escape(message)):
        sim.compare(base, [slower], reps=4, **goal)
    if "metrics" not in goal:  # the same values, the same words, for a run
        with pytest.raises(sim.ScenarioError, match=re.escape(message)):
            sim.run(base, reps=4, **goal)
