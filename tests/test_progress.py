"""Progress bars: every long job shows one on a terminal, and nothing elsewhere or when asked.

Standard error is replaced by a text buffer that says it is a terminal, and bars appear at
once (``DELAY = 0``), so what is checked does not depend on how fast the machine is.
"""

from __future__ import annotations

import io
import re

import pytest
from conftest import DETERMINISTIC
from test_calibrate import SMALL

import sim
from sim.inputs.loader import load_scenario
from sim.studies.calibration import calibrate
from sim.views import progress
from sim.views.animate import animate


class Terminal(io.StringIO):
    """Standard error as a terminal."""

    def isatty(self) -> bool:
        return True


def terminal(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """Standard error as a terminal, for the rest of the test (called in the test itself:
    pytest puts its own capture back between a fixture and the test)."""
    monkeypatch.setattr(progress, "DELAY", 0.0)
    stderr = Terminal()
    monkeypatch.setattr("sys.stderr", stderr)
    return stderr


def bars(text: str, desc: str, unit: str) -> list[tuple[float, float]]:
    """Steps done and expected of each drawing of the bar labelled ``desc`` counting
    ``unit`` (replications are shown scaled: ``5.00``, ``12.3k``)."""
    label = f"{desc}: " if desc else ""
    drawn = re.findall(rf"(?:^|\r){label}\d+%\|[^|]*\| ([\d.]+k?)/([\d.]+k?) \[[^]]*{unit}", text)
    scaled = {"k": 1e3}
    return [tuple(float(x.rstrip("k")) * scaled.get(x[-1], 1) for x in d) for d in drawn]


def finished(text: str, desc: str, total: int, unit: str) -> bool:
    """Whether the bar labelled ``desc`` was last drawn at ``total`` of ``total``."""
    drawn = bars(text, desc, unit)
    return bool(drawn) and drawn[-1] == (total, total)


def test_run_compare_and_animate_show_their_bars_to_the_end(monkeypatch, tmp_path):
    stderr = terminal(monkeypatch)
    scenario = load_scenario(DETERMINISTIC, ["horizon=16"])
    result = sim.run(scenario, reps=5, seed=1, trace=[0], progress=True)
    assert finished(stderr.getvalue(), "", 5, "rep")
    nine = load_scenario(DETERMINISTIC, ["fleet.buses.count=9", "name=nine"])
    sim.compare(scenario, [nine], reps=4, progress=True)
    assert finished(stderr.getvalue(), "", 12, "rep")  # the base, then paired and independent
    trace = result.replications.trace
    animate(scenario, trace, tmp_path / "a.gif", minutes_per_frame=60, progress=True)
    drawn = bars(stderr.getvalue(), "animate", "frame")
    assert drawn and drawn[-1][0] == drawn[-1][1] > 10  # every frame, the held ones too


def test_calibration_shows_the_prior_draws_and_the_refinement(monkeypatch, targets_file):
    stderr = terminal(monkeypatch)
    calibrate(targets_file(SMALL), draws=64, workers=1, progress=True)
    text = stderr.getvalue()
    assert finished(text, "prior draws", 64, "rep")
    drawn = bars(text, "refine", "generation")  # it may converge before the 15th generation
    assert drawn and drawn[-1][1] == 16 and drawn[-1][0] >= 2


def test_no_bar_when_not_asked_or_not_a_terminal(monkeypatch, tmp_path):
    stderr = terminal(monkeypatch)
    scenario = load_scenario(DETERMINISTIC, ["horizon=16"])
    result = sim.run(scenario, reps=3, seed=1, trace=[0], progress=False)
    animate(scenario, result.replications.trace, tmp_path / "b.gif", minutes_per_frame=60)
    assert stderr.getvalue() == ""
    pipe = io.StringIO()  # a log file or a pipe
    monkeypatch.setattr("sys.stderr", pipe)
    sim.run(scenario, reps=3, seed=1, progress=True)
    assert pipe.getvalue() == ""
