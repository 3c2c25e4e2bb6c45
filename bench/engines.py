"""Benchmark of evacsim's speed in one run (not a test: it prints figures).

    python bench/engines.py            # everything, appended to bench/RESULTS.md (~5 min of CPU)
    python bench/engines.py --quick    # R up to 10,000, no 10**6 run, nothing appended

It reports, for the Aleppo baseline and the whole-operation scenario (issue 12, Deliver 5):

- ``import sim``, ``evacsim --help`` and reading the baseline (``sim.load_scenario``: what
  ``import sim`` no longer loads, numpy and the scenario layer): CPU seconds, the median of
  five fresh processes, started from the package's byte-code as after ``pip install``;
- CPU microseconds per replication of the batch engine at R = 10**2 .. 10**5 (the whole
  operation: up to 10**4), one process, and of the reference (SimPy) engine at R = 10**2
  and 10**3 (the whole operation: 10**2), with the per-core ratio reference / batch;
- the issue's per-core measure: the marginal rate of ``evacsim run --workers 1`` (run folder
  included) between 200 and 20,200 replications for the batch engine and, as the reference
  engine would take ~200 CPU s for 20,200, between 200 and 2,200 for it (its cost a
  replication does not depend on R: it runs one replication after another), both on one
  core; the ratio of the two marginal rates;
- ``evacsim run --reps 1000000`` end to end on the baseline (and 10,000 on the whole
  operation), run folder included: wall and CPU seconds (the command and its workers, and
  the command's own), peak memory of the process tree (resident, and proportional: pages
  the workers share with the command counted once), sampled every 20 ms (proportional: 0.2 s);
- the what-if page's case: 1,000 replications in a running process and the fan chart's
  numbers (``sim.face.page.runs.run_block`` + ``sim.outputs.metrics.hourly_percentiles``),
  CPU seconds, the median of five seeds after a warm-up;
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
#: Replications of each case: (batch, its numpy loop, reference) by scenario. The batch
#: engine's loop runs compiled where evacsim[fast] is installed and the scenario allows it
#: (the first phase); the numpy loop (EVACSIM_LOOP=numpy) is the compiled one's reference.
#: The whole operation is about ten times the first phase's events: its runs stop at 10,000
#: (batch) and 100 (reference), and its loop is numpy's.
CASES = {
    "aleppo_2016": ((100, 1_000, 10_000, 100_000), (1_000, 10_000, 100_000), (100, 1_000)),
    "aleppo_2016_full": ((100, 1_000, 10_000), (), (100,)),
}
END_TO_END = 1_000_000
#: Replications of the whole operation's end-to-end run (~2 ms of CPU each).
END_TO_END_FULL = 10_000
#: The per-core measure through ``evacsim run``: (low, high) replications by engine.
MARGINAL = {"vector": (200, 20_200), "des": (200, 2_200)}
#: The what-if page's case: replications of one answer, and the percentiles of its fan.
PAGE_REPS, FAN = 1_000, (5, 25, 50, 75, 95)
EVACSIM = Path(sys.executable).with_name("evacsim")
#: The start-up row of reading a scenario: numpy and the scenario layer, on first use.
READING = "`import sim; sim.load_scenario(aleppo_2016)`"
#: ... and loading the compiled loop (numba's import and its cache), as a run's first batch.
LOADING = "the same and the compiled loop loaded (`load`, from numba's cache)"


def tree(pid: int) -> list[int]:
    """A process and all its descendants."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            children = [int(c) for c in f.read().split()]
    except OSError:
        return [pid]
    return [pid] + [p for child in children for p in tree(child)]


def memory_bytes(pid: int, key: str) -> int:
    """A process's ``VmRSS`` (resident, from ``status``) or ``Pss`` (proportional: a page
    shared by n processes counts 1/n, from ``smaps_rollup``), bytes; 0 once it has gone."""
    path = "status" if key == "VmRSS" else "smaps_rollup"
    try:
        with open(f"/proc/{pid}/{path}") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) a live process has used so far."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    """CPU seconds (user + system) of the finished children of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def case(scenario: str, engine: str, reps: int) -> dict:
    """Run one engine case in this process, on one core; its CPU time."""
    sys.path.insert(0, str(ROOT))
    import sim
    from sim.engines.compiled.cache import load
    from sim.engines.compiled.run import compiled_loop
    from sim.engines.des import run_des
    from sim.engines.vector import run_vector
    from sim.studies.runner import run_chunked

    if engine == "numpy":  # the batch engine with its numpy loop
        os.environ["EVACSIM_LOOP"] = "numpy"
    loaded = sim.load_scenario(SCENARIOS[scenario])
    run_des(loaded, 1, seed=1) if engine == "des" else run_chunked(loaded, 1, seed=1, workers=1)
    if engine == "vector" and compiled_loop(loaded, reps, traced=False):
        load(
            lambda: run_vector(loaded, 1, 0, traced=(), loop="compiled")
        )  # numba's start and the cached loop's loading: in the start-up table
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


def run_case(*case: str) -> dict:
    """A ``--case`` in a fresh process: its figures are its own."""
    done = subprocess.run(
        [sys.executable, __file__, "--case", *case],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def end_to_end(scenario: str, reps: int, *options: str) -> dict:
    """``evacsim run SCENARIO --reps N --out TMP``: wall, CPU of the tree and of the command
    alone, peak memory of the tree (resident and proportional) and of the command."""
    folder = Path(tempfile.mkdtemp(prefix="evacsim-bench-"))
    try:
        cpu_before, began = children_cpu(), time.perf_counter()
        command = [str(EVACSIM), "run", str(SCENARIOS[scenario]), "--reps", str(reps)]
        process = subprocess.Popen(
            [*command, *options, "--quiet", "--out", str(folder / "run")],
            stdout=subprocess.DEVNULL,
        )
        peak = {"rss": 0, "pss": 0, "own": 0}
        own_cpu, samples = 0.0, 0
        while process.poll() is None:
            pids = tree(process.pid)
            rss = [memory_bytes(p, "VmRSS") for p in pids]
            peak["rss"] = max(peak["rss"], sum(rss))
            peak["own"] = max(peak["own"], rss[0])
            if samples % 10 == 0:  # every 0.2 s: reading smaps_rollup costs the kernel more
                peak["pss"] = max(peak["pss"], sum(memory_bytes(p, "Pss") for p in pids))
            own_cpu = max(own_cpu, cpu_seconds(process.pid))
            samples += 1
            time.sleep(0.02)
        wall = time.perf_counter() - began
        if process.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} exited with {process.returncode}")
        return {
            "scenario": scenario,
            "reps": reps,
            "wall_s": wall,
            "cpu_s": children_cpu() - cpu_before,
            "own_cpu_s": own_cpu,  # the last sample: up to 20 ms short
            "peak_mb": peak["rss"] / 2**20,
            "pss_mb": peak["pss"] / 2**20,
            "own_mb": peak["own"] / 2**20,
            "table": sorted(p.name for p in (folder / "run").glob("replications.*"))[0],
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def marginal(engine: str) -> dict:
    """Replications a CPU second of ``evacsim run --workers 1``, run folder included,
    between ``MARGINAL[engine]`` replications: start-up and fixed costs cancel."""
    low, high = MARGINAL[engine]
    runs = [end_to_end("aleppo_2016", n, "--engine", engine, "--workers", "1") for n in (low, high)]
    return {
        "engine": engine,
        "low": low,
        "high": high,
        "cpu_s": [r["cpu_s"] for r in runs],
        "rate": (high - low) / (runs[1]["cpu_s"] - runs[0]["cpu_s"]),
    }


def page_case() -> dict:
    """The what-if page's answer in a running process: ``PAGE_REPS`` replications of the
    baseline on one process and the fan chart's numbers (hourly percentiles of evacuated,
    share suspended), CPU seconds; the median of five seeds after a warm-up."""
    sys.path.insert(0, str(ROOT))
    import sim
    from sim.face.page.runs import run_block
    from sim.outputs.metrics import hourly_percentiles

    scenario = sim.load_scenario(SCENARIOS["aleppo_2016"])

    def answer(seed: int) -> float:
        began = time.process_time()
        block = run_block(scenario, PAGE_REPS, seed, 0)
        hourly_percentiles(block.series["evacuated"], FAN)
        block.series["suspended"].mean(axis=0)
        return time.process_time() - began

    answer(99)  # warm-up: imports and first-call costs
    return {"page_cpu_s": statistics.median(answer(seed) for seed in range(1, 6))}


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
    """Markdown rows: scenario, R, batch (its numpy loop) and reference CPU µs per
    replication, the ratios batch / numpy loop and reference / batch.

    The reference engine runs one replication after another, so its cost a replication does
    not depend on R: the ratio at an R it did not run takes its cost at the largest R it ran.
    """
    us = {(r["scenario"], r["engine"], r["reps"]): r["cpu_us_per_rep"] for r in rows}
    lines = []
    for scenario, reps in sorted({(s, n) for s, _, n in us}):
        batch, ref = us.get((scenario, "vector", reps)), us.get((scenario, "des", reps))
        numpy_loop = us.get((scenario, "numpy", reps))
        ran = [n for s, e, n in us if s == scenario and e == "des"]
        per_rep = us[(scenario, "des", max(ran))] if ran else None
        ratio = f"{per_rep / batch:.1f}x" if batch and per_rep else ""
        gain = f"{numpy_loop / batch:.2f}x" if batch and numpy_loop else ""
        lines.append(
            f"| {scenario} | {reps:,} | {'' if batch is None else f'{batch:,.1f}'} "
            f"| {'' if numpy_loop is None else f'{numpy_loop:,.1f}'} | {gain} "
            f"| {'' if ref is None else f'{ref:,.0f}'} | {ratio} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="R up to 10,000; no end-to-end or marginal runs"
    )
    parser.add_argument(
        "--end-to-end",
        type=int,
        default=END_TO_END,
        metavar="N",
        help=f"replications of the baseline's evacsim run case (default {END_TO_END:,}; 0: none)",
    )
    parser.add_argument("--case", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        if args.case == ["page"]:
            print(json.dumps(page_case()))
        else:
            scenario, engine, reps = args.case
            print(json.dumps(case(scenario, engine, int(reps))))
        return
    header = f"Machine: {machine()}"
    print(header, flush=True)
    # An installed package starts from its byte-code (pip compiles it on install); an editable
    # checkout under PYTHONDONTWRITEBYTECODE would compile every module in every process.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "sim")], check=True)
    startup = {
        "import sim": startup_cpu([sys.executable, "-c", "import sim"]),
        "evacsim --help": startup_cpu([str(EVACSIM), "--help"]),
        READING: startup_cpu(
            [
                sys.executable,
                "-c",
                f"import sim; sim.load_scenario({str(SCENARIOS['aleppo_2016'])!r})",
            ]
        ),
        LOADING: startup_cpu(
            [
                sys.executable,
                "-c",
                "import sim; from sim.engines.compiled.cache import load; "
                "from sim.engines.vector import run_vector; "
                f"s = sim.load_scenario({str(SCENARIOS['aleppo_2016'])!r}); "
                "load(lambda: run_vector(s, 1, 0, traced=(), loop='compiled'))",
            ]
        ),
    }
    for what, cpu in startup.items():
        print(f"{what}: {cpu:.3f} s CPU (median of 5)", flush=True)
    rows = []
    for scenario, path in SCENARIOS.items():
        if not path.exists():
            print(f"{scenario}: no {path.name} on this commit; skipped")
            continue
        batch, numpy_loop, reference = CASES[scenario]
        for engine, counts in (("vector", batch), ("numpy", numpy_loop), ("des", reference)):
            for reps in (n for n in counts if not args.quick or n <= 10_000):
                rows.append(run_case(scenario, engine, str(reps)))
                print(
                    f"{scenario:>16} {engine:>6} R={reps:>9,}  "
                    f"{rows[-1]['cpu_us_per_rep']:10,.1f} µs CPU per replication",
                    flush=True,
                )
    page = run_case("page")["page_cpu_s"]
    print(f"the page's case ({PAGE_REPS:,} replications + fan): {page:.3f} s CPU", flush=True)
    rates = {} if args.quick else {e: marginal(e) for e in MARGINAL}
    for m in rates.values():
        print(
            f"evacsim run --engine {m['engine']} --workers 1, {m['low']:,} -> {m['high']:,}: "
            f"{m['rate']:,.1f} replications a CPU second (marginal)",
            flush=True,
        )
    runs = []
    if not args.quick:
        cases = [("aleppo_2016", args.end_to_end), ("aleppo_2016_full", END_TO_END_FULL)]
        for scenario, reps in cases:
            if reps and SCENARIOS[scenario].exists():
                runs.append(end_to_end(scenario, reps))
                r = runs[-1]
                print(
                    f"evacsim run {scenario} --reps {r['reps']:,}: {r['wall_s']:.1f} s wall, "
                    f"{r['cpu_s']:.1f} s CPU ({r['own_cpu_s']:.1f} s the command's own), "
                    f"peak {r['peak_mb']:,.0f} MB resident, {r['pss_mb']:,.0f} MB "
                    f"proportional, {r['table']}",
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
    per_core = ""
    if rates:
        low, high = MARGINAL["des"]
        per_core = (
            "\nThe issue's per-core measure, through `evacsim run --workers 1` (run folder "
            "included), marginal replications a CPU second between two runs of the baseline: "
            f"batch {rates['vector']['rate']:,.0f} ({MARGINAL['vector'][0]:,} -> "
            f"{MARGINAL['vector'][1]:,}), reference {rates['des']['rate']:,.1f} ({low:,} -> "
            f"{high:,}: the reference costs the same a replication at any R, and 20,200 would "
            f"take ~200 CPU s): **{rates['vector']['rate'] / rates['des']['rate']:.0f}x** "
            "(target: 100x).\n"
        )
    e2e = "\n".join(
        f"| {r['scenario']} | {r['reps']:,} | {r['wall_s']:.1f} | {r['cpu_s']:.1f} "
        f"| {r['own_cpu_s']:.1f} | {r['peak_mb']:,.0f} | {r['pss_mb']:,.0f} | {r['own_mb']:,.0f} "
        f"| {r['table']} |"
        for r in runs
    )
    entry = f"""
## {date.today().isoformat()}, commit {commit()}: `make bench` (`bench/engines.py`)

{header}. CPU time throughout: wall time on a shared machine measures the others' load.

| start-up | CPU s (median of 5) |
|---|---|
| `import sim` | {startup["import sim"]:.3f} |
| `evacsim --help` | {startup["evacsim --help"]:.3f} |
| {READING} | {startup[READING]:.3f} |
| {LOADING} | {startup[LOADING]:.3f} |

Engines, one process each (CPU µs per replication; the batch engine's loop compiled where
it can, and the same with its numpy loop; ratio = reference / batch, per core):

| scenario | replications | batch µs | its numpy loop µs | compiled gain | reference µs | ratio |
|---|---|---|---|---|---|---|
{table}

{whole}- the what-if page's case, {PAGE_REPS:,} replications in a running process + the fan
  chart's numbers: {page:.3f} s CPU (median of five seeds; target 0.2 s)
- load average at the end: {os.getloadavg()[0]:.1f} (at the start: in the machine line)
{per_core}
`evacsim run SCENARIO --reps N`, run folder included (wall on this machine's load; CPU of
the command and its workers, and the command's own; peak memory of the process tree,
resident and proportional (shared pages once), and the command's own resident):

| scenario | reps | wall s | CPU s | own CPU s | peak MB | proportional MB | own MB | table |
|---|---|---|---|---|---|---|---|---|
{e2e or "| not run | | | | | | | | |"}

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
