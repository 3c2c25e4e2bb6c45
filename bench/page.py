"""The what-if page in a browser: time and CPU from a slider move to the redrawn chart, on
the baseline and on the whole operation, and the cost of more browsers at once. Appends a
section to bench/RESULTS.md; ``--figures`` also writes the page's screenshots to
docs/figures/.

    python bench/page.py [--moves 20] [--figures]

It starts ``evacsim serve`` on a free port and drives Debian's Chromium with Playwright
(``apt-get install -y chromium``). Each move lets go of the buses' slider at a value not
seen before, so nothing comes from the cache but the base (run once when the scenario is
opened, as on the page). For the first answer (300 replications of the what-if) and the
refined one (1,000) it reports:

- wall milliseconds in the browser from the move to the chart drawn with that answer;
- the engine CPU seconds of the blocks that answer used (the worker processes' own: the
  first answer's block of 300, the refined answer's block of 700, run beside it);
- the server process's CPU seconds for the request (parsing, the cache, the answer's JSON).

The machine's load average is sampled through each scenario's moves. Wall times follow that
load on a shared machine; CPU seconds much less so.
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCENARIOS = ("aleppo_2016", "aleppo_2016_full")
LEVER = "fleet.buses.count"
WAIT = 900_000  # milliseconds: a loaded machine's whole operation
#: JavaScript: let go of a lever's slider at a value; return the browser's clock then.
MOVE = """([key, value]) => {
  const slider = document.querySelector(`.lever[data-key="${key}"] input[type=range]`);
  slider.value = value;
  const t0 = performance.now();
  slider.dispatchEvent(new Event("change"));
  return t0;
}"""


def serve() -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [sys.executable, "-m", "sim.cli", "serve", "aleppo_2016", "--port", str(port)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(3000):
        try:
            urllib.request.urlopen(url + "/api/scenarios", timeout=2)
            return process, url
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the page did not start")


def opened(browser, url: str, base: str):
    """A page on ``base`` with its base's first and refined answers computed."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{url}/?base={base}&reps=1000")
    page.wait_for_selector("body[data-status=ready]", timeout=WAIT)
    page.wait_for_function("window.evacsimAnswer && window.evacsimAnswer.reps === 1000")
    return page


def move(page, value: int) -> dict:
    """Let go of the buses' slider at ``value``; wait for the refined answer; its figures."""
    drawn = page.evaluate("(window.evacsimDrawn || []).length")
    asked = page.evaluate("(window.evacsimTimings || []).length")
    t0 = page.evaluate(MOVE, [LEVER, str(value)])
    page.wait_for_function(
        f"(window.evacsimDrawn || []).slice({drawn}).some(d => d.reps === 1000)", timeout=WAIT
    )
    marks = page.evaluate(f"window.evacsimDrawn.slice({drawn})")
    answers = page.evaluate(f"window.evacsimTimings.slice({asked})")
    timings = {t["reps"]: t["server"] for t in answers}
    first, refined = timings[300], timings[1000]
    assert (first["replications_run"], refined["replications_run"]) == (300, 700), timings
    return {
        "first_ms": next(m["at"] for m in marks if m["reps"] == 300) - t0,
        "refined_ms": next(m["at"] for m in marks if m["reps"] == 1000) - t0,
        "first_cpu": first["engine_cpu_s"],
        "refined_cpu": refined["engine_cpu_s"],
        "first_server_cpu": first["server_cpu_s"],
        "refined_server_cpu": refined["server_cpu_s"],
        "load": os.getloadavg()[0],
    }


def crowd(browser, url: str, values) -> list[tuple[int, float]]:
    """Browsers moving the slider at the same moment, to different settings: wall seconds
    until every one shows its refined answer."""
    out = []
    for n in (1, 2, 4, 8):
        pages = [opened(browser, url, "aleppo_2016") for _ in range(n)]
        began = time.perf_counter()
        moved = [(q, next(values)) for q in pages]
        for q, value in moved:
            q.evaluate(MOVE, [LEVER, str(value)])
        for q, value in moved:
            q.wait_for_function(
                f"window.evacsimAnswer.reps === 1000 && "
                f"window.evacsimAnswer.changes['{LEVER}'] === {value}",
                timeout=WAIT,
            )
        out.append((n, time.perf_counter() - began))
        for q in pages:
            q.close()
    return out


def shoot(browser, url: str) -> None:
    """The page at two settings, for docs/page.md."""
    settings = {
        "page-buses60.png": "fleet.buses.count=60",
        "page-turn-back.png": (
            "ceasefire.before_checkpoint=%22turn_back%22&ceasefire.breach_rate=0.05"
        ),
    }
    for name, query in settings.items():
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.goto(f"{url}/?base=aleppo_2016&reps=1000&{query}")
        page.wait_for_selector("body[data-status=ready]", timeout=WAIT)
        page.wait_for_function("window.evacsimAnswer.reps === 1000")
        page.screenshot(path=ROOT / "docs" / "figures" / name, full_page=False)
        page.close()


def main(moves: int, figures: bool) -> None:
    process, url = serve()
    rows: dict[str, list[dict]] = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            for base in SCENARIOS:
                page = opened(browser, url, base)
                values = iter(range(60, 60 + moves))  # the base is 54: each is new
                rows[base] = [move(page, next(values)) for _ in range(moves)]
                page.close()
            crowded = crowd(browser, url, iter(range(100, 160)))
            if figures:
                shoot(browser, url)
            browser.close()
    finally:
        process.terminate()
        process.wait(10)
    report(rows, crowded, moves)


def report(rows: dict[str, list[dict]], crowded: list[tuple[int, float]], moves: int) -> str:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    lines = [
        "",
        f"## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {commit}: the what-if page "
        "(`bench/page.py`)",
        "",
        f"Machine: {os.cpu_count()} cores, shared; {platform.platform()}; Python "
        f"{platform.python_version()}. Headless Chromium; {moves} moves of the buses' slider "
        "per scenario, each to a setting not seen before (the base from the cache); from "
        "letting go to the chart drawn. Engine CPU: the worker's own seconds for the block "
        "the answer used (first: 300 of the what-if; refined: the other 700, started beside "
        "the first). Server CPU: the server process's seconds for the request.",
        "",
        "| scenario | load (min–max) | answer | wall ms median (max) | engine CPU s median "
        "(max) | server CPU s median |",
        "|---|---|---|---|---|---|",
    ]
    for base, got in rows.items():
        loads = [r["load"] for r in got]
        load = f"{min(loads):.1f}–{max(loads):.1f}"
        for answer in ("first", "refined"):
            wall = [r[f"{answer}_ms"] for r in got]
            cpu = [r[f"{answer}_cpu"] for r in got]
            server = [r[f"{answer}_server_cpu"] for r in got]
            lines.append(
                f"| {base} | {load} | {answer} | {statistics.median(wall):,.0f} "
                f"({max(wall):,.0f}) | {statistics.median(cpu):.3f} ({max(cpu):.3f}) | "
                f"{statistics.median(server):.3f} |"
            )
    lines += [
        "",
        "Browsers on the baseline moving to different settings at the same moment, wall "
        f"seconds until every one shows its refined answer (load {os.getloadavg()[0]:.1f} "
        "after):",
        "",
        "| browsers | wall s | s per browser |",
        "|---|---|---|",
        *(f"| {n} | {s:.2f} | {s / n:.2f} |" for n, s in crowded),
        "",
    ]
    text = "\n".join(lines)
    print(text)
    with (ROOT / "bench" / "RESULTS.md").open("a", encoding="utf-8") as out:
        out.write(text)
    return text


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=20, help="slider moves per scenario")
    parser.add_argument("--figures", action="store_true", help="write docs/figures/page-*.png")
    args = parser.parse_args()
    main(args.moves, args.figures)
