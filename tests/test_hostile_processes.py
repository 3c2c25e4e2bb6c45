"""Real signals: SIGTERM and SIGHUP end a run or a sweep as Ctrl-C does (one line, nothing
half-written, exit status 128 + the signal), and no worker process outlives its parent,
even one killed with SIGKILL. Memory requests beyond the machine are refused at once.
See ``docs/guarantees.md``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import BASELINE, ROOT, SCENARIOS

import sim.studies.budget as budget
from sim.errors import ScenarioError
from sim.inputs.loader import load_scenario
from sim.studies.processes import stop_on_signals
from sim.studies.runner import run
from sim.studies.sweeps import load_sweep, sweep


def children(pid: int) -> set[int]:
    """The child processes of ``pid`` (Linux /proc)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(c) for c in (task / "children").read_text().split()}
    return found


def running(pid: int) -> bool:
    """Whether ``pid`` exists and is not a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def start_with_workers(args: list[str], cwd: Path) -> tuple[subprocess.Popen, set[int]]:
    """Start ``evacsim ARGS`` and wait until it has two worker processes."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "sim.cli", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    for _ in range(300):
        workers = children(process.pid)
        if len(workers) >= 2:
            return process, workers
        assert process.poll() is None, process.communicate()
        time.sleep(0.1)
    process.kill()
    pytest.fail("no worker processes started")


def gone(workers: set[int], seconds: float = 10.0) -> bool:
    """Whether every worker has exited within ``seconds``."""
    deadline = time.monotonic() + seconds
    while any(running(w) for w in workers):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


#: The tests that watch worker processes through /proc, two of them at least.
NEEDS_PROC_AND_TWO_CORES = pytest.mark.skipif(
    not Path("/proc/self/task").is_dir() or (os.cpu_count() or 1) < 2,
    reason="needs Linux /proc and two cores",
)
RUN = ["run", str(BASELINE), "--reps", "40000", "--out", "run"]  # 4 chunks on every core
SWEEP = ["sweep", str(SCENARIOS / "sweeps" / "buses_crowding.toml"), "--workers", "2"]


@NEEDS_PROC_AND_TWO_CORES
@pytest.mark.parametrize(
    ("args", "signum", "message"),
    [
        (RUN, signal.SIGTERM, "evacsim: interrupted; nothing was written"),
        (SWEEP, signal.SIGHUP, "evacsim: interrupted; finished chunks are kept"),
    ],
    ids=["run-sigterm", "sweep-sighup"],
)
def test_a_signal_ends_the_run_and_its_workers(tmp_path, args, signum, message):
    process, workers = start_with_workers(args, tmp_path)
    process.send_signal(signum)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 128 + signum, err
    assert err.splitlines()[0].startswith(message) and len(err.splitlines()) == 1, err
    assert gone(workers), "workers outlived their parent"
    assert not (tmp_path / "run").exists()
    assert not [p for p in tmp_path.rglob(".*") if p.is_dir()]  # no staging folder


class StoppedInAFinaliser:
    """An object whose finaliser receives ``signum``: Python can only print what it raises
    there, as it does in the fork hook that runs as a worker process starts."""

    def __init__(self, signum: int):
        self.signum = signum

    def __del__(self) -> None:
        signal.raise_signal(self.signum)  # its handler runs before the finaliser returns


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "ctrl-c"])
def test_a_stop_that_lands_in_a_finaliser_is_not_lost(capfd, signum):
    with pytest.raises(KeyboardInterrupt), stop_on_signals():
        StoppedInAFinaliser(signum)  # finalised at once
        time.sleep(10)  # the run's own work, which the stop must end (it ends the test)
    assert "Exception ignored" not in capfd.readouterr().err


#: A run stopped while its workers are still starting: each worker sleeps before its own
#: handlers are set, as one just forked is before it reaches them. In a process of its own,
#: as `evacsim` is: pytest's logging would hide what a worker logs.
STOPPED_AS_WORKERS_START = """
import os, signal, sys, time
import sim.studies.processes as processes

watch = processes.watch_parent

def slow_start(parent):
    time.sleep(0.5)  # widens the window between a worker's fork and its own handlers
    watch(parent)

processes.watch_parent = slow_start
signum = int(sys.argv[1])
try:
    with processes.stop_on_signals(), processes.worker_pool(2) as pool:
        pool.submit(os.getpid)  # forks both workers, which are still in slow_start
        group = [*pool._processes] if signum == signal.SIGINT else []
        for pid in [*group, os.getpid()]:  # Ctrl-C reaches the whole group, SIGTERM the
            os.kill(pid, signum)  # run, whose stop terminates its workers
        time.sleep(10)
except KeyboardInterrupt:
    sys.exit(3)
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "ctrl-c"])
def test_a_worker_stopped_as_it_starts_prints_nothing(signum):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", STOPPED_AS_WORKERS_START, str(int(signum))],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 3, done.stderr  # the run was stopped, in its own code
    assert done.stderr == ""


@NEEDS_PROC_AND_TWO_CORES
def test_workers_of_a_killed_parent_exit(tmp_path):
    process, workers = start_with_workers(RUN, tmp_path)
    process.kill()  # SIGKILL: no handler runs in the parent
    process.communicate(timeout=60)
    assert gone(workers), "workers outlived a parent killed with SIGKILL"


def test_replications_beyond_the_memory_are_refused_before_any_run(monkeypatch):
    scenario = load_scenario(BASELINE)
    with pytest.raises(ScenarioError) as info:
        run(scenario, reps=100_000_000)  # about 120 GB: refused before any replication
    assert info.value.source == "--reps"
    assert "100,000,000 replications need about 12" in info.value.message
    monkeypatch.setattr(budget, "available_bytes", lambda: 2 * budget.run_bytes(scenario, 50))
    run(scenario, reps=50)
    with pytest.raises(ScenarioError, match="51 replications need about"):
        run(scenario, reps=51)
    with pytest.raises(ScenarioError) as info:
        run(scenario, reps=10, precision=0.01, max_reps=1000)
    assert info.value.source == "--max-reps"


def test_a_sweep_beyond_the_memory_is_refused_before_any_point_is_made(tmp_path: Path):
    path = tmp_path / "huge.toml"
    path.write_text(
        f'base = "{BASELINE.as_posix()}"\nreps = 1000000\nmetrics = ["evacuated"]\n'
        '[design]\nmethod = "lhs"\npoints = 1000000000\n'
        '[axes]\n"fleet.buses.count" = { low = 10, high = 60 }\n',
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as info:
        sweep(load_sweep(path), root=tmp_path / "results")
    assert (info.value.source, info.value.key) == (str(path), "design.points")
    assert "1,000,000,000 points of 1,000,000 replications need about" in info.value.message
    assert not (tmp_path / "results").exists()


def test_available_memory_reads_this_machine():
    assert 0 < budget.available_bytes() < 2**63 - 1


def test_calibration_draws_beyond_the_memory_are_refused(capsys):
    from sim.cli import main

    targets = SCENARIOS / "calibration" / "aleppo_2016_targets.toml"
    assert main(["calibrate", str(targets), "--draws", "1000000000", "--out", "x"]) == 2
    assert "2,000,000,000 draws need about" in capsys.readouterr().err
