"""The exchange's clause "fighters only after villagers arrive", worked out by hand.

On ``workshop/deterministic.toml`` with the exchange of ``test_exchange.py`` (linked convoys
of 500 people, 3 h to the meeting point, 1 h on to safety, 4 h back), 300 families and 600
fighters, convoys of 5 buses (300 people; 10 buses, so two convoys' worth): a convoy reaches
the meeting point 1.25 h after it forms, reception 0.75 h after it crosses, and its buses
are back 2 h after that. The first linked convoy reaches the meeting point at 3.0 h and
safety at 4.0 h; the second leaves when its vehicles are back at 8.0 h.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import DETERMINISTIC
from test_exchange import EXCHANGE, both, times

import sim
from sim.engines.des import run_des
from sim.engines.vector import run_vector
from sim.outputs.records import WAITED_AT_BRIDGE
from sim.views.narrate import narrate

FIGHTERS = [
    "population.families.count=300",
    "population.fighters={count = 600, priority = 2, vehicles = ['buses']}",
    "fleet.buses.per_convoy=5",
]
FIRST_CONVOY = "linkage.after_safe={groups = ['fighters'], batch = 1}"


def test_fighters_board_only_once_the_first_linked_convoy_is_safe():
    """Convoy 0 takes the families at 0.0 h; at 0.5 h the other 5 buses could take 300
    fighters (they would without the clause), but the deal holds them until linked convoy 0
    is safe at 4.0 h. Convoy 1 (fighters) forms then, reaches the bridge at 5.25 h and waits
    for linked convoy 1 (there at 11.0 h); convoy 2 forms when convoy 0's buses are back at
    5.75 h and, beyond the linked site's two convoys, crosses freely at 7.0 h. The run ends
    when convoy 1 reaches reception at 11.75 h, before linked convoy 1 is safe (12.0 h)."""
    _, free = both(*FIGHTERS)
    assert times(free, "convoy_forms") == [0.0, 0.5, 5.75]
    _, run = both(*FIGHTERS, FIRST_CONVOY)
    held = [(e.time, e.groups) for e in run.trace if e.event == "waits_for_linked"]
    assert held == [(0.5, (0, 300))]  # told once, when it first matters
    released = [(e.time, e.groups) for e in run.trace if e.event == "deal_releases"]
    assert released == [(4.0, (0, 600))]
    assert times(run, "convoy_forms") == [0.0, 4.0, 5.75]
    assert times(run, "passes_checkpoint", WAITED_AT_BRIDGE) == [3.0, 11.0]
    assert times(run, "passes_checkpoint", "") == [7.0]
    m = run.metrics
    assert m["clearance_time"][0] == 11.75 and m["evacuated"][0] == 900
    assert m["linked_evacuated"][0] == 500 and m["linked_departed"][0] == 1000
    assert m["bridge_wait_hours"][0] == 1.75 + 5.75
    # the fighters waited until their convoy left: 4.5 h (convoy 1) and 6.25 h (convoy 2)
    np.testing.assert_allclose(m["wait_mean_fighters"][0], (300 * 4.5 + 300 * 6.25) / 600)


def test_a_count_of_people_is_the_same_clause_as_its_batch():
    _, batch = both(*FIGHTERS, FIRST_CONVOY)
    _, people = both(*FIGHTERS, "linkage.after_safe={groups = ['fighters'], people = 500}")
    assert people.trace == batch.trace
    # 501 people: the second linked convoy must be safe too, and it waits for convoy 1,
    # which the fighters would fill: nobody of them ever leaves; the families do
    _, stuck = both(*FIGHTERS, "linkage.after_safe={groups = ['fighters'], people = 501}")
    m = stuck.metrics
    assert np.isnan(m["clearance_time"][0]) and m["evacuated"][0] == 300
    assert m["waiting_at_end"][0] == 600 and m["arrived"][0] == 900
    assert times(stuck, "deal_releases") == []


def test_private_vehicles_leave_the_held_groups_behind():
    """A column of 10 cars of 30 people at 1.0 h takes families and fighters; with the
    clause it takes nobody (the families are all on convoy 0): no column leaves. The one at
    5.0 h takes the fighters convoy 1 (4.0 h) left behind, so no third convoy forms."""
    cars = (
        "private.cars={groups = ['families', 'fighters'], people = 30.0, "
        "columns = [{at = 1.0, vehicles = 10}, {at = 5.0, vehicles = 10}]}"
    )
    _, free = both(*FIGHTERS, cars)
    assert times(free, "private_departs") == [1.0]  # the 300 not in convoy 1 (0.5 h)
    _, run = both(*FIGHTERS, cars, FIRST_CONVOY)
    assert [(e.time, e.groups) for e in run.trace if e.event == "waits_for_linked"] == [
        (0.5, (0, 300))
    ]
    assert [(e.time, e.groups) for e in run.trace if e.event == "private_departs"] == [
        (5.0, (0, 300))
    ]
    assert times(run, "convoy_forms") == [0.0, 4.0]


def test_the_clause_is_a_parameter_per_replication():
    """``linkage.after_safe.people`` per replication in the batch engine: each replication
    is the reference engine's run of the scenario with its value."""
    base = sim.load_scenario(DETERMINISTIC, [*EXCHANGE, *FIGHTERS, FIRST_CONVOY.replace(
        "batch = 1", "people = 200")])  # fmt: skip
    batch = run_vector(
        base, 2, seed=1, parameters={"linkage.after_safe.people": np.array([500, 501])}
    )
    for rep, people in enumerate((500, 501)):
        alone = sim.load_scenario(
            DETERMINISTIC,
            [
                *EXCHANGE,
                *FIGHTERS,
                f"linkage.after_safe={{groups = ['fighters'], people = {people}}}",
            ],
        )
        reference = run_des(alone, 1, seed=1, first_rep=rep)
        for name, values in reference.metrics.items():
            np.testing.assert_array_equal(batch.metrics[name][rep], values[0], err_msg=name)


def test_the_narration_says_why_the_fighters_wait():
    scenario, run = both(*FIGHTERS, FIRST_CONVOY)
    text = " ".join(" ".join(narrate(scenario, run.trace)).split())
    assert (
        "300 fighters could board now but must wait: the deal lets the fighters leave only "
        "once the people of Al-Foua's first convoy are safe (0 so far)." in text
    )
    assert (
        "500 of Al-Foua's people are safe: as the deal says, the fighters may board from now "
        "on (600 fighters wait)." in text
    )


@pytest.mark.parametrize(
    ("clause", "key", "words"),
    [
        ("{groups = ['militia'], batch = 1}", "linkage.after_safe.groups", "distinct groups"),
        ("{groups = [], batch = 1}", "linkage.after_safe.groups", "distinct groups"),
        ("{groups = ['fighters']}", "linkage.after_safe.people", "exactly one of"),
        ("{groups = ['fighters'], batch = 1, people = 5}", "linkage.after_safe.people", "one of"),
        ("{groups = ['fighters'], people = 1001}", "linkage.after_safe.people", "at most"),
        ("{groups = ['fighters'], people = 0}", "linkage.after_safe.people", ">= 1"),
        ("{groups = ['fighters'], batch = 3}", "linkage.after_safe.batch", "1 to 2"),
        ("{groups = ['fighters'], batch = 1, when = 2}", "linkage.after_safe.when", "unknown"),
    ],
)
def test_bad_clauses_are_refused_in_one_line(clause, key, words):
    with pytest.raises(sim.ScenarioError) as error:
        sim.load_scenario(DETERMINISTIC, [*EXCHANGE, *FIGHTERS, f"linkage.after_safe={clause}"])
    assert error.value.key == key and words in error.value.message
    assert "\n" not in str(error.value)


def test_the_share_rule_refuses_the_clause():
    share = ["linkage.people=10", "linkage.per_convoy=5", "linkage.trip=1.0", "linkage.max_lag=0.1"]
    with pytest.raises(sim.ScenarioError, match='linkage.after_safe: belongs to rule = "exchange"'):
        sim.load_scenario(DETERMINISTIC, [*share, FIRST_CONVOY])
