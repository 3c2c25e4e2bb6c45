"""Tests for sim.views.plots: the PNGs of a run folder, their determinism, and the convoy legs."""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest

from sim.engines.des import run_des
from sim.inputs.loader import load_scenario
from sim.views.clock_axis import clock_label, hourly_spans, trace_spans
from sim.views.plots import (
    _convoy_legs,
    convoy_timeline,
    fan_chart,
    queue_chart,
    write_figures,
)

DETERMINISTIC = Path(__file__).parent.parent / "scenarios" / "workshop" / "deterministic.toml"
PNG = b"\x89PNG\r\n\x1a\n"
NAMES = ["evacuated.png", "convoys.png", "queue.png"]

RANDOM = """
name = "random"
start = 2016-12-15T06:00:00
horizon = 36.0

[population.families]
count = 2300
priority = 2
vehicles = ["buses"]

[population.patients]
count = 40
priority = 1
vehicles = ["ambulances", "buses"]

[fleet.buses]
count = 10
seats = 50
crowding = 1.2
load_time = {dist = "lognormal", mean = 0.5, cv = 0.3}
unload_time = {dist = "lognormal", mean = 0.25, cv = 0.3}

[fleet.ambulances]
count = 5
seats = 2
load_time = 0.3
unload_time = 0.2

[convoy]
headway = 0.5

[route]
to_checkpoint = {dist = "lognormal", mean = 0.5, cv = 0.3}
inspection = {dist = "lognormal", mean = 0.4, cv = 0.5}
to_reception = {dist = "lognormal", mean = 0.75, cv = 0.3}
return_trip = {dist = "lognormal", mean = 1.75, cv = 0.3}
incident_probability = 0.1

[ceasefire]
breach_rate = 0.05
negotiation = {dist = "lognormal", mean = 3, cv = 0.5}
guarantee = 1.0

[[ceasefire.windows]]
start = 8.0
end = 12.0
reason = "halt"

[[reported]]
at = 10.0
evacuated = 1500
low = 1200
high = 1800
source = "test"

[[reported]]
at = 2016-12-16T16:00:00
evacuated = 2340
source = "a long source name that has to be shortened on the chart"
"""


@pytest.fixture(scope="module")
def deterministic():
    scenario = load_scenario(DETERMINISTIC)
    return scenario, run_des(scenario, reps=5, seed=1)


@pytest.fixture(scope="module")
def random(tmp_path_factory):
    path = tmp_path_factory.mktemp("scenario") / "random.toml"
    path.write_text(RANDOM)
    scenario = load_scenario(path)
    return scenario, run_des(scenario, reps=20, seed=1)


@pytest.mark.parametrize("case", ["deterministic", "random"])
def test_write_figures_writes_identical_pngs(case, request, tmp_path):
    scenario, result = request.getfixturevalue(case)
    first = write_figures(scenario, result, tmp_path / "a")
    second = write_figures(scenario, result, tmp_path / "b" / "new")
    assert [p.name for p in first] == NAMES
    for a, b in zip(first, second, strict=True):
        data = a.read_bytes()
        assert data.startswith(PNG)
        assert len(data) > 20_000
        assert data == b.read_bytes()
    assert plt.get_fignums() == []  # nothing registered with pyplot


def test_random_scenario_has_suspensions_and_incidents(random):
    scenario, result = random
    spans = hourly_spans(scenario, result.hourly.mean("suspended"))
    assert any(s == 1.0 and a <= 8 and b >= 12 for a, b, s in spans)  # the scheduled halt
    assert any(0 < s < 1 for _, _, s in spans)  # random breaches
    assert trace_spans(scenario, [e for e in result.trace if e.rep == 0])
    assert any(e.event == "incident" for e in result.trace)


def test_empty_trace(tmp_path):
    scenario = load_scenario(DETERMINISTIC, ["run.trace_reps=0"])
    result = run_des(scenario, reps=3, seed=1)
    assert result.trace == []
    paths = write_figures(scenario, result, tmp_path)
    assert all(p.read_bytes().startswith(PNG) for p in paths)
    texts = [t.get_text() for t in convoy_timeline(scenario, result).axes[0].texts]
    assert any("No event trace" in t for t in texts)


def test_charts_return_figures(deterministic):
    scenario, result = deterministic
    for chart in (fan_chart, convoy_timeline, queue_chart):
        ax = chart(scenario, result).axes[0]
        assert ax.get_xlim() == (0.0, scenario.horizon)
        assert ax.xaxis.get_major_formatter()(0.0, 0) == "Thu 15 06:00"


def test_clock_labels(deterministic):
    scenario, _ = deterministic
    assert clock_label(scenario, 8.0) == "Thu 15 14:00"
    assert clock_label(scenario, 18.0 - 1e-9) == "Fri 16 00:00"


def test_convoy_legs_of_the_deterministic_scenario(deterministic):
    scenario, result = deterministic
    trace = [e for e in result.trace if e.rep == 0]
    legs, arrivals = _convoy_legs(trace, [0, 1, 2, 3], end=14.0)
    expected = {
        "loading": (0.0, 0.5),
        "to checkpoint": (0.5, 1.0),
        "inspection": (1.0, 1.25),
        "to reception": (1.25, 2.0),
        "unloading": (2.0, 2.25),
        "return": (2.25, 4.0),
    }
    for label, (start, stop) in expected.items():
        assert legs[label][0] == pytest.approx((0, start, stop))
    assert not legs["held"] and not legs["turned back"]
    assert len(legs["unloading"]) == 3  # the last convoy arrives as the enclave is cleared
    assert arrivals == [(0, 2.0, 600), (1, 6.0, 600), (2, 10.0, 600), (3, 14.0, 500)]


def test_hourly_spans_merge_equal_hours(deterministic):
    scenario, _ = deterministic
    suspended = np.zeros((4, 25))
    suspended[:, 8:12] = 1.0
    suspended[0, 20] = 1.0
    spans = [s for s in hourly_spans(scenario, suspended.mean(axis=0)) if s[2] > 0]
    assert spans == [(8.0, 12.0, 1.0), (20.0, 21.0, 0.25)]
