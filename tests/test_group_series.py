"""The hourly series a planner reads when people come and go: evacuated by group, people
who left the queue and people past the checkpoint, worked by hand, equal in both engines,
and their figures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import BASELINE, DETERMINISTIC

import sim
from sim.engines.des import run_des
from sim.engines.vector import run_vector
from sim.outputs.records import series_types
from sim.views.plots import write_figures

#: The workshop's deterministic case (10 buses of 60, a convoy every 4 h reaching reception
#: 2 h after it forms) with 200 fighters boarding after the families, half of the families
#: still waiting at 3 h giving up, and a one-lane crossing that never queues (one convoy on
#: the road at a time).
LEAVING = [
    "population.families.leaving={after = 3.0, share = 0.5}",
    "population.fighters={count = 200, priority = 2, vehicles = ['buses']}",
    "crossing={lanes = 1}",
]


@pytest.fixture(scope="module")
def leaving() -> sim.Scenario:
    return sim.load_scenario(DETERMINISTIC, LEAVING)


@pytest.mark.parametrize("engine", [run_des, run_vector], ids=["des", "vector"])
def test_by_hand(leaving, engine):
    # convoy 1 forms at 0 and reaches reception at 2 (600 families); at 3, 1,700 families
    # wait and 850 go home; convoy 2 forms at 4, arrives at 6 (600); convoy 3 takes the last
    # 250 families and the 200 fighters at 8 and arrives at 10, when the enclave is clear
    result = engine(leaving, 2, seed=1)
    hours = np.arange(25)
    families = np.select([hours >= 10, hours >= 6, hours >= 2], [1450, 1200, 600], 0)
    fighters = np.where(hours >= 10, 200, 0)
    left = np.where(hours >= 3, 850, 0)
    for r in range(2):
        np.testing.assert_array_equal(result.series["evacuated_families"][r], families)
        np.testing.assert_array_equal(result.series["evacuated_fighters"][r], fighters)
        np.testing.assert_array_equal(result.series["left"][r], left)
    np.testing.assert_array_equal(result.metrics["left"], [850, 850])


@pytest.mark.parametrize("engine", [run_des, run_vector], ids=["des", "vector"])
def test_people_past_the_checkpoint_each_hour(engine):
    # The deterministic case with a one-lane crossing and 1.5 h from the checkpoint to
    # reception: a rotation is 0.5 + 0.5 + 0.25 + 1.5 + 0.25 + 1.75 = 4.75 h. Convoys of 600,
    # 600, 600 and 500 form at 0, 4.75, 9.5 and 14.25 h, pass the checkpoint 1.25 h later
    # (1.25, 6.0, 10.75, 15.5) and reach reception 2.75 h later (2.75, 7.5, 12.25, 17.0).
    scenario = sim.load_scenario(DETERMINISTIC, ["crossing={lanes = 1}", "route.to_reception=1.5"])
    result = engine(scenario, 2, seed=1)
    hours = np.arange(25)
    crossed = np.select([hours >= 16, hours >= 11, hours >= 6, hours >= 2], [2300, 1800, 1200, 600])
    evacuated = np.select(
        [hours >= 17, hours >= 13, hours >= 8, hours >= 3], [2300, 1800, 1200, 600]
    )
    for r in range(2):
        np.testing.assert_array_equal(result.series["people_crossed"][r], crossed)
        np.testing.assert_array_equal(result.series["evacuated"][r], evacuated)
    np.testing.assert_array_equal(result.metrics["people_crossed"], [2300, 2300])


def test_people_crossed_is_a_series_with_a_crossing_or_private_vehicles_only():
    assert "people_crossed" not in series_types(sim.load_scenario(DETERMINISTIC))
    crossing = sim.load_scenario(DETERMINISTIC, ["crossing={lanes = 1}"])
    assert list(series_types(crossing))[3:] == ["people_crossed", "crossed_buses", "crossing_queue"]
    full = sim.load_scenario(Path(BASELINE).with_name("aleppo_2016_full.toml"))
    assert "people_crossed" in series_types(full)


def test_groups_add_up_and_left_ends_at_the_metric():
    scenario = sim.load_scenario(Path(BASELINE).with_name("aleppo_2016_full.toml"))
    result = run_vector(scenario, 4, seed=3)
    total = sum(result.series[f"evacuated_{g.name}"] for g in scenario.groups)
    np.testing.assert_array_equal(total, result.series["evacuated"])
    np.testing.assert_array_equal(result.series["left"][:, -1], result.metrics["left"])
    assert (np.diff(result.series["left"], axis=1) >= 0).all()


def test_only_a_population_that_comes_and_goes_has_them():
    # the first-phase baseline's million-replication runs keep their three series
    assert list(series_types(sim.load_scenario(BASELINE))) == ["evacuated", "waiting", "suspended"]


def test_figures_of_the_crossing_and_the_groups(leaving, tmp_path):
    result = run_des(leaving, 2, seed=1)
    names = [p.name for p in write_figures(leaving, result, tmp_path)]
    assert names[-2:] == ["crossing.png", "groups.png"]
    again = write_figures(leaving, result, tmp_path / "again")
    assert [p.read_bytes() for p in again][-2:] == [(tmp_path / n).read_bytes() for n in names[-2:]]
