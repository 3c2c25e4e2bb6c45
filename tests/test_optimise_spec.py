"""Study files: every mistake is one line naming the study file, the key and what is allowed."""

from __future__ import annotations

import pytest
from conftest import DETERMINISTIC

import sim
from sim.cli import main

GOOD = f"""
name = "fleet"
base = "{DETERMINISTIC}"
seed = 1
reps = 2
budget = 20
objectives = [{{ minimise = "clearance_time" }}]

[decisions]
"fleet.buses.count" = {{ low = 4, high = 16 }}
"ceasefire.before_checkpoint" = {{ choices = ["hold", "turn_back"] }}

[uncertainties]
"route.to_reception.value" = {{ dist = "triangular", low = 0.5, mode = 0.75, high = 1.0 }}

[[constraints]]
metric = "first_convoy_people"
above = 600
probability_at_most = 0.05

[certify]
delta = 1.0
"""

# (text replaced, its replacement, the key the error names, words of the message)
MISTAKES = [
    ('name = "fleet"', 'name = "../up"', "name", "letters, digits"),
    ('name = "fleet"', 'nmae = "fleet"', "nmae", "unknown key; allowed:"),
    (f'base = "{DETERMINISTIC}"', 'base = "nowhere.toml"', "base", "no such scenario file"),
    ("budget = 20", "", "budget", "replications for the search"),
    ("budget = 20", "budget = 1", "budget", "whole number >= 2"),
    ("seed = 1", "seed = -1", "seed", "whole number >= 0"),
    ('[{ minimise = "clearance_time" }]', "[]", "objectives", "one objective, or two"),
    ('[{ minimise = "clearance_time" }]', '[{ minimize = "clearance_time" }]',
     "objectives.0", "maximise or minimise"),
    ('[{ minimise = "clearance_time" }]', '[{ minimise = "speed" }]',
     "objectives.0.minimise", "'speed' is not a metric"),
    ("{ low = 4, high = 16 }", "{ low = 16, high = 4 }", "decisions.fleet.buses.count",
     "low must be below high"),
    ("{ low = 4, high = 16 }", "{ low = 4.5, high = 16 }", "decisions.fleet.buses.count",
     "whole numbers"),
    ("{ low = 4, high = 16 }", "{ low = 0, high = 16 }", "decisions.fleet.buses.count",
     "fleet.buses.count=0"),
    ('"fleet.buses.count" = {', '"fleet.busses.count" = {', "decisions.fleet.busses.count",
     "not a numeric batch-engine input"),
    ('{ choices = ["hold", "turn_back"] }', '{ choices = ["hold", "wait"] }',
     "decisions.ceasefire.before_checkpoint", 'before_checkpoint="wait"'),
    ('{ choices = ["hold", "turn_back"] }', '{ choices = ["hold"] }',
     "decisions.ceasefire.before_checkpoint.choices", "at least two"),
    ('dist = "triangular"', 'dist = "normal"', "uncertainties.route.to_reception.value.dist",
     "uniform, loguniform, triangular"),
    ("mode = 0.75", "mode = 2.0", "uncertainties.route.to_reception.value.mode",
     "between low and high"),
    ('"route.to_reception.value"', '"fleet.buses.count"', "uncertainties.fleet.buses.count",
     "decided or uncertain, not both"),
    ("probability_at_most = 0.05", "probability_at_most = 1.5", "constraints.0.probability_at_most",
     "probability"),
    ("above = 600", "mean_at_most = 600", "constraints.0.probability_at_most",
     "belongs to above or below"),
    ("above = 600\nprobability_at_most = 0.05", "mean_at_most = 600", "constraints.0.tolerance",
     "needs a tolerance"),
    ("above = 600", "", "constraints.0", "one of mean_at_most"),
    ("delta = 1.0", "delta = 0", "certify.delta", "above 0"),
    ("delta = 1.0", "delta = 1.0\nalpha = 0.7", "certify.alpha", "between 0 and 0.5"),
    ("delta = 1.0", "delta = 1.0\nobjective = 1", "certify.objective", "0"),
    ("delta = 1.0", "delta = 1.0\nfirst_stage = 1", "certify.first_stage", ">= 2"),
    ("delta = 1.0", 'delta = 1.0\n[search]\nsampler = "cmaes"', "search.sampler",
     "tpe, nsga2, random"),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "key", "words"), MISTAKES)
def test_a_mistake_names_the_file_and_the_key(tmp_path, old, new, key, words):
    assert old in GOOD
    path = tmp_path / "study.toml"
    path.write_text(GOOD.replace(old, new, 1))
    with pytest.raises(sim.ScenarioError) as caught:
        sim.load_study(path)
    error = caught.value
    assert error.source == str(path)
    assert error.key == key
    assert words in error.message
    assert "\n" not in str(error)


def test_the_good_study_loads(tmp_path):
    path = tmp_path / "study.toml"
    path.write_text(GOOD)
    spec = sim.load_study(path, budget=40, seed=7)
    assert (spec.trials, spec.seed, spec.reps) == (20, 7, 2)
    kinds = [d.kind for d in spec.decisions]
    assert kinds == ["integer", "choice"] and [d.batch for d in spec.decisions] == [True, False]
    (c,) = spec.constraints
    assert (c.kind, c.bound, c.tolerance) == ("chance", 0.05, 0.01)  # the default tolerance
    assert spec.certify.first_stage == 20 and spec.certify.shortlist == 5


def test_the_cli_prints_one_line_and_exits_2(tmp_path, capsys):
    path = tmp_path / "study.toml"
    path.write_text(GOOD.replace("delta = 1.0", "delta = -1"))
    assert main(["optimise", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"evacsim: error: {path}: certify.delta: must be a number above 0")
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.search").exists()
    assert main(["optimise", str(tmp_path / "none.toml")]) == 2
    assert "no such study file" in capsys.readouterr().err


def test_validate_checks_a_study_file(tmp_path, capsys):
    path = tmp_path / "study.toml"
    path.write_text(GOOD)
    assert main(["validate", str(path)]) == 0
    assert capsys.readouterr().out == (
        f"{path}: ok (study: 2 decisions, 1 uncertainty, 1 constraint, 10 trials of 2 "
        "replications)\n"
    )
    path.write_text(GOOD.replace("delta = 1.0", "delta = 0"))
    assert main(["validate", str(path)]) == 2
    assert "certify.delta" in capsys.readouterr().err
