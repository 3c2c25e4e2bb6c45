"""The batch engine gives the reference engine's result, replication by replication.

Counts agree exactly, times and person-hours to a relative 1e-9, and traced replications
have the same events in the same order.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from conftest import BASELINE, DETERMINISTIC, all_scenarios, random_scenario
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_conservation import assert_conserved

import sim
from sim.engines.des import run_des
from sim.engines.vector import run_vector
from sim.outputs import records
from sim.outputs.records import count_metrics


def assert_same(scenario, reference, batch) -> None:
    counts = count_metrics(scenario)
    for name, expected in reference.metrics.items():
        got = batch.metrics[name]
        if name in counts:
            np.testing.assert_array_equal(got, expected, err_msg=name)
        else:
            np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12, err_msg=name)
    for name, expected in reference.series.items():
        np.testing.assert_array_equal(batch.series[name], expected, err_msg=name)
    events = [e._replace(time=0.0) for e in reference.trace]
    assert [e._replace(time=0.0) for e in batch.trace] == events
    np.testing.assert_allclose(
        [e.time for e in batch.trace], [e.time for e in reference.trace], rtol=1e-9, atol=1e-12
    )


@pytest.mark.parametrize("path", all_scenarios(), ids=lambda p: p.name)
def test_every_scenario_agrees_over_200_replications(path):
    scenario = sim.load_scenario(path)
    reference, batch = run_des(scenario, 200, seed=7), run_vector(scenario, 200, seed=7)
    assert_same(scenario, reference, batch)
    assert_conserved(scenario, reference)  # and so in the batch engine, equal to it


#: Random scenarios per run; EQUIVALENCE_EXAMPLES=1000 for a thorough check before a release.
#: Without it the examples are the same on every run (derandomized), so CI is repeatable and
#: a known disagreement is a named test below rather than a failure that comes and goes.
EXAMPLES = int(os.environ.get("EQUIVALENCE_EXAMPLES", "200"))
EXPLORE = "EQUIVALENCE_EXAMPLES" in os.environ


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not EXPLORE,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(overrides=random_scenario(), seed=st.integers(0, 2**32))
def test_random_scenarios_agree(overrides, seed):
    scenario = sim.load_scenario(BASELINE, overrides)
    reference = run_des(scenario, 4, seed=seed)
    assert_same(scenario, reference, run_vector(scenario, 4, seed=seed))
    assert_conserved(scenario, reference)  # whoever gives up and whatever the fleet
    m = reference.metrics
    # whatever carried them: left the pickup, then past the checkpoint, then at reception
    assert (m["people_departed"] >= m["people_crossed"]).all()
    assert (m["people_crossed"] >= m["evacuated"]).all()
    if "people_crossed" in reference.series:  # and so at every hour
        assert (reference.series["people_crossed"] >= reference.series["evacuated"]).all()


#: An exchange on the deterministic scenario: the linked site's convoys 3 h from the bridge.
EXCHANGE = [
    "linkage.rule='exchange'",
    "linkage.people=1000",
    "linkage.vehicles=10",
    "linkage.convoy_size=10",
    "linkage.load=50",
    "linkage.to_meeting=3.0",
    "linkage.from_meeting=1.0",
    "linkage.return_trip=4.0",
]

#: Overrides of the deterministic scenario that make each reason of the trace happen.
REASONS = {
    records.SUSPENDED: ["ceasefire.windows=[{start = 0.0, end = 2.0, reason = 'mined'}]"],
    records.BOARDING: ["fleet.buses.per_convoy=5"],
    records.CORRIDOR: [
        "fleet.buses.per_convoy=5",
        "convoy.max_in_corridor=1",
        "convoy.when_corridor_full='wait_to_form'",
    ],
    records.ROOM: ["fleet.buses.per_convoy=5", "convoy.max_in_corridor=1"],
    records.LINKED_BEHIND: [
        "linkage.site='Al-Foua'",
        "linkage.people=1000",
        "linkage.per_convoy=500",
        "linkage.trip=5.0",
        "linkage.max_lag=0.1",
    ],
    records.PARTNER_THERE: EXCHANGE,
    records.WAITED_AT_BRIDGE: EXCHANGE,
    records.PARTNER_HERE: [*EXCHANGE, "linkage.to_meeting=0.25"],
    records.CLOSED: ["horizon=48.0", "convoy.departure_hours=[6, 12]"],
    records.TOO_FEW: [
        "fleet.vans={count = 10, seats = 10, available_at = 1.0, load_time = 0.5, "
        "unload_time = 0.25}",
        "population.families.vehicles=['buses', 'vans']",
        "convoy.min_vehicles=15",
        "convoy.max_wait=5.0",
    ],
    records.MAX_WAIT: ["convoy.min_vehicles=15", "convoy.max_wait=1.0"],
    records.HEADWAY: ["fleet.buses.per_convoy=5", "convoy.headway=1.25"],
    records.HELD_TOO_LONG: [
        "ceasefire.windows=[{start = 0.75}]",
        "ceasefire.negotiation=10.0",
        "ceasefire.guarantee=1.0",
        "ceasefire.max_hold=2.0",
    ],
    records.TURN_BACK_RULE: [
        "ceasefire.before_checkpoint='turn_back'",
        "ceasefire.windows=[{start = 0.75}]",
        "ceasefire.negotiation=2.0",
        "ceasefire.guarantee=1.0",
    ],
    records.BREACH: [
        "ceasefire.breach_rate=0.5",
        "ceasefire.negotiation=30.0",
        "ceasefire.guarantee=1.0",
    ],
    records.INCIDENT: [
        "route.incident_probability=1.0",
        "ceasefire.negotiation=1.0",
        "ceasefire.guarantee=0.5",
    ],
}


@pytest.mark.parametrize("reason", REASONS, ids=lambda r: r.replace(" ", "_"))
def test_both_engines_give_the_same_reasons(reason):
    """Each reason the narration tells is in both engines' traces, on the same event."""
    scenario = sim.load_scenario(DETERMINISTIC, ["run.trace_reps=2", *REASONS[reason]])
    reference, batch = run_des(scenario, 2, seed=1), run_vector(scenario, 2, seed=1)
    assert_same(scenario, reference, batch)
    assert reason in {e.note for e in reference.trace}


def test_the_reasons_are_traced_for_any_replication_asked_for():
    scenario = sim.load_scenario(DETERMINISTIC, REASONS[records.BOARDING])
    reference = run_des(scenario, 12, seed=1, traced=[11, 4])
    assert {e.rep for e in reference.trace} == {4, 11}
    assert_same(scenario, reference, run_vector(scenario, 12, seed=1, traced=[4, 11]))
    assert records.BOARDING in {e.note for e in reference.trace if e.rep == 11}


def test_a_replication_alone_equals_it_inside_a_batch():
    scenario = sim.load_scenario(BASELINE, ["ceasefire.breach_rate=0.2"])
    batch = run_vector(scenario, 50, seed=3)
    for rep in (0, 17, 49):
        alone = run_vector(scenario, 1, seed=3, first_rep=rep)
        for name, values in batch.metrics.items():
            np.testing.assert_array_equal(alone.metrics[name], values[rep : rep + 1], name)


def test_replications_may_be_named_in_any_order():
    """Sweep points sharing a batch reuse replication numbers: each is its own run."""
    scenario = sim.load_scenario(BASELINE, ["ceasefire.breach_rate=0.2"])
    batch = run_vector(scenario, 20, seed=3)
    ids = np.array([17, 0, 17, 3, 0])
    mixed = run_vector(scenario, len(ids), seed=3, rep_ids=ids)
    for name, values in batch.metrics.items():
        np.testing.assert_array_equal(mixed.metrics[name], values[ids], name)


def test_parameters_may_differ_per_replication():
    """One batch over several parameter values equals one reference run per value."""
    scenario = sim.load_scenario(BASELINE)
    crowding = np.array([1.0, 1.2, 1.5, 2.0, 1.1, 1.3])
    to_reception = np.array([0.5, 1.0, 1.5, 2.0, 0.8, 1.2])
    buses = np.array([10, 20, 36, 50, 25, 30])
    batch = run_vector(
        scenario,
        6,
        seed=5,
        parameters={
            "fleet.buses.crowding": crowding,
            "route.to_reception.mean": to_reception,
            "fleet.buses.count": buses,
        },
    )
    for rep in range(6):
        point = sim.load_scenario(
            BASELINE,
            [
                f"fleet.buses.crowding={float(crowding[rep])!r}",
                f"route.to_reception.mean={float(to_reception[rep])!r}",
                f"fleet.buses.count={buses[rep]}",
            ],
        )
        alone = run_des(point, 1, seed=5, first_rep=rep)
        for name, values in alone.metrics.items():
            np.testing.assert_allclose(
                batch.metrics[name][rep : rep + 1], values, rtol=1e-9, err_msg=name
            )


def test_a_fleet_size_sent_whole_follows_its_count():
    """A pool without per_convoy sends every vehicle, whatever count a batch gives it."""
    scenario = sim.load_scenario(DETERMINISTIC)
    counts = np.array([8, 11, 20])
    batch = run_vector(scenario, 3, seed=1, parameters={"fleet.buses.count": counts})
    for rep, count in enumerate(counts):
        alone = run_des(sim.load_scenario(DETERMINISTIC, [f"fleet.buses.count={count}"]), 1, 1)
        for name, values in alone.metrics.items():
            np.testing.assert_allclose(batch.metrics[name][rep : rep + 1], values, err_msg=name)


def test_unknown_or_misshapen_parameters_are_refused():
    scenario = sim.load_scenario(BASELINE)
    with pytest.raises(sim.ScenarioError, match="fleet.buses.colour"):
        run_vector(scenario, 3, seed=1, parameters={"fleet.buses.colour": np.ones(3)})
    with pytest.raises(sim.ScenarioError, match="one value per replication"):
        run_vector(scenario, 3, seed=1, parameters={"fleet.buses.count": np.ones(4)})
    with pytest.raises(sim.ScenarioError, match="whole numbers"):
        run_vector(scenario, 3, seed=1, parameters={"fleet.buses.count": np.full(3, 2.5)})


# Found by the random search (hypothesis seed 14907216): a linked site, boarding while
# suspended, departure hours and a period's ``max_hold`` of 0.1 h. The cause was the departure
# hours' next opening, computed as ``t`` plus the hours left: from 2.88 h it was
# 18.999999999999996 h, from 3.66 h it was 19.0 h. The reference engine kept the first
# decision it set; the batch engine, which keeps only its earliest pending deadline, lost it
# when the max_wait deadline at 3.66 h fired and set the second, so a patients' arrival at
# 19.0 h fell after the convoy's forming in one engine and before it in the other. The
# opening is now one instant however it is asked for (``sim.model.daylight.gate``).
OPENING_SET_TWICE = [
    "horizon=32.644044494146115",
    "fleet.buses.count=24",
    "fleet.buses.seats=16",
    "fleet.buses.per_convoy=1",
    "fleet.ambulances.count=3",
    "fleet.buses.available_at=3.4381238992618015e-291",
    "population.families.count=562",
    "population.wounded.count=51",
    "population.fighters.count=328",
    "convoy.min_vehicles=7",
    "convoy.max_wait=3.6623370170192766",
    "convoy.headway=0.0",
    "convoy.max_in_corridor=1",
    "convoy.when_corridor_full='wait_to_depart'",
    "route.incident_probability=0.0",
    "ceasefire.breach_rate=0.3849075334300339",
    "ceasefire.before_checkpoint='hold'",
    "run.trace_reps=2",
    "route.to_checkpoint=0.0",
    "route.inspection=0.7152623671160383",
    "route.to_reception=1.9310337134655926",
    "route.return_trip=8.458446659165891e-202",
    "fleet.buses.load_time={dist = 'uniform', low = 1.5, high = 2.802905842036571}",
    "fleet.buses.unload_time=1.2644051713433535",
    "fleet.ambulances.load_time=0.8393666217362621",
    "fleet.ambulances.unload_time=2.039391050569303",
    "ceasefire.negotiation=1.2644051713433535",
    "ceasefire.guarantee=2.436282589971727",
    "ceasefire.windows=[]",
    "ceasefire.max_hold=inf",
    "ceasefire.max_hold_counts='total'",
    "ceasefire.board_while_suspended=true",
    "fleet.buses.changes=[]",
    "fleet.ambulances.changes=[]",
    "population.patients.leaving={after = 11.148722687064359, share = 1.1754943508222875e-38}",
    "population.families.leaving={after = 28.052443644772328, share = 0.8402952242019948}",
    "population.fighters.leaving={after = 2.5347756455847916e-273, share = 0.15996893165257167}",
    "population.families.arrivals="
    "[{start = 0.5, end = 10.5, every = 4.543212916617146, total = 2999}]",
    "linkage.people=304",
    "linkage.per_convoy=100",
    "linkage.start=1e-09",
    "linkage.trip=2.5386077473379283",
    "linkage.max_lag=0.6061966463456171",
    "linkage.lag_breach_rate=1.3526590466924395",
    "periods=[{start = 2.2332250030208502e-116, name = 'period 0', crowding = {buses = 1.0}, "
    "headway = 0.0, max_hold = 0.1, board_while_suspended = true, per_convoy = {buses = 21}, "
    "inspection_factor = 0.3083427528127359, max_wait = 0.0}]",
    "convoy.departure_hours=[0.0, 5.212598802476876]",
]


def test_a_departure_hours_opening_set_twice_is_one_instant():
    scenario = sim.load_scenario(BASELINE, OPENING_SET_TWICE)
    reference = run_des(scenario, 4, seed=14907216)
    assert_same(scenario, reference, run_vector(scenario, 4, seed=14907216))


# Found by the random search (6,000 examples, issue 11): no people, one ambulance, two
# open-ended windows at 0.0 negotiated in 0 h, ``turn_back``. The batch engine resumed the
# first suspension at once, before the second window due at the same instant, which then
# began a second suspension (2 against 1). The windows' timers are the older ones: the second
# window extends the first suspension, one spell (docs/model.md, the order of simultaneous
# events). Kept whole: with ``turn_back`` dropped, the batch engine took another path.
TWO_WINDOWS_AT_ONE_INSTANT = [
    "horizon=1.0",
    "fleet.buses.count=0",
    "fleet.buses.seats=1",
    "fleet.buses.per_convoy=1",
    "fleet.ambulances.count=1",
    "fleet.buses.available_at=0.0",
    "population.families.count=0",
    "population.wounded.count=0",
    "population.fighters.count=0",
    "convoy.min_vehicles=1",
    "convoy.max_wait=0.0",
    "convoy.headway=0.0",
    "convoy.max_in_corridor=1",
    "convoy.when_corridor_full='wait_to_depart'",
    "route.incident_probability=0.0",
    "ceasefire.breach_rate=0.0",
    "ceasefire.before_checkpoint='turn_back'",
    "run.trace_reps=2",
    "route.to_checkpoint=0.0",
    "route.inspection=0.0",
    "route.to_reception=0.0",
    "route.return_trip=0.0",
    "fleet.buses.load_time=0.0",
    "fleet.buses.unload_time=0.0",
    "fleet.ambulances.load_time=0.0",
    "fleet.ambulances.unload_time=0.0",
    "ceasefire.negotiation=0.0",
    "ceasefire.guarantee=0.0",
    "ceasefire.windows=[{start = 0.0}, {start = 0.0}]",
    "ceasefire.max_hold=1.0",
    "ceasefire.max_hold_counts='total'",
    "ceasefire.board_while_suspended=false",
    "fleet.buses.changes=[{at = 2.0, enter = 3}]",
    "fleet.ambulances.changes=[]",
    "periods=[]",
]


@pytest.mark.filterwarnings("ignore::sim.inputs.plausible.ImplausibleValue")  # ambulance late
def test_two_windows_at_one_instant_with_nobody_to_turn_back_are_one_suspension():
    scenario = sim.load_scenario(BASELINE, TWO_WINDOWS_AT_ONE_INSTANT)
    reference = run_des(scenario, 4, seed=0)
    assert_same(scenario, reference, run_vector(scenario, 4, seed=0))
    assert list(reference.metrics["suspensions"]) == [1, 1, 1, 1]


# Left after the fix above (exchange's closing note, issue 11): with a convoy to turn back,
# the batch engine still resumed a suspension that ends the instant it starts before a second
# window due then, and counted two. Built by hand: the deterministic scenario's first convoy
# is loading when both windows start.
def test_two_windows_at_one_instant_with_a_convoy_to_turn_back_are_one_suspension():
    scenario = sim.load_scenario(
        DETERMINISTIC,
        [
            "run.trace_reps=2",
            "ceasefire.before_checkpoint='turn_back'",
            "ceasefire.windows=[{start = 0.25}, {start = 0.25}, {start = 0.25, end = 0.5}]",
            "ceasefire.negotiation=0.0",
            "ceasefire.guarantee=0.0",
        ],
    )
    reference = run_des(scenario, 2, seed=1)
    assert_same(scenario, reference, run_vector(scenario, 2, seed=1))
    assert list(reference.metrics["suspensions"]) == [1, 1]


# Found by the random search (3,000 examples; hypothesis seed
# 175336920354429089838031736340840715700):
# an ambulance bay beside the buses' place, board while suspended, periods that change
# ``max_wait`` (0.74, 2.00001, 0.60 h) and ``max_hold`` of 0.1 h, so short convoys form, are
# held and turned back every 0.1 h. The reference engine kept every deadline the dispatcher
# asked for; the batch engine keeps only the earliest. A ``max_wait`` deadline asked for at
# 37.5 h and overtaken by earlier ones still brought a decision at 38.118573 h in the
# reference engine alone: it formed nothing, but restarted the reasons to wait, so convoy 241
# told "too few vehicles" in one engine and nothing in the other. Both now keep one deadline
# (docs/model.md, the dispatcher: one deadline at a time).
DEADLINE_OVERTAKEN = [
    "horizon=45.35428558451029",
    "fleet.buses.count=27",
    "fleet.buses.seats=56",
    "fleet.buses.per_convoy=9",
    "fleet.ambulances.count=14",
    "fleet.buses.available_at=3.109336691815621",
    "population.families.count=988",
    "population.wounded.count=88",
    "population.fighters.count=277",
    "convoy.min_vehicles=8",
    "convoy.max_wait=1.0",
    "convoy.headway=1.514024305233249",
    "convoy.max_in_corridor=4",
    "convoy.when_corridor_full='wait_to_depart'",
    "route.incident_probability=1.0",
    "ceasefire.breach_rate=0.2517683947058776",
    "ceasefire.before_checkpoint='turn_back'",
    "run.trace_reps=2",
    "route.to_checkpoint={dist = 'lognormal', mean = 0.05, cv = 0.0}",
    "route.inspection=0.5965644752892294",
    "route.to_reception=2.1406542435623517",
    "route.return_trip=0.420854088044038",
    "fleet.buses.load_time={dist = 'gamma', mean = 1.0, cv = 2.2250738585072014e-308}",
    "fleet.buses.unload_time=2.1406542435623517",
    "fleet.ambulances.load_time=2.220446049250313e-16",
    "fleet.ambulances.unload_time=2.886436804369983",
    "ceasefire.negotiation=2.1406542435623517",
    "ceasefire.guarantee=0.8008775693633812",
    "ceasefire.windows=[{start = 8.270838680085443}]",
    "ceasefire.max_hold=inf",
    "ceasefire.max_hold_counts='total'",
    "ceasefire.board_while_suspended=true",
    "fleet.buses.changes=[{at = 16.94039206516418, leave = 11, reason = 'burned'}, "
    "{at = 15.325795560431338, leave = 13, reason = 'burned'}]",
    "fleet.ambulances.changes=[{at = 34.0523284241258, enter = 5}, {at = 28.523200344606487, "
    "leave = 5, reason = 'burned'}, {at = 12.0, enter = 17}]",
    "population.wounded.leaving={after = 26.01120057298726, share = 0.1170885437648648}",
    "population.fighters.leaving={after = 4.203047916601664, share = 0.3903450026346932}",
    "fleet.ambulances.loading_place='bay'",
    "private.cars.groups=['patients', 'families']",
    "private.cars.people=1.6668883351643324",
    "private.cars.columns=[{at = 22.601260207982758, vehicles = 57}, {at = 4.693071798924843, "
    "vehicles = 109}]",
    "crossing.lanes=1",
    "crossing.vehicles_per_hour=5.0",
    "periods=[{start = 1.1754943508222875e-38, name = 'period 0', max_wait = 0.7428867822920263, "
    "crossing = {vehicles_per_hour = 165.32143906399494}, travel_factor = 1.7901745413535237, "
    "crowding = {buses = 1.918635273690644}, headway = 7.783626266568618e-92, min_vehicles = 6, "
    "per_convoy = {buses = 11}, inspection_factor = 1.9665978149361238, "
    "board_while_suspended = true, max_hold = 0.1, "
    "send_home = {families = 0.020153069741627453}}, {start = 36.373228208625655, "
    "name = 'period 1', headway = 0.5071479641235862, min_vehicles = 9, "
    "per_convoy = {buses = 7}, board_while_suspended = true, travel_factor = 1.2, "
    "crossing = {vehicles_per_hour = 54.8476398037142, lanes = 4}, max_hold = 0.1, "
    "crowding = {buses = 2.123795013790624}, inspection_factor = 3.5475273757444765, "
    "max_wait = 0.6041453704078049, send_home = {families = 1.0}}, {start = 31.393037042224783, "
    "name = 'period 2', travel_factor = 2.8128897951194185, max_wait = 2.00001, "
    "send_home = {families = 0.22330247916841423}, per_convoy = {buses = 31}}]",
    "convoy.departure_hours=[0.05, 0.0]",
]


def test_a_deadline_overtaken_by_an_earlier_one_brings_no_decision():
    scenario = sim.load_scenario(BASELINE, DEADLINE_OVERTAKEN)
    reference = run_des(scenario, 4, seed=4_294_967_295)
    assert_same(scenario, reference, run_vector(scenario, 4, seed=4_294_967_295))


# Instants the random search never draws exactly: a fleet change, a period and a private
# column at the very hour the deterministic scenario clears (14.0 h) or at the horizon.
# Both engines end a replication at that instant the same way: what falls on it happens
# (13 buses served), as the trace and every metric agree.
AT_THE_END = [
    ["fleet.buses.changes=[{at = 14.0, enter = 3}]"],
    ["fleet.buses.changes=[{at = 14.0, leave = 3}]"],
    ["horizon=10.0", "fleet.buses.changes=[{at = 10.0, enter = 3}]"],
    ["horizon=10.0", "periods=[{start = 10.0, max_in_corridor = 1, per_convoy = {buses = 2}}]"],
    [
        "horizon=10.0",
        "private.cars={groups = ['families'], people = 4.0, columns = [{at = 10.0, vehicles = 5}]}",
    ],
]


@pytest.mark.parametrize("overrides", AT_THE_END)
def test_events_at_the_instant_a_run_ends_agree(overrides):
    scenario = sim.load_scenario(DETERMINISTIC, [*overrides, "run.trace_reps=2"])
    reference = run_des(scenario, 2, seed=1)
    assert_same(scenario, reference, run_vector(scenario, 2, seed=1))
    assert_conserved(scenario, reference)
    if "enter = 3" in overrides[-1]:
        assert reference.metrics["served_buses"].tolist() == [13, 13]
