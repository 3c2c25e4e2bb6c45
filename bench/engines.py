"""Benchmark of the two engines on the baseline scenario (not a test: it prints figures).

    python bench/engines.py            # the full set, appended to bench/RESULTS.md
    python bench/engines.py --quick    # R = 1,000 and 10,000 only, nothing appended

Each case runs in a fresh process, so its peak memory (resident set of the process and its
workers, sampled every 20 ms) is its own. The batch/reference ratio is taken from cases
measured in the same run, on one core each.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SCENARIO = ROOT / "scenarios" / "aleppo_2016.toml"

FULL = [
    ("des", 1_000, 1),
    ("vector", 1_000, 1),
    ("des", 10_000, 1),
    ("vector", 10_000, 1),
    ("vector", 100_000, 2),
    ("vector", 1_000_000, 2),
]
QUICK = FULL[:4]


def rss_bytes(pid: int) -> int:
    """Resident memory of a process and all its descendants, bytes."""
    total = 0
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            children = [int(c) for c in f.read().split()]
    except OSError:
        return total
    return total + sum(rss_bytes(child) for child in children)


def case(engine: str, reps: int, workers: int) -> dict:
    """Run one case in this process and measure it."""
    sys.path.insert(0, str(ROOT))
    import numpy as np

    import sim
    from sim.engines.des import run_des
    from sim.studies.runner import CHUNK, run_chunked

    scenario = sim.load_scenario(SCENARIO)
    peak, stop = [rss_bytes(os.getpid())], threading.Event()
    before = peak[0]

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], rss_bytes(os.getpid()))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    began = time.perf_counter()
    if engine == "des":
        result = run_des(scenario, reps, seed=1)
    else:
        result = run_chunked(scenario, reps, seed=1, workers=workers)
    seconds = time.perf_counter() - began
    stop.set()
    sampler.join()
    kept = sum(a.nbytes for a in (*result.metrics.values(), *result.series.values()))
    out = {
        "engine": engine,
        "reps": reps,
        "workers": workers,
        "seconds": seconds,
        "reps_per_second": reps / seconds,
        "peak_mb": peak[0] / 2**20,
        "result_bytes_per_rep": kept / reps,
        "mean_evacuated_by_halt": float(np.mean(result.metrics["evacuated_by_halt"])),
    }
    if engine == "vector" and workers == 1 and reps <= CHUNK:
        out["working_bytes_per_rep"] = max(peak[0] - before - kept, 0) / reps
    return out


def profile(reps: int = 10_000) -> str:
    """The five costliest functions of the batch engine (own time), as text."""
    sys.path.insert(0, str(ROOT))
    import sim
    from sim.engines.vector import run_vector

    scenario = sim.load_scenario(SCENARIO)
    profiler = cProfile.Profile()
    profiler.runcall(run_vector, scenario, reps, 1)
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text).sort_stats("tottime")
    stats.print_stats(5)
    lines = [ln for ln in text.getvalue().splitlines() if ln.strip()]
    start = next(i for i, ln in enumerate(lines) if ln.lstrip().startswith("ncalls"))
    return "\n".join(lines[start : start + 6])


def machine() -> str:
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            model = next(ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import numpy

    return (
        f"{model}, {os.cpu_count()} cores, {memory:.0f} GiB; {platform.platform()}; "
        f"Python {platform.python_version()}, numpy {numpy.__version__}"
    )


def commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    return done.stdout.strip() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="R = 1,000 and 10,000 only")
    parser.add_argument(
        "--case", nargs=3, metavar=("ENGINE", "REPS", "WORKERS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.case:
        engine, reps, workers = args.case
        print(json.dumps(case(engine, int(reps), int(workers))))
        return
    rows = []
    for engine, reps, workers in QUICK if args.quick else FULL:
        done = subprocess.run(
            [sys.executable, __file__, "--case", engine, str(reps), str(workers)],
            capture_output=True,
            text=True,
            check=True,
        )
        rows.append(json.loads(done.stdout))
        r = rows[-1]
        print(
            f"{engine:>6} R={reps:>9,} workers={workers}  {r['seconds']:8.1f} s  "
            f"{r['reps_per_second']:10,.0f} reps/s  peak {r['peak_mb']:7,.0f} MB",
            flush=True,
        )
    speed = {(r["engine"], r["reps"], r["workers"]): r["reps_per_second"] for r in rows}
    ratios = {n: speed[("vector", n, 1)] / speed[("des", n, 1)] for n in (1_000, 10_000)}
    for n, ratio in ratios.items():
        print(f"batch / reference at R = {n:,}, one core each: {ratio:.1f}x")
    if ("vector", 100_000, 2) in speed:
        both = speed[("vector", 100_000, 2)] / speed[("des", 10_000, 1)]
        print(f"batch on both cores (R = 100,000) / reference on one: {both:.1f}x")
    working = next(r["working_bytes_per_rep"] for r in rows if "working_bytes_per_rep" in r)
    kept = rows[-1]["result_bytes_per_rep"]
    print(
        f"batch engine: {working:,.0f} bytes per replication in flight, "
        f"{kept:,.0f} bytes per replication kept (metrics and hourly series)"
    )
    top = profile()
    print("five costliest functions of the batch engine at R = 10,000:\n" + top)
    if args.quick:
        return
    table = "\n".join(
        f"| {r['engine']} | {r['reps']:,} | {r['workers']} | {r['seconds']:.1f} | "
        f"{r['reps_per_second']:,.0f} | {r['peak_mb']:,.0f} |"
        for r in rows
    )
    entry = f"""
## {date.today().isoformat()}, commit {commit()}

Machine: {machine()}

| engine | replications | processes | seconds | replications/s | peak MB |
|---|---|---|---|---|---|
{table}

- batch / reference, one core each: {ratios[1_000]:.1f}x at R = 1,000, {ratios[10_000]:.1f}x at
  R = 10,000
- batch on both cores at R = 100,000 / reference on one core: {both:.1f}x
- batch engine memory: {working:,.0f} bytes per replication in flight, {kept:,.0f} bytes per
  replication of results kept

Five costliest functions of the batch engine (own time, R = 10,000):

```
{top}
```
"""
    with open(HERE / "RESULTS.md", "a") as f:
        f.write(entry)
    print(f"appended to {HERE / 'RESULTS.md'}")


if __name__ == "__main__":
    main()
