"""Dask executors give the same bits as local processes (needs the ``distributed`` extra)."""

from __future__ import annotations

import pytest
from conftest import DETERMINISTIC, evacsim

import sim

distributed = pytest.importorskip("distributed")

SWEEP = f"""
name = "dask"
base = "{DETERMINISTIC}"
set = ["route.to_reception={{dist='lognormal', mean=0.75, cv=0.4}}"]
reps = 60
seed = 11
chunk = 25
metrics = ["clearance_time", "wait_person_hours", "evacuated"]

[axes]
"fleet.buses.count" = [6, 8, 10]
"route.return_trip" = [1.0, 1.75]
"""


@pytest.fixture
def sweep_file(tmp_path):
    path = tmp_path / "dask.toml"
    path.write_text(SWEEP)
    return path


def test_existing_cluster_gives_the_local_bytes(tmp_path, sweep_file):
    local = sim.sweep(sweep_file, root=tmp_path / "local", workers=2)
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        protocol="tcp",
        dashboard_address=None,
    ) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://")
        remote = sim.sweep(sweep_file, scheduler=address, root=tmp_path / "dask")
    # a fixed return trip is a scenario axis: two variants of 180 replications, 8 chunks each
    assert remote.chunks == local.chunks == 16
    assert remote.folder.name == local.folder.name
    assert (remote.folder / "points.csv").read_bytes() == (local.folder / "points.csv").read_bytes()


def test_cli_dask_local_cluster(tmp_path, sweep_file):
    done = evacsim(
        "sweep", str(sweep_file), "--scheduler", "dask-local", "--workers", "1", "--root",
        str(tmp_path / "dask"),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    local = sim.sweep(sweep_file, root=tmp_path / "local", workers=1)
    (folder,) = (tmp_path / "dask" / "sweeps" / "dask").iterdir()
    assert (folder / "points.csv").read_bytes() == (local.folder / "points.csv").read_bytes()
    assert "Sweep folder:" in done.stdout


def test_unreachable_cluster_is_a_user_error(tmp_path, sweep_file):
    import dask

    with (
        dask.config.set({"distributed.comm.timeouts.connect": "1s"}),
        pytest.raises(sim.ScenarioError, match="cannot reach tcp://127.0.0.1:9"),
    ):
        sim.sweep(sweep_file, scheduler="tcp://127.0.0.1:9", root=tmp_path)
