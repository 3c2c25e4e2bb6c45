"""Shared fixtures: the repository's scenarios and a way to run the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
DETERMINISTIC = SCENARIOS / "workshop" / "deterministic.toml"
BASELINE = SCENARIOS / "aleppo_2016.toml"


def all_scenarios() -> list[Path]:
    """Every scenario file in scenarios/ (what-if files included)."""
    return sorted(p for p in SCENARIOS.rglob("*.toml") if "calibration" not in p.parts)


def evacsim(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the ``evacsim`` command as a user would, returning its completed process."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "sim.cli", *args],
        cwd=cwd or ROOT, env=env, capture_output=True, text=True, timeout=300,
    )


@pytest.fixture
def root() -> Path:
    return ROOT
