"""At the terminal: one set of flags, compare headlines that cannot mislead, and mistakes
that get a message saying what to do."""

from __future__ import annotations

import warnings

import pytest
from conftest import DETERMINISTIC, evacsim

import sim
from sim.inputs.plausible import ImplausibleValue
from sim.views.tables import compare_table

SWEEP = f"""
name = "small"
base = "{DETERMINISTIC}"
reps = 4
seed = 3
metrics = ["clearance_time"]

[axes]
"fleet.buses.count" = [8, 10]
"""


def test_a_misspelt_pool_is_named_with_the_pools_there_are(tmp_path):
    done = evacsim(
        "run", "aleppo_2016", "--set", "fleet.bus.count=60", "--out", str(tmp_path / "r")
    )
    assert done.returncode == 2 and not (tmp_path / "r").exists()
    assert done.stderr.strip().splitlines() == [
        "evacsim: error: --set: fleet.bus: no pool named bus; fleet has buses, ambulances "
        "(to add one, set the whole table: fleet.bus={count = 10, ...})"
    ]
    with pytest.raises(sim.ScenarioError, match="no group named patient; population has patients"):
        sim.load_scenario("aleppo_2016", ["population.patient.count=3"])
    # a whole new table is still a new pool (here one with seats missing)
    with pytest.raises(sim.ScenarioError, match=r"fleet\.vans\.seats: missing"):
        sim.load_scenario("aleppo_2016", ["fleet.vans={count = 3}"])


def test_set_with_a_space_is_the_commands_error_not_the_top_level_usage():
    done = evacsim("run", "aleppo_2016", "--set", "k", "60")
    assert done.returncode == 2
    assert done.stderr.startswith("usage: evacsim run ")
    assert "argument --set: expected KEY=VALUE in one argument" in done.stderr


def test_validate_knows_sweep_and_targets_files():
    done = evacsim(
        "validate", "sweeps/buses", "calibration/aleppo_2016_targets", "aleppo_2016",
        "workshop/deterministic", "nope",
    )  # fmt: skip
    assert done.returncode == 2
    lines = done.stdout.splitlines()
    assert lines[0].startswith("sweeps/buses: ok (sweep of aleppo_2016.toml: 1 axis, grid design")
    assert lines[1].startswith("calibration/aleppo_2016_targets: ok (calibration targets for")
    assert lines[2].startswith("aleppo_2016: ok (4 groups")
    assert lines[3] == "workshop/deterministic: ok (1 group, 2,300 people, 10 vehicles, 24 h)"
    assert "nope: no such file nor bundled scenario" in done.stderr


def test_precision_on_a_metric_never_defined_stops_with_a_reason():
    with pytest.raises(sim.ScenarioError, match="undefined in all 20 replications"):
        sim.run("aleppo_2016", reps=20, precision=0.05, metrics=["clearance_time"])


def test_implausible_values_warn_and_the_cli_says_so_in_one_line(tmp_path):
    with pytest.warns(ImplausibleValue, match=r"--set: convoy\.headway: 90 hours between"):
        sim.load_scenario(DETERMINISTIC, ["convoy.headway=90"])
    with warnings.catch_warnings():
        warnings.simplefilter("error", ImplausibleValue)
        for name in ("aleppo_2016", "what-if/double_fleet", "workshop/linked"):
            sim.load_scenario(name)  # the shipped files are plausible
    done = evacsim(
        "run", str(DETERMINISTIC), "--set", "fleet.buses.seats=500", "--reps", "2",
        "--out", str(tmp_path / "r"),
    )  # fmt: skip
    assert done.returncode == 0
    assert done.stderr == (
        "evacsim: warning: --set: fleet.buses.seats: 500 seats a vehicle is implausible\n"
    )


@pytest.fixture(scope="module")
def comparison():
    return sim.compare("aleppo_2016", ["what-if/patients_last", "what-if/double_fleet"], reps=12)


def test_compare_shows_the_groups_that_change_most_and_clock_times(comparison):
    table = compare_table(comparison)
    assert max(len(line) for line in table.splitlines()) <= 100
    block = table.split("patients_last - aleppo_2016")[1].split("double_fleet -")[0]
    wounded = next(line for line in block.splitlines() if line.startswith("evacuated_wounded"))
    assert wounded.split()[1:4] == ["300", "0", "-300"]
    rows = [line.split()[0] for line in block.strip().splitlines()[1:]]
    assert rows[0] == "evacuated" and set(rows[1:3]) == {"evacuated_families", "evacuated_wounded"}
    chosen = compare_table(comparison, ["first_departure", "wait_mean_families"])
    first = next(line for line in chosen.splitlines() if line.startswith("first_departure"))
    assert "Thu 14:" in first and first.split()[-2:] != ["nan", "nan"]
    assert chosen.count("\nwait_mean_families") == 2 and " h " in chosen
    assert "evacuated " not in chosen


def test_compare_refuses_an_unknown_metric(tmp_path):
    done = evacsim(
        "compare", "workshop/random", "workshop/ceasefire", "--reps", "3", "--metric", "nope",
        "--out", str(tmp_path / "c"),
    )  # fmt: skip
    assert done.returncode == 2 and "--metric: nope: not a metric of this comparison" in done.stderr
    assert not (tmp_path / "c").exists()


def test_sweep_takes_out_like_every_command_and_resumes_there(tmp_path):
    file = tmp_path / "small.toml"
    file.write_text(SWEEP)
    out = tmp_path / "mine"
    first = evacsim("sweep", str(file), "--workers", "1", "--out", str(out))
    assert first.returncode == 0, first.stderr
    assert (out / "points.csv").is_file() and f"Sweep folder: {out}" in first.stdout
    again = sim.sweep(file, workers=1, folder=out)
    assert again.reused == again.chunks
    file.write_text(SWEEP.replace("seed = 3", "seed = 4"))
    with pytest.raises(sim.ScenarioError, match="holds another sweep"):
        sim.sweep(file, workers=1, folder=out)
    old = evacsim("sweep", str(file), "--workers", "1", "--root", str(tmp_path / "results"))
    assert old.returncode == 0 and "--root is deprecated" in old.stderr
    assert len(list((tmp_path / "results" / "sweeps" / "small").iterdir())) == 1


def test_run_calibrate_compare_and_sweep_share_their_flags():
    from sim.cli import _parser

    commands = _parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name in ("run", "compare", "sweep", "calibrate"):
        flags = {s for a in commands[name]._actions for s in a.option_strings}
        assert "--out" in flags, name


def test_every_command_takes_quiet_and_verbose(tmp_path):
    from sim.cli import _parser

    commands = _parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name, command in commands.items():
        flags = {s for a in command._actions for s in a.option_strings}
        assert {"-q", "--quiet", "-v", "--verbose"} <= flags, name
    loud = evacsim(
        "compare", "workshop/random", "workshop/ceasefire", "--reps", "3", "-v",
        "--out", str(tmp_path / "v"),
    )  # fmt: skip
    assert loud.returncode == 0, loud.stderr
    assert "evacsim: compare: what-if ceasefire, 3 paired and 3 independent" in loud.stderr
    quiet = evacsim(
        "run", str(DETERMINISTIC), "--set", "convoy.headway=90", "--reps", "2", "-q",
        "--out", str(tmp_path / "q"),
    )  # fmt: skip
    assert quiet.returncode == 0 and quiet.stderr == ""  # not even the plausibility warning
