"""Shared fixtures: the repository's scenarios and a way to run the CLI."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import strategies as st

import sim

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
DETERMINISTIC = SCENARIOS / "workshop" / "deterministic.toml"
BASELINE = SCENARIOS / "aleppo_2016.toml"


def all_scenarios() -> list[Path]:
    """Every scenario file in scenarios/ (what-if files included; not sweep, target or study
    files)."""
    return sorted(
        p
        for p in SCENARIOS.rglob("*.toml")
        if not {"calibration", "sweeps", "optimise"} & set(p.parts)
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


@pytest.fixture
def write_toml(tmp_path: Path) -> Callable[[str, str], Path]:
    """``write_toml(text, name)``: ``text`` as the file ``name`` in the test's own folder."""

    def write(text: str, name: str) -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return write


@pytest.fixture
def load_text(write_toml: Callable[[str, str], Path]) -> Callable[..., sim.Scenario]:
    """``load_text(text, overrides)``: the scenario a file holding ``text`` gives, with the
    ``--set`` style ``overrides`` (a list of ``KEY=VALUE``) applied."""

    def load(text: str, overrides: list[str] | None = None) -> sim.Scenario:
        return sim.load_scenario(write_toml(text, "scenario.toml"), overrides)

    return load


@pytest.fixture
def targets_file(write_toml: Callable[[str, str], Path]) -> Callable[[str], Path]:
    """``targets_file(text)``: a calibration targets file holding ``text``."""
    return lambda text: write_toml(text, "targets.toml")


#: What the calibration tests' targets files share: the people of the first convoy as a
#: target, and the buses' crowding as a free parameter.
FIRST_CONVOY_TARGET = """
[targets.first_convoy_people]
value = 951
sigma = 100
at = 2016-12-15T14:30:00
source = "test"
"""
CROWDING_PRIOR = """
[parameters."fleet.buses.crowding"]
prior = "uniform"
low = 1.0
high = 2.5
source = "test"
"""


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
def fleet_changes(draw, pool: str, count: int) -> str:
    """Vehicles of a pool entering and leaving, never more leaving than ever entered."""
    items, most, lost = [], count, 0
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.floats(0.0, 40.0))
        if draw(st.booleans()):
            n = draw(st.integers(1, 20))
            most += n
            items.append(f"{{at = {at!r}, enter = {n}}}")
        elif most > lost:
            n = draw(st.integers(1, most - lost))
            lost += n
            items.append(f"{{at = {at!r}, leave = {n}, reason = 'burned'}}")
    return f"fleet.{pool}.changes=[{', '.join(items)}]"


@st.composite
def crossing_rules(draw) -> list[str]:
    """A period's ``crossing`` table: a throughput per lane, a number of lanes, or both."""
    rules = {
        "vehicles_per_hour": lambda: repr(draw(st.floats(0.5, 200.0))),
        "lanes": lambda: str(draw(st.integers(1, 4))),
    }
    chosen = draw(st.lists(st.sampled_from(sorted(rules)), min_size=1, unique=True))
    return [f"{k} = {rules[k]()}" for k in chosen]


@st.composite
def periods(draw, crossing: bool = False) -> str:
    """Scheduled changes of the rules: convoy size, loads, headway, the corridor's room, snow,
    boarding, and the crossing's throughput and lanes if there is a crossing."""
    items = []
    for i in range(draw(st.integers(0, 3))):
        keys = [f"start = {draw(st.floats(0.0, 40.0))!r}", f"name = 'period {i}'"]
        options = {
            "per_convoy": lambda: f"{{buses = {draw(st.integers(1, 40))}}}",
            "crowding": lambda: f"{{buses = {draw(st.floats(1.0, 2.5))!r}}}",
            "min_vehicles": lambda: str(draw(st.integers(1, 10))),
            "max_wait": lambda: repr(draw(st.floats(0.0, 4.0))),
            "headway": lambda: repr(draw(st.floats(0.0, 2.0))),
            "max_in_corridor": lambda: str(draw(st.integers(1, 4))),
            "travel_factor": lambda: repr(draw(st.floats(0.2, 3.0))),
            "inspection_factor": lambda: repr(draw(st.floats(0.2, 5.0))),
            "board_while_suspended": lambda: str(draw(st.booleans())).lower(),
            "max_hold": lambda: repr(draw(st.sampled_from([0.1, 1.0, 3.0, float("inf")]))),
            "send_home": lambda: f"{{families = {draw(st.floats(0.0, 1.0))!r}}}",
        }
        if crossing:  # its throughput, its lanes, or both
            options["crossing"] = lambda: "{" + ", ".join(draw(crossing_rules())) + "}"
        chosen = draw(st.lists(st.sampled_from(sorted(options)), min_size=1, unique=True))
        keys += [f"{k} = {options[k]()}" for k in chosen]
        items.append("{" + ", ".join(keys) + "}")
    return f"periods=[{', '.join(items)}]"


def _first_phase(draw, buses: int, ambulances: int) -> list[str]:
    """Overrides of the baseline's first-phase mechanisms (fleet, people, convoys, route,
    ceasefire), drawn by ``draw``."""
    o = [
        f"horizon={draw(st.floats(1.0, 60.0))!r}",
        f"fleet.buses.count={buses}",
        f"fleet.buses.seats={draw(st.integers(1, 80))}",
        f"fleet.buses.per_convoy={draw(st.integers(1, 40))}",
        f"fleet.ambulances.count={ambulances}",
        f"fleet.buses.available_at={draw(st.floats(0.0, 10.0))!r}",
        f"population.families.count={draw(st.integers(0, 3000))}",
        f"population.wounded.count={draw(st.integers(0, 200))}",
        f"population.fighters.count={draw(st.integers(0, 500))}",
        f"convoy.min_vehicles={draw(st.integers(1, 10))}",
        f"convoy.max_wait={draw(st.floats(0.0, 4.0))!r}",
        f"convoy.headway={draw(st.floats(0.0, 2.0))!r}",
        f"convoy.max_in_corridor={draw(st.integers(1, 4))}",
        f"convoy.when_corridor_full='{draw(st.sampled_from(['wait_to_depart', 'wait_to_form']))}'",
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
    o.append("ceasefire.max_hold=" + draw(st.one_of(st.floats(0.1, 5.0).map(repr), st.just("inf"))))
    o.append(f"ceasefire.max_hold_counts='{draw(st.sampled_from(['total', 'each']))}'")
    o.append(f"ceasefire.board_while_suspended={str(draw(st.booleans())).lower()}")
    return o


def _families_arrive(draw) -> list[str]:
    """Maybe an arrival profile of families, drawn by ``draw``."""
    if not draw(st.booleans()):
        return []
    start = draw(st.floats(0.0, 20.0))
    return [
        f"population.families.arrivals=[{{start = {start!r}, end = {start + 10.0!r},"
        f" every = {draw(st.floats(0.5, 5.0))!r}, total = {draw(st.integers(0, 3000))}}}]"
    ]


@st.composite
def random_first_phase(draw) -> list[str]:
    """Overrides of the baseline within the first phase's mechanisms (those the compiled
    loop runs, :func:`sim.engines.compiled.run.compiled_supports`), arrivals included."""
    buses, ambulances = draw(st.integers(1, 40)), draw(st.integers(1, 15))
    o = _first_phase(draw, buses, ambulances)
    o.append("convoy.when_corridor_full='wait_to_depart'")
    o += _families_arrive(draw)
    return o


@st.composite
def random_scenario(draw) -> list[str]:
    """Overrides of the baseline: tiny or large fleets, heavy suspensions, short horizons."""
    buses, ambulances = draw(st.integers(0, 40)), draw(st.integers(1, 15))
    o = _first_phase(draw, buses, ambulances)
    # fleets that change, periods with their own rules, people who give up
    changes = draw(fleet_changes("buses", buses))
    if buses == 0 and "enter" not in changes:
        changes = "fleet.buses.changes=[{at = 2.0, enter = 3}]"
    o.append(changes)
    o.append(draw(fleet_changes("ambulances", ambulances)))
    for group in ("patients", "wounded", "families", "fighters"):
        if draw(st.booleans()):
            after, share = draw(st.floats(0.0, 30.0)), draw(st.floats(0.0, 1.0))
            o.append(f"population.{group}.leaving={{after = {after!r}, share = {share!r}}}")
    o += _families_arrive(draw)
    if draw(st.booleans()):
        o += [
            f"linkage.people={draw(st.integers(0, 3000))}",
            f"linkage.per_convoy={draw(st.integers(1, 1500))}",
            f"linkage.start={draw(st.floats(0.0, 20.0))!r}",
            f"linkage.trip={draw(durations)}",
            f"linkage.max_lag={draw(st.floats(0.0, 1.0))!r}",
            f"linkage.lag_breach_rate={draw(st.floats(0.0, 2.0))!r}",
        ]
    if draw(st.booleans()):  # loading places: ambulances, and maybe buses, at bays of their own
        o.append("fleet.ambulances.loading_place='bay'")
        if draw(st.booleans()):
            o.append(f"fleet.buses.loading_place='{draw(st.sampled_from(['bay', 'square']))}'")
    if draw(st.booleans()):  # private vehicles, in columns
        groups = ["patients", "wounded", "families", "fighters"]
        chosen = draw(st.lists(st.sampled_from(groups), min_size=1, max_size=3, unique=True))
        columns = []
        for _ in range(draw(st.integers(1, 4))):
            vehicles = draw(st.integers(1, 300))
            if draw(st.booleans()):
                columns.append(f"{{at = {draw(st.floats(0.0, 50.0))!r}, vehicles = {vehicles}}}")
            else:
                start = draw(st.floats(0.0, 40.0))
                end = start + draw(st.floats(0.5, 20.0))
                every = draw(st.floats(0.5, 6.0))
                window = f"start = {start!r}, end = {end!r}, every = {every!r}"
                columns.append(f"{{{window}, vehicles = {vehicles}}}")
        if draw(st.booleans()):  # people only the cars take: no convoy carries them
            chosen.insert(draw(st.integers(0, len(chosen))), "motorists")
            start = draw(st.floats(0.0, 40.0))
            o += [
                f"population.motorists={{count = {draw(st.integers(0, 1500))}, "
                f"priority = {draw(st.integers(0, 5))}, vehicles = []}}",
                f"population.motorists.arrivals=[{{start = {start!r}, end = {start + 6.0!r}, "
                f"every = {draw(st.floats(0.5, 3.0))!r}, total = {draw(st.integers(0, 2000))}}}]",
            ]
        o += [
            f"private.cars.groups={chosen!r}",
            f"private.cars.people={draw(durations)}",
            f"private.cars.columns=[{', '.join(columns)}]",
        ]
    crossing = draw(st.booleans())
    if crossing:  # a crossing that may set the pace
        o.append(f"crossing.lanes={draw(st.integers(1, 3))}")
        if draw(st.booleans()):
            o.append(f"crossing.vehicles_per_hour={draw(st.floats(0.5, 200.0))!r}")
    o.append(draw(periods(crossing)))
    if draw(st.booleans()):
        hours = st.floats(0.0, 24.0)
        opening, closing = draw(st.tuples(hours, hours).filter(lambda h: h[0] % 24 != h[1] % 24))
        o.append(f"convoy.departure_hours=[{opening!r}, {closing!r}]")
    if not any(x.startswith("linkage.") for x in o) and draw(st.booleans()):
        o += draw(exchange(o))
    return o


@st.composite
def exchange(draw, overrides: list[str]) -> list[str]:
    """A linked evacuation as an exchange: the linked site's convoys and halts, paired
    convoy for convoy or by batches that fit the corridor and the linked site's fleet."""
    vehicles = draw(st.integers(1, 30))
    size = draw(st.integers(1, vehicles))
    o = [
        "linkage.rule='exchange'",
        f"linkage.people={draw(st.integers(0, 3000))}",
        f"linkage.start={draw(st.floats(0.0, 20.0))!r}",
        f"linkage.vehicles={vehicles}",
        f"linkage.convoy_size={size}",
        f"linkage.load={draw(st.integers(1, 80))}",
        f"linkage.headway={draw(st.floats(0.0, 3.0))!r}",
    ]
    for leg in ("to_meeting", "from_meeting", "return_trip"):
        o.append(f"linkage.{leg}={draw(durations)}")
    halts, end = [], 0.0
    for _ in range(draw(st.integers(0, 2))):
        start = end + draw(st.floats(0.0, 20.0))
        end = start + draw(st.floats(0.1, 12.0))
        halts.append(f"{{start = {start!r}, end = {end!r}, reason = 'halt'}}")
    o.append(f"linkage.halts=[{', '.join(halts)}]")
    if draw(st.booleans()):
        # the corridor from the last period that sets it on: at most the narrowest drawn
        drawn = re.findall(r"max_in_corridor\s*=\s*(\d+)", " ".join(overrides))
        corridor = min(map(int, drawn))
        batches = []
        for _ in range(draw(st.integers(1, 3))):
            here = draw(st.integers(0, corridor))
            there = draw(st.integers(0 if here else 1, vehicles // size))
            batches.append(f"{{here = {here}, there = {there}}}")
        o += ["linkage.pairing='batches'", f"linkage.batches=[{', '.join(batches)}]"]
    if draw(st.booleans()):  # halts of its own, at random
        o.append(f"linkage.halt_rate={draw(st.floats(0.0, 0.5))!r}")
        o.append(f"linkage.halt_duration={draw(durations)}")
    if draw(st.booleans()):  # "fighters only after villagers arrive": held groups
        groups = ["patients", "wounded", "families", "fighters"]
        held = draw(st.lists(st.sampled_from(groups), min_size=1, max_size=2, unique=True))
        people = int(o[1].split("=")[1])
        if people and draw(st.booleans()):
            clause = f"people = {draw(st.integers(1, people))}"
        else:
            most = len(batches) if any("pairing" in x for x in o) else 1
            clause = f"batch = {draw(st.integers(1, most))}"
        o.append(f"linkage.after_safe={{groups = {held!r}, {clause}}}")
    return o
