"""Read a scenario file and build a validated :class:`~sim.inputs.scenario.Scenario`.

Each section of the file is read by its module in :mod:`sim.inputs.sections`, through
:class:`~sim.inputs.schema.Table`, so unknown keys, wrong types and out-of-range values fail
with the file, the key and what is allowed. Here: the order of reading, and the checks that
span sections (a work small enough to finish, breaches that leave time to evacuate).
"""

from __future__ import annotations

import math
import warnings
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sim.errors import ScenarioError
from sim.inputs.exchange import Exchange
from sim.inputs.library import locate
from sim.inputs.limits import (
    MAX_CONVOYS,
    MAX_HORIZON,
    MAX_HOURS,
    MAX_PEOPLE,
    MAX_REPS,
    MAX_SEED,
    MAX_SUSPENSIONS,
    MAX_TRACE_REPS,
)
from sim.inputs.names import NAME_RULE, folder_name, is_folder_name
from sim.inputs.plausible import ImplausibleValue, implausible
from sim.inputs.recording import DATETIME_SCHEMA
from sim.inputs.scenario import Ceasefire, Group, Linkage, Pool, Scenario
from sim.inputs.schema import Table
from sim.inputs.sections.ceasefire import read_ceasefire, read_linkage
from sim.inputs.sections.exchange import check_batches_fit
from sim.inputs.sections.fleet import read_fleet
from sim.inputs.sections.marks import read_milestone, read_reported
from sim.inputs.sections.operation import (
    corridor_to_the_end,
    read_convoy,
    read_crossing,
    read_periods,
    read_route,
)
from sim.inputs.sections.population import check_carried, read_population
from sim.inputs.sections.private import read_private
from sim.inputs.sections.weather import read_weather
from sim.inputs.sources import Sources, read_scenario_file
from sim.model.weather import no_weather

#: Longest description, characters (it heads the report page).
MAX_DESCRIPTION = 2_000


def load_scenario(
    path: str | Path, overrides: list[str] | None = None, setter: str = "--set"
) -> Scenario:
    """Read, merge and validate a scenario file.

    Parameters
    ----------
    path : str or Path
        The scenario file (TOML), or the name of a bundled one such as ``aleppo_2016`` (see
        :mod:`sim.inputs.library`). ``extends = "parent.toml"`` inside it deep-merges a parent.
    overrides : list of str, optional
        ``KEY=VALUE`` settings applied last, e.g. ``["fleet.buses.count=40"]``; the value is
        read as TOML, or as a string if it is not valid TOML.
    setter : str, default "--set"
        Where ``overrides`` come from, as an error in one of them names it (``page`` on the
        page).

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        Naming the file, the key and what is allowed.
    """
    path = locate(path)
    sources = read_scenario_file(path, overrides, setter)
    root = Table(sources.data, (), sources)
    start = root.raw(
        "start", allowed="a local date-time, e.g. 2016-12-15T05:00:00", schema=DATETIME_SCHEMA
    )
    if isinstance(start, str):
        try:
            start = datetime.fromisoformat(start)
        except ValueError:
            start = None
    if not isinstance(start, datetime) or start.tzinfo is not None:
        raise root.error("start", "must be a local date-time, e.g. 2016-12-15T05:00:00")
    if start > datetime.max - timedelta(hours=MAX_HOURS):  # every clock time must exist
        raise root.error("start", f"must leave {MAX_HOURS:,} hours before the year 10000")
    root.start = start
    horizon = root.number("horizon", above=0, maximum=MAX_HORIZON, unit="hours")
    pools = read_fleet(root.table("fleet"))
    population = root.table("population")
    groups = read_population(population, pools)
    private = read_private(root.table("private", default_empty=True), pools, groups)
    check_carried(population, groups, pools, private)  # before the convoy rules that need a seat
    convoy = read_convoy(root.table("convoy", default_empty=True), pools)
    route = read_route(root.table("route"))
    crossing = read_crossing(root.table("crossing")) if root.has("crossing") else None
    linkage, exchange = None, None
    if root.has("linkage"):
        linkage, exchange = read_linkage(root.table("linkage"), tuple(g.name for g in groups))
    _check_size(root, groups, pools, linkage)
    ceasefire = read_ceasefire(root.table("ceasefire", default_empty=True), route, linkage)
    _check_suspensions(root, ceasefire, linkage, horizon)
    _check_linked_halts(root, exchange, horizon)
    period_tables = root.tables("periods")
    periods = read_periods(period_tables, pools, groups, convoy, crossing)
    if exchange is not None:
        check_batches_fit(root, exchange, corridor_to_the_end(period_tables, convoy))
    weather = (
        read_weather(root.table("weather"), start, horizon)
        if root.has("weather")
        else no_weather(horizon)
    )
    milestones = tuple(read_milestone(t) for t in root.tables("milestones"))
    names = [m.name for m in milestones]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise root.error(f"milestones.{i}.name", f"duplicate milestone name {name!r}")
    reported = tuple(read_reported(t) for t in root.tables("reported"))
    run = root.table("run", default_empty=True)
    reps = run.number("reps", 200, minimum=1, maximum=MAX_REPS, integer=True)
    seed = run.number("seed", 1, minimum=0, maximum=MAX_SEED, integer=True)
    trace_reps = run.number("trace_reps", 3, minimum=0, maximum=MAX_TRACE_REPS, integer=True)
    run.close()
    name = root.text("name", folder_name(Path(path).stem))
    if not is_folder_name(name):
        raise root.error("name", f"must be {NAME_RULE} (it names the run folder), got {name!r}")
    description = root.text("description", "")
    if len(description) > MAX_DESCRIPTION:
        raise root.error("description", f"must be at most {MAX_DESCRIPTION:,} characters")
    root.close()
    scenario = Scenario(
        name=name,
        description=description,
        start=start,
        horizon=horizon,
        groups=groups,
        pools=pools,
        convoy=convoy,
        route=route,
        ceasefire=ceasefire,
        weather=weather,
        linkage=linkage,
        exchange=exchange,
        periods=periods,
        crossing=crossing,
        private=private,
        milestones=milestones,
        reported=reported,
        reps=reps,
        seed=seed,
        trace_reps=trace_reps,
        path=str(path),
        files=tuple(sources.chain),
        document=plain_document(sources),
    )
    for key, problem in implausible(scenario):
        origin = sources.origin(tuple(key.split(".")))
        warnings.warn(ImplausibleValue(f"{origin}: {key}: {problem}"), stacklevel=2)
    return scenario


def plain_document(sources: Sources) -> dict[str, Any]:
    """The merged scenario document with date-times as ISO strings, ready for JSON."""

    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        if hasattr(value, "isoformat"):
            return value.isoformat()
        return value

    return plain(sources.data)


def _check_size(
    root: Table, groups: tuple[Group, ...], pools: tuple[Pool, ...], linkage: Linkage | None
) -> None:
    """Refuse a scenario too large to hold or to finish: more than ``MAX_PEOPLE`` people,
    or more than ``MAX_CONVOYS`` convoys needed at a site in one replication (at least its
    people over the seats of its largest convoy)."""
    people = sum(g.total for g in groups)
    linked = 0 if linkage is None else linkage.people
    if people + linked > MAX_PEOPLE:
        raise root.error(
            "population",
            f"{people + linked:,} people in all (groups, arrivals and the linked site); "
            f"at most {MAX_PEOPLE:,}",
        )
    seats = sum(min(p.per_convoy, p.count) * p.capacity for p in pools)
    if seats and math.ceil(people / seats) > MAX_CONVOYS:
        raise root.error(
            "fleet",
            f"{people:,} people need at least {math.ceil(people / seats):,} convoys of at most "
            f"{seats:,} seats in each replication; at most {MAX_CONVOYS:,} (more seats per "
            "convoy: count, per_convoy, seats)",
        )
    if linkage is not None and math.ceil(linked / linkage.per_convoy) > MAX_CONVOYS:
        raise root.error(
            "linkage.per_convoy",
            f"{linked:,} people in convoys of {linkage.per_convoy:,} make "
            f"{math.ceil(linked / linkage.per_convoy):,} linked convoys in each replication; "
            f"at most {MAX_CONVOYS:,}",
        )


def _check_suspensions(
    root: Table, ceasefire: Ceasefire, linkage: Linkage | None, horizon: float
) -> None:
    """Refuse breach rates that imply more than ``MAX_SUSPENSIONS`` suspensions in one
    replication: the horizon over the mean time from one breach to the next (the mean gap
    between breaches while active, then the mean negotiation and guarantee)."""
    rate = ceasefire.breach_rate + (0.0 if linkage is None else linkage.lag_breach_rate)
    if rate == 0:
        return
    pause = sum(d.mean for d in (ceasefire.negotiation, ceasefire.guarantee) if d is not None)
    expected = horizon / (1 / rate + pause)
    if expected > MAX_SUSPENSIONS:
        raise root.error(
            "ceasefire.breach_rate",
            f"implies about {expected:,.0f} suspensions in each replication ({rate:g} breaches "
            f"an hour, {pause:g} h to renegotiate, {horizon:g} h); at most "
            f"{MAX_SUSPENSIONS:,}: a lower rate or longer negotiation and guarantee",
        )


def _check_linked_halts(root: Table, exchange: Exchange | None, horizon: float) -> None:
    """Refuse a linked site's random halt rate that implies more than ``MAX_SUSPENSIONS``
    halts in one replication (the horizon over the mean gap plus the mean halt)."""
    if exchange is None or exchange.halt_rate == 0 or exchange.halt_duration is None:
        return
    rate, mean = exchange.halt_rate, exchange.halt_duration.mean
    expected = horizon / (1 / rate + mean)
    if expected > MAX_SUSPENSIONS:
        raise root.error(
            "linkage.halt_rate",
            f"implies about {expected:,.0f} halts of the linked site in each replication "
            f"({rate:g} an hour, {mean:g} h each, {horizon:g} h); at most {MAX_SUSPENSIONS:,}",
        )


__all__ = ["ScenarioError", "load_scenario"]
