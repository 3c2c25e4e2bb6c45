"""Fleets that change, periods with their own rules, people who give up, boarding during a
halt: hand-worked deterministic cases, in both engines, and conservation of people.

All cases start from the deterministic workshop scenario: 2,300 families, 10 buses of 60
places, fixed legs. One rotation takes load 0.5 + to checkpoint 0.5 + inspection 0.25 + to
reception 0.75 + unload 0.25 + return 1.75 = 4.0 h, and a convoy reaches reception 2.0 h
after it forms.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import DETERMINISTIC, all_scenarios

import sim
from sim.engines.des import run_des
from sim.engines.vector import run_vector

ENGINES = {"reference": run_des, "batch": run_vector}


def outcome(engine: str, *overrides: str, reps: int = 2):
    scenario = sim.load_scenario(DETERMINISTIC, list(overrides))
    return ENGINES[engine](scenario, reps, seed=1)


def events(result, kind: str, rep: int = 0):
    return [e for e in result.trace if e.event == kind and e.rep == rep]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_fleet_that_grows_and_shrinks(engine):
    # 10 buses at 0, 10 more at 1.0, 16 lost at 5.0 ("broken down"). Convoys of 600 form at
    # 0, 1.0 (the newcomers) and 4.0 (convoy 0 back), leaving 500 waiting and no bus idle at
    # 5.0: all 16 losses wait for returns. Convoy 1 is back at 5.0 and loses its 10 buses;
    # convoy 2 is back at 8.0 and loses 6, keeping 4. Four buses carry 240 at 8.0 and 12.0;
    # one bus takes the last 20 at 16.0, who reach reception at 18.0.
    result = outcome(
        engine,
        "fleet.buses.changes=[{at = 1.0, enter = 10},"
        " {at = 5.0, leave = 16, reason = 'broken down'}]",
    )
    forms = events(result, "convoy_forms")
    assert [(e.time, e.people, e.vehicles[0]) for e in forms] == [
        (0.0, 600, 10),
        (1.0, 600, 10),
        (4.0, 600, 10),
        (8.0, 240, 4),
        (12.0, 240, 4),
        (16.0, 20, 1),
    ]
    lost = [(e.time, e.vehicles[0], e.note) for e in events(result, "vehicles_lost")]
    assert lost == [(5.0, 0, "broken down"), (5.0, 10, "on return"), (8.0, 6, "on return")]
    m = result.metrics
    assert list(m["clearance_time"]) == [18.0, 18.0]
    assert list(m["evacuated"]) == [2300, 2300]
    # vehicle-hours available: 10 x 18 + 10 x (18 - 1) - 10 x (18 - 5) - 6 x (18 - 8) = 160;
    # busy: three convoys of 10 buses x 4 h, two of 4 x 4 h, then 1 bus for 2 h = 154
    assert m["utilisation"][0] == pytest.approx(154 / 160)
    # distinct buses that served: the 10 of the start and the 10 that entered, before losses
    assert list(m["served_buses"]) == [20, 20]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_batch_entering_after_the_run_ends_did_not_serve(engine):
    # As above, and 7 more buses at 30.0: everyone is out at 18.0, the run ends there, so
    # the late batch never enters and the pool's distinct vehicles stay 20.
    result = outcome(
        engine,
        "fleet.buses.changes=[{at = 1.0, enter = 10},"
        " {at = 5.0, leave = 16, reason = 'broken down'}, {at = 30.0, enter = 7}]",
    )
    assert list(result.metrics["served_buses"]) == [20, 20]
    assert list(result.metrics["clearance_time"]) == [18.0, 18.0]
    # a scenario whose fleet never changes has no served_<pool>: the first phase's tables
    # keep their columns
    assert "served_buses" not in outcome(engine).metrics


@pytest.mark.parametrize("engine", ENGINES)
def test_a_period_that_changes_the_convoy_size(engine):
    # From 3.0 convoys take at most 5 buses. Convoy 0 (10 buses, 600) is back at 4.0; then
    # two convoys of 5 buses each load in turn, at 4.0 and 4.5 (one convoy boards at a
    # time), every 4 h: 300 + 300 at 4.0/4.5, 8.0/8.5; at 12.0 300, and at 12.5 the last
    # 200 (4 buses), who reach reception at 14.5.
    result = outcome(
        engine, "periods=[{start = 3.0, name = 'smaller convoys', per_convoy = {buses = 5}}]"
    )
    forms = events(result, "convoy_forms")
    assert [(e.time, e.people, e.vehicles[0]) for e in forms] == [
        (0.0, 600, 10),
        (4.0, 300, 5),
        (4.5, 300, 5),
        (8.0, 300, 5),
        (8.5, 300, 5),
        (12.0, 300, 5),
        (12.5, 200, 4),
    ]
    assert [(e.time, e.note) for e in events(result, "period_starts")] == [(3.0, "smaller convoys")]
    assert list(result.metrics["clearance_time"]) == [14.5, 14.5]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_period_that_changes_the_headway(engine):
    # Convoys of 5 buses (300 people), one loading at a time: departures at 0.5 and 1.0 h,
    # each back 4.0 h after it formed. From 3.0 departures are 1 h apart: the convoy formed
    # at 4.0 leaves at 4.5, the one formed at 4.5 loads until 5.0 and waits for 5.5 (so it is
    # back at 9.0, not 8.5); then 8.5, 9.5, 12.5 and the last 200 at 13.5, at reception 15.0.
    result = outcome(
        engine,
        "fleet.buses.per_convoy=5",
        "periods=[{start = 3.0, name = 'spacing', headway = 1.0}]",
    )
    departs = [(e.time, e.note) for e in events(result, "convoy_departs")]
    assert departs == [
        (0.5, ""),
        (1.0, ""),
        (4.5, ""),
        (5.5, "headway"),
        (8.5, ""),
        (9.5, ""),
        (12.5, ""),
        (13.5, ""),
    ]
    assert list(result.metrics["clearance_time"]) == [15.0, 15.0]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_period_that_changes_the_minimum_vehicles_and_max_wait(engine):
    # Convoys of 5 buses. From 3.0 a convoy needs 10 vehicles, or waits 1 h from when buses
    # were first idle again: the 5 buses back at 4.0 leave as a convoy at 5.0 (max_wait
    # over); the next forms when it departs at 5.5, its buses idle since 4.0. Every round
    # trip is 1 h longer: convoys at 10.0 and 10.5, 15.0 and the last 200 at 15.5, who reach
    # reception at 15.5 + 0.5 + 0.5 + 0.25 + 0.75 = 17.5.
    result = outcome(
        engine,
        "fleet.buses.per_convoy=5",
        "periods=[{start = 3.0, name = 'fuller', min_vehicles = 10, max_wait = 1.0}]",
    )
    forms = [(e.time, e.people, e.note) for e in events(result, "convoy_forms")]
    assert [t for t, _, _ in forms] == [0.0, 0.5, 5.0, 5.5, 10.0, 10.5, 15.0, 15.5]
    assert [note for t, _, note in forms if t in (5.0, 10.0, 15.0)] == ["max_wait over"] * 3
    assert forms[-1][1] == 200
    assert list(result.metrics["clearance_time"]) == [17.5, 17.5]


@pytest.mark.parametrize("engine", ENGINES)
def test_snow_slows_the_road_and_screening_slows_the_checkpoint(engine):
    # From the start, road legs take twice as long and inspections three times: a rotation
    # is 0.5 + 1.0 + 0.75 + 1.5 + 0.25 + 3.5 = 7.5 h and a convoy reaches reception 3.75 h
    # after it forms: the fourth forms at 22.5 and arrives at 26.25.
    result = outcome(
        engine,
        "horizon=30.0",
        "periods=[{start = 0.0, name = 'snow', travel_factor = 2.0, inspection_factor = 3.0}]",
    )
    assert list(result.metrics["clearance_time"]) == [26.25, 26.25]


@pytest.mark.parametrize("engine", ENGINES)
def test_boarding_during_a_halt(engine):
    # Suspended from 0 to 5 h. Allowed to board, convoy 0 (600) loads from 0 to 0.5 and waits
    # aboard, held, until 5.0; it reaches reception at 6.5 and the buses are back at 8.5, so
    # convoys form at 8.5, 12.5 and 16.5 and the enclave is clear at 18.5 (19.0 without).
    halt = "ceasefire.windows=[{start = 0.0, end = 5.0, reason = 'halt'}]"
    cold = "weather={daily = [[0, -2.0]]}"  # always below freezing: every hour counts
    allowed = outcome(engine, halt, cold, "ceasefire.board_while_suspended=true")
    closed = outcome(engine, halt, cold)
    held = events(allowed, "held")
    assert [(e.time, e.convoy, e.note) for e in held] == [(0.5, 0, "at the pickup")]
    a, c = allowed.metrics, closed.metrics
    assert list(a["clearance_time"]) == [18.5, 18.5]
    assert list(c["clearance_time"]) == [19.0, 19.0]
    assert a["held_person_hours"][0] == 600 * (5.0 - 0.5)
    assert c["held_person_hours"][0] == 0
    # waiting at the pickup: 1,700 to 8.5, then 1,100 and 500 for 4 h each
    assert a["wait_person_hours"][0] == pytest.approx(1700 * 8.5 + 1100 * 4 + 500 * 4)
    assert c["wait_person_hours"][0] == pytest.approx(2300 * 5 + (1700 + 1100 + 500) * 4)
    # time aboard a held bus counts as cold exposure, as waiting outdoors does, and so does
    # the time aboard while each convoy loads (0.5 h; issue 10 item 10)
    assert a["boarded_person_hours"][0] == 0.5 * (3 * 600 + 500)
    assert a["cold_person_hours"][0] == pytest.approx(a["wait_person_hours"][0] + 2700 + 1150)


@pytest.mark.parametrize("engine", ENGINES)
def test_boarding_during_a_halt_may_be_a_rule_of_one_period(engine):
    halt = "ceasefire.windows=[{start = 0.0, end = 5.0, reason = 'halt'}]"
    result = outcome(engine, halt, "periods=[{start = 2.0, board_while_suspended = true}]")
    assert [e.time for e in events(result, "convoy_forms")][:1] == [2.0]
    assert result.metrics["held_person_hours"][0] == 600 * (5.0 - 2.5)


@pytest.mark.parametrize("engine", ENGINES)
def test_people_who_give_up(engine):
    # 400 more families arrive at 2.0. Half of a cohort still waiting 5 h after it came
    # goes home: at 5.0, 550 of the 1,100 left from the start; at 7.0, 200 of the 400.
    # Convoys take 600 at 0, 4 and 8, and the last 150 at 12 (reception at 14.0).
    result = outcome(
        engine,
        "population.families.arrivals=[{at = 2.0, count = 400}]",
        "population.families.leaving={after = 5.0, share = 0.5}",
    )
    leave = [(e.time, e.people) for e in events(result, "people_leave")]
    assert leave == [(5.0, 550), (7.0, 200)]
    m = result.metrics
    assert list(m["left"]) == [750, 750]
    assert list(m["evacuated"]) == [3 * 600 + 150] * 2
    assert list(m["clearance_time"]) == [14.0, 14.0]
    assert list(m["arrived"]) == [2700, 2700]


@pytest.mark.parametrize("engine", ENGINES)
def test_the_enclave_is_clear_when_the_last_people_waiting_give_up(engine):
    # everyone still waiting 3 h after the start goes home: 1,700 at 3.0, after convoy 0
    result = outcome(engine, "population.families.leaving={after = 3.0, share = 1.0}")
    m = result.metrics
    assert list(m["left"]) == [1700, 1700]
    assert list(m["clearance_time"]) == [3.0, 3.0]


def test_an_arrival_profile_shares_a_total_over_its_batches():
    scenario = sim.load_scenario(
        DETERMINISTIC,
        ["population.families.arrivals=[{start = 1.0, end = 4.0, every = 1.0, total = 100}]"],
    )
    assert scenario.groups[0].arrivals == ((1.0, 34), (2.0, 33), (3.0, 33))


@pytest.mark.parametrize("path", all_scenarios(), ids=lambda p: p.name)
def test_people_are_conserved_in_every_replication(path):
    """initial + arrived = evacuated + waiting + aboard + left, whatever the scenario."""
    scenario = sim.load_scenario(path)
    m = run_vector(scenario, 100, seed=5).metrics
    left = m.get("left", np.zeros_like(m["evacuated"]))
    np.testing.assert_array_equal(
        m["arrived"], m["evacuated"] + m["waiting_at_end"] + m["aboard_at_end"] + left
    )
    assert (m["arrived"] <= scenario.people).all()


def test_narration_tells_losses_leavers_and_periods():
    from sim.views.narrate import narrate

    scenario = sim.load_scenario(
        DETERMINISTIC,
        [
            "fleet.buses.changes=[{at = 5.0, leave = 4, reason = 'burned'}]",
            "population.families.leaving={after = 5.0, share = 0.5}",
            "periods=[{start = 3.0, name = 'snow', travel_factor = 1.5}]",
        ],
    )
    text = "\n".join(narrate(scenario, run_des(scenario, 1, seed=1).trace))
    assert "New operating rules (snow) apply from now on." in text
    assert "give up waiting and go home" in text
    assert "Vehicles are lost (burned); none is at the pickup" in text
    assert "4 buses leave the operation: as they come back." in text


@pytest.mark.parametrize("engine", ENGINES)
def test_a_period_sends_people_home(engine):
    # at 1.0 half the 1,700 still waiting are sent home; convoys take 600 at 0 and 4.0 and
    # the last 250 at 8.0 (5 buses), who reach reception at 10.0
    result = outcome(engine, "periods=[{start = 1.0, send_home = {families = 0.5}}]")
    assert [(e.time, e.people) for e in events(result, "people_leave")] == [(1.0, 850)]
    m = result.metrics
    assert list(m["left"]) == [850, 850]
    assert list(m["evacuated"]) == [1450, 1450]
    assert list(m["clearance_time"]) == [10.0, 10.0]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_period_lets_held_convoys_wait_longer(engine):
    # Suspended 0-5 h, boarding allowed, held convoys turn back after 1 h: convoy 0 loads
    # 0-0.5 and turns back at 1.5, reloads and turns back at 3.0. From 2.5 a period lifts the
    # limit, so the convoy held from 3.5 waits aboard until the resumption at 5.0.
    halt = "ceasefire.windows=[{start = 0.0, end = 5.0, reason = 'halt'}]"
    base = (halt, "ceasefire.board_while_suspended=true", "ceasefire.max_hold=1.0")
    limited = outcome(engine, *base)
    lifted = outcome(engine, *base, "periods=[{start = 2.5, max_hold = inf}]")
    assert [e.time for e in events(limited, "turned_back")] == [1.5, 3.0, 4.5]
    assert [e.time for e in events(lifted, "turned_back")] == [1.5, 3.0]
    assert limited.metrics["held_person_hours"][0] == 600 * 3 * 1.0
    assert lifted.metrics["held_person_hours"][0] == 600 * (1.0 + 1.0 + 1.5)
    for result in (limited, lifted):
        assert [e.time for e in events(result, "convoy_departs")][:1] == [5.0]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_period_slows_the_crossing(engine):
    # One lane; from 3.0 it passes 20 vehicles an hour, so a convoy of 10 buses holds it for
    # its inspection 0.25 + 10 / 20 = 0.75 h. Convoy 0 crossed before; convoys 1 and 2 take
    # 4.5 h a rotation (forming at 4.0 and 8.5), and the last, 9 buses with 500 people, forms
    # at 13.0 and reaches reception 0.5 + 0.5 + (0.25 + 9 / 20) + 0.75 h later.
    result = outcome(
        engine, "crossing.lanes=1", "periods=[{start = 3.0, crossing = {vehicles_per_hour = 20.0}}]"
    )
    forms = [e.time for e in events(result, "convoy_forms")]
    assert forms == [0.0, 4.0, 8.5, 13.0]
    assert result.metrics["clearance_time"][0] == pytest.approx(13.0 + 0.5 + 0.5 + 0.7 + 0.75)


# A road-bound case: 40 buses in convoys of 5 (300 people) and room for one convoy on the
# road, which it holds 1.5 h (departure to reception). One convoy boards at a time (0.5 h)
# and is back 3.5 h after it left, so neither the loading nor the fleet binds: departures
# are 1.5 h apart, each convoy loading while the one before is on the road.
ROAD = (
    "population.families.count=6000",
    "fleet.buses.count=40",
    "fleet.buses.per_convoy=5",
    "convoy.max_in_corridor=1",
)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_period_that_widens_the_corridor_doubles_the_throughput(engine):
    # Departures 0.5, 2.0, 3.5, 5.0; convoy 4 has loaded at 5.5 and waits for room. From 6.0
    # two convoys may be on the road: convoy 4 leaves at once (for room), convoy 5 (formed
    # at 6.0) at 6.5 as convoy 3 reaches reception; then two departures every 1.5 h, each
    # as the convoy two before reaches reception: 7.5, 8.0, 9.0, 9.5, 10.5, 11.0.
    before = [0.5, 2.0, 3.5, 5.0]
    result = outcome(engine, *ROAD)
    assert [e.time for e in events(result, "convoy_departs")][:8] == [*before, 6.5, 8.0, 9.5, 11.0]
    result = outcome(engine, *ROAD, "periods=[{start = 6.0, name = 'wider', max_in_corridor = 2}]")
    departs = [(e.time, e.note) for e in events(result, "convoy_departs")]
    assert [t for t, _ in departs][:12] == [*before, 6.0, 6.5, 7.5, 8.0, 9.0, 9.5, 10.5, 11.0]
    assert departs[4] == (6.0, "room in the corridor")
    # from 7.5 h to 13.5 h: 8 departures where one convoy on the road allows 4
    widened = sum(7.5 <= t < 13.5 for t, _ in departs)
    narrow = sum(7.5 <= e.time < 13.5 for e in events(outcome(engine, *ROAD), "convoy_departs"))
    assert (widened, narrow) == (8, 4)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_period_that_narrows_the_corridor_recalls_no_convoy(engine):
    # Two on the road until 3.0: departures 0.5, 1.0, 2.0, 2.5 (each as the one two before
    # reaches reception). From 3.0 one: convoys 2 and 3, on the road, reach reception at 3.5
    # and 4.0; convoy 4 (loaded at 3.0) leaves when the road is empty, at 4.0, and the next
    # 1.5 h after: 5.5, 7.0.
    result = outcome(
        engine,
        *ROAD[:3],
        "convoy.max_in_corridor=2",
        "periods=[{start = 3.0, name = 'narrower', max_in_corridor = 1}]",
    )
    departs = [e.time for e in events(result, "convoy_departs")]
    assert departs[:7] == [0.5, 1.0, 2.0, 2.5, 4.0, 5.5, 7.0]
    assert [e.time for e in events(result, "reaches_reception")][:4] == [2.0, 2.5, 3.5, 4.0]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_period_may_open_the_corridor_to_convoys_that_wait_to_form(engine):
    # With the old rule no convoy forms while the road is full: one forms every 2.0 h, as the
    # one before reaches reception. From 5.0 two may be on the road: with convoy 2 on it
    # (4.5 to 6.0), convoy 3 forms at once, and convoy 4 as convoy 2 reaches reception.
    rules = (*ROAD, "convoy.when_corridor_full='wait_to_form'")
    narrow = [e.time for e in events(outcome(engine, *rules), "convoy_forms")]
    assert narrow[:4] == [0.0, 2.0, 4.0, 6.0]
    result = outcome(engine, *rules, "periods=[{start = 5.0, max_in_corridor = 2}]")
    assert [e.time for e in events(result, "convoy_forms")][:5] == [0.0, 2.0, 4.0, 5.0, 6.0]
