"""evacsim as pip installs it: a wheel in a fresh virtual environment, used from elsewhere.

The wheel is built from this checkout and installed without its dependencies into a new
venv, which borrows numpy, SimPy and the rest from the test environment through a ``.pth``
file (the network is not needed, and evacsim itself comes only from the wheel). Every
command then runs from a folder that is not the checkout.
"""

from __future__ import annotations

import re
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, SCENARIOS

import sim


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    """A venv with the wheel installed: its bin folder, a working folder, the build log."""
    base = tmp_path_factory.mktemp("install")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w",
         str(base / "dist"), str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    (wheel,) = (base / "dist").glob("evacsim-*.whl")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    # the dependencies, not evacsim: this environment's evacsim is an editable checkout,
    # whose finder is not loaded from a path added this way
    (Path(site) / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
         "--no-index", str(wheel)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr
    work = base / "elsewhere"
    work.mkdir()
    return {"bin": venv / "bin", "work": work, "wheel": wheel, "log": build.stdout + build.stderr}


def command(installed: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(installed["bin"] / args[0]), *args[1:]],
        cwd=installed["work"], capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_wheel_holds_the_library_the_handout_and_the_marker(installed):
    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    library = {
        "sim/scenarios/" + p.relative_to(SCENARIOS).as_posix() for p in SCENARIOS.rglob("*.toml")
    }
    assert library <= names
    assert {"sim/scenarios/workshop.md", "sim/py.typed", "sim/__main__.py"} <= names
    assert {"sim/scenarios/schemas/scenario.json", "sim/inputs/probes/arrivals.toml"} <= names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "Deprecat" not in installed["log"] and "!!" not in installed["log"]


def test_installed_evacsim_runs_a_bundled_scenario_by_name(installed):
    where = command(installed, "python", "-c", "import sim; print(sim.__file__, sim.__version__)")
    assert where.returncode == 0, where.stderr
    path, version = where.stdout.split()
    assert Path(path).is_relative_to(installed["bin"].parent) and version == sim.__version__
    done = command(installed, "evacsim", "run", "aleppo_2016", "--reps", "2", "--out", "run")
    assert done.returncode == 0, done.stderr
    assert (installed["work"] / "run" / "summary.csv").is_file()
    assert "aleppo_2016: 2 replications" in done.stdout
    # a what-if's `extends` resolves inside the installed library; a unique last part names
    # a file (patients_last is both a first-phase and a whole-operation what-if: not unique)
    checked = command(
        installed, "evacsim", "validate", "what-if/full/patients_last", "deterministic"
    )
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.count(": ok (") == 2


def test_installed_evacsim_lists_and_copies_the_library(installed):
    listed = command(installed, "evacsim", "scenarios")
    assert listed.returncode == 0, listed.stderr
    for name in ("aleppo_2016", "what-if/double_fleet", "workshop/deterministic", "sweeps/buses"):
        assert re.search(rf"^  {re.escape(name)} ", listed.stdout, re.M), name
    lines = listed.stdout.splitlines()
    assert lines[-1].startswith(f"Library: {installed['bin'].parent}/lib/")
    assert lines[-1].endswith("/site-packages/sim/scenarios")
    assert max(len(line) for line in lines[:-1]) <= 100
    copied = command(installed, "evacsim", "init", "course")
    assert copied.returncode == 0, copied.stderr
    folder = installed["work"] / "course"
    assert (folder / "workshop.md").read_text() == (ROOT / "docs" / "workshop.md").read_text()
    copies = {p.relative_to(folder / "scenarios") for p in (folder / "scenarios").rglob("*.toml")}
    assert copies == {p.relative_to(SCENARIOS) for p in SCENARIOS.rglob("*.toml")}
    # the files' `#:schema ../schemas/scenario.json` holds in the copy too
    shipped = (SCENARIOS / "schemas" / "scenario.json").read_text()
    assert (folder / "scenarios" / "schemas" / "scenario.json").read_text() == shipped
    schema = command(installed, "evacsim", "schema")  # built from the installed library
    assert schema.returncode == 0 and schema.stdout == shipped, schema.stderr
    again = command(installed, "evacsim", "init", "course")
    assert again.returncode == 2 and "already exists" in again.stderr
    edited = folder / "scenarios" / "workshop" / "deterministic.toml"
    ran = command(installed, "evacsim", "run", str(edited), "--out", "mine")
    assert ran.returncode == 0, ran.stderr


def test_version_everywhere(installed):
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for args in (("evacsim", "--version"), ("python", "-m", "sim", "--version")):
        done = command(installed, *args)
        assert done.returncode == 0 and done.stdout.strip() == f"evacsim {project['version']}"
    citation = (ROOT / "CITATION.cff").read_text()
    assert re.search(rf"^version: \"?{re.escape(project['version'])}\"?$", citation, re.M)
    assert "License :: " not in "".join(project["classifiers"])  # the SPDX licence says it
    assert project["license"] == "MIT" and (ROOT / "LICENSE").read_text().startswith("MIT")


def test_unknown_name_lists_the_bundled_ones(tmp_path):
    with pytest.raises(
        sim.ScenarioError, match=r"bundled: aleppo_2016, aleppo_2016_full, what-if/bigger_convoys"
    ):
        sim.load_scenario("aleppo")
    # a path that does not exist is a path, not a name
    with pytest.raises(sim.ScenarioError, match="no such scenario file"):
        sim.load_scenario(tmp_path / "aleppo_2016.toml")
