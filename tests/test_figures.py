"""Figures a report can use: counts drawn as steps at the moments they change, and every
figure saying which scenario, overrides, runs and units it shows. (The PNGs themselves were
looked at; the closing note of issue 14 says what they showed.)"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import DETERMINISTIC

import sim
from sim.inputs.json_schema import key_unit
from sim.studies.sweeps.figures import heatmap, sweep_figures
from sim.views.differences import difference_chart
from sim.views.plots import fan_chart, queue_chart
from sim.views.wording import metric_unit

SET = ["fleet.buses.count=8"]


def lines(figure):
    return {line.get_label(): line for line in figure.axes[0].get_lines()}


def test_the_deterministic_counts_step_when_convoys_arrive():
    result = sim.run(DETERMINISTIC, reps=3, seed=1, overrides=SET)
    figure = fan_chart(result.scenario, result.replications, result.overrides)
    drawn = lines(figure)
    exact = drawn["replication 0, at event times"]
    assert exact.get_drawstyle() == "steps-post"
    # 8 buses of 60: five convoys of 480 (the last 380) reach reception 2 h after forming,
    # one every 4 h
    times, counts = exact.get_data()
    assert list(times) == [0.0, 2.0, 6.0, 10.0, 14.0, 18.0, 24.0]
    assert list(counts) == [0, 480, 960, 1440, 1920, 2300, 2300]
    # the runs' hourly counts are steps too: nothing is evacuated before 02:00 after the start
    median = drawn["median evacuated"]
    assert median.get_drawstyle() == "steps-post"
    hours, values = median.get_data()
    assert values[int(np.searchsorted(hours, 1.0))] == 0 and values[2] == 480
    title = figure.axes[0].get_title()
    assert title == "deterministic: people evacuated, 3 runs\nwith --set fleet.buses.count=8"
    assert "people" in figure.axes[0].get_ylabel()


def test_the_queue_shows_each_runs_peak():
    result = sim.run("aleppo_2016", reps=10, seed=2)
    figure = queue_chart(result.scenario, result.replications)
    peak = result.summaries["peak_queue"].median  # the median summary.csv gives
    assert f"median peak ({peak:,.0f})" in lines(figure)
    assert figure.axes[0].get_ylim()[1] >= peak
    assert "with --set" not in figure.axes[0].get_title()


def test_the_comparison_chart_has_units_runs_and_visible_intervals():
    comparison = sim.compare("aleppo_2016", ["what-if/patients_last"], reps=6, seed=3)
    figure = difference_chart(comparison.differences, "aleppo_2016", 6, 3)
    assert "6 paired runs, seed 3" in figure.get_suptitle()
    labels = [ax.get_ylabel() for ax in figure.axes]
    assert "evacuated\n(people)" in labels and "wait_person_hours\n(person-hours)" in labels
    for ax in figure.axes:  # end caps: an interval of zero width still shows
        assert any(line.get_marker() == "|" for line in ax.get_lines())


def test_sweep_heatmaps_write_their_values_and_units(tmp_path):
    swept = sim.sweep("workshop/sweeps/fleet", root=tmp_path, workers=1)
    figure = heatmap(swept)
    first = figure.axes[0]
    cells = [t.get_text() for t in first.texts]
    assert len(cells) == len(swept.points)
    mean = swept.summaries[swept.spec.metrics[0]][0].mean
    assert f"{mean:.3g}" in cells
    bars = [ax.get_ylabel() for ax in figure.axes[len(swept.spec.metrics) :]]  # colour bars
    assert bars == ["hours from the start", "convoys", "person-hours"]
    assert first.get_xlabel() == "route.return_trip.mean (hours)"  # units from the loader
    assert first.get_ylabel() == "fleet.buses.crowding\n(load factor: people per seat)"
    assert set(sweep_figures(swept)) == {"heatmap.png"}


@pytest.mark.parametrize(
    ("key", "unit"),
    [
        ("fleet.buses.count", "vehicles"),
        ("population.families.count", "people"),
        ("route.to_reception.mean", "hours"),  # a duration's parameter
        ("route.to_reception.cv", ""),
        ("route.inspection", "hours"),  # a fixed duration
        ("ceasefire.breach_rate", "per hour"),
        ("periods.0.headway", "hours"),
        ("fleet.buses.available_at", "hours from the start"),
        ("ceasefire.before_checkpoint", ""),
    ],
)
def test_sweep_axes_take_their_unit_from_the_loader(key, unit):
    assert key_unit(key) == unit


def test_turned_back_counts_convoys():
    assert metric_unit("turned_back") == "convoys"
    assert metric_unit("evacuated_by_two_convoys") == metric_unit("departed_by_halt") == "people"
