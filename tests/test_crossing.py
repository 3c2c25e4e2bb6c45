"""The crossing as a limited server: inspection lanes that convoys queue for.

Hand-worked, deterministic cases: with a fleet large enough to keep every lane busy, the
crossing passes exactly ``lanes * vehicles_per_hour`` vehicles an hour, whatever the fleet;
with lanes to spare, the fleet sets the pace as it did without a crossing.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_vector_equivalence import assert_same

import sim
from sim.engines.des import run_des
from sim.engines.vector import run_vector

# 200 buses of 10 people in convoys of 10, loading and unloading at once: 20 convoys
# leave at hour 0 and reach the checkpoint together at 0.5 h. With 2 lanes passing 40
# vehicles an hour each, a convoy holds its lane 10 / 40 = 0.25 h, so two convoys pass
# the checkpoint every 0.25 h from 0.75 h on: 80 vehicles an hour. A convoy is back at the
# checkpoint 1.5 h after it passed (0.5 to reception, 0.5 back, 0.5 to the checkpoint), and
# at most 12 convoys pass in any 1.5 h, so 8 or more always queue: the lanes never idle.
FLEET = """
name = "crossing"
start = 2016-12-15T06:00:00
horizon = 10.6
[population.families]
count = 100000
vehicles = ["buses"]
[fleet.buses]
count = 200
seats = 10
per_convoy = 10
load_time = 0.0
unload_time = 0.0
[convoy]
min_vehicles = 10
[route]
to_checkpoint = 0.5
inspection = 0.0
to_reception = 0.5
return_trip = 0.5
[crossing]
lanes = 2
vehicles_per_hour = 40.0
"""


@pytest.mark.parametrize("engine", [run_des, run_vector])
def test_a_large_fleet_crosses_at_the_lanes_capacity(load_text, engine):
    scenario = load_text(FLEET)
    result = engine(scenario, 2, seed=1)
    m = result.metrics
    # passages at 0.5 + 0.25 k, k = 1 .. 40, by the horizon 10.6: 40 x 2 convoys x 10 buses
    np.testing.assert_array_equal(m["crossed_buses"], 800)
    # hourly: 80 h - 40 vehicles by hour h >= 1 (passages at 0.75, 1.0, ...), 80 an hour
    crossed = result.series["crossed_buses"][0]
    np.testing.assert_array_equal(crossed[1:], 80 * np.arange(1, 11) - 40)
    # at 0.5 h, 18 of the 20 convoys queue: 180 vehicles
    np.testing.assert_array_equal(m["crossing_queue_peak"], 180)
    # reception 0.5 h after passing, by 10.6 h: passages k = 1 .. 38, 76 convoys of 100
    np.testing.assert_array_equal(m["evacuated"], 7600)
    np.testing.assert_array_equal(m["convoys"], 76)


def test_doubling_the_fleet_does_not_cross_more(load_text):
    """The crossing binds: 400 buses pass the checkpoint no faster than 200."""
    double = run_vector(load_text(FLEET, ["fleet.buses.count=400"]), 1, seed=1)
    np.testing.assert_array_equal(double.metrics["crossed_buses"], 800)


def test_with_lanes_to_spare_the_fleet_sets_the_pace(load_text):
    """4 lanes could pass 160 vehicles an hour; the fleet brings 200 every 1.75 h.

    The 20 convoys pass in five rounds of four, at 0.75 + 0.25 g h (g = 0 .. 4), and each
    comes back to the checkpoint 1.5 h after passing to find a lane free: round g passes
    again every 1.75 h, six times by 10.6 h. 6 round trips of 200 buses: 1,200 vehicles.
    """
    spare = run_des(load_text(FLEET, ["crossing.lanes=4"]), 1, seed=1)
    assert spare.metrics["crossed_buses"][0] == 6 * 200
    assert spare.metrics["crossing_queue_peak"][0] == 160  # only at 0.5 h
    # without a crossing the round trip is 1.5 h: receptions at 1.0, 2.5, ..., 10.0 h
    unlimited = run_des(load_text(FLEET.split("[crossing]")[0]), 1, seed=1)
    assert unlimited.metrics["convoys"][0] == 20 * 7
    assert "crossed_buses" not in unlimited.metrics


def test_the_queue_is_counted_in_vehicle_hours(load_text):
    """One lane, four one-bus convoys A-D at 0.5 h, 1 h per bus, horizon 4.6 h.

    The lane serves A 0.5-1.5, B 1.5-2.5, C 2.5-3.5, D 3.5-4.5: they queue 0 + 1 + 2 + 3 h.
    A is back at the checkpoint at 3.0 and queues until 4.5 (1.5 h); B is back at 4.0 and
    still queues at 4.6 (0.6 h): 8.1 vehicle-hours, at most 3 buses queueing at once.
    """
    text = FLEET.replace("count = 200", "count = 4").replace("per_convoy = 10", "per_convoy = 1")
    text = text.replace("min_vehicles = 10", "min_vehicles = 1").replace(
        "horizon = 10.6", "horizon = 4.6"
    )
    scenario = load_text(text, ["crossing.lanes=1", "crossing.vehicles_per_hour=1.0"])
    for engine in (run_des, run_vector):
        m = engine(scenario, 1, seed=1).metrics
        assert m["crossing_queue_vehicle_hours"][0] == pytest.approx(0 + 1 + 2 + 3 + 1.5 + 0.6)
        assert m["crossing_queue_peak"][0] == 3
        assert m["crossed_buses"][0] == 4  # at 1.5, 2.5, 3.5 and 4.5 h


@pytest.mark.parametrize("mode", ["hold", "turn_back"])
def test_engines_agree_with_a_busy_crossing_and_suspensions(load_text, mode):
    scenario = load_text(
        FLEET,
        [
            "route.incident_probability=0.3",
            "ceasefire.negotiation=0.7",
            "ceasefire.guarantee={dist = 'exponential', mean = 0.5}",
            "ceasefire.max_hold=1.0",
            f"ceasefire.before_checkpoint='{mode}'",
            "route.inspection={dist = 'lognormal', mean = 0.1, cv = 0.5}",
            "run.trace_reps=2",
        ],
    )
    assert_same(scenario, run_des(scenario, 6, seed=4), run_vector(scenario, 6, seed=4))


def test_a_throughput_needs_lanes(load_text):
    text = FLEET.replace("lanes = 2\n", "")
    with pytest.raises(sim.ScenarioError, match="crossing.lanes.*throughput per lane"):
        load_text(text)
