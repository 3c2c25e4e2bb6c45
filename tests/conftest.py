"""Shared fixtures: the repository's scenarios and a way to run the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
DETERMINISTIC = SCENARIOS / "workshop" / "deterministic.toml"
BASELINE = SCENARIOS / "aleppo_2016.toml"


def all_scenarios() -> list[Path]:
    """Every scenario file in scenarios/ (what-if files included; not sweep or target files)."""
    return sorted(
        p for p in SCENARIOS.rglob("*.toml") if not {"calibration", "sweeps"} & set(p.parts)
    )


def evacsim(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the ``evacsim`` command as a user would, returning its completed process."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "sim.cli", *args],
        cwd=cwd or ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def root() -> Path:
    return ROOT


durations = st.one_of(
    st.floats(0.0, 3.0).map(lambda x: f"{x!r}"),
    st.tuples(st.floats(0.05, 3.0), st.floats(0.0, 1.5)).map(
        lambda mc: f"{{dist = 'lognormal', mean = {mc[0]!r}, cv = {mc[1]!r}}}"
    ),
    st.floats(0.05, 3.0).map(lambda m: f"{{dist = 'exponential', mean = {m!r}}}"),
    st.tuples(st.floats(0.05, 3.0), st.floats(0.0, 1.5)).map(
        lambda mc: f"{{dist = 'gamma', mean = {mc[0]!r}, cv = {mc[1]!r}}}"
    ),
    st.lists(st.floats(0.0, 3.0), min_size=3, max_size=3)
    .map(sorted)
    .map(lambda t: f"{{dist = 'triangular', low = {t[0]!r}, mode = {t[1]!r}, high = {t[2]!r}}}"),
    st.lists(st.floats(0.0, 3.0), min_size=2, max_size=2)
    .map(sorted)
    .map(lambda t: f"{{dist = 'uniform', low = {t[0]!r}, high = {t[1]!r}}}"),
)


@st.composite
def windows(draw) -> str:
    """Scheduled suspensions, some open-ended (negotiated)."""
    items = []
    for _ in range(draw(st.integers(0, 3))):
        start = draw(st.floats(0.0, 40.0))
        if draw(st.booleans()):
            items.append(f"{{start = {start!r}, end = {start + draw(st.floats(0.1, 12.0))!r}}}")
        else:
            items.append(f"{{start = {start!r}}}")
    return f"ceasefire.windows=[{', '.join(items)}]"


@st.composite
def random_scenario(draw) -> list[str]:
    """Overrides of the baseline: tiny or large fleets, heavy suspensions, short horizons."""
    o = [
        f"horizon={draw(st.floats(1.0, 60.0))!r}",
        f"fleet.buses.count={draw(st.integers(1, 40))}",
        f"fleet.buses.seats={draw(st.integers(1, 80))}",
        f"fleet.buses.per_convoy={draw(st.integers(1, 40))}",
        f"fleet.ambulances.count={draw(st.integers(1, 15))}",
        f"fleet.buses.available_at={draw(st.floats(0.0, 10.0))!r}",
        f"population.families.count={draw(st.integers(0, 3000))}",
        f"population.wounded.count={draw(st.integers(0, 200))}",
        f"population.fighters.count={draw(st.integers(0, 500))}",
        f"convoy.min_vehicles={draw(st.integers(1, 10))}",
        f"convoy.max_wait={draw(st.floats(0.0, 4.0))!r}",
        f"convoy.headway={draw(st.floats(0.0, 2.0))!r}",
        f"convoy.max_in_corridor={draw(st.integers(1, 4))}",
        f"route.incident_probability={draw(st.floats(0.0, 1.0))!r}",
        f"ceasefire.breach_rate={draw(st.floats(0.0, 1.0))!r}",
        f"ceasefire.before_checkpoint='{draw(st.sampled_from(['hold', 'turn_back']))}'",
        "run.trace_reps=2",
    ]
    for leg in ("to_checkpoint", "inspection", "to_reception", "return_trip"):
        o.append(f"route.{leg}={draw(durations)}")
    for pool in ("buses", "ambulances"):
        o.append(f"fleet.{pool}.load_time={draw(durations)}")
        o.append(f"fleet.{pool}.unload_time={draw(durations)}")
    o.append(f"ceasefire.negotiation={draw(durations)}")
    o.append(f"ceasefire.guarantee={draw(durations)}")
    o.append(draw(windows()))
    o.append("ceasefire.max_hold=" + repr(draw(st.floats(0.1, 5.0))))
    if draw(st.booleans()):
        o += [
            f"linkage.people={draw(st.integers(0, 3000))}",
            f"linkage.per_convoy={draw(st.integers(1, 1500))}",
            f"linkage.start={draw(st.floats(0.0, 20.0))!r}",
            f"linkage.trip={draw(durations)}",
            f"linkage.max_lag={draw(st.floats(0.0, 1.0))!r}",
            f"linkage.lag_breach_rate={draw(st.floats(0.0, 2.0))!r}",
        ]
    if draw(st.booleans()):  # a crossing that may set the pace
        o.append(f"crossing.lanes={draw(st.integers(1, 3))}")
        if draw(st.booleans()):
            o.append(f"crossing.vehicles_per_hour={draw(st.floats(0.5, 200.0))!r}")
    if draw(st.booleans()):
        hours = st.floats(0.0, 24.0)
        opening, closing = draw(st.tuples(hours, hours).filter(lambda h: h[0] % 24 != h[1] % 24))
        o.append(f"convoy.departure_hours=[{opening!r}, {closing!r}]")
    return o
