"""Tests for scenario validation: every mistake is one line naming the file, the key and
what is allowed, exit status 2, and nothing written.

Each file in ``tests/malformed/`` is one mistake. Its first line is a comment saying what
is wrong, its second ``# expect: <key.path>``, the key the error must name (for a file that
is not valid TOML, which has no key, the location instead: ``# expect: line N``). An
optional ``# file: NAME`` names the file the error must blame when it is not the file
itself (a parent that set the key). Files without ``# expect:`` are valid helpers, only
parents of others.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import all_scenarios

from sim.errors import ScenarioError
from sim.inputs.loader import load_scenario

ROOT = Path(__file__).resolve().parents[1]
MALFORMED = ROOT / "tests" / "malformed"
DETERMINISTIC = ROOT / "scenarios" / "workshop" / "deterministic.toml"
VALID = all_scenarios()


def header(path: Path) -> dict[str, str]:
    """The leading comment lines of a malformed file: ``what``, ``expect`` and ``file``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    out = {"what": lines[0].removeprefix("#").strip()} if lines[0].startswith("#") else {}
    for line in lines[1:]:
        if not line.startswith("#"):
            break
        match = re.fullmatch(r"#\s*(expect|file):\s*(.+?)\s*", line)
        if match:
            out[match[1]] = match[2]
    return out


FILES = sorted(MALFORMED.glob("*.toml"))
CASES = [p for p in FILES if "expect" in header(p)]
HELPERS = [p for p in FILES if p not in CASES]


def blamed(case: Path) -> Path:
    """The file the error for ``case`` must name."""
    return MALFORMED / header(case).get("file", case.name)


def evacsim(*args: object, cwd: Path) -> subprocess.CompletedProcess:
    """Run ``python -m sim.cli ARGS`` in ``cwd`` with the repository on the path."""
    path = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    # one BLAS thread: these processes only import numpy, and many run side by side
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path), "OPENBLAS_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "sim.cli", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def one_error_line(result: subprocess.CompletedProcess) -> str:
    """The single ``evacsim: error:`` line of a failed command (checked: status 2, no more)."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("evacsim: error: ")
    return lines[0]


def names(line: str, source: object, expect: str) -> bool:
    """Whether an error line names the file and the key (or, for bad TOML, the location)."""
    if expect.startswith("line "):
        return line.startswith(f"evacsim: error: {source}: not valid TOML") and expect in line
    return line.startswith(f"evacsim: error: {source}: {expect}: ")


@pytest.fixture(scope="session")
def cli_runs(tmp_path_factory) -> dict[Path, tuple[subprocess.CompletedProcess, Path]]:
    """``evacsim run CASE --out <dir>/run`` in an empty ``<dir>``, for every case at once."""

    def one(case: Path) -> tuple[subprocess.CompletedProcess, Path]:
        folder = tmp_path_factory.mktemp(case.stem)
        return evacsim("run", case, "--out", folder / "run", cwd=folder), folder

    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        return dict(zip(CASES, pool.map(one, CASES), strict=True))


@pytest.fixture(scope="session")
def cli_validate(tmp_path_factory) -> subprocess.CompletedProcess:
    """``evacsim validate`` on every case in one process (each must give one line)."""
    return evacsim("validate", *CASES, cwd=tmp_path_factory.mktemp("validate"))


def test_enough_distinct_cases():
    assert len(CASES) >= 20
    contents = {p.read_text(encoding="utf-8").split("\n", 2)[2] for p in CASES}
    assert len(contents) == len(CASES)


def test_helpers_are_only_parents():
    parents = {
        (case.parent / m[1]).resolve()
        for case in CASES
        for m in [re.search(r'^extends = "(.+)"', case.read_text(encoding="utf-8"), re.M)]
        if m
    }
    for helper in HELPERS:
        assert helper.resolve() in parents, f"{helper.name}: no '# expect:' line"
        load_scenario(helper)


@pytest.mark.parametrize("case", CASES, ids=[p.stem for p in CASES])
def test_header(case: Path):
    lines = case.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# ") and len(lines[0]) > 10
    assert lines[1].startswith("# expect: ")
    assert blamed(case).is_file()


@pytest.mark.parametrize("case", CASES, ids=[p.stem for p in CASES])
def test_load_scenario_names_file_and_key(case: Path):
    expect = header(case)["expect"]
    with pytest.raises(ScenarioError) as info:
        load_scenario(case)
    error = info.value
    assert Path(error.source).resolve() == blamed(case).resolve()
    if expect.startswith("line "):
        assert error.key == ""
        assert expect in error.message
    else:
        assert error.key == expect
    assert error.message
    assert "\n" not in str(error)


@pytest.mark.parametrize("case", CASES, ids=[p.stem for p in CASES])
def test_cli_run_exits_2_and_writes_nothing(case: Path, cli_runs):
    result, folder = cli_runs[case]
    line = one_error_line(result)
    assert names(line, blamed(case), header(case)["expect"]), line
    assert result.stdout == ""
    assert list(folder.iterdir()) == []  # no run folder, no results/, nothing else


@pytest.mark.parametrize("case", CASES, ids=[p.stem for p in CASES])
def test_cli_validate_one_line_per_file(case: Path, cli_validate):
    assert cli_validate.returncode == 2
    assert "Traceback" not in cli_validate.stderr
    lines = cli_validate.stderr.splitlines()
    assert len(lines) == len(CASES), cli_validate.stderr
    line = lines[CASES.index(case)]
    assert names(line, blamed(case), header(case)["expect"]), line


def test_error_in_parent_names_the_parent(tmp_path: Path):
    parent = tmp_path / "parent.toml"
    parent.write_text(f'extends = "{DETERMINISTIC.as_posix()}"\n[fleet.buses]\nseats = 0\n')
    child = tmp_path / "child.toml"
    child.write_text('extends = "parent.toml"\n[run]\nreps = 2\n')
    with pytest.raises(ScenarioError) as info:
        load_scenario(child)
    assert Path(info.value.source) == parent.resolve()
    assert info.value.key == "fleet.buses.seats"
    assert str(info.value).startswith(f"{parent.resolve()}: fleet.buses.seats: must be")


def test_error_in_child_names_the_child(tmp_path: Path):
    child = tmp_path / "child.toml"
    child.write_text(f'extends = "{DETERMINISTIC.as_posix()}"\n[route]\ninspection = -1\n')
    with pytest.raises(ScenarioError) as info:
        load_scenario(child)
    assert (info.value.source, info.value.key) == (str(child), "route.inspection")


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        (["fleet.buses.count=-1"], "fleet.buses.count"),
        (["nonsense"], "nonsense"),
        (["fleet.buses.count=0"], "fleet.buses.count"),
        (["fleet.buses.seats.x=1"], "fleet.buses.seats"),
        (
            ['fleet.buses.load_time={dist = "gamma", mean = 1.0, cv = -1}'],
            "fleet.buses.load_time.cv",
        ),
        (["colour.red=1"], "colour"),
    ],
)
def test_set_mistakes_name_set(overrides: list[str], key: str):
    with pytest.raises(ScenarioError) as info:
        load_scenario(DETERMINISTIC, overrides)
    assert (info.value.source, info.value.key) == ("--set", key)


def test_set_mistake_in_cli(tmp_path: Path):
    result = evacsim(
        "run",
        DETERMINISTIC,
        "--set",
        "fleet.buses.count=-1",
        "--out",
        tmp_path / "run",
        cwd=tmp_path,
    )
    assert one_error_line(result).startswith("evacsim: error: --set: fleet.buses.count: ")
    assert list(tmp_path.iterdir()) == []


def test_missing_scenario_file(tmp_path: Path):
    missing = tmp_path / "no_such.toml"
    with pytest.raises(ScenarioError) as info:
        load_scenario(missing)
    assert info.value.source == str(missing)
    line = one_error_line(evacsim("run", missing, "--out", tmp_path / "run", cwd=tmp_path))
    assert line == f"evacsim: error: {missing}: no such scenario file"
    assert list(tmp_path.iterdir()) == []


def test_valid_scenarios_validate(tmp_path: Path):
    assert DETERMINISTIC in VALID
    result = evacsim("validate", *VALID, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert len(result.stdout.splitlines()) == len(VALID)


def test_set_overrides():
    assert load_scenario(DETERMINISTIC).pools[0].count == 10
    scenario = load_scenario(DETERMINISTIC, ["fleet.buses.count=20", "route.inspection=0.5"])
    assert scenario.pools[0].count == 20
    assert scenario.pools[0].seats == 50
    assert scenario.route.inspection.mean == 0.5


def test_extends_deep_merges(tmp_path: Path):
    child = tmp_path / "child.toml"
    child.write_text(f'extends = "{DETERMINISTIC.as_posix()}"\n[fleet.buses]\ncount = 12\n')
    parent, scenario = load_scenario(DETERMINISTIC), load_scenario(child)
    assert scenario.pools[0].count == 12
    # every sibling of the changed key is the parent's (per_convoy defaults to count)
    assert scenario.pools[0] == replace(parent.pools[0], count=12, per_convoy=12)
    assert scenario.groups == parent.groups and scenario.route == parent.route
    assert scenario.files == (str(DETERMINISTIC.resolve()), str(child))


def test_extends_deep_merges_a_distribution(tmp_path: Path):
    child = tmp_path / "child.toml"
    base = (MALFORMED / "_lognormal_base.toml").as_posix()
    child.write_text(f'extends = "{base}"\n[fleet.buses.load_time]\ncv = 0.5\n')
    load_time = load_scenario(child).pools[0].load_time
    assert (load_time.dist, dict(load_time.params)) == ("lognormal", {"mean": 0.5, "cv": 0.5})


def test_zero_capacity_blames_the_latest_setting(tmp_path: Path):
    parent = tmp_path / "parent.toml"
    parent.write_text(
        f'extends = "{DETERMINISTIC.as_posix()}"\n'
        "[fleet.vans]\ncount = 0\nseats = 8\nload_time = 0.2\nunload_time = 0.1\n"
    )
    child = tmp_path / "child.toml"
    child.write_text('extends = "parent.toml"\n[population.families]\nvehicles = ["vans"]\n')
    with pytest.raises(ScenarioError) as info:
        load_scenario(child)
    assert (info.value.source, info.value.key) == (str(child), "population.families.vehicles")
    with pytest.raises(ScenarioError) as info:
        load_scenario(parent, ["population.families.vehicles=['vans']"])
    assert (info.value.source, info.value.key) == ("--set", "population.families.vehicles")
    load_scenario(child, ["fleet.vans.count=3"])
