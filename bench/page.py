"""The what-if page in a browser: time from a change to the redrawn chart, and the cost of
more browsers at once. Appends a section to bench/RESULTS.md; ``--figures`` also writes the
page's screenshots to docs/figures/.

    python bench/page.py [--figures]

It starts ``evacsim serve`` on a free port and drives Debian's Chromium with Playwright
(``apt-get install -y chromium``). Each change moves the baseline's buses to a value not
seen before, so nothing comes from the cache but the base. Times are wall milliseconds in
the browser from the change to the chart drawn with the first (300) and the refined
(1,000) answer; engine CPU seconds are the worker processes' own, per answer. On a shared
machine wall times follow its load (printed); CPU seconds do not.
"""

from __future__ import annotations

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
BUSES = iter(range(40, 4000))  # a fresh setting for every change
#: JavaScript: move a lever's text box to a value; return the browser's clock at the change.
CHANGE = """([key, value]) => {
  const box = document.querySelector(`.lever[data-key="${key}"] input[type=text]`);
  box.value = value;
  const t0 = performance.now();
  box.dispatchEvent(new Event("change"));
  return t0;
}"""


def serve() -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [sys.executable, "-m", "sim.cli", "serve", "aleppo_2016", "--port", str(port)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            urllib.request.urlopen(url + "/api/scenarios", timeout=2)
            return process, url
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the page did not start")


def change(page, value: int) -> dict:
    """Move the buses to ``value``; wait for the refined answer; return its timings."""
    drawn = page.evaluate("(window.evacsimDrawn || []).length")
    t0 = page.evaluate(CHANGE, ["fleet.buses.count", str(value)])
    page.wait_for_function(
        f"(window.evacsimDrawn || []).slice({drawn}).some(d => d.reps === 1000)", timeout=600_000
    )
    marks = page.evaluate(f"window.evacsimDrawn.slice({drawn})")
    timings = page.evaluate("window.evacsimTimings").copy()
    first = next(m["at"] for m in marks if m["reps"] == 300)
    refined = next(m["at"] for m in marks if m["reps"] == 1000)
    cpu = [t["server"]["engine_cpu_s"] for t in timings[-2:]]
    return {
        "first_ms": first - t0,
        "refined_ms": refined - t0,
        "cpu_first": cpu[0],
        "cpu_refined": cpu[1],
    }


def main(figures: bool) -> None:
    load = os.getloadavg()[0]
    process, url = serve()
    rows, crowd = [], []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{url}/?base=aleppo_2016&reps=1000")
            page.wait_for_selector("body[data-status=ready]", timeout=600_000)
            for _ in range(8):
                rows.append(change(page, next(BUSES)))
            for n in (1, 2, 4, 8):
                pages = []
                for _ in range(n):
                    other = browser.new_page()
                    other.goto(f"{url}/?base=aleppo_2016&reps=1000")
                    other.wait_for_selector("body[data-status=ready]", timeout=600_000)
                    pages.append(other)
                began = time.perf_counter()
                starts = [
                    (q, q.evaluate(CHANGE, ["fleet.buses.count", str(next(BUSES))])) for q in pages
                ]
                for q, _ in starts:
                    q.wait_for_selector("body[data-status=ready]", timeout=600_000)
                    q.wait_for_function("window.evacsimAnswer.reps === 1000")
                crowd.append((n, time.perf_counter() - began))
                for q in pages:
                    q.close()
            if figures:
                shoot(browser, url)
            browser.close()
    finally:
        process.terminate()
        process.wait(10)
    report(rows, crowd, load, os.getloadavg()[0])


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
        page.wait_for_selector("body[data-status=ready]", timeout=600_000)
        page.wait_for_function("window.evacsimAnswer.reps === 1000")
        page.screenshot(path=ROOT / "docs" / "figures" / name, full_page=False)
        page.close()


def report(rows: list[dict], crowd: list[tuple[int, float]], before: float, after: float) -> None:
    med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    lines = [
        "",
        f"## {datetime.now(UTC):%Y-%m-%d}, commit {commit}: the what-if page (`bench/page.py`)",
        "",
        f"Machine: {os.cpu_count()} cores, shared; {platform.platform()}; Python "
        f"{platform.python_version()}; load average {before:.1f} at the start, {after:.1f} at "
        "the end (wall times on a loaded machine are upper bounds; CPU seconds are the "
        "engine workers' own).",
        "",
        f"Headless Chromium, the Aleppo baseline, {len(rows)} changes of the buses to settings "
        "not seen before (the base from the cache); from the change to the chart drawn:",
        "",
        "| answer | replications | median wall ms in the browser | median engine CPU s |",
        "|---|---|---|---|",
        f"| first | 300 | {med['first_ms']:.0f} | {med['cpu_first']:.3f} |",
        f"| refined | 1,000 (700 more) | {med['refined_ms']:.0f} | {med['cpu_refined']:.3f} |",
        "",
        "Browsers changing to different settings at the same moment, wall seconds until every "
        "one shows its refined answer:",
        "",
        "| browsers | wall s | s per browser |",
        "|---|---|---|",
        *(f"| {n} | {s:.2f} | {s / n:.2f} |" for n, s in crowd),
        "",
    ]
    text = "\n".join(lines)
    print(text)
    with (ROOT / "bench" / "RESULTS.md").open("a", encoding="utf-8") as out:
        out.write(text)


if __name__ == "__main__":
    main("--figures" in sys.argv[1:])
