"""The whole operation's mechanisms as free parameters: a value given per replication to the
batch engine gives, in each replication, the reference engine's result for the scenario with
that value set (``--set KEY=VALUE``), and the hand-worked result (issue 11, item 4).

Hand-worked cases start from the deterministic workshop scenario, as in test_timetable.py:
2,300 families, 10 buses of 60 places, fixed legs; a rotation takes 4.0 h and a convoy
reaches reception 2.0 h after it forms.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import DETERMINISTIC, SCENARIOS

import sim
from sim.engines.batch_params import batch_parameters
from sim.engines.des import run_des
from sim.engines.vector import run_vector
from sim.outputs.records import count_metrics
from sim.studies.calibration import load_targets
from sim.studies.calibration.abc import prior_draws

#: One column of 10 cars at 0.5 h, 4 people a car, taking families.
CARS = "private.cars={groups = ['families'], people = 4.0, columns = [{at = 0.5, vehicles = 10}]}"


def per_replication(overrides: list[str], parameters: dict[str, list[float]], seed: int = 1):
    """The batch run with ``parameters`` given per replication, after checking that each
    replication equals the reference engine's run of the scenario with its values set."""
    scenario = sim.load_scenario(DETERMINISTIC, overrides)
    reps = len(next(iter(parameters.values())))
    arrays = {key: np.array(values, dtype=float) for key, values in parameters.items()}
    batch = run_vector(scenario, reps, seed=seed, parameters=arrays)
    counts = count_metrics(scenario)
    for rep in range(reps):
        sets = [f"{key}={values[rep]!r}" for key, values in parameters.items()]
        point = sim.load_scenario(DETERMINISTIC, [*overrides, *sets])
        alone = run_des(point, 1, seed=seed, first_rep=rep)
        for name, value in alone.metrics.items():
            got = batch.metrics[name][rep : rep + 1]
            if name in counts:
                np.testing.assert_array_equal(got, value, err_msg=f"{name}, replication {rep}")
            else:
                np.testing.assert_allclose(got, value, rtol=1e-9, err_msg=f"{name}, rep {rep}")
    return batch.metrics


def test_a_share_sent_home_by_a_period():
    # at 1.0, 1,700 are waiting: floor(share x 1,700) go home; everyone else is evacuated
    m = per_replication(
        ["periods=[{start = 1.0, send_home = {families = 0.5}}]"],
        {"periods.0.send_home.families": [0.5, 1.0, 0.25]},
    )
    assert m["left"].tolist() == [850, 1700, 425]
    assert m["evacuated"].tolist() == [1450, 600, 1875]


def test_a_period_sets_the_crossing_throughput():
    # one lane; from 3.0 a 10-bus convoy holds it 0.25 + 10 / v h. At v = 20 (test_timetable):
    # convoys form at 0, 4.0, 8.5 and 13.0, the last (9 buses) arrives 13.0 + 1.0 + 0.7 + 0.75.
    # At v = 10 a rotation takes 5.0 h: 0, 4.0, 9.0, 14.0, the last arrives 14.0 + 1.0 + 1.15 +
    # 0.75. At v = 1,000 the lane costs 0.01 h a convoy: 0, 4.0, 8.01, 12.02 (9 buses),
    # arriving 12.02 + 1.0 + 0.259 + 0.75.
    m = per_replication(
        ["crossing.lanes=1", "periods=[{start = 3.0, crossing = {vehicles_per_hour = 20.0}}]"],
        {"periods.0.crossing.vehicles_per_hour": [20.0, 10.0, 1000.0]},
    )
    np.testing.assert_allclose(m["clearance_time"], [15.45, 16.9, 14.029])


def test_rates_lanes_and_the_corridor_of_two_periods_per_replication():
    """A case the equivalence search does not draw (it gives the periods' rules as scenario
    values only): per replication, two periods' lane rates (a convoy's passage spans the
    changes at 1.3 and 1.4: the first convoy passes from 1.25 h), the first period's lanes and
    corridor. Each replication equals the reference engine's run with its values set."""
    overrides = [
        "crossing.lanes=1",
        "crossing.vehicles_per_hour=20.0",
        "periods=[{start = 1.3, crossing = {vehicles_per_hour = 20.0, lanes = 1}, "
        "max_in_corridor = 1}, {start = 1.4, crossing = {vehicles_per_hour = 20.0}}]",
        "run.trace_reps=4",
    ]
    values = {
        "periods.0.crossing.vehicles_per_hour": [2.0, 20.0, 5.0, 60.0],
        "periods.1.crossing.vehicles_per_hour": [1000.0, 1.0, 8.0, 3.0],
        "periods.0.crossing.lanes": [1, 2, 3, 1],
        "periods.0.max_in_corridor": [1, 2, 4, 3],
    }
    per_replication(overrides, values)
    # by hand: the first convoy's 10 buses pass from 1.25 h, 1 by 1.3 at 20 an hour, then
    # 0.1 h at the first rate, the rest at the second: 1.4 + 8.8 / 1000, 1.4 + 7 / 1,
    # 1.4 + 8.5 / 8, 1.4 + 3 / 3
    arrays = {k: np.array(v, dtype=float) for k, v in values.items()}
    batch = run_vector(sim.load_scenario(DETERMINISTIC, overrides), 4, 1, parameters=arrays)
    first = {}
    for e in batch.trace:
        if e.event == "passes_checkpoint":
            first.setdefault(e.rep, e.time)
    np.testing.assert_allclose([first[r] for r in range(4)], [1.4088, 8.4, 2.4625, 2.4])


def test_a_period_sets_the_convoy_size_and_the_snow():
    # per_convoy 5 from 3.0: the last convoy arrives at 14.5 (test_timetable); 10 is the
    # scenario's own size: convoys at 0, 4, 8, 12, the last arrives at 14.0.
    m = per_replication(
        ["periods=[{start = 3.0, per_convoy = {buses = 5}}]"],
        {"periods.0.per_convoy.buses": [5, 10]},
    )
    assert m["clearance_time"].tolist() == [14.5, 14.0]
    # roads twice as long, screening three times: the fourth convoy forms at 22.5 and arrives
    # 3.75 h later; with roads as usual, rotations of 4.5 h: 13.5 + 0.5 + 0.75 + 0.75 + 0.5
    m = per_replication(
        ["horizon=30.0", "periods=[{start = 0.0, travel_factor = 2.0, inspection_factor = 3.0}]"],
        {"periods.0.travel_factor": [2.0, 1.0]},
    )
    assert m["clearance_time"].tolist() == [26.25, 16.0]


def test_vehicles_entering_and_leaving_per_replication():
    # 10 buses, then n more at 1.0: the second convoy (n buses, 60 n people) forms at 1.0
    m = per_replication(
        [
            "fleet.buses.changes=[{at = 1.0, enter = 10}]",
            "milestones=[{name = 'two', after_convoys = 2}]",
        ],
        {"fleet.buses.changes.0.enter": [10, 1, 5]},
    )
    assert m["evacuated_by_two"].tolist() == [1200, 660, 900]
    # n of the 10 leave at 5.0, as convoy 1 comes back at 8.0: convoys of 10 at 0 and 4.0, then
    # of 6 (360 at 8, 12, 16, the last 20 at 20.0) or of 9 (540 at 8, 12, the last 20 at 16.0)
    m = per_replication(
        ["fleet.buses.changes=[{at = 5.0, leave = 4}]"],
        {"fleet.buses.changes.0.leave": [4, 1]},
    )
    assert m["clearance_time"].tolist() == [22.0, 18.0]


def test_file_order_names_the_entry_whatever_its_time():
    # the file lists the later period first: periods.0 is the one at 5.0, as --set reads it
    overrides = [
        "periods=[{start = 5.0, headway = 1.0}, {start = 1.0, send_home = {families = 0.5}}]",
        "fleet.buses.changes=[{at = 9.0, leave = 2}, {at = 1.0, enter = 3}]",
    ]
    scenario = sim.load_scenario(DETERMINISTIC, overrides)
    params = batch_parameters(scenario, 1)
    assert params.periods == ("periods.1", "periods.0")  # in time order
    assert params.changes == (("fleet.buses.changes.1.enter", "fleet.buses.changes.0.leave"),)
    assert params["periods.0.headway"] == 1.0
    m = per_replication(
        overrides,
        {
            "periods.1.send_home.families": [0.5, 0.2],
            "periods.0.headway": [1.0, 3.0],
            "fleet.buses.changes.1.enter": [3, 8],
            "fleet.buses.changes.0.leave": [2, 11],
        },
    )
    assert m["left"].tolist() == [850, 340]


@pytest.mark.parametrize(
    ("key", "values", "message"),
    [
        ("periods.0.send_home.families", [0.5, 1.5], "a share: must be <= 1"),
        ("fleet.buses.changes.0.enter", [2, 0], "must be >= 1 in every"),
        ("fleet.buses.changes.0.enter", [2, 2.5], "whole numbers"),
        ("periods.0.headway", [1.0, 1.0], "not a numeric scenario input"),
        ("periods.3.send_home.families", [0.5, 0.5], "not a numeric scenario input"),
    ],
)
def test_impossible_values_are_refused(key, values, message):
    scenario = sim.load_scenario(
        DETERMINISTIC,
        [
            "periods=[{start = 1.0, send_home = {families = 0.5}}]",
            "fleet.buses.changes=[{at = 1.0, enter = 10}]",
        ],
    )
    with pytest.raises(sim.ScenarioError, match=message):
        run_vector(scenario, 2, seed=1, parameters={key: np.array(values)})


def test_a_value_a_scenario_file_refuses_is_refused_per_replication():
    """Every numeric input of the whole operation (its crossing, periods, private columns
    and exchange): 0 in one replication is refused exactly where the scenario file refuses
    it. (Per replication, a lane passing 0 vehicles an hour, 0 lanes or a corridor of 0
    convoys used to run, and evacuated nobody in that replication.)"""
    path = SCENARIOS / "aleppo_2016_full.toml"
    scenario = sim.load_scenario(path)
    refused = 0
    for key, value in batch_parameters(scenario, 1).values.items():
        try:
            sim.load_scenario(path, [f"{key}=0"])
            file_takes_it = True
        except sim.ScenarioError:
            file_takes_it = False
        try:
            batch_parameters(scenario, 2, {key: np.array([float(value), 0.0])})
            batch_takes_it = True
        except sim.ScenarioError as e:
            batch_takes_it = False
            assert str(e).startswith(f"parameters: {key}: must be"), e
        assert batch_takes_it == file_takes_it, key
        refused += not file_takes_it
    assert refused > 30  # the check above is not vacuous


def test_more_leaving_than_ever_entered_is_refused():
    scenario = sim.load_scenario(
        DETERMINISTIC, ["fleet.buses.changes=[{at = 1.0, enter = 10}, {at = 5.0, leave = 16}]"]
    )
    with pytest.raises(sim.ScenarioError, match="more vehicles leave fleet.buses"):
        run_vector(
            scenario, 2, seed=1, parameters={"fleet.buses.changes.0.enter": np.array([10, 5])}
        )


def test_people_at_the_start_and_arriving_per_replication():
    # 2,300, 600 or 1,200 at the start: 4, 1 or 2 convoys of 600 (every 4 h), the last
    # arriving 2.0 h after it forms
    m = per_replication([], {"population.families.count": [2300, 600, 1200]})
    assert m["evacuated"].tolist() == [2300, 600, 1200]
    assert m["clearance_time"].tolist() == [14.0, 2.0, 6.0]
    # a total shared over batches at 1.0 and 2.0 (the first takes the odd one), and a count
    # at 3.0: everyone who arrives is evacuated by the fifth convoy (16.0, arriving 18.0)
    m = per_replication(
        [
            "population.families.arrivals=[{start = 1.0, end = 3.0, every = 1.0, total = 101},"
            " {at = 3.0, count = 10}]"
        ],
        {
            "population.families.arrivals.0.total": [101, 0, 7],
            "population.families.arrivals.1.count": [10, 250, 0],
        },
    )
    assert m["arrived"].tolist() == [2411, 2550, 2307]
    assert m["evacuated"].tolist() == [2411, 2550, 2307]
    assert m["waiting_at_end"].tolist() == [0, 0, 0]


def test_private_vehicles_per_column_per_replication():
    # one column of cars, 4 people each, at 0.5: they take 4 x vehicles of the families
    m = per_replication(
        [CARS],
        {"private.cars.columns.0.vehicles": [10, 100, 1]},
    )
    assert m["evacuated_private"].tolist() == [40, 400, 4]
    assert m["crossed_cars"].tolist() == [10, 100, 1]
    assert m["evacuated"].tolist() == [2300, 2300, 2300]


def test_the_scenario_values_are_the_defaults():
    # without arrays, the per-batch people and column vehicles are the scenario's own
    scenario = sim.load_scenario(SCENARIOS / "aleppo_2016_full.toml")
    params = batch_parameters(scenario, 1)
    for group, counts in zip(scenario.groups, params.arrivals, strict=True):
        assert list(counts) == [n for _, n in group.arrivals]
    assert list(params.columns) == [n for _, _, n in scenario.private_columns]


def test_a_column_needs_a_vehicle():
    scenario = sim.load_scenario(
        DETERMINISTIC,
        [CARS],
    )
    with pytest.raises(sim.ScenarioError, match="must be 1 to"):
        run_vector(
            scenario, 2, seed=1, parameters={"private.cars.columns.0.vehicles": np.array([3, 0])}
        )


def test_the_whole_operation_calibration_draws_reach_both_engines():
    """Three prior draws of every free parameter of the whole-operation calibration: the batch
    engine's replication equals the reference engine's on the scenario with those values."""
    targets = load_targets(SCENARIOS / "calibration" / "aleppo_2016_full_targets.toml")
    draws = prior_draws(targets, 4, seed=11)[:3]
    scenario = targets.scenario
    arrays = {p.path: draws[:, i] for i, p in enumerate(targets.priors)}
    batch = run_vector(scenario, 3, seed=2, parameters=arrays)
    counts = count_metrics(scenario)
    for rep in range(3):
        sets = [
            f"{p.path}={int(v) if p.integer else float(v)!r}"
            for p, v in zip(targets.priors, draws[rep], strict=True)
        ]
        alone = run_des(sim.load_scenario(scenario.path, sets), 1, seed=2, first_rep=rep)
        for name, value in alone.metrics.items():
            got = batch.metrics[name][rep : rep + 1]
            if name in counts:
                np.testing.assert_array_equal(got, value, err_msg=f"{name}, replication {rep}")
            else:
                np.testing.assert_allclose(got, value, rtol=1e-9, err_msg=f"{name}, rep {rep}")
