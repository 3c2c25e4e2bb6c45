"""Loading places: ambulances loading at their own bay do not hold back the buses.

Hand-worked, deterministic: 5 ambulances (there at 0 h) load 10 patients in 1 h; 10 buses
(there at 0.5 h) load 600 people in 0.5 h; headway 1 h; 1 h from the pickup to reception.

- One shared loading place: the ambulance convoy loads 0-1 h and leaves at 1 h; the buses
  can only start loading then, are loaded at 1.5 h and wait for the headway to 2 h: the
  families reach reception at 3 h.
- The ambulances at a bay of their own: the buses load 0.5-1.0 h beside them and leave at
  1 h too (the headway counts departures from their own place): everyone is out at 2 h.
"""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.engines.des import run_des
from sim.engines.vector import run_vector

TEXT = """
name = "bays"
start = 2016-12-15T06:00:00
horizon = 10.0
[population.patients]
count = 10
vehicles = ["ambulances", "buses"]
[population.families]
count = 600
vehicles = ["buses"]
[fleet.buses]
count = 10
seats = 60
available_at = 0.5
load_time = 0.5
unload_time = 0.0
[fleet.ambulances]
count = 5
seats = 2
load_time = 1.0
unload_time = 0.0
[convoy]
headway = 1.0
[route]
to_checkpoint = 0.5
inspection = 0.0
to_reception = 0.5
return_trip = 20.0
"""


@pytest.mark.parametrize("engine", [run_des, run_vector])
def test_one_shared_place_holds_the_buses_back(load_text, engine):
    m = engine(load_text(TEXT), 1, seed=1).metrics
    np.testing.assert_array_equal(m["clearance_time"], 3.0)
    np.testing.assert_array_equal(m["wait_mean_families"], 2.0)
    np.testing.assert_array_equal(m["wait_mean_patients"], 1.0)


@pytest.mark.parametrize("engine", [run_des, run_vector])
def test_a_bay_of_their_own_lets_the_buses_go(load_text, engine):
    m = engine(load_text(TEXT, ['fleet.ambulances.loading_place="bay"']), 1, seed=1).metrics
    np.testing.assert_array_equal(m["clearance_time"], 2.0)
    np.testing.assert_array_equal(m["wait_mean_families"], 1.0)
    np.testing.assert_array_equal(m["wait_mean_patients"], 1.0)
    np.testing.assert_array_equal(m["convoys"], 2)


def test_a_loading_place_is_a_name(load_text):
    with pytest.raises(sim.ScenarioError) as error:
        load_text(TEXT, ['fleet.ambulances.loading_place="the bay"'])
    assert error.value.key == "fleet.ambulances.loading_place"
