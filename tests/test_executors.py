"""run, compare and calibrate on any concurrent.futures.Executor, a Dask cluster's included,
give the bits they give on this machine's processes (the Dask tests need ``distributed``)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from conftest import evacsim

import sim
import sim.studies.runner
from sim.studies.calibration.report import posterior_csv
from sim.studies.paired import differences_csv

distributed = pytest.importorskip("distributed")

#: Replications a chunk of the batch engine here, and a run of two chunks, so that the
#: executor gets more than one task.
CHUNK = 2_000
REPS = CHUNK + 500


@pytest.fixture(scope="module", autouse=True)
def small_chunks():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sim.studies.runner, "CHUNK", CHUNK)
        yield


@pytest.fixture(scope="module")
def dask_executor():
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client.get_executor()


def same_run(a: sim.RunResult, b: sim.RunResult) -> None:
    for name, values in a.metrics.items():
        np.testing.assert_array_equal(b.metrics[name], values, err_msg=name)
    for name, values in a.replications.series.items():
        np.testing.assert_array_equal(b.replications.series[name], values, err_msg=name)
    assert a.replications.trace == b.replications.trace


@pytest.fixture(scope="module")
def local_run():
    return sim.run("workshop/random", reps=REPS, seed=3, workers=1)


def test_run_on_a_dask_cluster_gives_the_local_bits(dask_executor, local_run):
    same_run(local_run, sim.run("workshop/random", reps=REPS, seed=3, executor=dask_executor))


def test_run_on_any_executor(local_run):
    with ThreadPoolExecutor(2) as pool:
        same_run(local_run, sim.run("workshop/random", reps=REPS, seed=3, executor=pool))


def test_compare_on_a_dask_cluster(dask_executor):
    args = ("aleppo_2016", ["what-if/patients_last", "what-if/double_fleet"])
    local = sim.compare(*args, reps=30, seed=4, workers=1)
    remote = sim.compare(*args, reps=30, seed=4, executor=dask_executor)
    assert differences_csv(remote.differences) == differences_csv(local.differences)


def test_calibrate_on_a_dask_cluster(dask_executor):
    targets = sim.load_targets("calibration/aleppo_2016_targets")
    local = sim.calibrate(targets, draws=128, refine=False, workers=1)
    remote = sim.calibrate(targets, draws=128, refine=False, executor=dask_executor)
    assert posterior_csv(remote) == posterior_csv(local)
    assert remote.best == local.best
    np.testing.assert_array_equal(
        remote.best_run.metrics["evacuated"], local.best_run.metrics["evacuated"]
    )


def test_cli_run_on_a_dask_local_cluster(tmp_path):
    common = ("run", "workshop/random", "--reps", "40", "--seed", "2")
    dask = evacsim(
        *common, "--scheduler", "dask-local", "--workers", "1", "--out", str(tmp_path / "d")
    )
    assert dask.returncode == 0, dask.stderr
    local = evacsim(*common, "--out", str(tmp_path / "l"))
    for name in ("replications.csv", "summary.csv", "trace.csv"):
        assert (tmp_path / "d" / name).read_bytes() == (tmp_path / "l" / name).read_bytes()
    assert local.returncode == 0


def test_an_unknown_scheduler_is_a_user_error(tmp_path):
    done = evacsim("compare", "workshop/random", "workshop/ceasefire", "--scheduler", "slurm")
    assert done.returncode == 2
    assert "--scheduler: must be local, dask-local or tcp://HOST:PORT" in done.stderr
