"""People are conserved: initial + arrived = evacuated + waiting + aboard + left.

``initial`` and ``arrived`` are read from the scenario file here (each group's ``count``, and
its arrival batches due by the end of the run), not from the engines' own count, so an engine
that loses or invents people at any step fails; the other four are the engines' metrics.
:func:`assert_conserved` is applied to every replication of every scenario file in both
engines by ``test_vector_equivalence.py::test_every_scenario_agrees_over_200_replications``,
and to random scenarios by ``::test_random_scenarios_agree``.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import DETERMINISTIC

import sim
from sim.engines.des import run_des
from sim.engines.vector import run_vector


def expected_arrivals(scenario: sim.Scenario, end: np.ndarray) -> tuple[int, np.ndarray]:
    """People at the pickup at the start, and people of arrival batches due by ``end``
    (hours, per replication: the horizon, or the clearance; events at the end count)."""
    initial = sum(g.count for g in scenario.groups)
    batches = [(t, n) for g in scenario.groups for t, n in g.arrivals]
    arrived = np.array([sum(n for t, n in batches if t <= e) for e in end], dtype=float)
    return initial, arrived


def assert_conserved(scenario: sim.Scenario, result) -> None:
    """initial + arrived = evacuated + waiting + aboard + left, in every replication; the
    linked site evacuates at most the people it sent, and sends at most those it has."""
    m = result.metrics
    cleared = m["clearance_time"]
    end = np.where(np.isnan(cleared), scenario.horizon, cleared)
    initial, arrived = expected_arrivals(scenario, end)
    left = m.get("left", np.zeros_like(m["evacuated"]))
    out = m["evacuated"] + m["waiting_at_end"] + m["aboard_at_end"] + left
    np.testing.assert_array_equal(initial + arrived, out, err_msg="people not conserved")
    np.testing.assert_array_equal(m["arrived"], initial + arrived, err_msg="arrived")
    for name in ("evacuated", "waiting_at_end", "aboard_at_end"):
        assert (m[name] >= 0).all(), name
    assert (left >= 0).all()
    # the linked site's people: safe only once sent, and never more than it has
    linked = m.get("linked_evacuated")
    if scenario.exchange is not None:
        sent = m["linked_departed"]
        assert (linked >= 0).all() and (linked <= sent).all(), "linked: safe before sent"
        assert (sent <= scenario.exchange.people).all(), "linked: more sent than there are"
    elif scenario.linkage is not None:
        assert ((linked >= 0) & (linked <= scenario.linkage.people)).all(), "linked people"


# 2,300 families at the start (cohort 0), 200 more at 2.0 h (cohort 1) and 300 at 6.0 h
# (cohort 2); half of a cohort still waiting 3 h after it reached the pickup gives up. Ten
# buses of 60 form convoys of 600 at 0, 4, 8 and 12 h, first come first served:
#   0 h: 600 of cohort 0 board, 1,700 wait    3 h: 850 of cohort 0 go home, 850 wait
#   4 h: 600 of cohort 0 board; 250 + 200     5 h: 100 of cohort 1 go home, 100 wait
#   8 h: 250 + 100 + 250 of cohort 2 board    9 h: 25 of the 50 left of cohort 2 go home
#  12 h: the last 25 board; cleared when they reach reception.
ARRIVALS = [
    "population.families.arrivals=[{at = 2.0, count = 200}, {at = 6.0, count = 300}]",
    "population.families.leaving={after = 3.0, share = 0.5}",
]


@pytest.mark.parametrize("engine", [run_des, run_vector])
@pytest.mark.parametrize("horizon", [1.0, 2.0, 5.0, 7.5, 9.0, 48.0])
def test_people_are_conserved_with_arrivals_and_people_who_leave(engine, horizon):
    scenario = sim.load_scenario(DETERMINISTIC, [*ARRIVALS, f"horizon={horizon!r}"])
    result = engine(scenario, 2, seed=1)
    assert_conserved(scenario, result)
    m = result.metrics
    assert m["arrived"][0] == 2300 + 200 * (horizon >= 2.0) + 300 * (horizon >= 6.0)
    assert m["left"][0] == 850 * (horizon >= 3.0) + 100 * (horizon >= 5.0) + 25 * (horizon >= 9.0)
    waiting = {1.0: 1700, 2.0: 1900, 5.0: 350, 7.5: 650, 9.0: 25, 48.0: 0}
    assert m["waiting_at_end"][0] == waiting[horizon]
