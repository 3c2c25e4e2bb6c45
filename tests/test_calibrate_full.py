"""Calibration of the whole operation: targets that sum metrics, the whole-operation targets
file, and the posterior predictive curve at the clock-time milestones (issue 11, item 4)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from conftest import BASELINE, CROWDING_PRIOR, FIRST_CONVOY_TARGET, SCENARIOS

from sim.errors import ScenarioError
from sim.outputs.metrics import percentiles
from sim.studies.calibration import calibrate, load_targets
from sim.studies.calibration.conflicts import conflicts
from sim.studies.calibration.report import report_md
from sim.studies.calibration.summary import milestone_bands, predictive_checks

FULL_TARGETS = SCENARIOS / "calibration" / "aleppo_2016_full_targets.toml"

#: The baseline with one target that is a sum: the able-bodied (families and fighters).
SUMMED = f"""
scenario = "{BASELINE}"
seed = 3
draws = 64
accept = 0.25
refine_reps = 2

[targets.evacuated_able]
sum = ["evacuated_families", "evacuated_fighters"]
value = 8500
sigma = 500
at = 2016-12-16T11:00:00
source = "test"
{FIRST_CONVOY_TARGET}{CROWDING_PRIOR}"""


def test_whole_operation_targets_file_reads():
    targets = load_targets(FULL_TARGETS)
    by_name = {t.metric: t for t in targets.targets}
    assert {"evacuated", "served_buses", "evacuated_patients", "last_departure"} <= set(by_name)
    # OCHA's 308 buses are read as distinct buses (the fleet's batches), not passages
    assert "crossed_buses" not in by_name
    assert by_name["served_buses"].value == 308
    # the Monday batch is free: the 308 tie it
    assert "fleet.buses.changes.3.enter" in {p.path for p in targets.priors}
    # the scenario reads OCHA's 61 ambulances as distinct vehicles, its input, not a target
    assert "crossed_ambulances" not in by_name
    assert by_name["crossed_private"].parts == ("crossed_wednesday", "crossed_thursday")
    assert by_name["stranded"].parts == ("waiting_at_end", "aboard_at_end")
    # Al-Foua/Kefraya as of 23 Dec (OCHA Sitrep 10), and the exchange's people are free
    assert by_name["linked_evacuated"].value == 1312
    assert "linkage.people" in {p.path for p in targets.priors}
    # Thu 22 Dec 20:25 is 7 days, 15 h 25 min after the 05:00 start on Thu 15 Dec
    assert by_name["last_departure"].value == pytest.approx(7 * 24 + 15 + 25 / 60)
    # no later-phase cumulative figure is fitted: FACTS.md leaves them out on purpose
    # the first phase counts departures, as the reports do (and aleppo_2016_targets.toml)
    assert {"departed_by_halt", "convoys_departed_by_halt"} <= set(by_name)
    assert not {"evacuated_by_halt", "convoys_by_halt"} & set(by_name)
    halt = by_name["departed_by_halt"].at  # Fri 16 Dec 11:00
    assert all(t.at <= halt for m, t in by_name.items() if m.startswith("evacuated_by_"))


def test_a_summed_target_is_the_sum_of_its_metrics():
    targets = load_targets(FULL_TARGETS)
    private = next(t for t in targets.targets if t.metric == "crossed_private")
    metrics = {"crossed_wednesday": np.array([620.0, 500.0]), "crossed_thursday": np.array([1, 2])}
    assert private.simulated(metrics).tolist() == [621.0, 502.0]
    buses = next(t for t in targets.targets if t.metric == "served_buses")
    assert buses.simulated({"served_buses": np.array([7.0])}).tolist() == [7.0]


def test_calibration_compares_the_sum(targets_file):
    c = calibrate(load_targets(targets_file(SUMMED)), refine=False, workers=1)
    kept = c.series.metrics
    able = kept["evacuated_families"] + kept["evacuated_fighters"]
    assert c.simulated[c.fit.accepted, 0].tolist() == able.tolist()
    check = predictive_checks(c)[0]
    assert check.metric == "evacuated_able"
    assert check.unit == "people"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('"evacuated_fighters"]', '"evacuated_nobody"]', "'evacuated_nobody' is not a metric"),
        ('sum = ["evacuated_families", "evacuated_fighters"]', 'sum = ["evacuated"]', "two"),
        ('"evacuated_fighters"]', '"evacuated_families"]', "twice"),
        ("[targets.evacuated_able]", "[targets.evacuated]", "a metric already"),
    ],
)
def test_sum_mistakes_name_the_file_and_key(targets_file, old, new, message):
    assert old in SUMMED
    path = targets_file(SUMMED.replace(old, new, 1))
    with pytest.raises(ScenarioError) as caught:
        load_targets(path)
    assert caught.value.source == str(path)
    assert caught.value.key.endswith(".sum")
    assert message in str(caught.value)


def test_posterior_predictive_curve_at_the_clock_time_milestones(tmp_path, targets_file):
    c = calibrate(load_targets(targets_file(SUMMED)), refine=False, workers=1)
    bands = milestone_bands(c)
    # the baseline's milestones with a clock time, in time order; two_convoys has none
    assert [b.name for b in bands] == ["fri_0700", "halt"]
    for b in bands:
        kept = c.series.metrics[f"evacuated_by_{b.name}"]
        assert b.posterior == tuple(percentiles(kept, [5, 50, 95]))
        assert b.posterior_mean == kept.mean()
        assert b.best[0] <= b.best[1] <= b.best[2]
    assert bands[0].posterior[1] <= bands[1].posterior[1]  # cumulative
    report = report_md(c, tmp_path / "cal")
    assert "## Posterior predictive: people evacuated by each milestone" in report
    assert "| `halt` | Fri 16 Dec 11:00 |" in report


def test_a_target_left_out_is_what_the_others_predict():
    # two figures the model can only give together (a = b in every draw): 0 and 10, sigma 1.
    # The fit keeps the closest draw, (5, 5). Without `a`, the closest is (10, 10): the other
    # figure predicts a = 10, not 0 (a conflict), and b's squared z falls from 25 to 0.
    fit = SimpleNamespace(accepted=np.array([1]))
    record = SimpleNamespace(
        targets=SimpleNamespace(
            targets=[
                SimpleNamespace(metric=m, value=v, sigma=1.0) for m, v in (("a", 0), ("b", 10))
            ]
        ),
        simulated=np.array([[0.0, 0.0], [5.0, 5.0], [10.0, 10.0], [2.0, 2.0]]),
        fit=fit,
    )
    a, b = conflicts(record)
    assert a.metric == "a" and a.predicted == (10.0, 10.0, 10.0) and not a.agrees
    assert (a.others_with, a.others_without) == (25.0, 0.0)
    assert (a.eased, a.eased_from, a.eased_to) == ("b", 25.0, 0.0)
    assert b.predicted == (0.0, 0.0, 0.0) and not b.agrees and b.eased == "a"


def test_the_report_says_which_targets_conflict(tmp_path, targets_file):
    c = calibrate(load_targets(targets_file(SUMMED)), refine=False, workers=1)
    rows = conflicts(c)
    assert [r.metric for r in rows] == ["evacuated_able", "first_convoy_people"]
    # without the first convoy's figure, the draws kept are the closest to the able total
    d = np.abs(c.simulated[:, 0] - 8500) / 500
    kept = np.argsort(d, kind="stable")[: len(c.fit.accepted)]
    assert rows[1].predicted[1] == percentiles(c.simulated[kept, 1], 50)
    report = report_md(c, tmp_path / "cal")
    assert "## Which targets conflict" in report
    assert "| `first_convoy_people` | 951 |" in report


def test_priors_of_the_new_mechanisms():
    targets = load_targets(FULL_TARGETS)
    priors = {p.path: p for p in targets.priors}
    total = priors["population.civilians.arrivals.0.total"]  # people: whole numbers
    assert total.integer
    assert total.transform(np.array([0.0, 0.5, 0.999999])).tolist() == [5000, 13000, 21000]
    assert priors["private.thursday.columns.0.vehicles"].integer
    # the refit's structure: Monday's convoy size, corridor and fleet batch are whole numbers
    for key in ("periods.3.per_convoy.buses", "periods.3.max_in_corridor"):
        assert priors[key].integer
    batch = priors["fleet.buses.changes.3.enter"]
    assert batch.integer and batch.transform(np.array([0.0, 0.999999])).tolist() == [1, 250]
    share = priors["population.civilians.leaving.share"]  # a share: any value in 0..1
    assert not share.integer and share.transform(np.array([0.25])).tolist() == [0.25]
    rate = priors["periods.1.crossing.vehicles_per_hour"]  # loguniform 1.5..24: 6 at the middle
    assert rate.transform(np.array([0.5]))[0] == pytest.approx(6.0)


def test_a_prior_on_an_entry_the_scenario_lacks_is_refused(tmp_path):
    text = FULL_TARGETS.read_text().replace(
        '[parameters."periods.5.inspection_factor"]', '[parameters."periods.5.headway"]'
    )
    path = tmp_path / "targets.toml"
    path.write_text(
        text.replace(
            'scenario = "../aleppo_2016_full.toml"',
            f'scenario = "{SCENARIOS / "aleppo_2016_full.toml"}"',
        )
    )
    with pytest.raises(ScenarioError) as caught:
        load_targets(path)
    assert caught.value.key == "parameters.periods.5.headway"
    assert "not a numeric scenario input" in str(caught.value)
