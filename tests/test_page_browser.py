"""The what-if page in a real browser: headless Chromium (Debian's) driven by Playwright.

`evacsim serve` runs as a subprocess on a free local port. The tests open the page, move a
control, wait for the chart and the table, and check the displayed difference against
``sim.compare``; a URL restores a state; the downloaded file validates and extends the base.
``.ci/run`` installs the browser; elsewhere the tests are skipped without it (but not in CI).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="the page extra: pip install -e '.[page]'")
playwright = pytest.importorskip("playwright.sync_api", reason="the test extra installs it")

import sim  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BASE = Path("scenarios/aleppo_2016.toml")
#: Long enough for a loaded 2-core machine; the page answers far sooner.
WAIT = 90_000  # milliseconds

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError(f"no browser at {CHROMIUM}: .ci/run installs Debian's chromium")
    pytest.skip("no chromium: apt-get install -y chromium", allow_module_level=True)


@pytest.fixture(scope="module")
def server():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [sys.executable, "-m", "sim.cli", "serve", str(BASE), "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/api/scenarios", timeout=2)
            break
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(process.stdout.read().decode()) from None
            time.sleep(0.3)
    yield url
    process.terminate()
    process.wait(10)


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


def ready(page, reps: int) -> dict:
    """Wait for the refined answer at ``reps`` replications; return what the page drew."""
    page.wait_for_selector("body[data-status=ready]", timeout=WAIT)
    page.wait_for_function(f"window.evacsimAnswer && window.evacsimAnswer.reps === {reps}")
    return page.evaluate("window.evacsimAnswer")


def shown(page, metric: str) -> float:
    return float(page.get_attribute(f"tr[data-metric={metric}]", "data-difference"))


def test_moving_a_control_redraws_the_paired_answer(server, browser):
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{server}/?base=aleppo_2016&reps=600")
    first = ready(page, 600)
    assert first["same"] and page.locator("#chart canvas").count() == 1
    assert shown(page, "evacuated_by_halt") == 0.0
    box = page.locator('.lever[data-key="fleet.buses.count"] input[type=text]')
    box.fill("80")
    box.dispatch_event("change")
    page.wait_for_function("window.evacsimAnswer.changes['fleet.buses.count'] === 80")
    after = ready(page, 600)
    assert not after["same"]
    assert after["whatif"]["p50"] != first["whatif"]["p50"]  # the chart's data moved
    base = sim.load_scenario(BASE)
    whatif = sim.load_scenario(BASE, ["fleet.buses.count=80", "name=w"])
    expected = {d.metric: d for d in sim.compare(base, [whatif], reps=600).differences}
    for metric in ("evacuated_by_halt", "cold_person_hours", "convoys"):
        assert shown(page, metric) == expected[metric].difference
    assert "fleet.buses.count=80" in page.url
    # progressive: the answers after the change came on more and more replications, sized
    # by the server, up to the refined 600; the page says what each rests on
    timings = page.evaluate("window.evacsimTimings")
    latest = [t for t in timings if t["seq"] == timings[-1]["seq"]]
    reps = [t["reps"] for t in latest]
    assert reps == sorted(set(reps)) and reps[-1] == 600 and reps[0] >= 4
    assert [t["final"] for t in latest] == [False] * (len(latest) - 1) + [True]
    assert page.inner_text("#status").startswith("Final answer from 600 paired replications")
    assert "over the same 600 replications" in page.inner_text("#differences caption")
    assert page.inner_text("#words").startswith("+")
    # a change made while a run is in flight cancels it: only the last setting is drawn
    aborted = []
    page.on("requestfailed", lambda r: aborted.append(r.url))
    drawn = page.evaluate("window.evacsimDrawn.length")
    with page.expect_request(lambda r: "fleet.buses.count=44" in r.url):
        box.fill("44")
        box.dispatch_event("change")
    box.fill("46")  # the answer for 44 is in flight
    box.dispatch_event("change")
    page.wait_for_function("window.evacsimAnswer.changes['fleet.buses.count'] === 46")
    ready(page, 600)
    assert any("fleet.buses.count=44" in url for url in aborted)
    assert page.evaluate(f"window.evacsimDrawn.slice({drawn})")[-1]["reps"] == 600
    assert page.evaluate("window.evacsimAnswer.changes") == {"fleet.buses.count": 46}
    assert not errors


#: JavaScript: how many pixels of the chart's canvas are the what-if's median blue.
BLUE = """() => {
  const c = document.querySelector("#chart canvas");
  const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4)
    if (Math.abs(d[i] - 8) + Math.abs(d[i + 1] - 81) + Math.abs(d[i + 2] - 156) < 40) n++;
  return n;
}"""


def test_the_chart_is_drawn_when_the_first_answer_is_the_last(server, browser):
    """A state all in the cache (the base, run when the page started) is answered at once
    and finally: the chart is drawn from that one answer."""
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{server}/?base=aleppo_2016&reps=1000")
    got = ready(page, 1000)
    assert got["final"] and len(page.evaluate("window.evacsimTimings")) == 1
    assert page.evaluate(BLUE) > 200  # the median's line, a few hundred pixels long
    assert not errors


def test_a_url_restores_a_state(server, browser):
    page = browser.new_page()
    levers = "convoy.headway=1&ceasefire.before_checkpoint=%22turn_back%22&crossing.lanes=1"
    page.goto(f"{server}/?base=aleppo_2016&seed=9&precision=0.01&{levers}")
    got = ready(page, 300)  # 300 replications give the halt's difference to within ±1%
    assert got["seed"] == 9
    assert got["changes"] == {
        "convoy.headway": 1,
        "ceasefire.before_checkpoint": "turn_back",
        "crossing.lanes": 1,
    }
    assert page.input_value('.lever[data-key="convoy.headway"] input[type=text]') == "1"
    assert page.input_value('.lever[data-key="ceasefire.before_checkpoint"] select') == "turn_back"
    assert page.locator(".lever.changed").count() == 3
    box = page.locator('.lever[data-key="ceasefire.board_while_suspended"] input')
    assert not box.is_checked()
    box.check()
    page.wait_for_function("window.evacsimAnswer.changes['ceasefire.board_while_suspended']")
    assert "ceasefire.board_while_suspended=true" in page.url
    assert page.input_value("#reps") == "p0.01"
    # and back: the URL the page wrote, opened in another browser, is the same answer
    page.wait_for_selector("body[data-status=ready]", timeout=WAIT)
    shown = page.evaluate("window.evacsimAnswer")
    other = browser.new_page()
    other.goto(page.url)
    again = ready(other, shown["reps"])
    assert again["changes"] == shown["changes"] and again["seed"] == 9
    assert again["differences"] == shown["differences"]


def test_a_class_of_30_at_once_costs_one_run(server):
    url = f"{server}/api/answer?base=aleppo_2016&reps=200&seed=21&convoy.headway=0.9"

    def ask(_):
        with urllib.request.urlopen(url, timeout=WAIT / 1000) as response:
            return json.load(response)

    with ThreadPoolExecutor(30) as pool:
        answers = list(pool.map(ask, range(30)))
    assert all(a["differences"] == answers[0]["differences"] for a in answers)
    # the base and the what-if were each run once, whoever asked first
    assert sum(a["timing"]["replications_run"] for a in answers) == 400


def test_the_download_validates_and_extends_the_base(server, browser, tmp_path):
    page = browser.new_page(accept_downloads=True)
    page.goto(f"{server}/?base=aleppo_2016&reps=300&fleet.ambulances.count=40")
    ready(page, 300)
    with page.expect_download() as info:
        page.click("#download")
    download = info.value
    shutil.copy(BASE, tmp_path / BASE.name)
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    document = tomllib.loads(saved.read_text())
    assert document["extends"] == BASE.name and document["fleet"] == {"ambulances": {"count": 40}}
    scenario = sim.load_scenario(saved)
    assert (
        scenario.pools[1].count == 40
        and scenario.pools[0].count == sim.load_scenario(BASE).pools[0].count
    )
    assert page.inner_text("#command").startswith("evacsim compare scenarios/aleppo_2016.toml")


def test_a_bad_value_shows_the_schemas_error(server, browser):
    page = browser.new_page()
    page.goto(f"{server}/?base=aleppo_2016&reps=300&fleet.buses.count=-3")
    page.wait_for_selector("#error:not([hidden])", timeout=WAIT)
    assert page.inner_text("#error") == (
        "page: fleet.buses.count: must be an integer >= 0 and <= 4,096 vehicles, got -3"
    )
