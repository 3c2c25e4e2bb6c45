"""No lost work: a sweep killed with SIGKILL resumes from the chunks it finished."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from conftest import DETERMINISTIC, ROOT, evacsim

import sim

# The workshop scenario with a random trip to reception: small chunks that take a moment.
SWEEP = f"""
name = "killed"
base = "{DETERMINISTIC}"
set = ["route.to_reception={{dist='lognormal', mean=0.75, cv=0.4}}"]
reps = 200
seed = 8
chunk = 20                          # 10 chunks per point, 60 in all
metrics = ["clearance_time", "wait_person_hours"]

[axes]
"fleet.buses.count" = [6, 7, 8, 9, 10, 11]
"""


def test_killed_sweep_resumes_and_gives_the_same_bytes(tmp_path):
    path = tmp_path / "killed.toml"
    path.write_text(SWEEP)
    root = tmp_path / "results"
    command = [sys.executable, "-m", "sim.cli", "sweep", str(path), "--root", str(root)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    process = subprocess.Popen(
        [*command, "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the kill takes its workers too
    )
    try:
        deadline = time.monotonic() + 120
        while len(list(root.glob("sweeps/killed/*/chunks/*.npz"))) < 3:
            assert process.poll() is None, "the sweep ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.01)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    done_before = len(list(root.glob("sweeps/killed/*/chunks/*.npz")))
    assert 3 <= done_before < 60
    assert not list(root.glob("sweeps/killed/*/points.csv"))

    rerun = evacsim("sweep", str(path), "--root", str(root))
    assert rerun.returncode == 0, rerun.stderr
    assert f"resumed: {done_before} of 60 chunks already done" in rerun.stdout

    fresh = sim.sweep(path, root=tmp_path / "fresh")
    assert fresh.reused == 0
    (folder,) = root.glob("sweeps/killed/*")
    assert folder.name == fresh.folder.name
    assert (folder / "points.csv").read_bytes() == (fresh.folder / "points.csv").read_bytes()
