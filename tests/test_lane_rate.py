"""A lane's vehicles pass at the rate in force as they pass, not as the convoy arrived.

Hand-worked, deterministic cases of :func:`sim.model.lane.passage_end` and of both engines:
a period that changes ``crossing.vehicles_per_hour`` re-times the passage of a convoy in
its lane or queueing for it.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.engines.des import run_des
from sim.engines.vector import run_vector
from sim.model.lane import passage_end


def test_the_rest_of_a_convoy_passes_at_the_new_rate():
    # 60 vehicles from 0.0 at 2 an hour; from 10.0 at 120: 20 have passed, 40 take 1/3 h
    assert passage_end(0.0, 60, (10.0,), (2.0, 120.0)) == 10.0 + 40 / 120
    # done before the change, started after it, started at it (the new rate holds)
    assert passage_end(0.0, 10, (10.0,), (2.0, 120.0)) == 5.0
    assert passage_end(12.0, 60, (10.0,), (2.0, 120.0)) == 12.5
    assert passage_end(10.0, 60, (10.0,), (2.0, 120.0)) == 10.5
    # two changes crossed: 4 by 2.0 at 2/h, 30 by 3.0 at 30/h, the last 6 at 12/h
    assert passage_end(0.0, 40, (2.0, 3.0), (2.0, 30.0, 12.0)) == 3.0 + 6 / 12
    # two periods at one instant: the later holds; no time per vehicle
    assert passage_end(0.0, 60, (10.0, 10.0), (2.0, 1.0, 120.0)) == 10.0 + 40 / 120
    assert passage_end(4.0, 60, (), (np.inf,)) == 4.0


def test_numbers_and_arrays_give_the_same_bits():
    """The reference engine asks with numbers, the batch engine with arrays (per-convoy
    rates among them): each element is the number's answer, bit for bit."""
    rng = np.random.default_rng(11)
    changes = (3.0, 7.25, 7.25, 20.0)
    start = np.concatenate([rng.uniform(0.0, 25.0, 400), [3.0, 7.25, 20.0, 0.0]])
    vehicles = rng.integers(0, 80, start.size)
    rates = (
        rng.uniform(0.5, 200.0, start.size),
        2.19,
        np.where(rng.uniform(size=start.size) < 0.2, np.inf, 7.0),
        130.0,
        rng.uniform(0.5, 200.0, start.size),
    )
    together = passage_end(start, vehicles, changes, rates)
    one_by_one = [
        passage_end(
            float(start[i]),
            int(vehicles[i]),
            changes,
            [float(r[i]) if isinstance(r, np.ndarray) else r for r in rates],
        )
        for i in range(start.size)
    ]
    np.testing.assert_array_equal(together, one_by_one)
    assert np.all(together >= start)


# Two convoys of 60 buses leave at 0.0 and reach the one-lane checkpoint at 0.5: the first
# takes the lane, the second queues. An inspection takes 1.0 h; the lane passes 2 vehicles
# an hour until a period makes it 120.
LANE = """
name = "lane"
start = 2016-12-15T06:00:00
horizon = 20.0
[population.families]
count = 1200
vehicles = ["buses"]
[fleet.buses]
count = 120
seats = 10
per_convoy = 60
load_time = 0.0
unload_time = 0.0
[convoy]
min_vehicles = 60
[route]
to_checkpoint = 0.5
inspection = 1.0
to_reception = 0.5
return_trip = 0.5
[crossing]
lanes = 1
vehicles_per_hour = 2.0
"""


def crossing_times(result, event: str, rep: int = 0) -> list[float]:
    """Hours of replication ``rep``'s trace events ``event``."""
    return [e.time for e in result.trace if e.rep == rep and e.event == event]


@pytest.mark.parametrize("engine", [run_des, run_vector])
def test_a_faster_lane_speeds_up_the_convoys_in_it_and_queueing(load_text, engine):
    # from 11.5 the lane passes 120 an hour. The first convoy's buses pass from 1.5: 20 by
    # 11.5, the other 40 in 1/3 h, out at 11.8333. The second takes the lane then and passes
    # after its inspection at the new rate: 11.8333 + 1.0 + 0.5. (Timed at the checkpoint
    # they would have held the lane 31 h each.) It queued 11.3333 h with 60 buses.
    scenario = load_text(LANE, ["periods=[{start = 11.5, crossing = {vehicles_per_hour = 120}}]"])
    result = engine(scenario, 1, seed=1)
    first = 11.5 + 40 / 120
    assert crossing_times(result, "queues_at_crossing") == [0.5]
    assert crossing_times(result, "inspection_starts") == [first]
    assert crossing_times(result, "passes_checkpoint") == [first, first + 1.0 + 60 / 120]
    m = result.metrics
    assert m["crossing_queue_vehicle_hours"][0] == pytest.approx(60 * (first - 0.5))
    assert m["crossing_queue_peak"][0] == 60
    assert m["evacuated"][0] == 1200
    assert m["clearance_time"][0] == pytest.approx(first + 1.5 + 0.5)


@pytest.mark.parametrize("engine", [run_des, run_vector])
def test_a_rate_change_during_an_inspection_times_all_its_vehicles(load_text, engine):
    # the rate changes at 1.0, inside the first convoy's inspection (0.5 to 1.5): its buses
    # pass after it, all at 120 an hour, out at 2.0; the second passes at 2.0 + 1.0 + 0.5
    scenario = load_text(LANE, ["periods=[{start = 1.0, crossing = {vehicles_per_hour = 120}}]"])
    result = engine(scenario, 1, seed=1)
    assert crossing_times(result, "passes_checkpoint") == [2.0, 3.5]


def test_each_replication_passes_at_its_own_rates(load_text):
    """The batch engine with ``periods.0.crossing.vehicles_per_hour`` per replication gives,
    in every replication, the reference engine's run with that rate set, to the bit."""
    overrides = ["horizon=40.0", "periods=[{start = 5.0, crossing = {vehicles_per_hour = 120}}]"]
    rates = [120.0, 2.0, 7.5]
    scenario = load_text(LANE, overrides)
    parameters = {"periods.0.crossing.vehicles_per_hour": np.array(rates)}
    batch = run_vector(scenario, 3, seed=1, parameters=parameters)
    for rep, rate in enumerate(rates):
        point = load_text(LANE, [*overrides, f"periods.0.crossing.vehicles_per_hour={rate!r}"])
        alone = run_des(point, 1, seed=1, first_rep=rep)
        passes = crossing_times(alone, "passes_checkpoint", rep)
        assert crossing_times(batch, "passes_checkpoint", rep) == passes
        np.testing.assert_array_equal(
            batch.metrics["clearance_time"][rep], alone.metrics["clearance_time"][0]
        )
    # by hand, at 7.5 an hour from 5.0: 7 buses by 5.0, 53 more in 7.0667 h; the second
    # convoy passes 1.0 + 60 / 7.5 = 9 h later, and reaches reception 0.5 h after that
    assert batch.metrics["clearance_time"][2] == pytest.approx(5.0 + 53 / 7.5 + 9.0 + 0.5)
