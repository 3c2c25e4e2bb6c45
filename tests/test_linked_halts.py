"""The linked site's random halts (``linkage.halt_rate``, ``linkage.halt_duration``).

On the exchange of ``test_exchange.py`` (the deterministic scenario; linked convoys 3 h to
the meeting point, 1 h on to safety, 4 h back; 1,000 people in two convoys), without halts
the linked site sends at 0.0 and 8.0 h and this side's second convoy waits at the bridge
from 7.0 to 11.0 h. The rate below is chosen from the first gap's variate so that the first
random halt starts at 7.0 h; lasting 6 h, it holds the second linked convoy until 13.0 h.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import BASELINE, DETERMINISTIC
from test_exchange import EXCHANGE, both, times
from test_vector_equivalence import assert_same

import sim
from sim.engines.des import run_des
from sim.engines.vector import run_vector
from sim.model.linked_halts import random_halts
from sim.model.variates import Variates
from sim.outputs.records import RANDOM_HALT, WAITED_AT_BRIDGE
from sim.views.narrate import narrate


def first_gap(seed: int = 1, rep: int = 0) -> float:
    """The first random halt's gap, in units of 1 / halt_rate (a unit exponential)."""
    return -math.log1p(-float(Variates(seed).block("exchange_halt", rep, 0, 1)[0]))


def test_a_random_halt_holds_the_linked_site_as_a_scripted_one():
    rate = first_gap() / 7.0  # the first halt starts at 0 + gap / rate = 7.0 h
    _, run = both(f"linkage.halt_rate={rate!r}", "linkage.halt_duration=6.0")
    halted = [(e.time, e.note) for e in run.trace if e.event == "linked_halted"]
    assert halted[0][1] == RANDOM_HALT and halted[0][0] == pytest.approx(7.0)
    assert times(run, "linked_resumes")[0] == pytest.approx(13.0)
    departs = times(run, "linked_departs")
    assert departs[0] == 0.0 and departs[1] == pytest.approx(13.0)  # 8.0 h without it
    crossed = times(run, "passes_checkpoint", WAITED_AT_BRIDGE)
    assert crossed[0] == 3.0 and crossed[1] == pytest.approx(16.0)  # 11.0 h without it
    assert run.metrics["bridge_wait_hours"][0] == pytest.approx(1.75 + 9.0)


def test_the_schedule_is_a_renewal_process_from_the_deal_start():
    """Gaps of unit exponentials over the rate, each from the end of the halt before; a
    rate of 0 gives none; halts starting after the horizon are left out."""
    u = {"exchange_halt": [0.5, 0.25, 0.9], "exchange_halt_duration": [0.1, 0.2, 0.3]}
    halts = random_halts(lambda s, k: u[s][k], 0.5, lambda x: 10 * x, 2.0, 11.0)
    g0, g1 = -math.log1p(-0.5) / 0.5, -math.log1p(-0.25) / 0.5
    assert halts[0] == (pytest.approx(2.0 + g0), pytest.approx(2.0 + g0 + 1.0))
    assert halts[1][0] == pytest.approx(2.0 + g0 + 1.0 + g1)
    assert len(halts) == 2  # the third would start at 11.6 h, after the horizon
    assert random_halts(lambda s, k: u[s][k], 0.0, lambda x: x, 2.0, 12.0) == []
    rates = np.array([0.5, 0.0])  # one per replication
    both_ = random_halts(lambda s, k: np.full(2, u[s][k]), rates, lambda x: 10 * x, 2.0, 11.0)
    assert both_[0][0][0] == pytest.approx(2.0 + g0) and both_[0][0][1] == np.inf


def test_no_rate_no_random_halt():
    _, without = both()
    _, zero = both("linkage.halt_rate=0.0", "linkage.halt_duration=6.0")
    assert zero.trace == without.trace


def test_the_rate_and_duration_are_parameters_per_replication():
    base = sim.load_scenario(
        DETERMINISTIC, [*EXCHANGE, "linkage.halt_rate=0.0", "linkage.halt_duration=6.0"]
    )
    rate = first_gap(rep=1) / 7.0
    run = run_vector(
        base,
        2,
        seed=1,
        parameters={
            "linkage.halt_rate": np.array([0.0, rate]),
            "linkage.halt_duration.value": np.array([6.0, 6.0]),
        },
        traced=[0, 1],
    )
    departs = {r: [e.time for e in run.trace if e.rep == r and e.event == "linked_departs"]
               for r in (0, 1)}  # fmt: skip
    assert departs[0] == [0.0, 8.0] and departs[1][1] == pytest.approx(13.0)
    alone = sim.load_scenario(
        DETERMINISTIC, [*EXCHANGE, f"linkage.halt_rate={rate!r}", "linkage.halt_duration=6.0"]
    )
    reference = run_des(alone, 1, seed=1, first_rep=1)
    for name, values in reference.metrics.items():
        np.testing.assert_array_equal(run.metrics[name][1], values[0], err_msg=name)


@pytest.mark.parametrize(
    ("overrides", "key", "words"),
    [
        (["linkage.halt_rate=0.1"], "linkage.halt_duration", "missing"),
        (["linkage.halt_rate=-1.0", "linkage.halt_duration=1.0"], "linkage.halt_rate", ">= 0"),
        (
            ["linkage.halt_rate=3000.0", "linkage.halt_duration=0.0", "horizon=10.0"],
            "linkage.halt_rate",
            "halts of the linked site",
        ),
    ],
)
def test_bad_random_halts_are_refused_in_one_line(overrides, key, words):
    with pytest.raises(sim.ScenarioError) as error:
        sim.load_scenario(DETERMINISTIC, [*EXCHANGE, *overrides])
    assert error.value.key == key and words in error.value.message
    assert "\n" not in str(error.value)


def test_the_narration_tells_a_random_halt():
    rate = first_gap() / 7.0
    scenario, run = both(f"linkage.halt_rate={rate!r}", "linkage.halt_duration=6.0")
    text = " ".join(" ".join(narrate(scenario, run.trace)).split())
    assert "Al-Foua halts (a halt of its own, at random): no convoy leaves it." in text


def test_both_engines_decide_when_a_halt_starts():
    """Found by a 400-example search: the batch engine's calendar kicks the dispatcher at
    every entry, a halt's start too; the reference engine decided only at its end, so a
    convoy forming later told a different reason to wait (``another convoy boarding``)."""
    overrides = [
        "route.to_checkpoint=2.190385267720656",
        "route.inspection=0.0",
        "route.to_reception=0.0",
        "route.return_trip=0.0",
        "fleet.ambulances.load_time=0.0",
        "fleet.ambulances.unload_time=0.0",
        "fleet.ambulances.loading_place='bay'",
        "linkage.rule='exchange'",
        "linkage.people=230",
        "linkage.start=0.5",
        "linkage.vehicles=1",
        "linkage.convoy_size=1",
        "linkage.load=1",
        "linkage.to_meeting=0.0",
        "linkage.from_meeting=0.0",
        "linkage.return_trip=0.0",
        "linkage.halt_rate=0.3098484052823301",
        "linkage.halt_duration=1.3548164016925677",
    ]
    scenario = sim.load_scenario(BASELINE, overrides)
    assert_same(scenario, run_des(scenario, 4, seed=15), run_vector(scenario, 4, seed=15))


def test_a_vanishing_rate_gives_no_halt():
    """A rate so small that the first gap overflows: no halt, and no warning."""
    u = {"exchange_halt": [0.5], "exchange_halt_duration": [0.5]}
    assert random_halts(lambda s, k: u[s][k], 2.2e-309, lambda x: x, 0.0, 10.0) == []
