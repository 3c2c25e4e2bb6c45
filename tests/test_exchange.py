"""The linked evacuation as an exchange, worked out by hand on the deterministic scenario.

In ``workshop/deterministic.toml`` a convoy of 10 buses carries 600 people and reaches the
meeting point (after its inspection) 1.25 h after it forms; from there it is 0.75 h to
reception and 2 h more until its buses are back, 4 h a round trip without waiting. The
linked site below sends convoys of 10 vehicles of 50 people (500) that take 3 h to the
meeting point, 1 h on to safety and 4 h back: with 10 vehicles it has one convoy out at a
time.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from conftest import BASELINE, DETERMINISTIC
from test_vector_equivalence import assert_same

import sim
from sim.engines.des import run_des
from sim.engines.vector import run_vector
from sim.outputs.records import PARTNER_HERE, PARTNER_THERE, SUSPENDED, WAITED_AT_BRIDGE
from sim.views.narrate import narrate

EXCHANGE = [
    "linkage.rule='exchange'",
    "linkage.site='Al-Foua'",
    "linkage.people=1000",
    "linkage.vehicles=10",
    "linkage.convoy_size=10",
    "linkage.load=50",
    "linkage.to_meeting=3.0",
    "linkage.from_meeting=1.0",
    "linkage.return_trip=4.0",
    "run.trace_reps=1",
]


def both(*overrides: str, base=DETERMINISTIC, reps: int = 1):
    """The scenario and its run, checked the same in both engines."""
    scenario = sim.load_scenario(base, [*EXCHANGE, *overrides])
    reference = run_des(scenario, reps, seed=1)
    assert_same(scenario, reference, run_vector(scenario, reps, seed=1))
    return scenario, reference


def times(run, event: str, note: str | None = None) -> list[float]:
    return [e.time for e in run.trace if e.event == event and note in (None, e.note)]


def test_convoy_for_convoy_this_side_waits_for_the_linked_convoys():
    """Convoy 0 waits at the bridge 1.25 -> 3.0 h for linked convoy 0; linked convoy 1 can
    leave only when its vehicles are back at 8.0 h, so convoy 1 (there at 7.0 h) waits until
    11.0 h. Convoys 2 and 3 come after the linked site's two convoys: they cross freely."""
    _, run = both()
    m = run.metrics
    assert times(run, "waits_at_bridge", PARTNER_THERE) == [1.25, 7.0]
    assert times(run, "passes_checkpoint", WAITED_AT_BRIDGE) == [3.0, 11.0]
    assert times(run, "passes_checkpoint", "") == [15.0, 19.0]
    assert times(run, "linked_departs") == [0.0, 8.0]
    assert times(run, "linked_arrives") == [4.0, 12.0]
    assert m["bridge_waits"][0] == 2 and m["bridge_wait_hours"][0] == 1.75 + 4.0
    assert m["linked_bridge_waits"][0] == 0 and m["exchange_batches"][0] == 2
    assert m["linked_evacuated"][0] == m["linked_departed"][0] == 1000
    assert m["linked_convoys"][0] == 2
    assert m["held_person_hours"][0] == 600 * (1.75 + 4.0)  # aboard at the bridge
    assert m["clearance_time"][0] == 19.75  # 14.0 h without the exchange


def test_the_linked_convoys_wait_for_this_side():
    """Linked convoys 0.25 h from the bridge: the first waits there for this side's first,
    0.25 -> 1.25 h; the second (its vehicles back at 6.25 h, there at 6.5 h) comes after
    this side's second (there at 5.25 h), which waits for it."""
    _, run = both("linkage.to_meeting=0.25")
    m = run.metrics
    assert times(run, "linked_waits_at_bridge", PARTNER_HERE) == [0.25]
    assert times(run, "linked_crosses", WAITED_AT_BRIDGE) == [1.25]
    assert times(run, "linked_crosses", "") == [6.5]
    assert m["linked_bridge_waits"][0] == 1 and m["linked_bridge_wait_hours"][0] == 1.0
    assert times(run, "waits_at_bridge") == [5.25]
    assert m["bridge_waits"][0] == 1 and m["bridge_wait_hours"][0] == 1.25


def test_a_halt_of_the_linked_site_holds_this_side():
    """Halted until 6.0 h, the linked site's first convoy reaches the bridge at 9.0 h: this
    side's first convoy waits 7.75 h there, and its buses are back only at 11.75 h."""
    _, run = both("linkage.halts=[{start = 0.0, end = 6.0, reason = 'buses burned'}]")
    assert [(e.time, e.note) for e in run.trace if e.event.startswith("linked_h")] == [
        (0.0, "buses burned")
    ]
    assert times(run, "linked_resumes") == [6.0]
    assert times(run, "linked_departs") == [6.0, 14.0]
    assert times(run, "passes_checkpoint", WAITED_AT_BRIDGE) == [9.0, 17.0]
    assert run.metrics["bridge_wait_hours"][0] == 7.75 + 4.0
    assert times(run, "convoy_forms")[1] == 11.75  # 5.75 h without the halt


def test_the_narration_tells_the_waits_and_the_halt_from_the_trace():
    scenario, run = both(
        "linkage.meeting_point='the Ramouseh bridge'",
        "linkage.halts=[{start = 0.0, end = 6.0, reason = 'buses burned'}]",
    )
    text = " ".join(" ".join(narrate(scenario, run.trace)).split())
    assert "Al-Foua halts (buses burned): no convoy leaves it." in text
    assert "waits there for the Al-Foua convoy: the deal pairs convoys one for one" in text
    assert "Convoy 1 crosses the Ramouseh bridge after 7 h 45 min there." in text
    assert "(1,000 of 1,000 so far)" in text


def test_nothing_crosses_the_bridge_while_the_ceasefire_is_suspended():
    """Suspended 2.0 -> 5.0 h: linked convoy 0 reaches the bridge at 3.0 h, completing the
    first pair, but both wait until the resumption; this side's convoy crosses first."""
    _, run = both("ceasefire.windows=[{start = 2.0, end = 5.0}]")
    assert times(run, "linked_waits_at_bridge", SUSPENDED) == [3.0]
    crossing = [e.event for e in run.trace if e.time == 5.0 and "cross" in e.event or
                e.time == 5.0 and e.event == "passes_checkpoint"]  # fmt: skip
    assert crossing == ["passes_checkpoint", "linked_crosses"]
    assert times(run, "linked_departs") == [0.0, 10.0]  # not during the suspension
    assert times(run, "waits_at_bridge") == [1.25, 9.0]
    m = run.metrics
    assert m["bridge_wait_hours"][0] == 3.75 + 4.0 and m["linked_bridge_wait_hours"][0] == 2.0


def test_batches_pair_as_the_deal_says():
    """Convoys of 5 buses (300 people), one loading after the other: this side's first two
    reach the bridge at 1.25 and 1.75 h and wait for the first linked convoy (3.0 h), the
    first batch; the third (7.0 h) waits for the second linked convoy (11.0 h). The fourth
    (7.5 h) is beyond the deal's batches and crosses at once, past the waiting third."""
    batches = "linkage.batches=[{here = 2, there = 1}, {here = 1, there = 1}]"
    _, run = both("fleet.buses.per_convoy=5", "linkage.pairing='batches'", batches)
    assert times(run, "waits_at_bridge") == [1.25, 1.75, 7.0]
    assert times(run, "passes_checkpoint", WAITED_AT_BRIDGE) == [3.0, 3.0, 11.0]
    assert times(run, "passes_checkpoint", "")[0] == 7.5
    at_three = [e.event for e in run.trace if e.time == 3.0][:3]
    assert at_three == ["linked_crosses", "passes_checkpoint", "passes_checkpoint"]
    m = run.metrics
    assert m["bridge_wait_hours"][0] == 1.75 + 1.25 + 4.0 and m["exchange_batches"][0] == 2


def test_before_the_deal_nothing_is_paired():
    """From 5.0 h: the first convoy (at the bridge at 1.25 h) crosses freely; the second
    (5.25 h) is the first paired one and waits for linked convoy 0 (left at 5.0 h, there at
    8.0 h); the third (12.0 h) for linked convoy 1 (its vehicles back at 13.0 h)."""
    _, run = both("linkage.start=5.0")
    assert times(run, "passes_checkpoint", "")[0] == 1.25
    assert times(run, "linked_departs") == [5.0, 13.0]
    assert times(run, "waits_at_bridge") == [5.25, 12.0]
    assert times(run, "passes_checkpoint", WAITED_AT_BRIDGE) == [8.0, 16.0]


def test_a_linked_site_with_nobody_to_send_holds_nobody():
    _, run = both("linkage.people=0")
    assert run.metrics["bridge_waits"][0] == 0 and run.metrics["clearance_time"][0] == 14.0


def test_people_are_conserved_on_both_sides():
    """Stochastic trips, breaches and halts: nobody is lost on either side, in each of 40
    replications, and the trace's linked people add up to the metrics."""
    scenario, run = both(
        "linkage.to_meeting={dist = 'lognormal', mean = 3.0, cv = 0.5}",
        "linkage.from_meeting={dist = 'exponential', mean = 1.0}",
        "linkage.people=2345",
        "linkage.headway=0.5",
        "linkage.vehicles=20",
        "linkage.halts=[{start = 8.0, end = 14.0}, {start = 20.0, end = 21.0}]",
        "ceasefire.breach_rate=0.1",
        "horizon=30.0",
        "run.trace_reps=3",
        base=BASELINE,
        reps=40,
    )
    m = run.metrics
    np.testing.assert_array_equal(
        m["arrived"], m["evacuated"] + m["waiting_at_end"] + m["aboard_at_end"]
    )
    assert (m["linked_evacuated"] <= m["linked_departed"]).all()
    assert (m["linked_departed"] <= 2345).all() and (m["linked_evacuated"] > 0).all()
    for rep in range(3):
        events = [e for e in run.trace if e.rep == rep]
        departed = sum(e.people for e in events if e.event == "linked_departs")
        arrived = sum(e.people for e in events if e.event == "linked_arrives")
        assert (departed, arrived) == (m["linked_departed"][rep], m["linked_evacuated"][rep])
    assert "linked_evacuated_by_halt" in m  # by each milestone with a time


@pytest.mark.parametrize(
    ("overrides", "key", "words"),
    [
        (["linkage.max_lag=0.1"], "linkage.max_lag", 'belongs to rule = "share"'),
        (["linkage.rule='swap'"], "linkage.rule", "one of 'share', 'exchange'"),
        (["linkage.convoy_size=11"], "linkage.convoy_size", "at most vehicles (10)"),
        (["linkage.batches=[{here = 1, there = 1}]"], "linkage.batches", "pairing = "),
        (["linkage.pairing='batches'"], "linkage.batches", "at least one batch"),
        (
            [
                "linkage.pairing='batches'",
                "linkage.batches=[{here = 3, there = 1}]",
                "convoy.max_in_corridor=2",
            ],
            "linkage.batches.0.here",
            "at most convoy.max_in_corridor = 2",
        ),
        (  # a period narrows the corridor for good: a batch of 2 might never cross
            [
                "linkage.pairing='batches'",
                "linkage.batches=[{here = 2, there = 1}]",
                "convoy.max_in_corridor=2",
                "periods=[{start = 1.0, max_in_corridor = 3}, {start = 5.0, max_in_corridor = 1}]",
            ],
            "linkage.batches.0.here",
            "at most periods.1.max_in_corridor = 1",
        ),
        (
            ["linkage.pairing='batches'", "linkage.batches=[{here = 1, there = 2}]"],
            "linkage.batches.0.there",
            "at most 1",
        ),
        (
            ["linkage.halts=[{start = 5.0, end = 8.0}, {start = 7.0, end = 9.0}]"],
            "linkage.halts.1.start",
            "before the end of the halt before it",
        ),
        (["linkage.load=0"], "linkage.load", ">= 1"),
    ],
)
def test_bad_exchanges_are_refused_in_one_line(overrides, key, words):
    with pytest.raises(sim.ScenarioError) as error:
        sim.load_scenario(DETERMINISTIC, [*EXCHANGE, *overrides])
    assert error.value.key == key and words in error.value.message
    assert "\n" not in str(error.value) and "--set" in str(error.value)


def test_a_batch_fits_the_corridor_a_period_opens():
    """A batch of two convoys of 5 buses with room for one on the road until 3.0 h: convoy 0
    waits at the bridge from 1.25 h; convoy 1 (loaded at 1.0 h) leaves as the period widens
    the corridor, at 3.0 h, and the batch crosses when it has been inspected, at 3.75 h
    (with room for two from the start, at 3.0 h, when the linked convoy is there)."""
    batches = ["linkage.pairing='batches'", "linkage.batches=[{here = 2, there = 1}]"]
    batches.append("fleet.buses.per_convoy=5")
    _, run = both(
        *batches, "convoy.max_in_corridor=1", "periods=[{start = 3.0, max_in_corridor = 2}]"
    )
    assert times(run, "convoy_departs")[:2] == [0.5, 3.0]
    assert times(run, "passes_checkpoint")[:2] == [3.75, 3.75]
    _, run = both(*batches, "convoy.max_in_corridor=2")
    assert times(run, "passes_checkpoint")[:2] == [3.0, 3.0]


def test_the_share_rule_refuses_exchange_keys():
    with pytest.raises(sim.ScenarioError, match="linkage.vehicles: belongs to rule"):
        sim.load_scenario(
            DETERMINISTIC,
            ["linkage.people=10", "linkage.per_convoy=5", "linkage.trip=1.0"]
            + ["linkage.max_lag=0.1", "linkage.vehicles=3"],
        )


def test_a_scenario_has_one_linkage_rule():
    share = sim.load_scenario(DETERMINISTIC, ["linkage.people=10", "linkage.per_convoy=5"]
                              + ["linkage.trip=1.0", "linkage.max_lag=0.1"])  # fmt: skip
    exchange = sim.load_scenario(DETERMINISTIC, EXCHANGE).exchange
    with pytest.raises(sim.ScenarioError, match="Scenario: exchange: must be None"):
        dataclasses.replace(share, exchange=exchange)
