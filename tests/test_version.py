"""One version lookup (``sim.version``): ``evacsim --version``, a run's manifest, a sweep's
and a study's id all read it, so an uninstalled checkout says the same thing everywhere."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json

import pytest
from conftest import SCENARIOS

import sim
import sim.version
from sim.outputs.results import versions
from sim.studies.optimise.run import study_id
from sim.studies.sweeps.run import sweep_id


def hashed(kind: str, identity: dict, version: str) -> str:
    """An id as sweeps and studies have always made it: twelve hex digits of the hash."""
    text = json.dumps({kind: identity, "evacsim": version}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


@pytest.fixture
def specs():
    sweep = sim.load_sweep(SCENARIOS / "sweeps" / "buses.toml")
    study = sim.load_study(SCENARIOS / "optimise" / "deterministic_fleet.toml")
    return sweep, study


def test_installed_ids_are_unchanged(specs):
    sweep, study = specs
    installed = importlib.metadata.version("evacsim")
    assert sweep_id(sweep) == hashed("sweep", sweep.identity(), installed)
    assert study_id(study) == hashed("study", study.identity(), installed)


def test_an_uninstalled_checkout_reads_one_version_everywhere(monkeypatch, specs):
    sweep, study = specs
    monkeypatch.setattr(sim.version, "__version__", "0+unknown")  # what it reads then
    assert sweep_id(sweep) == hashed("sweep", sweep.identity(), "0+unknown")
    assert study_id(study) == hashed("study", study.identity(), "0+unknown")
    assert versions()["evacsim"] == "0+unknown"
