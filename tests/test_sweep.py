"""Sweeps: designs, equivalence with single runs, chunking, precision, bad sweep files."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from conftest import BASELINE, DETERMINISTIC, SCENARIOS, evacsim

import sim
import sim.studies.sweeps.executors
from sim.studies.precision import precise
from sim.studies.sweeps.run import sweep_id

GRID = f"""
name = "grid"
base = "{BASELINE}"
reps = 20
seed = 4
metrics = ["evacuated_by_halt", "clearance_time", "turned_back"]

[axes]
"fleet.buses.count" = [20, 44]
"ceasefire.before_checkpoint" = ["hold", "turn_back"]
"""


def write(tmp_path, text: str, name: str = "sweep.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def rows(folder) -> list[dict[str, str]]:
    with open(folder / "points.csv") as f:
        return list(csv.DictReader(f))


def test_every_point_equals_a_run_of_its_scenario(tmp_path):
    """A point's replications are those of the scenario with the point's values set,
    replications 0 .. n-1 with the sweep's seed, numeric axes and scenario axes alike."""
    result = sim.sweep(write(tmp_path, GRID), root=tmp_path, workers=1)
    assert len(result.points) == 4 and result.reps.tolist() == [20] * 4
    for i, point in enumerate(result.points):
        settings = [f"fleet.buses.count={point['fleet.buses.count']}"]
        settings += [f"ceasefire.before_checkpoint='{point['ceasefire.before_checkpoint']}'"]
        alone = sim.run(sim.load_scenario(BASELINE, settings), reps=20, seed=4)
        for metric in result.spec.metrics:
            np.testing.assert_array_equal(result.values[metric][i], alone.metrics[metric])
    table = rows(result.folder)
    assert [r["fleet.buses.count"] for r in table] == ["20", "20", "44", "44"]
    assert table[1]["ceasefire.before_checkpoint"] == "turn_back"
    assert table[0]["clearance_time_n"] == "0" and table[0]["clearance_time_mean"] == "nan"
    assert {p.name for p in result.folder.iterdir()} == {
        "chunks",
        "points.csv",
        "manifest.json",
        "heatmap.png",
        "values.npz",
        "sweep-id.txt",
    }


def test_swept_counts_and_durations_equal_runs_of_their_scenarios(tmp_path):
    """The workshop scenario sends its whole fleet in each convoy; a swept fleet size (and a
    swept trip) in one batch gives what a scenario file with that value gives."""
    text = f"""
        base = "{DETERMINISTIC}"
        set = ["route.to_reception={{dist='lognormal', mean=0.75, cv=0.4}}"]
        reps = 10
        seed = 6
        metrics = ["clearance_time", "convoys", "wait_person_hours"]
        [axes]
        "fleet.buses.count" = [6, 10, 13]
        "route.to_reception.mean" = [0.5, 1.5]
    """
    result = sim.sweep(write(tmp_path, text), root=tmp_path, workers=1)
    for i, point in enumerate(result.points):
        settings = [*result.spec.overrides, f"fleet.buses.count={point['fleet.buses.count']}"]
        settings.append(f"route.to_reception.mean={point['route.to_reception.mean']}")
        alone = sim.run(sim.load_scenario(DETERMINISTIC, settings), reps=10, seed=6)
        for metric in result.spec.metrics:
            np.testing.assert_array_equal(result.values[metric][i], alone.metrics[metric])


def test_chunking_and_workers_do_not_change_the_table(tmp_path):
    text = GRID.replace('name = "grid"', 'name = "one_axis"').replace(
        '"ceasefire.before_checkpoint" = ["hold", "turn_back"]\n', ""
    )
    whole = sim.sweep(write(tmp_path, text), root=tmp_path / "a", workers=1)
    cut = sim.sweep(
        write(tmp_path, "chunk = 7\n" + text, "cut.toml"), root=tmp_path / "b", workers=2
    )
    assert (whole.chunks, cut.chunks) == (1, 6)  # 40 replications: 7, 7, 6 for each point
    assert (whole.folder / "points.csv").read_bytes() == (cut.folder / "points.csv").read_bytes()
    assert (whole.folder / "lines.png").stat().st_size > 0


@pytest.fixture
def pools(monkeypatch) -> list[int]:
    """The size of every pool a sweep's local executor starts."""
    started: list[int] = []
    pool = sim.studies.sweeps.executors.worker_pool

    def recorded(workers: int):
        started.append(workers)
        return pool(workers)

    monkeypatch.setattr(sim.studies.sweeps.executors, "worker_pool", recorded)
    return started


def test_a_sweep_forks_no_more_processes_than_chunks(tmp_path, pools):
    text = f"base = '{DETERMINISTIC}'\nreps = 2\nchunk = 2\nmetrics = ['evacuated']\n"
    text += "[axes]\n'fleet.buses.count' = [10, 12, 14]\n"  # a chunk for each point
    result = sim.sweep(write(tmp_path, text), root=tmp_path, workers=500)
    assert (result.chunks, pools) == (3, [3])


def task_itself(*task):
    """Stands in for simulate_chunk in a worker: hands back the task it was given."""
    return {"task": task}


def test_a_round_of_more_chunks_than_its_pool_gets_a_larger_one(pools, monkeypatch):
    monkeypatch.setattr(sim.studies.sweeps.executors, "simulate_chunk", task_itself)
    with sim.studies.sweeps.executors.LocalExecutor(4) as local:
        for n in (2, 3, 2, 9):  # rounds of precision: more chunks, then fewer
            done = dict(local.run(range(n), [(i,) for i in range(n)]))
            assert done == {i: {"task": (i,)} for i in range(n)}
    assert pools == [2, 3, 4]


def test_rerun_reuses_chunks_and_a_changed_file_does_not(tmp_path):
    text = "chunk = 20\n" + GRID
    first = sim.sweep(write(tmp_path, text), root=tmp_path, workers=1)
    again = sim.sweep(write(tmp_path, text), root=tmp_path, workers=1)
    assert again.folder == first.folder and again.reused == again.chunks == 4
    changed = sim.sweep(write(tmp_path, text.replace("seed = 4", "seed = 5")), root=tmp_path)
    assert changed.folder != first.folder and changed.reused == 0


def test_sampled_designs_stay_in_range_and_round_counts(tmp_path):
    for method, points in (("lhs", 10), ("sobol", 8)):
        text = f"""
            base = "{BASELINE}"
            reps = 2
            metrics = ["evacuated"]
            [design]
            method = "{method}"
            points = {points}
            [axes]
            "fleet.buses.count" = {{ low = 20, high = 40 }}
            "route.to_reception.mean" = {{ low = 0.5, high = 2.0 }}
        """
        spec = sim.load_sweep(write(tmp_path, text))
        from sim.studies.sweeps.design import design_points

        found = design_points(spec)
        assert len(found) == points and found == design_points(spec)
        counts = np.array([p["fleet.buses.count"] for p in found])
        trips = np.array([p["route.to_reception.mean"] for p in found])
        assert (counts == np.rint(counts)).all() and counts.min() >= 20 and counts.max() <= 40
        assert trips.min() >= 0.5 and trips.max() <= 2.0 and len(set(trips)) == points


def test_saltelli_design_gives_sobol_indices(tmp_path):
    text = f"""
        base = "{BASELINE}"
        reps = 10
        seed = 2
        metrics = ["evacuated_by_halt"]
        [design]
        method = "saltelli"
        points = 8
        [axes]
        "fleet.buses.count" = {{ low = 20, high = 60 }}
        "ceasefire.breach_rate" = {{ low = 0.0, high = 0.05 }}
    """
    result = sim.sweep(write(tmp_path, text), root=tmp_path)
    assert len(result.points) == 8 * (2 + 2)
    assert [(i.metric, i.parameter) for i in result.sobol] == [
        ("evacuated_by_halt", "fleet.buses.count"),
        ("evacuated_by_halt", "ceasefire.breach_rate"),
    ]
    for name in ("sobol.csv", "sobol.png", "scatter.png"):
        assert (result.folder / name).stat().st_size > 0, name


def test_precision_adds_replications_until_the_rule_holds(tmp_path):
    text = f"""
        base = "{BASELINE}"
        reps = 4
        seed = 3
        precision = 0.03
        max_reps = 64
        metrics = ["evacuated_by_halt", "cold_person_hours"]
        [axes]
        "fleet.buses.count" = [20, 40]
    """
    result = sim.sweep(write(tmp_path, text), root=tmp_path)
    for p, n in enumerate(result.reps):
        values = {m: v[p] for m, v in result.values.items()}
        assert n in (4, 8, 16, 32, 64)
        assert precise(values, 0.03) or n == 64
        if n > 4:  # it stopped at the first round that met the rule
            assert not precise({m: v[: n // 2] for m, v in values.items()}, 0.03)
    manifest = json.loads((result.folder / "manifest.json").read_text())
    assert manifest["precision"]["rule"].startswith("A run (or a sweep point) is precise enough")


def test_precision_of_a_deterministic_scenario_needs_one_round(tmp_path):
    text = f"""
        base = "{DETERMINISTIC}"
        reps = 3
        precision = 0.01
        metrics = ["clearance_time", "turned_back"]
        [axes]
        "fleet.buses.count" = [10, 12]
    """
    result = sim.sweep(write(tmp_path, text), root=tmp_path)
    assert result.reps.tolist() == [3, 3] and result.precise.all()  # half-widths are 0


def test_repository_sweep_files_are_valid():
    files = sorted((SCENARIOS / "sweeps").glob("*.toml"))
    assert len(files) >= 4
    for path in files:
        spec = sim.load_sweep(path)
        assert len(sweep_id(spec)) == 12


HEAD = f"base = '{BASELINE}'\nmetrics = ['evacuated']\n"
LHS = "[design]\nmethod = 'lhs'\npoints = 4\n"
BAD = [
    ("reps = 10\nmetrics = ['evacuated']\n[axes]\n'fleet.buses.count' = [20]\n", "base"),
    (HEAD, "axes"),
    (HEAD.replace("evacuated", "evacuatd") + "[axes]\n'convoy.headway' = [1.0]\n", "metrics"),
    (HEAD + "speed = 1\n[axes]\n'convoy.headway' = [1]\n", "speed"),
    (HEAD + "[axes]\n'fleet.buses.count' = [20.5]\n", "axes.fleet.buses.count"),
    (HEAD + "[axes]\n'fleet.buses.count' = [-4]\n", "axes.fleet.buses.count"),
    (HEAD + "[axes]\n'fleet.buses.sets' = [4]\n", "fleet.buses.sets"),
    (HEAD + LHS + "[axes]\n'ceasefire.before_checkpoint' = { low = 0, high = 1 }\n", "batch"),
    (
        HEAD + LHS.replace("lhs", "sobol").replace("4", "12") + "[axes]\n"
        "'convoy.headway' = { low = 0, high = 1 }\n",
        "design.points",
    ),
    (HEAD + LHS + "[axes]\n'convoy.headway' = { low = 2, high = 1 }\n", "axes.convoy.headway"),
    (HEAD + LHS + "[axes]\n'convoy.headway' = [1, 2]\n", "is a range"),
    (HEAD + "[design]\nmethod = 'montecarlo'\n[axes]\n'convoy.headway' = [1]\n", "design.method"),
    (HEAD + "precision = 2\n[axes]\n'convoy.headway' = [1]\n", "precision"),
    (HEAD.replace(str(BASELINE), "nowhere.toml") + "[axes]\n'convoy.headway' = [1]\n", "nowhere"),
    ("base = = 1\n", "not valid TOML"),
]


@pytest.mark.parametrize(("text", "named"), BAD, ids=[n for _, n in BAD])
def test_bad_sweep_files_name_the_key(tmp_path, text, named):
    path = write(tmp_path, text)
    with pytest.raises(sim.ScenarioError) as raised:
        sim.sweep(path, root=tmp_path / "results")
    assert named in str(raised.value)
    assert not (tmp_path / "results").exists()  # checked before anything is written


def test_cli_bad_sweep_file_is_one_line_and_status_2(tmp_path):
    path = write(tmp_path, BAD[4][0])
    done = evacsim("sweep", str(path), "--root", str(tmp_path / "results"))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith(f"evacsim: error: {path}: axes.fleet.buses.count: ")
    assert done.stderr.count("\n") == 1 and not (tmp_path / "results").exists()


def test_cli_reports_precision_and_resume(tmp_path):
    text = f"""
        base = "{DETERMINISTIC}"
        reps = 3
        metrics = ["clearance_time"]
        [axes]
        "fleet.buses.count" = [10, 12]
    """
    path = write(tmp_path, text)
    args = ("sweep", str(path), "--precision", "0.01", "--root", str(tmp_path / "r"))
    first, again = evacsim(*args), evacsim(*args)
    assert first.returncode == again.returncode == 0, first.stderr
    assert "precision 0.01: 2 of 2 points within it; replications per point 3–3" in first.stdout
    assert "resumed" not in first.stdout
    assert "resumed: 1 of 1 chunks already done" in again.stdout


def test_cli_rejects_an_unknown_scheduler(tmp_path):
    path = write(tmp_path, GRID)
    done = evacsim("sweep", str(path), "--scheduler", "slurm", "--root", str(tmp_path / "r"))
    assert done.returncode == 2 and "--scheduler" in done.stderr
