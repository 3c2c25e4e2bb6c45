"""Imports on demand: ``import sim`` and ``evacsim --help`` load no library (not even numpy),
``evacsim validate`` and ``sim.load_scenario`` numpy and the scenario layer only; the engines
and the heavy libraries load when first used."""

from __future__ import annotations

import importlib
import importlib.metadata
import subprocess
import sys

import pytest
from conftest import BASELINE, ROOT

import sim
import sim.cli
import sim.studies.runner

#: Libraries a user who only reads a scenario (or asks for --help) must not wait for.
HEAVY = ("scipy", "matplotlib", "simpy", "pandas", "SALib", "dask", "optuna", "starlette")


def modules_after(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running ``code``."""
    probe = f"{code}\nimport sys\nprint(' '.join(sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return set(out.split())


def loaded_after(code: str) -> set[str]:
    """The top-level packages a fresh interpreter holds after running ``code``."""
    return {module.split(".")[0] for module in modules_after(code)}


#: What the start of every command costs: the parser, and ``sim``'s public names unread.
HELP = "import sim.cli\ntry:\n    sim.cli.main({})\nexcept SystemExit:\n    pass"
STARTING = {
    "import sim": "import sim",
    "evacsim --help": HELP.format(["--help"]),
    "evacsim run --help": HELP.format(["run", "--help"]),
}


@pytest.mark.parametrize("code", STARTING.values(), ids=STARTING)
def test_starting_loads_neither_numpy_nor_the_scenario_layer(code):
    loaded = modules_after(code)
    unwanted = {"numpy", "importlib.metadata", "sim.inputs.scenario", "sim.inputs.loader"}
    assert not loaded & unwanted, sorted(loaded & unwanted)
    assert not {m.split(".")[0] for m in loaded} & set(HEAVY)


@pytest.mark.parametrize(
    "code",
    [
        f"import sim.cli\nsim.cli.main(['validate', {str(BASELINE)!r}])",
        f"import sim\nsim.load_scenario({str(BASELINE)!r})",
    ],
    ids=["evacsim validate", "load_scenario"],
)
def test_reading_scenarios_loads_no_engine_or_heavy_library(code):
    loaded = loaded_after(code)
    assert "numpy" in loaded
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_running_loads_the_engines_on_first_use():
    loaded = loaded_after("import sim\nsim.run")
    assert {"simpy", "scipy"} <= loaded


def test_every_public_name_resolves_to_its_module_object():
    for name in sim.__all__:
        assert getattr(sim, name) is not None, name
    assert sim.run is sim.studies.runner.run
    assert set(dir(sim)) == set(sim.__all__)
    with pytest.raises(AttributeError, match="no attribute 'rnu'"):
        sim.rnu  # noqa: B018


def test_every_command_has_a_handler_module():
    commands = sim.cli._parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name in commands:
        assert callable(importlib.import_module(f"sim.cli.{name}").handle), name


def test_the_version_is_read_when_asked_for():
    out = subprocess.run(
        [sys.executable, "-m", "sim", "--version"], cwd=ROOT, capture_output=True, text=True
    )
    assert out.returncode == 0 and out.stdout == f"evacsim {sim.__version__}\n"
    assert sim.__version__ == importlib.metadata.version("evacsim")


def test_the_parser_offers_exactly_the_runners_engines():
    assert tuple(sim.studies.runner.ENGINES) == sim.cli.ENGINE_NAMES


def test_writing_the_parquet_table_does_not_load_pandas():
    """pyarrow's ``pa.array`` imports pandas wherever it is installed (0.5 s of CPU); a run
    folder's Parquet table is built from the arrays' buffers instead."""
    code = (
        "import io, sim\n"
        "from sim.outputs.results import write_parquet\n"
        f"scenario = sim.load_scenario({str(BASELINE)!r})\n"
        "result = sim.run(scenario, reps=30, seed=1, workers=1)  # clearance_time: all null\n"
        "write_parquet(result, io.BytesIO())"
    )
    loaded = loaded_after(code)
    assert "pyarrow" in loaded and "pandas" not in loaded


@pytest.mark.parametrize("chunk", [10, 15, 30, 40])
def test_a_run_of_several_chunks_imports_what_its_save_uses_as_its_last_chunk_runs(chunk):
    """While the last chunk runs, a core idles: the run imports what ``save`` draws and
    writes with then (a run of one chunk has nothing running beside it: a run it does not
    save pays nothing)."""
    code = (
        "import sys, sim, sim.studies.runner as runner\n"
        f"runner.CHUNK = {chunk}\n"
        f"scenario = sim.load_scenario({str(BASELINE)!r})\n"
        "real = runner.run_vector\n"
        "def chunk(scenario, reps, seed, first, parameters, numbers, traced):\n"
        "    if numbers[-1] == 39:  # the last chunk: what has been imported by then\n"
        "        print('matplotlib' in sys.modules and 'sim.views.report' in sys.modules)\n"
        "    return real(scenario, reps, seed, first, parameters, numbers, traced)\n"
        "runner.run_vector = chunk\n"
        "sim.run(scenario, reps=40, seed=1, workers=1)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == [str(chunk < 40)]
