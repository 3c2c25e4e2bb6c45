"""evacsim in a notebook: summaries by name, DataFrames, short reprs, results read back, and
scenarios changed in Python checked and recorded."""

from __future__ import annotations

import dataclasses
import json
import math
import sys

import numpy as np
import pytest
from conftest import DETERMINISTIC, all_scenarios

import sim
from sim.inputs.record import scenario_from_record, scenario_record
from sim.studies.calibration.targets import load_targets


@pytest.fixture(scope="module")
def result():
    return sim.run("aleppo_2016", reps=12, seed=5)


def test_summaries_by_metric_name(result):
    s = result.summaries["evacuated"]
    assert s.metric == "evacuated" and s.n == 12
    assert s.mean == pytest.approx(float(result.metrics["evacuated"].mean()))
    assert list(result.summaries) == list(result.metrics)
    assert all(type(v) is float for v in s[2:])


def test_run_takes_a_name_a_path_or_a_scenario_and_applies_overrides(result):
    by_path = sim.run(DETERMINISTIC, reps=2, overrides=["fleet.buses.count=8"])
    assert by_path.scenario.pools[0].count == 8 and by_path.overrides == ["fleet.buses.count=8"]
    again = sim.run(sim.load_scenario("aleppo_2016"), reps=12, seed=5)
    np.testing.assert_array_equal(again.metrics["evacuated"], result.metrics["evacuated"])


def test_short_reprs_and_an_html_table(result):
    n = len(result.metrics)
    assert (
        repr(result) == f"RunResult('aleppo_2016', reps=12, seed=5, engine='vector', metrics={n})"
    )
    page = result._repr_html_()
    assert "<table>" in page and "evacuated_by_halt" in page and "Units:" in page
    comparison = sim.compare("aleppo_2016", ["what-if/patients_last"], reps=4)
    assert len(repr(comparison)) < 200 and "patients_last" in repr(comparison)
    assert "<table>" in comparison._repr_html_()


def test_frames_and_a_clear_message_without_pandas(result, monkeypatch):
    frame = result.to_frame()
    assert frame.shape == (12, len(result.metrics)) and frame.index.name == "rep"
    monkeypatch.setitem(sys.modules, "pandas", None)  # as if it were not installed
    with pytest.raises(ImportError, match=r"pip install 'evacsim\[frames\]'"):
        result.to_frame()


def test_a_run_folder_reads_back_as_the_same_result(result, tmp_path):
    folder = result.save(tmp_path / "run")
    back = sim.load_run(folder)
    assert isinstance(back, sim.RunResult)
    assert back.scenario == result.scenario and back.scenario.document == result.scenario.document
    assert (back.reps, back.seed, back.engine) == (result.reps, result.seed, result.engine)
    for name, values in result.metrics.items():
        np.testing.assert_array_equal(back.metrics[name], values, err_msg=name)
    for name, values in result.replications.series.items():
        assert back.replications.series[name].dtype == values.dtype
        np.testing.assert_array_equal(back.replications.series[name], values)
    assert back.replications.trace == result.replications.trace
    assert back.summaries.keys() == result.summaries.keys()
    # saved again, every table and figure has the same bytes
    copy = back.save(tmp_path / "again")
    for name in ("replications.csv", "summary.csv", "timeseries.csv", "trace.csv", "series.npz"):
        assert (copy / name).read_bytes() == (folder / name).read_bytes(), name
    for name in ("evacuated.png", "convoys.png", "queue.png"):
        assert (copy / name).read_bytes() == (folder / name).read_bytes(), name


def test_compare_sweep_and_calibration_folders_read_back(tmp_path):
    comparison = sim.compare(
        "aleppo_2016", ["what-if/patients_last", "what-if/double_fleet"], reps=5, seed=2
    )
    back = sim.load_run(comparison.save(tmp_path / "compare"))
    assert isinstance(back, sim.Comparison)
    assert back.base == comparison.base and back.whatifs == comparison.whatifs
    assert [d[:3] for d in back.differences] == [d[:3] for d in comparison.differences]
    np.testing.assert_array_equal(
        [d[3:] for d in back.differences], [d[3:] for d in comparison.differences]
    )
    for label, run in comparison.paired.items():
        np.testing.assert_array_equal(
            back.paired[label].metrics["evacuated"], run.metrics["evacuated"]
        )

    swept = sim.sweep("workshop/sweeps/fleet", root=tmp_path, workers=1)
    again = sim.load_run(swept.folder)
    assert isinstance(again, sim.SweepResult) and again.points == swept.points
    assert again.spec.path == swept.spec.path and again.spec.scenario == swept.spec.scenario
    for m in swept.spec.metrics:
        for a, b in zip(again.values[m], swept.values[m], strict=True):
            np.testing.assert_array_equal(a, b)
    assert again.to_frame().shape[0] == len(swept.points)

    targets = load_targets("calibration/aleppo_2016_targets")
    calibration = sim.calibrate(targets, draws=64, refine=False, workers=1)
    loaded = sim.load_run(calibration.save(tmp_path / "calibration"))
    assert isinstance(loaded, sim.Calibration)
    assert loaded.targets == targets and loaded.best == calibration.best
    np.testing.assert_array_equal(loaded.values, calibration.values)
    np.testing.assert_array_equal(loaded.fit.accepted, calibration.fit.accepted)
    np.testing.assert_array_equal(
        loaded.best_run.metrics["evacuated"], calibration.best_run.metrics["evacuated"]
    )
    assert repr(loaded) == repr(calibration) and loaded.to_frame().shape[0] == 1


def test_not_a_results_folder(tmp_path):
    with pytest.raises(sim.ScenarioError, match="manifest.json: cannot be read"):
        sim.load_run(tmp_path)


@pytest.mark.parametrize("path", all_scenarios(), ids=lambda p: p.stem)
def test_every_scenario_survives_its_record(path):
    scenario = sim.load_scenario(path)
    record = json.loads(json.dumps(scenario_record(scenario)))
    assert scenario_from_record(record, scenario.document) == scenario


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"horizon": -5}, "Scenario: horizon: must be hours > 0"),
        ({"reps": 0}, "Scenario: reps: must be a whole number >= 1"),
        ({"horizon": math.nan}, "Scenario: horizon"),
    ],
)
def test_a_scenario_changed_in_python_is_checked(change, message):
    scenario = sim.load_scenario(DETERMINISTIC)
    with pytest.raises(sim.ScenarioError, match=message):
        dataclasses.replace(scenario, **change)


def test_parts_changed_in_python_are_checked():
    scenario = sim.load_scenario("aleppo_2016")
    with pytest.raises(sim.ScenarioError, match="Pool: seats: must be a whole number >= 1"):
        dataclasses.replace(scenario.pools[0], seats=0)
    with pytest.raises(sim.ScenarioError, match="Ceasefire: before_checkpoint"):
        dataclasses.replace(scenario.ceasefire, before_checkpoint="wait")
    with pytest.raises(sim.ScenarioError, match="Route: incident_probability"):
        dataclasses.replace(scenario.route, incident_probability=1.5)


def test_the_manifest_records_what_ran(tmp_path):
    scenario = dataclasses.replace(sim.load_scenario(DETERMINISTIC), horizon=30.0)
    folder = sim.run(scenario, reps=2).save(tmp_path / "run")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["scenario_values"]["horizon"] == 30.0
    assert sim.load_run(folder).scenario.horizon == 30.0
