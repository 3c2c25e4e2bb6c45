"""Benchmark of a large sweep against the reference engine (not a test: it prints figures).

    python bench/sweep.py            # 1,000 points x 1,000 replications, appended to RESULTS.md
    python bench/sweep.py --quick    # 100 points x 1,000 replications, nothing appended

The sweep is a Latin hypercube over four inputs of the Aleppo baseline (fleet size, crowding,
trip to reception, breach rate), run by ``sim.sweep`` on local processes, every core. The
reference is the same points one at a time through the SimPy engine on one core: a sample of
points is timed before and after the sweep and its rate extrapolated to every replication of
the sweep. Wall and CPU time are both given: on a machine shared with other work the CPU-time
ratio is the steadier one. A rerun of the finished sweep (every chunk reused) is timed too.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from engines import commit, machine

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

import sim  # noqa: E402  (after the path: the checkout, not an installed copy)
from sim.studies.sweeps.design import design_points  # noqa: E402
from sim.studies.sweeps.spec import override  # noqa: E402

SWEEP = """
name = "bench"
base = "{base}"
reps = {reps}
seed = 1
metrics = ["evacuated_by_halt", "convoys_by_halt", "cold_person_hours"]

[design]
method = "lhs"
points = {points}

[axes]
"fleet.buses.count" = {{ low = 20, high = 60 }}
"fleet.buses.crowding" = {{ low = 1.0, high = 1.8 }}
"route.to_reception.mean" = {{ low = 0.6, high = 2.0 }}
"ceasefire.breach_rate" = {{ low = 0.0, high = 0.1 }}
"""

#: Points and replications per point timed through the reference engine.
SAMPLE_POINTS, SAMPLE_REPS = 10, 100


def cpu_seconds() -> float:
    """User and system time of this process and its finished children, seconds."""
    mine = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return mine.ru_utime + mine.ru_stime + children.ru_utime + children.ru_stime


def reference(spec: sim.SweepSpec) -> tuple[float, float]:
    """Wall and CPU seconds per replication of the first sample points, one at a time
    through the reference engine on one core."""
    began, cpu = time.perf_counter(), cpu_seconds()
    for point in design_points(spec)[:SAMPLE_POINTS]:
        scenario = sim.load_scenario(spec.base, [override(k, v) for k, v in point.items()])
        sim.run(scenario, SAMPLE_REPS, spec.seed, engine="des")
    n = SAMPLE_POINTS * SAMPLE_REPS
    return (time.perf_counter() - began) / n, (cpu_seconds() - cpu) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 points, nothing appended")
    args = parser.parse_args()
    points, reps = (100 if args.quick else 1_000), 1_000
    total = points * reps
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "bench.toml"
        base = ROOT / "scenarios" / "aleppo_2016.toml"
        path.write_text(SWEEP.format(base=base, reps=reps, points=points))
        spec = sim.load_sweep(path)
        # the reference sample before and after the sweep: other load on the machine
        # then weighs on both sides of the ratio alike
        before = reference(spec)
        began, cpu = time.perf_counter(), cpu_seconds()
        result = sim.sweep(spec, root=scratch, progress=True)
        wall, cpu = time.perf_counter() - began, cpu_seconds() - cpu
        after = reference(spec)
        began = time.perf_counter()
        again = sim.sweep(spec, root=scratch)
        rerun = time.perf_counter() - began
        assert again.reused == again.chunks
        same = (result.folder / "points.csv").read_bytes() == (
            again.folder / "points.csv"
        ).read_bytes()
    des_wall = total * (before[0] + after[0]) / 2  # extrapolated, seconds
    des_cpu = total * (before[1] + after[1]) / 2
    peak = max(
        resource.getrusage(who).ru_maxrss
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )  # largest single process, kB
    lines = [
        f"sweep: {points:,} points x {reps:,} replications = {total:,} in {wall:.1f} s "
        f"({total / wall:,.0f} reps/s; {cpu:.0f} CPU s; {result.chunks} chunks, "
        f"{os.cpu_count()} processes)",
        f"rerun with every chunk done: {rerun:.1f} s; points.csv identical: {same}",
        f"reference engine, one core: {1 / before[0]:,.0f} and {1 / after[0]:,.0f} reps/s "
        f"before and after the sweep ({SAMPLE_POINTS} points x {SAMPLE_REPS} replications); "
        f"the whole sweep would take {des_wall / 3600:.1f} h",
        f"sweep / the same points one at a time through the reference engine: "
        f"{des_wall / wall:,.0f}x in wall time, {des_cpu / cpu:,.0f}x in CPU time",
        f"load average {load:.2f} at the start; peak resident memory {peak / 1024:,.0f} MB",
    ]
    print("\n".join(lines))
    if args.quick:
        return
    cores = os.cpu_count()
    entry = f"""
## {date.today().isoformat()}, commit {commit()}: sweep (`bench/sweep.py`)

Machine: {machine()}; load average {load:.2f} at the start

A Latin hypercube of {points:,} points over four inputs of the baseline, {reps:,} replications
each, `sim.sweep` on local processes ({cores} cores, {result.chunks} chunks). The reference
engine ran {SAMPLE_POINTS} of the points x {SAMPLE_REPS} replications one at a time on one
core, before and after the sweep; its rate is extrapolated to the whole sweep.

| run | replications | wall s | replications/s | CPU s |
|---|---|---|---|---|
| sweep, batch engine, {cores} processes | {total:,} | {wall:.1f} | {total / wall:,.0f} | {cpu:.0f} |
| reference engine, whole sweep (extrapolated) | {total:,} | {des_wall:,.0f} | {total / des_wall:,.0f} | {des_cpu:,.0f} |
| rerun of the finished sweep (every chunk reused) | {total:,} | {rerun:.1f} | | |

- sweep / the same points one at a time through the reference engine: {des_wall / wall:,.0f}x
  in wall time, {des_cpu / cpu:,.0f}x in CPU time
- rerun: `points.csv` byte-identical: {same}
- peak resident memory of the largest process: {peak / 1024:,.0f} MB
"""  # noqa: E501  (table rows)
    with open(HERE / "RESULTS.md", "a") as f:
        f.write(entry)
    print(f"appended to {HERE / 'RESULTS.md'}")


if __name__ == "__main__":
    main()
