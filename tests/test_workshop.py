"""The workshop kit: its scenarios validate and run, its commands are real, its answers are
what the code gives."""

from __future__ import annotations

import importlib.util
import re
import shlex
import sys

import pytest
from conftest import ROOT, SCENARIOS, evacsim

import sim
from sim.cli import _parser
from sim.views.narrate import narrate

WORKSHOP = sorted((SCENARIOS / "workshop").glob("*.toml"))
GUIDE = ROOT / "docs" / "workshop.md"
ANSWERS = ROOT / "docs" / "workshop-answers.md"


def commands(page: str) -> list[str]:
    """The ``evacsim`` command lines of a page's shell blocks."""
    blocks = re.findall(r"```sh\n(.*?)```", page, re.S)
    return [line for block in blocks for line in block.splitlines() if "bin/evacsim " in line]


def test_every_workshop_scenario_validates():
    done = evacsim("validate", *map(str, WORKSHOP))
    assert done.returncode == 0, done.stderr
    assert done.stdout.count(": ok (") == len(WORKSHOP) >= 4


@pytest.mark.parametrize("path", WORKSHOP, ids=lambda p: p.stem)
def test_every_workshop_scenario_runs(path):
    scenario = sim.load_scenario(path)
    result = sim.run(scenario, reps=5, seed=1, trace=[0])
    m = result.metrics
    assert (m["arrived"] == m["evacuated"] + m["waiting_at_end"] + m["aboard_at_end"]).all()
    assert (m["convoys"] >= 1).all()
    heading = narrate(scenario, result.replications.trace, rep=0)[0]
    assert heading.endswith("2016")  # the first day's heading


def test_the_guide_commands_parse_and_name_real_files():
    lines = commands(GUIDE.read_text())
    assert len(lines) >= 15
    for line in lines:
        words = shlex.split(line)
        assert words[0] == ".venv/bin/evacsim", line
        args = _parser().parse_args(words[1:])
        named = args.file if words[1] == "sweep" else args.scenario
        assert (ROOT / named).is_file(), line


def test_the_answers_run_the_guide_commands():
    shown = set(commands(GUIDE.read_text()))
    answered = commands(ANSWERS.read_text())
    assert answered and set(answered) <= shown


def test_the_answers_page_is_what_the_code_gives(monkeypatch):
    spec = importlib.util.spec_from_file_location(
        "workshop_answers", ROOT / "docs" / "workshop_answers.py"
    )
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # its dataclass looks itself up there
    spec.loader.exec_module(module)
    assert module.answers() == ANSWERS.read_text(), "run `make workshop-answers`"


def test_the_file_participants_open_keeps_exercise_1s_answer_to_itself():
    """Exercise 1 asks for the clearance time by hand: the scenario file must not work it
    out; the answers page does."""
    opened = (SCENARIOS / "workshop" / "deterministic.toml").read_text()
    for giveaway in ("14.0", "14 h", "20:00", "ceil(", "= 60", "4 convoys", "rotation"):
        assert giveaway not in opened, giveaway
    answers = (ROOT / "docs" / "workshop-answers.md").read_text()
    exercise = answers.split("## Exercise 1", 1)[1].split("## Exercise 2", 1)[0]
    assert "ceil(2,300 / 600) = 4 convoys" in exercise and "= 4.0 h" in exercise


def test_the_scenarios_cite_sources_md_which_is_in_the_repository():
    """Values cite docs/sources.md, not a file outside the repository."""
    page = (ROOT / "docs" / "sources.md").read_text()
    for section in ("## First phase: timeline", "## Where the reports disagree"):
        assert section in page
    for number in ("9,000", "194", "951", "36,086", "1,312"):
        assert number in page
    cited = []
    for path in SCENARIOS.rglob("*.toml"):
        text = path.read_text()
        assert "FACTS" not in text, path
        if "sources.md" in text:
            cited.append(path.relative_to(SCENARIOS).as_posix())
    assert {"aleppo_2016.toml", "calibration/aleppo_2016_targets.toml"} <= set(cited)
