"""What the summaries say: whole percentiles for counts (tests/test_percentiles.py: the one
rule for every metric), clock times to the nearest minute, and a mean over part of the
replications that says so (issue 10, items 12 and 13)."""

from __future__ import annotations

import math

import numpy as np
from conftest import BASELINE, DETERMINISTIC

import sim
from sim.outputs.metrics import summarise
from sim.views.tables import run_table


def test_percentiles_of_counts_are_counts():
    convoys = np.array([8] * 5 + [9] * 10 + [10] * 4 + [11])  # 20 replications
    counted = summarise("convoys", convoys)
    assert (counted.p5, counted.median, counted.p95) == (8, 9, 10)


def test_a_runs_summary_treats_its_counts_as_counts():
    result = sim.run(sim.load_scenario(BASELINE), reps=40, seed=3)
    by_name = result.summaries
    for name in ("convoys", "convoys_departed_by_halt", "evacuated_by_halt", "peak_queue"):
        x = by_name[name]
        assert all(float(v).is_integer() for v in (x.p5, x.median, x.p95)), name


def test_clock_times_are_rounded_to_the_minute():
    scenario = sim.load_scenario(BASELINE)  # starts Thu 05:00
    assert scenario.shown(15.398).strftime("%a %H:%M") == "Thu 20:24"  # 20:23:53
    assert scenario.shown(15.39).strftime("%H:%M") == "20:23"  # 20:23:24


def test_a_mean_over_some_replications_says_how_many():
    # breaches and long negotiations: some replications clear within 16 h, others not
    scenario = sim.load_scenario(
        DETERMINISTIC,
        [
            "horizon=16.0",
            "ceasefire.breach_rate=0.2",
            "ceasefire.negotiation=2.0",
            "ceasefire.guarantee=1.0",
        ],
    )
    result = sim.run(scenario, reps=30, seed=2)
    cleared = int((~np.isnan(result.metrics["clearance_time"])).sum())
    assert 0 < cleared < 30
    line = next(row for row in run_table(result).splitlines() if row.startswith("clearance_time"))
    assert line.endswith(f"{cleared} of 30 cleared")
    full = next(row for row in run_table(result).splitlines() if row.startswith("evacuated "))
    assert "of 30" not in full
    assert not math.isnan(result.metrics["evacuated"].mean())
