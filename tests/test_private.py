"""Private vehicles: columns of cars that take people from the queue and share the crossing.

A hand-worked deterministic case, conservation, and the validation of the table.
"""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.engines.des import run_des
from sim.engines.vector import run_vector

# Ten buses of 10 take the 100 families at hour 0. Cars carry 14 fighters each: the column
# of 10 cars at 0 h takes 140; the column at 1.2 h finds 60 left and takes them in 5 cars
# (4 x 14 = 56 < 60; the fifth carries 4). One lane passes 20 vehicles an hour: 10 vehicles
# hold it 0.5 h, 5 vehicles 0.25 h. Bus convoy and first column reach the checkpoint at
# 0.5 h; the column left first (its timer is older), so it takes the lane 0.5-1.0 and the
# convoy queues 0.5 h (10 buses: 5 vehicle-hours), then crosses 1.0-1.5. The second column
# reaches the checkpoint at 1.7 h to a free lane and crosses 1.7-1.95. Reception 0.5 h
# later: 140 at 1.5 h, 100 at 2.0 h, 60 at 2.45 h, when the enclave is clear.
TEXT = """
name = "private"
start = 2016-12-21T17:00:00
horizon = 12.0
[population.families]
count = 100
vehicles = ["buses"]
[population.fighters]
count = 200
vehicles = ["buses"]
[fleet.buses]
count = 10
seats = 10
load_time = 0.0
unload_time = 0.0
[convoy]
min_vehicles = 10
[route]
to_checkpoint = 0.5
inspection = 0.0
to_reception = 0.5
return_trip = 20.0
[crossing]
lanes = 1
vehicles_per_hour = 20.0
[private.cars]
groups = ["fighters"]
people = 14.0
columns = [{ at = 0.0, vehicles = 10 }, { at = 1.2, vehicles = 10 }]
"""


@pytest.mark.parametrize("engine", [run_des, run_vector])
def test_private_columns_share_the_crossing_with_the_convoys(load_text, engine):
    m = engine(load_text(TEXT), 2, seed=1).metrics
    np.testing.assert_array_equal(m["evacuated"], 300)
    np.testing.assert_array_equal(m["evacuated_private"], 200)
    np.testing.assert_array_equal(m["evacuated_fighters"], 200)
    np.testing.assert_array_equal(m["crossed_cars"], 15)
    np.testing.assert_array_equal(m["crossed_buses"], 10)
    np.testing.assert_array_equal(m["convoys"], 1)  # columns are not convoys
    np.testing.assert_array_equal(m["crossing_queue_peak"], 10)
    np.testing.assert_allclose(m["crossing_queue_vehicle_hours"], 5.0)
    np.testing.assert_allclose(m["clearance_time"], 2.45)
    # fighters: 140 left at 0 h, 60 at 1.2 h
    np.testing.assert_allclose(m["wait_mean_fighters"], 60 * 1.2 / 200)


# The same run, counted at three moments (hand-worked above): the first column (140) and the
# convoy (100) leave at 0 h, the second column (60) at 1.2 h; past the checkpoint at 1.0 h
# (column), 1.5 h (convoy) and 1.95 h (column); at reception 0.5 h later.
MOMENTS = """
[[milestones]]
name = "a"
at = 2016-12-21T18:12:00
[[milestones]]
name = "b"
at = 2016-12-21T18:36:00
[[milestones]]
name = "c"
at = 2016-12-21T19:00:00
"""


@pytest.mark.parametrize("engine", [run_des, run_vector])
def test_people_who_left_and_crossed_in_private_vehicles_count(load_text, engine):
    """Departed, crossed and evacuated count the people of every vehicle kind; the convoy
    counts count convoys only."""
    m = engine(load_text(TEXT + MOMENTS), 1, seed=1).metrics
    got = {k: v[0] for k, v in m.items()}
    assert got["people_departed"] == got["people_crossed"] == got["evacuated"] == 300
    assert got["people_departed_private"] == got["people_crossed_private"] == 200
    assert got["convoys_departed"] == got["convoys_crossed"] == got["convoys"] == 1
    # at 1.2 h (the second column leaves at that instant), 1.6 h and 2.0 h
    by = {k: [got[f"{k}_by_{m}"] for m in "abc"] for k in ("departed", "people_crossed")}
    assert by == {"departed": [300, 300, 300], "people_crossed": [140, 240, 300]}
    assert [got[f"convoys_crossed_by_{m}"] for m in "abc"] == [0, 1, 1]
    assert [got[f"evacuated_by_{m}"] for m in "abc"] == [0, 140, 240]


@pytest.mark.parametrize("engine", [run_des, run_vector])
def test_people_past_the_checkpoint_may_not_have_reached_reception(load_text, engine):
    """At 1.2 h the first column is past the checkpoint (1.0 h), not yet at reception."""
    m = engine(load_text(TEXT, ["horizon=1.2"]), 1, seed=1).metrics
    got = {k: v[0] for k, v in m.items()}
    assert (got["people_crossed"], got["people_crossed_private"], got["evacuated"]) == (140, 140, 0)
    assert (got["people_departed"], got["people_departed_private"]) == (300, 200)
    assert got["aboard_at_end"] == 300


def test_a_column_due_in_a_suspension_leaves_when_it_ends(load_text):
    """Halted 1.0-2.0 h: the second column leaves at 2.0 h and is clear at 3.25 h."""
    scenario = load_text(TEXT, ["ceasefire.windows=[{start = 1.0, end = 2.0}]"])
    for engine in (run_des, run_vector):
        result = engine(scenario, 1, seed=1)
        m = result.metrics
        # the first column's inspection ends as the halt starts, at 1.0 h, the convoy's at
        # 1.5 h: both wait aboard at the checkpoint until 2.0, 140 and 100 people
        np.testing.assert_allclose(m["held_person_hours"], 140 * 1.0 + 100 * 0.5)
        np.testing.assert_allclose(m["clearance_time"], 2.0 + 0.5 + 0.25 + 0.5)
        departs = [e for e in result.trace if e.event == "private_departs"]
        assert [(e.time, e.people, e.note) for e in departs] == [
            (0.0, 140, "cars: 10 vehicles"),
            (2.0, 60, "cars: 5 vehicles"),
        ]


def test_people_are_conserved_with_private_vehicles(load_text):
    scenario = load_text(
        TEXT,
        [
            "private.cars.people={dist = 'uniform', low = 5.0, high = 20.0}",
            "population.fighters.count=2000",
            "ceasefire.breach_rate=0.5",
            "ceasefire.negotiation=1.0",
            "ceasefire.guarantee=0.5",
            "horizon=3.0",
        ],
    )
    for engine in (run_des, run_vector):
        m = engine(scenario, 20, seed=2).metrics
        np.testing.assert_array_equal(
            m["arrived"], m["evacuated"] + m["waiting_at_end"] + m["aboard_at_end"]
        )


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("private.cars.groups=['nobody']", "private.cars.groups"),
        ("private.cars.columns=[]", "private.cars.columns"),
        ("private.cars.columns=[{at = 1.0, vehicles = 0}]", "private.cars.columns.0.vehicles"),
        ("private.cars.colour='red'", "private.cars.colour"),
    ],
)
def test_bad_private_streams_are_refused(load_text, override, key):
    with pytest.raises(sim.ScenarioError) as error:
        load_text(TEXT, [override])
    assert error.value.key == key


def test_a_private_stream_may_not_take_a_pool_name(load_text):
    with pytest.raises(sim.ScenarioError, match="no vehicle pool has"):
        load_text(TEXT.replace("[private.cars]", "[private.buses]"))
