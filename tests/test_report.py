"""Tests for sim.views.report: the self-contained report.html of a run folder."""

from __future__ import annotations

import base64
import re
import shutil
import tomllib
from html import escape, unescape
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imsave

import sim
from sim.views.narrate import describe
from sim.views.plots import write_figures
from sim.views.report import report_html

BASELINE = Path(__file__).resolve().parent.parent / "scenarios" / "aleppo_2016.toml"
PNG = b"\x89PNG\r\n\x1a\n"
IMG = '<img src="data:image/png;base64,'
VOID = {"meta", "img", "br", "hr", "link", "input"}
MANIFEST = {
    "created": "2016-12-17T05:00:00+00:00",
    "wall_time_s": 1.25,
    "git_commit": "0123abc",
    "versions": {"evacsim": "0.1.0"},
}


class Checker(HTMLParser):
    """Tracks open elements: every closing tag must close the innermost open element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.seen: dict[str, int] = {}
        self.declarations: list[str] = []

    def handle_decl(self, decl: str) -> None:
        self.declarations.append(decl)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.seen[tag] = self.seen.get(tag, 0) + 1
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        self.seen[tag] = self.seen.get(tag, 0) + 1

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]} at {self.getpos()}")
        else:
            self.stack.pop()


def check(page: str) -> Checker:
    checker = Checker()
    checker.feed(page)
    checker.close()
    assert checker.errors == []
    assert checker.stack == [], f"left open: {checker.stack}"
    assert checker.declarations == ["DOCTYPE html"]
    return checker


def figures(result: sim.RunResult, folder: Path) -> Path:
    write_figures(result.scenario, result.replications, folder)
    return folder


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> tuple[sim.RunResult, Path]:
    result = sim.run(sim.load_scenario(BASELINE), reps=10, seed=1)
    return result, figures(result, tmp_path_factory.mktemp("run"))


@pytest.fixture(scope="module")
def page(baseline: tuple[sim.RunResult, Path]) -> str:
    return report_html(*baseline)


def test_well_formed_with_every_section(page: str) -> None:
    seen = check(page).seen
    assert seen["html"] == seen["head"] == seen["body"] == seen["title"] == 1
    assert seen["section"] == 5 and seen["header"] == seen["footer"] == 1
    titles = ["Key results", "Figures", "All metrics", "Narration of replication 0", "Scenario"]
    assert re.findall(r"<h2>(.*?)</h2>", page) == titles


def test_embeds_every_png_in_order(baseline: tuple[sim.RunResult, Path], tmp_path: Path) -> None:
    result, folder = baseline
    shutil.copytree(folder, tmp_path / "run")
    folder = tmp_path / "run"
    imsave(folder / "a_extra.png", np.zeros((2, 3, 3)))  # others follow, alphabetically
    page = report_html(result, folder, MANIFEST)
    check(page)
    pngs = sorted(folder.glob("*.png"))
    assert page.count(IMG) == len(pngs) == 4
    embedded = [base64.b64decode(d) for d in re.findall(re.escape(IMG) + r'([^"]*)"', page)]
    order = ["evacuated.png", "convoys.png", "queue.png", "a_extra.png"]
    assert embedded == [(folder / name).read_bytes() for name in order]
    assert all(data.startswith(PNG) for data in embedded)


def test_self_contained(page: str) -> None:
    assert "http://" not in page and "https://" not in page
    assert "<script" not in page.lower() and "<link" not in page.lower()
    assert "@import" not in page and "url(" not in page


def test_key_results_and_all_metrics(baseline: tuple[sim.RunResult, Path], page: str) -> None:
    result, _ = baseline
    key = page[page.index("<h2>Key results</h2>") : page.index("<h2>Figures</h2>")]
    for name in (
        "evacuated",
        "convoys",
        "first_departure",
        "clearance_time",
        "suspensions",
        "suspended_hours",
        "wait_person_hours",
        "held_person_hours",
        "cold_person_hours",
        "evacuated_by_two_convoys",
        "evacuated_by_halt",
    ):
        assert f"<code>{name}</code>" in key
    first = result.summaries["first_departure"]
    assert result.scenario.shown(first.mean).strftime("%H:%M") in key
    everything = page[page.index("<h2>All metrics</h2>") :]
    assert all(f"<code>{s.metric}</code>" in everything for s in result.summaries.values())
    assert "person-hours" in everything and '<td class="num">' in everything


def test_narration_of_rep_0(baseline: tuple[sim.RunResult, Path], page: str) -> None:
    result, _ = baseline
    trace = [e for e in result.replications.trace if e.rep == 0]
    lines = describe(result.scenario, trace)
    assert escape(lines[0]) in page and escape(lines[-1]) in page


def test_scenario_round_trips_as_toml(baseline: tuple[sim.RunResult, Path], page: str) -> None:
    result, _ = baseline
    section = page[page.index("<h2>Scenario</h2>") :]
    text = unescape(re.search(r"<pre>(.*?)</pre>", section, re.S).group(1))

    def plain(value: object) -> object:  # TOML date-times back to the document's strings
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value.isoformat() if hasattr(value, "isoformat") else value

    assert plain(tomllib.loads(text)) == result.scenario.document
    assert "scenarios/aleppo_2016.toml" in section


def test_escapes_user_text_and_reproduces(tmp_path: Path) -> None:
    # a name is a folder name (no markup can reach it); the description is free text
    overrides = ["name=b-x", 'description="<i>a & b</i>"', "run.trace_reps=1"]
    result = sim.run(sim.load_scenario(BASELINE, overrides), reps=3, seed=7, overrides=overrides)
    page = report_html(result, figures(result, tmp_path), MANIFEST)
    check(page)
    assert "<i>" not in page
    assert "<h1>b-x</h1>" in page and "&lt;i&gt;a &amp; b&lt;/i&gt;" in page
    footer = page[page.index("<footer>") :]
    assert "evacsim run" in footer and "--reps 3 --seed 7" in footer
    assert (
        escape("""--set 'description="<i>a & b</i>"'""") in footer
        and "--set run.trace_reps=1" in footer
    )
    assert "0123abc" in page and "2016-12-17T05:00:00+00:00" in page and "0.1.0" in page


def test_no_trace_for_rep_0(tmp_path: Path) -> None:
    scenario = sim.load_scenario(BASELINE, ["run.trace_reps=0"])
    result = sim.run(scenario, reps=3, seed=1)
    assert result.replications.trace == []
    page = report_html(result, figures(result, tmp_path), MANIFEST)
    check(page)
    narration = page[page.index("<h2>Narration") : page.index("<h2>Scenario</h2>")]
    assert "No event trace for replication 0" in narration and "<pre>" not in narration
    assert page.count(IMG) == 3


def test_deterministic(baseline: tuple[sim.RunResult, Path]) -> None:
    assert report_html(*baseline, MANIFEST) == report_html(*baseline, dict(MANIFEST))


def test_without_figures(baseline: tuple[sim.RunResult, Path], tmp_path: Path) -> None:
    page = report_html(baseline[0], tmp_path, MANIFEST)
    check(page)
    assert IMG not in page and "No figures" in page


def test_checker_catches_broken_markup(page: str) -> None:
    with pytest.raises(AssertionError):
        check(page.replace("</td>", "", 1))
    with pytest.raises(AssertionError):
        check(page.replace("</section>", "", 1))
