"""Imports on demand: ``import sim``, ``evacsim --help`` and ``evacsim validate`` load numpy
and the scenario layer only; the engines and the heavy libraries load when first used."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import BASELINE, ROOT

import sim
import sim.cli
import sim.studies.runner

#: Libraries a user who only reads a scenario (or asks for --help) must not wait for.
HEAVY = ("scipy", "matplotlib", "simpy", "pandas", "SALib", "dask", "optuna", "starlette")


def loaded_after(code: str) -> set[str]:
    """The top-level packages a fresh interpreter holds after running ``code``."""
    probe = f"{code}\nimport sys\nprint(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return set(out.split())


@pytest.mark.parametrize(
    "code",
    [
        "import sim",
        "import sim.cli\ntry:\n    sim.cli.main(['--help'])\nexcept SystemExit:\n    pass",
        f"import sim.cli\nsim.cli.main(['validate', {str(BASELINE)!r}])",
        f"import sim\nsim.load_scenario({str(BASELINE)!r})",
    ],
    ids=["import sim", "evacsim --help", "evacsim validate", "load_scenario"],
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


def test_the_parser_offers_exactly_the_runners_engines():
    assert tuple(sim.studies.runner.ENGINES) == sim.cli.ENGINE_NAMES
