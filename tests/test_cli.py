"""The ``evacsim`` command as a user meets it: run folders, reproducibility, narration."""

from __future__ import annotations

import csv
import json

from conftest import BASELINE, DETERMINISTIC, evacsim

import sim.cli

FILES = (
    "manifest.json",
    "replications.csv",
    "summary.csv",
    "timeseries.csv",
    "trace.csv",
    "report.html",
)
FIGURES = ("evacuated.png", "convoys.png", "queue.png")


def test_run_writes_a_complete_run_folder(tmp_path):
    out = tmp_path / "run"
    done = evacsim("run", str(BASELINE), "--reps", "20", "--seed", "3", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert f"Run folder: {out}" in done.stdout
    assert "evacuated_by_halt" in done.stdout
    for name in FILES + FIGURES:
        assert (out / name).stat().st_size > 0, name
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 3 and manifest["reps"] == 20 and manifest["engine"] == "vector"
    assert manifest["resolved_scenario"]["fleet"]["buses"]["per_convoy"] == 20
    assert manifest["versions"]["simpy"]
    with open(out / "replications.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 20 and rows[0]["rep"] == "0"
    with open(out / "summary.csv") as f:
        summary = {row["metric"]: row for row in csv.DictReader(f)}
    assert float(summary["evacuated"]["ci_low"]) <= float(summary["evacuated"]["mean"])
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left


def test_same_scenario_and_seed_give_identical_tables(tmp_path):
    for name in ("a", "b"):
        done = evacsim("run", str(BASELINE), "--reps", "30", "--out", str(tmp_path / name))
        assert done.returncode == 0, done.stderr
    for table in ("replications.csv", "summary.csv", "timeseries.csv", "trace.csv"):
        assert (tmp_path / "a" / table).read_bytes() == (tmp_path / "b" / table).read_bytes()


def test_run_refuses_to_overwrite_a_folder(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    done = evacsim("run", str(DETERMINISTIC), "--out", str(out))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "already exists" in done.stderr
    assert not list(out.iterdir())


def test_default_run_folder_is_under_results(tmp_path):
    done = evacsim("run", str(DETERMINISTIC), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    (folder,) = (tmp_path / "results" / "deterministic").iterdir()
    assert (folder / "summary.csv").exists()


def test_set_override_reaches_the_run(tmp_path):
    done = evacsim(
        "run", str(DETERMINISTIC), "--set", "fleet.buses.count=5", "--out", str(tmp_path / "r")
    )
    assert done.returncode == 0, done.stderr
    manifest = json.loads((tmp_path / "r" / "manifest.json").read_text())
    assert manifest["overrides"] == ["fleet.buses.count=5"]
    assert manifest["resolved_scenario"]["fleet"]["buses"]["count"] == 5


def test_narrate_tells_the_deterministic_run():
    done = evacsim("narrate", str(DETERMINISTIC))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert lines[0] == "Thursday 15 December 2016"
    assert "06:30  Convoy 1 leaves the pickup: 600 people in 10 buses." in lines
    assert lines[-1] == "20:00  Everyone is out: 2,300 people evacuated."


def test_narrate_a_replication_of_the_baseline():
    done = evacsim("narrate", str(BASELINE), "--rep", "4")
    assert done.returncode == 0, done.stderr
    assert "The ceasefire breaks: a scheduled halt (start delayed" in done.stdout
    assert "leaves the pickup" in done.stdout
    assert max(len(line) for line in done.stdout.splitlines()) <= 80


def test_both_engines_write_the_same_tables(tmp_path):
    for engine in ("vector", "des"):
        args = ("run", str(BASELINE), "--reps", "40", "--engine", engine)
        done = evacsim(*args, "--out", str(tmp_path / engine))
        assert done.returncode == 0, done.stderr
    manifest = json.loads((tmp_path / "des" / "manifest.json").read_text())
    assert manifest["engine"] == "des"
    for table in ("replications.csv", "summary.csv", "timeseries.csv", "trace.csv"):
        vector = (tmp_path / "vector" / table).read_text()
        assert vector == (tmp_path / "des" / table).read_text(), table


def test_animate_writes_a_gif_and_refuses_other_types(tmp_path):
    done = evacsim(
        "animate", str(DETERMINISTIC), "--out", str(tmp_path / "a.gif"), "--minutes-per-frame", "60"
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "a.gif").read_bytes()[:6] == b"GIF89a"
    done = evacsim("animate", str(DETERMINISTIC), "--out", str(tmp_path / "a.avi"))
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and ".gif or .mp4" in done.stderr


def test_a_run_folder_is_narrated_from_anywhere_as_it_was_run(tmp_path):
    """The folder's own record, not its scenario file read again: from another folder the
    relative path did not resolve, and an edited file would have told another scenario."""
    scenario = tmp_path / "mine.toml"
    scenario.write_text(DETERMINISTIC.read_text(), encoding="utf-8")
    ran = evacsim("run", "mine.toml", "--reps", "2", "--out", "run", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    told = evacsim("narrate", "run", cwd=tmp_path)
    assert told.returncode == 0, told.stderr
    scenario.write_text(DETERMINISTIC.read_text().replace("count = 2300", "count = 10"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    again = evacsim("narrate", "../run", cwd=elsewhere)
    assert again.returncode == 0, again.stderr
    assert again.stdout == told.stdout and "2,300 people" in told.stdout


def test_every_argument_says_what_it_takes():
    commands = sim.cli._parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name, command in commands.items():
        for action in command._actions:
            assert action.help, (name, action.dest)
    files = [("run", "scenario"), ("validate", "scenarios"), ("calibrate", "targets")]
    files += [("compare", "base"), ("compare", "whatifs"), ("sweep", "file"), ("optimise", "study")]
    for name, dest in files:  # the library resolves a bundled name wherever it reads a file
        (found,) = [a for a in commands[name]._actions if a.dest == dest]
        assert "bundled name" in found.help, (name, dest)
