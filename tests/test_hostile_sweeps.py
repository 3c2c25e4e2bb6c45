"""Hostile sweep folders and clusters: a damaged chunk is computed again (and said so), a
full disk stops a sweep with one line keeping its finished chunks, a bad scheduler address
or a lost Dask cluster is one line. See ``docs/guarantees.md``.
"""

from __future__ import annotations

import errno
import os
from concurrent.futures import CancelledError
from pathlib import Path

import numpy as np
import pytest
from conftest import DETERMINISTIC

import sim.studies.sweeps.run as sweep_run
from sim.cli import main
from sim.errors import ScenarioError
from sim.studies.sweeps import load_sweep, sweep
from sim.studies.sweeps.executors import DaskExecutor, open_executor

SWEEP = f"""
name = "fragile"
base = "{DETERMINISTIC.as_posix()}"
set = ["route.to_reception={{dist='lognormal', mean=0.75, cv=0.4}}"]
reps = 20
seed = 3
chunk = 10
metrics = ["clearance_time", "wait_person_hours"]

[axes]
"fleet.buses.count" = [8, 9, 10]
"""


@pytest.fixture
def sweep_file(tmp_path: Path) -> Path:
    path = tmp_path / "fragile.toml"
    path.write_text(SWEEP, encoding="utf-8")
    return path


def test_damaged_chunks_are_computed_again_and_said_so(tmp_path, sweep_file, capsys):
    first = sweep(sweep_file, workers=1, root=tmp_path / "results")
    chunks = sorted((first.folder / "chunks").glob("*.npz"))
    assert len(chunks) == 6 and first.damaged == 0
    expected = (first.folder / "points.csv").read_bytes()

    chunks[0].write_bytes(chunks[0].read_bytes()[:100])  # truncated
    chunks[1].write_bytes(b"")  # empty
    chunks[2].unlink()
    chunks[2].mkdir()  # a folder in its place
    with np.load(chunks[3]) as data:  # a metric missing, the rest intact
        kept = {k: data[k] for k in data.files if k != "wait_person_hours"}
    np.savez(chunks[3], **kept)
    with np.load(chunks[4]) as data:  # a value changed: the checksum no longer matches
        changed = {k: data[k] for k in data.files}
    changed["clearance_time"] = changed["clearance_time"] + 1.0
    np.savez(chunks[4], **changed)

    status = main(["sweep", str(sweep_file), "--workers", "1", "--out", str(first.folder)])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert "resumed: 1 of 6 chunks already done" in out
    assert err.startswith("evacsim: note: 5 damaged chunk files were computed again")
    assert (first.folder / "points.csv").read_bytes() == expected
    assert len(os.listdir(first.folder / "chunks" / "damaged")) == 5
    again = sweep(sweep_file, workers=1, root=tmp_path / "results")
    assert (again.reused, again.damaged) == (6, 0)


def test_a_full_disk_keeps_the_finished_chunks(tmp_path, sweep_file, monkeypatch, capsys):
    saved = []
    real = sweep_run.ChunkStore.save

    def fills_up(store, chunk, metrics):
        if len(saved) == 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        saved.append(chunk.name)
        real(store, chunk, metrics)

    monkeypatch.setattr(sweep_run.ChunkStore, "save", fills_up)
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "results"
    status = main(["sweep", str(sweep_file), "--workers", "1"])
    err = capsys.readouterr().err
    assert status == 2 and len(err.splitlines()) == 1, err
    assert "No space left on device; the 2 chunks finished before are kept" in err
    assert len(list(root.glob("sweeps/fragile/*/chunks/*.npz"))) == 2
    monkeypatch.setattr(sweep_run.ChunkStore, "save", real)
    assert sweep(sweep_file, workers=1, root=root).reused == 2


def test_an_out_that_is_a_file_is_one_line(tmp_path, sweep_file, capsys):
    (tmp_path / "taken").write_text("a file", encoding="utf-8")
    status = main(["sweep", str(sweep_file), "--workers", "1", "--out", str(tmp_path / "taken")])
    assert (status, capsys.readouterr().err) == (
        2,
        f"evacsim: error: {tmp_path / 'taken'}: exists and is not a folder; choose another --out\n",
    )


def full_disk(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_full_disk_before_the_first_chunk_leaves_nothing(tmp_path, sweep_file, monkeypatch):
    def makes_the_folder_then_full(path: Path, data: bytes) -> None:  # the sweep's id file
        path.parent.mkdir(parents=True)
        full_disk()

    monkeypatch.setattr(sweep_run, "write_atomic", makes_the_folder_then_full)
    with pytest.raises(ScenarioError, match="cannot be written: No space left on device"):
        sweep(sweep_file, workers=1, folder=tmp_path / "out" / "sweep")
    assert os.listdir(tmp_path / "out") == []


def test_a_full_disk_at_the_tables_keeps_the_chunks(tmp_path, sweep_file, monkeypatch, capsys):
    real = sweep_run.write_outputs
    monkeypatch.setattr(sweep_run, "write_outputs", full_disk)
    out = tmp_path / "sweep"
    status = main(["sweep", str(sweep_file), "--workers", "1", "--out", str(out)])
    assert (status, capsys.readouterr().err) == (
        2,
        f"evacsim: error: {out}: cannot write the sweep's tables and figures: No space left "
        "on device; its finished chunks are kept: make room and run the same command to "
        "write them\n",
    )
    monkeypatch.setattr(sweep_run, "write_outputs", real)
    assert sweep(sweep_file, workers=1, folder=out).reused == 6


@pytest.mark.parametrize(
    "address", ["tcp://", "tcp://host:abc", "tcp://[::1", "tcp://localhost:99999", "tcp://a:1/x"]
)
def test_a_malformed_scheduler_address_is_one_line(address: str):
    with pytest.raises(ScenarioError) as info:
        open_executor(address)
    assert info.value.source == "--scheduler" and "tcp://HOST:PORT" in info.value.message


def test_a_lost_dask_cluster_is_one_line():
    class Lost:
        def result(self):
            raise CancelledError("scheduler lost")

    class Client:
        def submit(self, *args, **kwargs):
            return Lost()

    class Distributed:
        @staticmethod
        def as_completed(futures):
            return iter(futures)

    executor = DaskExecutor("tcp://cluster:8786", 1)
    executor.client, executor._distributed = Client(), Distributed()
    with pytest.raises(ScenarioError) as info:
        list(executor.run(["chunk"], [()]))
    assert info.value.message.startswith("the Dask cluster tcp://cluster:8786 was lost")
    assert "chunks finished before are kept" in info.value.message


@pytest.mark.parametrize("name", ["..", ".", "", "a/b", "a\\u0000b", "x" * 61])
def test_a_sweep_name_that_is_not_a_folder_name(tmp_path: Path, name: str):
    path = tmp_path / "s.toml"
    path.write_text(SWEEP.replace('name = "fragile"', f'name = "{name}"'), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_sweep(path)
    assert info.value.key == "name"


def test_a_sweep_file_that_is_not_utf8(tmp_path: Path):
    path = tmp_path / "s.toml"
    path.write_bytes(SWEEP.replace("fragile", "fragilé").encode("latin-1"))
    with pytest.raises(ScenarioError, match="not UTF-8 text"):
        load_sweep(path)
