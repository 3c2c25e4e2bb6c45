"""The what-if page in a browser: time and CPU from a slider move to each answer drawn, on
the baseline and on the whole operation, and the cost of more browsers at once. Appends a
section to bench/RESULTS.md; ``--figures`` also writes the page's screenshots to
docs/figures/.

    python bench/page.py [--moves 20] [--figures]

It starts ``evacsim serve`` on a free port and drives Debian's Chromium with Playwright
(``apt-get install -y chromium``). Each move lets go of the buses' slider at a value not
seen before, so nothing comes from the cache but the base (run when the scenario is
opened, as on the page). The page's answers come progressively (the server sizes them by
what the scenario's blocks cost; sim/face/page/progress.py); for each move it reports:

- the first answer: wall milliseconds in the browser from letting go to the chart drawn,
  and the replications it rests on;
- the answer on the page 1 s after letting go (its replications);
- the refined answer (1,000 replications): wall milliseconds, and the answers before it;
- the engine CPU seconds of the blocks run for the move (the worker processes' own) and
  the server's CPU seconds for the answers (statistics, JSON).

The machine's load average is sampled at every move. Wall times follow that load on a
shared machine; CPU seconds much less so.
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
#: JavaScript: drag a lever's slider to a value and let go; return the browser's clock then.
MOVE = """([key, value]) => {
  const slider = document.querySelector(`.lever[data-key="${key}"] input[type=range]`);
  slider.value = value;
  const t0 = performance.now();
  slider.dispatchEvent(new Event("input")); // as a drag: the box beside it follows
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
    answers = [a for a in answers if a["seq"] == answers[-1]["seq"]]
    shown = [(m["at"] - t0, m["reps"]) for m in marks]
    by_second = [reps for at, reps in shown if at <= 1000.0]
    ran = sum(a["server"]["replications_run"] for a in answers)
    assert answers[-1]["reps"] == 1000 and ran == 1000, answers  # the what-if's, once each
    return {
        "first_ms": shown[0][0],
        "first_reps": shown[0][1],
        "by_1s_reps": max(by_second, default=0),
        "refined_ms": next(at for at, reps in shown if reps == 1000),
        "answers": len(answers),
        "engine_cpu": sum(a["server"]["engine_cpu_s"] for a in answers),
        "server_cpu": sum(a["server"]["server_cpu_s"] for a in answers),
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
    """The page at two settings, and the whole operation's first answer, for docs/page.md."""
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
    # the whole operation's first answer after a move, as it is drawn: a handful of pairs
    page = opened(browser, url, "aleppo_2016_full")
    drawn = page.evaluate("window.evacsimDrawn.length")
    page.evaluate(MOVE, [LEVER, "80"])
    page.wait_for_function(f"window.evacsimDrawn.length > {drawn}", timeout=WAIT)
    page.screenshot(path=ROOT / "docs" / "figures" / "page-full-first.png", full_page=False)
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
        "per scenario, each to a setting not seen before (the base from the cache); wall ms "
        "from letting go to the chart drawn. The answers come progressively, sized by the "
        "scenario's measured cost: the first answer's replications, those of the answer on "
        "the page 1 s after letting go, the refined answer (1,000) and how many answers "
        "led to it. Engine CPU: the workers' own seconds for the move's blocks (the "
        "what-if's 1,000 replications, each run once); server CPU: the server's for its "
        "answers. Medians of the moves (min–max or max).",
        "",
        "| scenario | load | first answer: wall ms (max) | its replications | "
        "replications at 1 s | refined (1,000): wall ms (max) | answers | engine CPU s "
        "(max) | server CPU s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for base, got in rows.items():

        def med(key, got=got):
            return statistics.median(r[key] for r in got)

        def span(key, got=got):
            return f"{min(r[key] for r in got):,}–{max(r[key] for r in got):,}"

        lines.append(
            f"| {base} | {min(r['load'] for r in got):.1f}–{max(r['load'] for r in got):.1f} "
            f"| {med('first_ms'):,.0f} ({max(r['first_ms'] for r in got):,.0f}) "
            f"| {med('first_reps'):,.0f} ({span('first_reps')}) "
            f"| {med('by_1s_reps'):,.0f} ({span('by_1s_reps')}) "
            f"| {med('refined_ms'):,.0f} ({max(r['refined_ms'] for r in got):,.0f}) "
            f"| {med('answers'):.0f} | {med('engine_cpu'):.2f} "
            f"({max(r['engine_cpu'] for r in got):.2f}) | {med('server_cpu'):.3f} |"
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
