"""No lost search: a study killed with SIGKILL resumes from Optuna's journal, and gives the
same trials and the same chosen plan as a study never stopped."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import DETERMINISTIC, ROOT

import sim
from sim.studies.optimise.evaluate import Evaluator
from sim.studies.optimise.search import search

# The workshop enclave with two levers: 32 trials in batches of 4, quick to evaluate, so
# Optuna's proposals (not the engine) set the pace and the kill lands mid-search.
STUDY = f"""
name = "killed"
base = "{DETERMINISTIC}"
seed = 5
reps = 2
budget = 64
batch = 4
objectives = [{{ minimise = "clearance_time" }}]

[decisions]
"fleet.buses.count" = {{ low = 4, high = 16 }}
"fleet.buses.crowding" = {{ low = 1.0, high = 1.5 }}

[[constraints]]
metric = "first_convoy_people"
mean_at_most = 600
tolerance = 30

[certify]
delta = 1.0
first_stage = 5
"""


def created(journal) -> int:
    """Trials the journal has created so far (its complete lines only)."""
    if not journal.is_file():
        return 0
    lines = journal.read_bytes().split(b"\n")[:-1]
    return sum(json.loads(line)["op_code"] == 4 for line in lines)


def test_a_killed_study_resumes_and_gives_the_same_bytes(tmp_path):
    path = tmp_path / "killed.toml"
    path.write_text(STUDY)
    out = tmp_path / "out"
    journal = tmp_path / "out.search" / "optuna.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "sim.cli", "optimise", str(path), "--out", str(out)],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while created(journal) < 9:
            assert process.poll() is None, "the study ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.005)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    before = created(journal)
    assert 9 <= before < 32
    assert not out.exists()

    resumed = sim.optimise(path, out=out)
    assert created(out / "optuna.log") == 32  # the trials already asked were not asked again
    fresh = sim.optimise(path, out=tmp_path / "fresh")
    for name in ("trials.csv", "shortlist.csv", "plan.toml", "differences.csv"):
        assert (resumed.folder / name).read_bytes() == (fresh.folder / name).read_bytes(), name
    assert resumed.statement == fresh.statement


def test_a_journal_of_another_study_is_refused(tmp_path):
    path = tmp_path / "study.toml"
    path.write_text(STUDY.replace("budget = 64", "budget = 8"))
    journal = tmp_path / "out.search"
    # a search killed under one study file, resumed after the file changed
    spec = sim.load_study(path)
    search(spec, journal / "optuna.log", Evaluator(spec), identity="aaaaaaaaaaaa")
    with pytest.raises(sim.ScenarioError, match="is the journal of another study"):
        sim.optimise(path, out=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_journal_cut_at_any_line_resumes_to_the_same_trials(tmp_path):
    # A kill leaves the journal's lines up to some point: cut it there, at every line of the
    # second and third batches, and resume from each cut.
    path = tmp_path / "cut.toml"
    path.write_text(STUDY.replace("budget = 64", "budget = 40"))
    spec = sim.load_study(path)
    whole = tmp_path / "whole" / "optuna.log"
    trials = search(spec, whole, Evaluator(spec), identity="x")
    lines = whole.read_bytes().split(b"\n")[:-1]
    creations = [i for i, line in enumerate(lines) if json.loads(line)["op_code"] == 4]
    for cut in range(creations[4], creations[12] + 1):
        journal = tmp_path / f"cut{cut}" / "optuna.log"
        journal.parent.mkdir()
        journal.write_bytes(b"\n".join(lines[:cut]) + b"\n")
        resumed = search(spec, journal, Evaluator(spec), identity="x")
        assert repr(resumed) == repr(trials), cut  # repr: NaN objectives compare equal


def test_a_journal_cut_within_a_line_resumes_to_the_same_trials(tmp_path):
    # A kill or a full disk mid-write leaves part of a line: the resumed search must not
    # append after it (the two would read as one broken line).
    path = tmp_path / "cut.toml"
    path.write_text(STUDY.replace("budget = 64", "budget = 16"))
    spec = sim.load_study(path)
    whole = tmp_path / "whole" / "optuna.log"
    trials = search(spec, whole, Evaluator(spec), identity="x")
    lines = whole.read_bytes().split(b"\n")[:-1]
    cut = [i for i, line in enumerate(lines) if json.loads(line)["op_code"] == 4][5]
    journal = tmp_path / "cut" / "optuna.log"
    journal.parent.mkdir()
    journal.write_bytes(b"\n".join(lines[:cut]) + b"\n" + lines[cut][:40])
    resumed = search(spec, journal, Evaluator(spec), identity="x")
    assert repr(resumed) == repr(trials)
    assert repr(search(spec, journal, Evaluator(spec), identity="x")) == repr(trials)


def test_a_full_disk_keeps_the_search_for_a_rerun(tmp_path, monkeypatch, capsys):
    import optuna

    from sim.cli import main

    path = tmp_path / "full.toml"
    path.write_text(STUDY)
    out = tmp_path / "out"
    backend = optuna.storages.journal.JournalFileBackend
    real = backend.append_logs
    written: list[int] = []

    def fills_up(self, logs):
        if len(written) == 12:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        written.append(len(logs))
        real(self, logs)

    monkeypatch.setattr(backend, "append_logs", fills_up)
    assert main(["optimise", str(path), "--out", str(out), "-q"]) == 2
    assert capsys.readouterr().err == (
        f"evacsim: error: {tmp_path / 'out.search'}: cannot be written: No space left on "
        "device; the trials finished before are kept: make room and run the same command to "
        "resume\n"
    )
    assert not out.exists()
    monkeypatch.setattr(backend, "append_logs", real)
    assert main(["optimise", str(path), "--out", str(out), "-q"]) == 0
    assert created(out / "optuna.log") == 32


@pytest.mark.parametrize("where", ["out", "out/study"], ids=["a file", "under a file"])
def test_an_out_that_cannot_be_a_folder_is_one_line(tmp_path, capsys, where):
    from sim.cli import main

    path = tmp_path / "study.toml"
    path.write_text(STUDY)
    (tmp_path / "out").write_text("a file")
    assert main(["optimise", str(path), "--out", str(tmp_path / where), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"evacsim: error: {tmp_path / where}: ") and err.count("\n") == 1, err
    assert "a file" in err and "has finished" not in err
