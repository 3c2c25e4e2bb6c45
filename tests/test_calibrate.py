"""Calibration: the targets file and its errors, reproducibility, parameter recovery, CLI."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from conftest import BASELINE, CROWDING_PRIOR, FIRST_CONVOY_TARGET, SCENARIOS, evacsim

from sim.errors import ScenarioError
from sim.studies.calibration import calibrate, load_targets
from sim.studies.calibration.abc import distances, prior_draws
from sim.studies.calibration.recovery import covered, synthetic_targets
from sim.studies.calibration.report import posterior_csv
from sim.studies.calibration.summary import fitted, thin_posterior

ALEPPO_TARGETS = SCENARIOS / "calibration" / "aleppo_2016_targets.toml"

#: A small targets file on the baseline: two free parameters, three targets.
SMALL = f"""
scenario = "{BASELINE}"
seed = 7
draws = 1024
accept = 0.05
refine_reps = 8

[targets.evacuated_by_halt]
value = 9000
sigma = 500
low = 8000
high = 9500
at = 2016-12-16T11:00:00
source = "test"
sensitivity = [8000]
{FIRST_CONVOY_TARGET}
[targets.first_departure]
value = 2016-12-15T14:30:00
sigma = 0.5
at = 2016-12-15T14:30:00
source = "test"
{CROWDING_PRIOR}
[parameters."fleet.buses.count"]
prior = "uniform"
low = 20
high = 60
source = "test"
"""


def test_aleppo_targets_file_reads():
    targets = load_targets(ALEPPO_TARGETS)
    metrics = {t.metric for t in targets.targets}
    # the reports count convoys and people that left: so do the targets
    assert {"departed_by_halt", "convoys_departed_by_halt"} <= metrics
    assert "evacuated_patients_by_fri_0700" in metrics
    assert {"evacuated_by_two_convoys", "first_convoy_people", "first_departure"} <= metrics
    departure = next(t for t in targets.targets if t.metric == "first_departure")
    assert departure.value == 9.5  # Thu 14:30 is 9.5 hours after the 05:00 start
    halt = next(t for t in targets.targets if t.metric == "departed_by_halt")
    assert halt.sensitivity == (8000, 9500)
    assert targets.draws >= 100_000


def test_date_times_become_hours(targets_file):
    targets = load_targets(targets_file(SMALL))
    departure = targets.targets[2]
    assert (departure.value, departure.low, departure.high, departure.at) == (9.5, 9.5, 9.5, 9.5)


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("refine_reps = 8", "refine_reps = 8\nsamples = 3", "samples"),
        (
            "[targets.first_convoy_people]",
            "[targets.first_convoy_persons]",
            "targets.first_convoy_persons",
        ),
        (
            '[parameters."fleet.buses.count"]',
            '[parameters."fleet.buses.cnt"]',
            "parameters.fleet.buses.cnt",
        ),
        (
            'prior = "uniform"\nlow = 20',
            'prior = "normal"\nlow = 20',
            "parameters.fleet.buses.count.prior",
        ),
        ("low = 20\nhigh = 60", "low = 60\nhigh = 20", "parameters.fleet.buses.count.high"),
        ("low = 20\nhigh = 60", "low = 20.5\nhigh = 60", "parameters.fleet.buses.count.low"),
        ("sigma = 100", "sigma = 0", "targets.first_convoy_people.sigma"),
        ("sigma = 100", "sigma = 100\nweight = 2", "targets.first_convoy_people.weight"),
        ("low = 8000", "low = 9200", "targets.evacuated_by_halt.low"),
        (
            'at = 2016-12-15T14:30:00\nsource = "test"\n\n[targets.first_departure]',
            'source = "test"\n\n[targets.first_departure]',
            "targets.first_convoy_people.at",
        ),
        ("accept = 0.05", "accept = 1.5", "accept"),
        ("draws = 1024", "draws = 10.5", "draws"),
        ("sensitivity = [8000]", 'sensitivity = ["8000"]', "targets.evacuated_by_halt.sensitivity"),
    ],
)
def test_mistakes_name_the_file_and_key(targets_file, old, new, key):
    assert old in SMALL
    path = targets_file(SMALL.replace(old, new, 1))
    with pytest.raises(ScenarioError) as caught:
        load_targets(path)
    assert (caught.value.source, caught.value.key) == (str(path), key)


def test_cli_mistake_is_one_line_and_writes_nothing(tmp_path, targets_file):
    path = targets_file(SMALL.replace("[targets.first_convoy_people]", "[targets.nonsense]"))
    out = tmp_path / "out"
    done = evacsim("calibrate", str(path), "--draws", "64", "--out", str(out))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"evacsim: error: {path}: targets.nonsense: not a metric of aleppo_2016; "
        "see results/README.md"
    ]
    assert not out.exists()


def test_missing_scenario_names_the_targets_file(targets_file):
    path = targets_file(SMALL.replace(str(BASELINE), "nowhere.toml"))
    with pytest.raises(ScenarioError, match="nowhere.toml"):
        load_targets(path)


def test_priors_cover_their_ranges(targets_file):
    targets = load_targets(targets_file(SMALL))
    values = prior_draws(targets, 1000, seed=1)
    assert values.shape == (1024, 2)  # rounded up to a power of two
    crowding, buses = values.T
    assert crowding.min() >= 1.0 and crowding.max() < 2.5
    counts = np.bincount(buses.astype(int))[20:]
    assert len(counts) == 41 and counts.min() >= 24  # every whole number 20..60, evenly


def test_undefined_metrics_are_infinitely_far(targets_file):
    targets = load_targets(targets_file(SMALL))
    d = distances(targets, np.array([[9000.0, 951.0, 9.5], [9500.0, 951.0, math.nan]]))
    assert d[0] == 0 and d[1] == math.inf


def test_same_inputs_same_posterior_bytes(targets_file):
    targets = load_targets(targets_file(SMALL))
    first = calibrate(targets, draws=256, refine=False, workers=1)
    again = calibrate(targets, draws=256, refine=False, workers=1)
    assert posterior_csv(first) == posterior_csv(again)
    assert len(first.fit.accepted) == round(0.05 * 256)
    other = calibrate(targets, draws=256, seed=8, refine=False, workers=1)
    assert posterior_csv(other) != posterior_csv(first)


def test_sensitivity_refits_the_same_draws(targets_file):
    targets = load_targets(targets_file(SMALL))
    c = calibrate(targets, draws=256, refine=False, workers=1)
    (refit,) = c.sensitivity
    assert (refit.metric, refit.value) == ("evacuated_by_halt", 8000)
    low = c.simulated[refit.accepted, 0].mean()
    assert low < c.simulated[c.fit.accepted, 0].mean()  # a lower total keeps lower draws


def test_unrefined_the_best_fit_is_the_posterior_median_reported(targets_file):
    """Without refinement the best fit is the posterior median that the report gives (one
    percentile rule: a draw's own value); with an even number of draws kept, numpy's
    default would give the mean of the middle two instead."""
    text = SMALL.replace("accept = 0.05", "accept = 0.046875")  # 12 of 256 draws kept
    c = calibrate(load_targets(targets_file(text)), draws=256, refine=False, workers=1)
    assert len(c.fit.accepted) % 2 == 0
    rows = fitted(c)
    for row in rows:
        stated = round(row.median) if row.prior.integer else float(f"{row.median:.3g}")
        assert row.best == stated, row.prior.path
    crowding = c.posterior[:, 0]
    assert rows[0].best != float(f"{np.median(crowding):.3g}")  # interpolated, it differs


def test_known_parameters_are_recovered(targets_file):
    truth = {"fleet.buses.crowding": 1.6, "fleet.buses.count": 40.0}
    targets = synthetic_targets(load_targets(targets_file(SMALL)), truth, reps=100, seed=99)
    calibration = calibrate(targets, draws=2048, refine=False, workers=1)
    assert covered(calibration, truth) == dict.fromkeys(truth, True)
    post = calibration.posterior
    assert np.ptp(np.percentile(post[:, 0], [5, 95])) < 0.5 * 1.5  # it learnt the bus load


def test_a_posterior_of_few_draws_says_so_and_what_to_do(targets_file):
    targets = load_targets(targets_file(SMALL))
    few = calibrate(targets, draws=128, refine=False, workers=1)  # 5%: 6 accepted
    assert thin_posterior(few) == (
        "the posterior rests on 6 accepted draws of 128, too few for its medians and 90% "
        "intervals (fewer than 20): ask for at least 400 draws, or accept a larger share of "
        f"them (accept = 0.05 in {targets.path})"
    )
    assert thin_posterior(calibrate(targets, draws=512, refine=False, workers=1)) is None  # 26


def test_cli_writes_the_calibration_folder(tmp_path, targets_file):
    out = tmp_path / "cal"
    args = ("--draws", "128", "--seed", "5", "--out", str(out))
    done = evacsim("calibrate", str(targets_file(SMALL)), *args)
    assert done.returncode == 0, done.stderr
    assert "first_convoy_people" in done.stdout
    files = {p.name for p in out.iterdir()}
    assert {"report.md", "posterior.csv", "predictive.csv", "sensitivity.csv"} <= files
    assert {"posterior_marginals.png", "posterior_pairs.png", "predictive_check.png"} <= files
    assert "evacuated.png" in files
    report = (out / "report.md").read_text()
    assert "## Sensitivity to disputed figures" in report
    thin = "the posterior rests on 6 accepted draws of 128, too few"  # 5% of 128
    assert f"evacsim: warning: {thin}" in done.stderr.splitlines()[-1]
    assert f"**Too few accepted draws:** {thin}" in report
    assert "evacuated_by_halt = 8000" in report
    rows = (out / "posterior.csv").read_text().splitlines()
    assert len(rows) == 1 + round(0.05 * 128)
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["seed"], manifest["draws"]) == (5, 128)
    assert set(manifest["best_fit"]) == {"fleet.buses.crowding", "fleet.buses.count"}
