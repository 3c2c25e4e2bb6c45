"""Hostile destinations: a bad ``--out`` is refused before anything is computed, a full disk
leaves nothing behind, and runs finishing at once never lose or mix up their results.
See ``docs/guarantees.md``.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DETERMINISTIC, ROOT

import sim.outputs.results as results
import sim.studies.runner
from sim.cli import main
from sim.errors import ScenarioError
from sim.outputs.folders import atomic_folder, check_destination


def cli(capsys, *args: object) -> tuple[int, str]:
    """``evacsim ARGS`` in this process: its status and its standard error."""
    status = main([str(a) for a in args])
    return status, capsys.readouterr().err


def one_line(status: int, err: str) -> str:
    assert status == 2, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("evacsim: error: "), err
    return lines[0]


@pytest.fixture
def no_simulation(monkeypatch):
    """Fail the test if the CLI starts simulating: the destination must be checked first."""

    def refuse(*args, **kwargs):
        raise AssertionError("simulated before checking --out")

    monkeypatch.setattr(sim.studies.runner, "run", refuse)  # the CLI imports it per command


@pytest.mark.parametrize(
    ("out", "expect"),
    [
        ("afile/x", "afile is a file, not a folder"),
        ("afile", "already exists (a file)"),
        ("adir", "already exists (a folder)"),
        ("dangling", "already exists (a broken symbolic link)"),
        ("dangling/x", "dangling is a broken symbolic link"),
        ("/dev/null/x", "/dev/null is a file, not a folder"),
        ("/proc/x", "cannot be created in /proc"),
        ("y" * 300, "a name longer than 255 bytes"),
        ("a\0b", "cannot contain a NUL"),
    ],
)
def test_a_bad_out_is_refused_before_simulating(
    tmp_path, monkeypatch, capsys, no_simulation, out, expect
):
    monkeypatch.chdir(tmp_path)
    Path("afile").touch()
    Path("adir").mkdir()
    Path("dangling").symlink_to("nowhere")
    line = one_line(*cli(capsys, "run", DETERMINISTIC, "--reps", "2", "--out", out))
    assert expect in line
    assert sorted(os.listdir()) == ["adir", "afile", "dangling"]
    assert not os.listdir("adir")


def test_a_results_root_that_is_a_file_is_refused_before_simulating(
    tmp_path, monkeypatch, capsys, no_simulation
):
    monkeypatch.chdir(tmp_path)
    Path("results").touch()
    line = one_line(*cli(capsys, "run", DETERMINISTIC, "--reps", "2"))
    assert "results is a file, not a folder" in line


def test_missing_parents_are_created(tmp_path: Path):
    check_destination(tmp_path / "a" / "b" / "run")
    assert sorted(os.listdir(tmp_path)) == []  # the check itself leaves nothing


def full_disk(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("where", ["rename", "write", "series"])
def test_a_full_disk_is_one_line_and_leaves_nothing(tmp_path, monkeypatch, capsys, where):
    monkeypatch.chdir(tmp_path)
    if where == "rename":
        monkeypatch.setattr(results.os, "rename", full_disk)
    elif where == "series":  # series.npz is written on a thread of its own
        monkeypatch.setattr(results, "write_npz", full_disk)
    else:
        monkeypatch.setattr(results.Path, "write_text", full_disk)
    line = one_line(*cli(capsys, "run", DETERMINISTIC, "--reps", "2", "--out", "out/run"))
    assert line == (
        "evacsim: error: out/run: cannot be written: No space left on device; "
        "nothing was left behind"
    )
    assert os.listdir("out") == []  # no run folder, no staging folder


@pytest.fixture
def tiny_disk(tmp_path: Path):
    """A 256 kB tmpfs (needs root and mount rights; skipped elsewhere)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True
    )
    if made.returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


def test_a_really_full_disk(tiny_disk: Path, monkeypatch, capsys):
    monkeypatch.chdir(tiny_disk)
    line = one_line(*cli(capsys, "run", DETERMINISTIC, "--reps", "50", "--out", "run"))
    assert line.endswith("run: cannot be written: No space left on device; nothing was left behind")
    assert os.listdir(tiny_disk) == []


def test_a_folder_taken_meanwhile_moves_the_result_aside(tmp_path: Path):
    target = tmp_path / "run"
    writer = atomic_folder(target)
    with writer as staging:
        (staging / "a.csv").write_text("mine\n")
        target.mkdir()  # another run finished first
        (target / "a.csv").write_text("theirs\n")
    assert writer.folder == tmp_path / "run-2"
    assert (target / "a.csv").read_text() == "theirs\n"
    assert (writer.folder / "a.csv").read_text() == "mine\n"
    assert sorted(os.listdir(tmp_path)) == ["run", "run-2"]


def test_an_interrupted_block_leaves_nothing(tmp_path: Path):
    with pytest.raises(KeyboardInterrupt), atomic_folder(tmp_path / "run") as staging:
        (staging / "a.csv").write_text("half\n")
        raise KeyboardInterrupt
    assert os.listdir(tmp_path) == []


def test_an_existing_out_is_refused(tmp_path: Path):
    (tmp_path / "run").mkdir()
    with pytest.raises(ScenarioError, match="already exists"), atomic_folder(tmp_path / "run"):
        pass


def test_runs_started_together_keep_every_result(tmp_path: Path):
    """Three runs of the same scenario and seed started at once, each a different what-if:
    all finish, in three folders, each holding its own what-if."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}
    counts = [11, 12, 13]
    runs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sim.cli",
                "run",
                str(DETERMINISTIC),
                "--reps",
                "2",
                "--set",
                f"fleet.buses.count={n}",
            ],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in counts
    ]
    outputs = [r.communicate(timeout=120) for r in runs]
    assert [r.returncode for r in runs] == [0] * 3, outputs
    folders = [Path(tmp_path, out.rsplit("Run folder: ", 1)[1].strip()) for out, _ in outputs]
    assert len(set(folders)) == 3
    for n, folder in zip(counts, folders, strict=True):
        assert f"fleet.buses.count={n}" in (folder / "manifest.json").read_text()
    parent = tmp_path / "results" / "deterministic"
    assert sorted(os.listdir(parent)) == sorted(f.name for f in folders)  # no staging left


def test_dollars_in_texts_are_drawn_literally(tmp_path: Path):
    """Mathtext in a name, a source or a suspension's reason must not crash the figures."""
    from dataclasses import replace

    from conftest import BASELINE

    from sim.inputs.loader import load_scenario
    from sim.studies.runner import run
    from sim.views.animate import animate
    from sim.views.wording import figure_text

    assert figure_text("$x^2$ costs $5") == r"\$x^2\$ costs \$5"
    hostile = "$\\frac{1}{0}$ $x^"
    overrides = [
        f"reported.0.source={hostile!r}",
        f"ceasefire.windows.0.reason={hostile!r}",
        "run.trace_reps=1",
    ]
    # a name from Python: the loader would refuse it, a notebook may still set it
    scenario = replace(load_scenario(BASELINE, overrides), name="$cost$ of $x^")
    result = run(scenario, 2)
    result.save(tmp_path / "run")
    assert (tmp_path / "run" / "evacuated.png").is_file()
    animate(scenario, result.replications.trace, tmp_path / "a.gif", minutes_per_frame=480.0)
    assert (tmp_path / "a.gif").is_file()


def test_init_into_a_file_is_one_line(tmp_path: Path, capsys):
    (tmp_path / "course").write_text("a file", encoding="utf-8")
    line = one_line(*cli(capsys, "init", tmp_path / "course"))
    assert line == f"evacsim: error: {tmp_path / 'course'}: exists and is not a folder"


def test_init_on_a_full_disk_leaves_nothing(tmp_path: Path, monkeypatch, capsys):
    import sim.inputs.library as library

    copied: list[object] = []
    real = library.shutil.copyfile

    def fills_up(source, target):
        if len(copied) == 3:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target))
        copied.append(target)
        return real(source, target)

    monkeypatch.setattr(library.shutil, "copyfile", fills_up)
    line = one_line(*cli(capsys, "init", tmp_path / "course"))
    assert line == (
        f"evacsim: error: {tmp_path / 'course'}: cannot be written: No space left on device; "
        "nothing was left behind"
    )
    assert os.listdir(tmp_path) == []


def test_init_refused_midway_keeps_another_inits_copy(tmp_path: Path, monkeypatch, capsys):
    """Two `evacsim init` of one new folder at once: the one whose rename finds the other's
    copy in place fails, and must not remove the folder the other has just filled."""
    import sim.inputs.library as library

    folder = tmp_path / "course"
    real = library._copy_library

    def the_other_init_finishes_first(target: Path) -> None:
        real(target)
        (folder / "scenarios").mkdir()
        (folder / "scenarios" / "theirs.toml").write_text("# the other init's copy")

    monkeypatch.setattr(library, "_copy_library", the_other_init_finishes_first)
    line = one_line(*cli(capsys, "init", folder))
    assert line.startswith(f"evacsim: error: {folder}: cannot be written: ")
    assert sorted(p.name for p in folder.iterdir()) == ["scenarios"]
    assert (folder / "scenarios" / "theirs.toml").is_file()
