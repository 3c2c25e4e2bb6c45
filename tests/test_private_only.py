"""A group no convoy carries: people who leave only in private vehicles.

The families of the 21 Dec columns waited for their own cars and took no bus. Such a group
lists no pool (``vehicles = []``): only the private streams that name it take it, and its
people never make a convoy form or wait. A hand-worked deterministic case in both engines,
conservation, and the one-line errors for a group nothing can carry.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from test_conservation import assert_conserved
from test_vector_equivalence import assert_same

from sim.engines.des import run_des
from sim.engines.vector import run_vector
from sim.errors import ScenarioError

# 60 families need 6 of the 10 buses (10 seats each), fewer than min_vehicles = 10. The
# convoy forms at 0 h all the same: it seats everyone the buses may carry, and the 140
# motorists waiting beside them are nobody's to seat (were they counted, the convoy would
# wait for max_wait, 3 h). The buses are back at 1.5 h (0.5 + 0.5 + 0.5 h) and stay idle
# with 140 motorists waiting: no second convoy. At 2 h the column of 10 cars at 14 a car
# takes all 140; 0.5 h to the checkpoint (no crossing: no lane limit), 0.5 h to reception.
# Families reach reception at 1 h, motorists at 3 h, when the enclave is clear.
TEXT = """
name = "motorists"
start = 2016-12-21T15:00:00
horizon = 12.0
[population.families]
count = 60
vehicles = ["buses"]
[population.motorists]
count = 140
vehicles = []
[fleet.buses]
count = 10
seats = 10
load_time = 0.0
unload_time = 0.0
[convoy]
min_vehicles = 10
max_wait = 3.0
[route]
to_checkpoint = 0.5
inspection = 0.0
to_reception = 0.5
return_trip = 0.5
[private.cars]
groups = ["motorists"]
people = 14.0
columns = [{ at = 2.0, vehicles = 10 }]
"""


@pytest.mark.parametrize("engine", [run_des, run_vector])
def test_people_no_convoy_carries_neither_hold_a_convoy_nor_board_one(load_text, engine):
    scenario = load_text(TEXT)
    result = engine(scenario, 2, seed=1)
    m = result.metrics
    np.testing.assert_array_equal(m["convoys"], 1)
    np.testing.assert_allclose(m["first_departure"], 0.0)  # not after max_wait
    np.testing.assert_array_equal(m["evacuated_families"], 60)
    np.testing.assert_array_equal(m["evacuated_motorists"], 140)
    np.testing.assert_array_equal(m["evacuated_private"], 140)
    np.testing.assert_array_equal(m["crossed_cars"], 10)
    np.testing.assert_array_equal(m["crossed_buses"], 6)
    np.testing.assert_allclose(m["clearance_time"], 3.0)
    np.testing.assert_allclose(m["wait_mean_motorists"], 2.0)
    np.testing.assert_allclose(m["wait_mean_families"], 0.0)
    assert_conserved(scenario, result)


def test_the_engines_agree_when_the_column_is_too_small(load_text):
    # 5 cars take 70; the other 70 motorists wait to the end, idle buses beside them
    scenario = load_text(TEXT, ["private.cars.columns=[{at = 2.0, vehicles = 5}]"])
    reference, batch = run_des(scenario, 3, seed=4), run_vector(scenario, 3, seed=4)
    assert_same(scenario, reference, batch)  # metrics, series and the traced events
    np.testing.assert_array_equal(reference.metrics["convoys"], 1)
    np.testing.assert_array_equal(reference.metrics["waiting_at_end"], 70)
    assert np.isnan(reference.metrics["clearance_time"]).all()
    assert_conserved(scenario, reference)


def test_a_group_with_no_pool_needs_a_private_stream(load_text):
    text = TEXT.replace('groups = ["motorists"]', 'groups = ["families"]')
    with pytest.raises(ScenarioError) as error:
        load_text(text)
    message = str(error.value)
    assert "population.motorists.vehicles" in message
    assert "no private stream takes population.motorists (140 people)" in message
    assert "\n" not in message


def test_a_group_with_no_pool_and_nobody_in_it_is_allowed(load_text):
    scenario = load_text(TEXT, ["population.motorists.count=0", "private.cars.groups=['families']"])
    assert scenario.groups[1].vehicles == ()


def test_a_scenario_built_in_python_refuses_a_group_nothing_carries(load_text):
    scenario = load_text(TEXT)
    with pytest.raises(ScenarioError, match="carried by a pool or a private stream"):
        dataclasses.replace(scenario, private=())


def test_a_private_stream_may_carry_a_group_whose_pools_have_no_vehicle(load_text):
    # the families' only pool is empty, but the cars take them: nothing is stuck
    text = TEXT.replace('groups = ["motorists"]', 'groups = ["motorists", "families"]')
    scenario = load_text(text, ["fleet.buses.count=0"])
    m = run_vector(scenario, 1, seed=1).metrics
    np.testing.assert_array_equal(m["evacuated"], 140)  # 10 cars of 14: motorists first
    np.testing.assert_array_equal(m["convoys"], 0)
