"""Benchmark of evacsim's speed in one run (not a test: it prints figures).

    python bench/engines.py            # everything, appended to bench/RESULTS.md (many minutes)
    python bench/engines.py --quick    # R up to 10,000, no 10**6 run, nothing appended

It reports, for the Aleppo baseline and the whole-operation scenario:

- CPU microseconds per replication of the batch engine at R = 10**2 .. 10**5 (the whole
  operation: up to 10**4), one process;
- the same for the reference (SimPy) engine at R = 10**2 and 10**3 (the whole operation:
  10**2 only), and the per-core ratio
  batch / reference at each R both ran (CPU, so other load on the machine does not count);
- ``evacsim run --reps 1000000`` end to end, run folder included (baseline only): wall and
  CPU seconds (the command and its worker processes) and peak memory (resident set of the
  process tree, sampled every 20 ms);
- ``import sim`` and ``evacsim --help``: CPU seconds, the median of five fresh processes;
- the five costliest functions of the batch engine at R = 10,000 (own CPU time).

Each engine case runs in a fresh process, so its figures are its own.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SCENARIOS = {
    "aleppo_2016": ROOT / "scenarios" / "aleppo_2016.toml",
    "aleppo_2016_full": ROOT / "scenarios" / "aleppo_2016_full.toml",
}
#: Replications of each case: (batch, reference) by scenario. The whole operation is about
#: ten times the first phase's events: its runs stop at 10,000 (batch) and 100 (reference).
CASES = {
    "aleppo_2016": ((100, 1_000, 10_000, 100_000), (100, 1_000)),
    "aleppo_2016_full": ((100, 1_000, 10_000), (100,)),
}
END_TO_END = 1_000_000
EVACSIM = Path(sys.executable).with_name("evacsim")


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


def children_cpu() -> float:
    """CPU seconds (user + system) of the finished children of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def case(scenario: str, engine: str, reps: int) -> dict:
    """Run one engine case in this process, on one core; its CPU time."""
    sys.path.insert(0, str(ROOT))
    import sim
    from sim.engines.des import run_des
    from sim.studies.runner import run_chunked

    loaded = sim.load_scenario(SCENARIOS[scenario])
    run_des(loaded, 1, seed=1) if engine == "des" else run_chunked(loaded, 1, seed=1, workers=1)
    began = time.process_time()  # after a first replication: scipy's import is not counted
    if engine == "des":
        run_des(loaded, reps, seed=1)
    else:
        run_chunked(loaded, reps, seed=1, workers=1)
    cpu = time.process_time() - began
    return {
        "scenario": scenario,
        "engine": engine,
        "reps": reps,
        "cpu_us_per_rep": cpu / reps * 1e6,
    }


def run_case(scenario: str, engine: str, reps: int) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--case", scenario, engine, str(reps)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def end_to_end(scenario: str, reps: int) -> dict:
    """``evacsim run SCENARIO --reps N --out TMP``: wall, CPU of the tree, peak memory."""
    folder = Path(tempfile.mkdtemp(prefix="evacsim-bench-"))
    try:
        cpu_before, began = children_cpu(), time.perf_counter()
        command = [str(EVACSIM), "run", str(SCENARIOS[scenario]), "--reps", str(reps)]
        process = subprocess.Popen(
            [*command, "--out", str(folder / "run")], stdout=subprocess.DEVNULL
        )
        peak = 0
        while process.poll() is None:
            peak = max(peak, rss_bytes(process.pid))
            time.sleep(0.02)
        wall = time.perf_counter() - began
        if process.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} exited with {process.returncode}")
        return {
            "reps": reps,
            "wall_s": wall,
            "cpu_s": children_cpu() - cpu_before,
            "peak_mb": peak / 2**20,
            "table": sorted(p.name for p in (folder / "run").glob("replications.*"))[0],
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def startup_cpu(command: list[str], times: int = 5) -> float:
    """Median CPU seconds of ``command`` in a fresh process."""
    spent = []
    for _ in range(times):
        before = children_cpu()
        subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, check=True)
        spent.append(children_cpu() - before)
    return statistics.median(spent)


def profile(reps: int = 10_000) -> str:
    """The five costliest functions of the batch engine (own time), as text."""
    sys.path.insert(0, str(ROOT))
    import sim
    from sim.engines.vector import run_vector

    scenario = sim.load_scenario(SCENARIOS["aleppo_2016"])
    profiler = cProfile.Profile(time.process_time)  # CPU: the load of the machine is not counted
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
        f"Python {platform.python_version()}, numpy {numpy.__version__}; "
        f"load average {os.getloadavg()[0]:.1f}"
    )


def commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    return done.stdout.strip() or "unknown"


def engine_table(rows: list[dict]) -> list[str]:
    """Markdown rows: scenario, R, batch and reference CPU µs per replication, their ratio.

    The reference engine runs one replication after another, so its cost a replication does
    not depend on R: the ratio at an R it did not run takes its cost at the largest R it ran.
    """
    us = {(r["scenario"], r["engine"], r["reps"]): r["cpu_us_per_rep"] for r in rows}
    lines = []
    for scenario, reps in sorted({(s, n) for s, _, n in us}):
        batch, ref = us.get((scenario, "vector", reps)), us.get((scenario, "des", reps))
        ran = [n for s, e, n in us if s == scenario and e == "des"]
        per_rep = us[(scenario, "des", max(ran))] if ran else None
        ratio = f"{per_rep / batch:.1f}x" if batch and per_rep else ""
        lines.append(
            f"| {scenario} | {reps:,} | {'' if batch is None else f'{batch:,.1f}'} "
            f"| {'' if ref is None else f'{ref:,.0f}'} | {ratio} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="R up to 10,000, no 10**6 run")
    parser.add_argument(
        "--end-to-end",
        type=int,
        default=END_TO_END,
        metavar="N",
        help=f"replications of the evacsim run case (default {END_TO_END:,}; 0: none)",
    )
    parser.add_argument(
        "--case", nargs=3, metavar=("SCENARIO", "ENGINE", "REPS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.case:
        scenario, engine, reps = args.case
        print(json.dumps(case(scenario, engine, int(reps))))
        return
    header = f"Machine: {machine()}"
    print(header, flush=True)
    startup = {
        "import sim": startup_cpu([sys.executable, "-c", "import sim"]),
        "evacsim --help": startup_cpu([str(EVACSIM), "--help"]),
    }
    for what, cpu in startup.items():
        print(f"{what}: {cpu:.2f} s CPU (median of 5)", flush=True)
    rows = []
    for scenario, path in SCENARIOS.items():
        if not path.exists():
            print(f"{scenario}: no {path.name} on this commit; skipped")
            continue
        batch, reference = CASES[scenario]
        for engine, counts in (("vector", batch), ("des", reference)):
            for reps in (n for n in counts if not args.quick or n <= 10_000):
                rows.append(run_case(scenario, engine, reps))
                print(
                    f"{scenario:>16} {engine:>6} R={reps:>9,}  "
                    f"{rows[-1]['cpu_us_per_rep']:10,.1f} µs CPU per replication",
                    flush=True,
                )
    runs = []
    if not args.quick and args.end_to_end:
        runs.append(end_to_end("aleppo_2016", args.end_to_end))
        r = runs[-1]
        print(
            f"evacsim run --reps {r['reps']:,}: {r['wall_s']:.1f} s wall, {r['cpu_s']:.1f} s "
            f"CPU, peak {r['peak_mb']:,.0f} MB, {r['table']}",
            flush=True,
        )
    top = profile()
    print("five costliest functions of the batch engine at R = 10,000:\n" + top)
    if args.quick:
        return
    table = "\n".join(engine_table(rows))
    us = {(r["scenario"], r["engine"], r["reps"]): r["cpu_us_per_rep"] for r in rows}
    pair = [us.get((name, "vector", 10_000)) for name in SCENARIOS]
    whole = (
        f"- the whole operation costs {pair[1] / pair[0]:.1f}x the first phase a replication "
        "in the batch engine at R = 10,000\n"
        if all(pair)
        else ""
    )
    e2e = "\n".join(
        f"| {r['reps']:,} | {r['wall_s']:.1f} | {r['cpu_s']:.1f} | {r['peak_mb']:,.0f} "
        f"| {r['table']} |"
        for r in runs
    )
    entry = f"""
## {date.today().isoformat()}, commit {commit()}: `make bench` (`bench/engines.py`)

{header}. CPU time throughout: wall time on a shared machine measures the others' load.

| start-up | CPU s (median of 5) |
|---|---|
| `import sim` | {startup["import sim"]:.2f} |
| `evacsim --help` | {startup["evacsim --help"]:.2f} |

Engines, one process each (CPU µs per replication; ratio = reference / batch, per core):

| scenario | replications | batch µs | reference µs | ratio |
|---|---|---|---|---|
{table}

{whole}- load average at the end: {os.getloadavg()[0]:.1f} (at the start: in the machine line)

`evacsim run scenarios/aleppo_2016.toml`, run folder included (wall on this machine's load):

| replications | wall s | CPU s | peak MB | table |
|---|---|---|---|---|
{e2e or "| not run (--end-to-end 0) | | | | |"}

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
