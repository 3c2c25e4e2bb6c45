"""The scenario: every input of the model, validated and immutable.

A scenario describes the people at the pickup (:mod:`~sim.inputs.population`), the vehicles
(:mod:`~sim.inputs.fleet`), how convoys run (:mod:`~sim.inputs.operation`), private vehicles
(:mod:`~sim.inputs.private`), the ceasefire (:mod:`~sim.inputs.ceasefire`), the weather and the
marks on its results (:mod:`~sim.inputs.marks`). :func:`sim.inputs.loader.load_scenario` builds
one from a TOML file. All times are hours from ``start``. The defaults of optional inputs are
the defaults of these dataclasses, and ``docs/scenario.md`` lists them with their units.

Every part is imported from here (``from sim.inputs.scenario import Pool``): this module is the
scenario's one public address, the modules above are where each part is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sim.errors import ScenarioError, readable
from sim.inputs.ceasefire import BEFORE_CHECKPOINT, Ceasefire, Linkage, Window
from sim.inputs.checks import check, is_real, is_whole
from sim.inputs.exchange import Exchange
from sim.inputs.fleet import MAX_POOL_SIZE, MAX_POOLS, FleetChange, Pool, capacity
from sim.inputs.limits import MAX_HORIZON
from sim.inputs.marks import Milestone, Reported
from sim.inputs.operation import ConvoyRules, Crossing, Period, Route
from sim.inputs.population import Group, Leaving
from sim.inputs.private import MAX_COLUMN, PrivateStream
from sim.model.weather import Weather


@dataclass(frozen=True)
class Scenario:
    """A validated scenario. Build it with :func:`load_scenario`."""

    name: str
    description: str
    start: datetime
    horizon: float
    groups: tuple[Group, ...]
    pools: tuple[Pool, ...]
    convoy: ConvoyRules
    route: Route
    ceasefire: Ceasefire
    weather: Weather
    linkage: Linkage | None = None
    exchange: Exchange | None = None  # [linkage] with rule = "exchange"
    periods: tuple[Period, ...] = ()
    crossing: Crossing | None = None
    private: tuple[PrivateStream, ...] = ()
    milestones: tuple[Milestone, ...] = ()
    reported: tuple[Reported, ...] = ()
    reps: int = 200
    seed: int = 1
    trace_reps: int = 3
    path: str = ""
    files: tuple[str, ...] = ()
    document: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        """Check what a scenario file could not hold, so that a scenario changed in Python
        (``dataclasses.replace(scenario, horizon=-5)``) fails here, not in an engine."""
        ok = is_real(self.horizon, 0.0, MAX_HORIZON) and self.horizon > 0
        check(self, "horizon", ok, f"hours > 0 and <= {readable(MAX_HORIZON)}")
        one = self.linkage is None or self.exchange is None
        check(self, "exchange", one, "None with a linkage: one rule links the sites")
        check(self, "reps", is_whole(self.reps, 1), "a whole number >= 1")
        check(self, "seed", is_whole(self.seed, 0), "a whole number >= 0")
        check(self, "trace_reps", is_whole(self.trace_reps, 0), "a whole number >= 0")
        check(self, "pools", 0 < len(self.pools) <= MAX_POOLS, f"1 to {MAX_POOLS} pools")
        check(self, "groups", len(self.groups) > 0, "at least one group")
        names = [p.name for p in self.pools]
        check(self, "pools", len(set(names)) == len(names), "pools with distinct names")
        for g in self.groups:
            unknown = [v for v in g.vehicles if v not in names]
            check(self, "groups", not unknown, f"groups riding pools of {names}")
        by_car = {g for stream in self.private for g in stream.groups}
        stuck = [g.name for g in self.groups if g.total and not g.vehicles and g.name not in by_car]
        check(self, "groups", not stuck, "groups with people carried by a pool or a private stream")
        clause = self.exchange.after_safe if self.exchange is not None else None
        if clause is not None:
            groups = [g.name for g in self.groups]
            ok = all(g in groups for g in clause.groups)
            check(self, "exchange", ok, f"an after_safe clause holding groups of {groups}")
        if self.start.tzinfo is not None:
            raise ScenarioError("Scenario", "start", "must be a local date-time, without an offset")

    def clock(self, hours: float) -> datetime:
        """The local date-time ``hours`` after the start."""
        return self.start + timedelta(hours=float(hours))

    def shown(self, hours: float) -> datetime:
        """The local date-time ``hours`` after the start, to the nearest minute: a moment as
        tables, files, pages and figures show it (15.398 h after 05:00 is 20:24, not 20:23)."""
        return self.start + timedelta(minutes=round(float(hours) * 60))

    @property
    def start_hour(self) -> float:
        """Local hour of day of the start, e.g. 5.0 for 05:00."""
        return self.start.hour + self.start.minute / 60 + self.start.second / 3600

    @property
    def boarding_order(self) -> tuple[int, ...]:
        """Group indices in boarding order: priority, then file order."""
        return tuple(sorted(range(len(self.groups)), key=lambda g: self.groups[g].priority))

    @property
    def carriers(self) -> tuple[tuple[int, ...], ...]:
        """For each group, the indices of the pools allowed to carry it, in preference order."""
        index = {p.name: i for i, p in enumerate(self.pools)}
        return tuple(tuple(index[v] for v in g.vehicles) for g in self.groups)

    @property
    def loading_places(self) -> tuple[tuple[int, ...], ...]:
        """The pools at each loading place, places in order of their first pool."""
        places: dict[str, list[int]] = {}
        for p, pool in enumerate(self.pools):
            places.setdefault(pool.loading_place, []).append(p)
        return tuple(tuple(pools) for pools in places.values())

    @property
    def held_for_linked(self) -> tuple[int, ...]:
        """Indices of the groups an exchange's ``after_safe`` clause holds back (the linked
        site's people safe first), in file order; empty without one."""
        clause = self.exchange.after_safe if self.exchange is not None else None
        if clause is None:
            return ()
        return tuple(g for g, group in enumerate(self.groups) if group.name in clause.groups)

    @property
    def private_columns(self) -> tuple[tuple[float, int, int], ...]:
        """Every private column as (hours from start, stream index, vehicles), numbered by
        position: stream by stream in file order, each in time order."""
        return tuple((t, k, n) for k, stream in enumerate(self.private) for t, n in stream.columns)

    @property
    def crossers(self) -> tuple[str, ...]:
        """Pools then private streams whose passages through the checkpoint are counted:
        all of them with a crossing or private vehicles, else none."""
        if self.crossing is None and not self.private:
            return ()
        return tuple(p.name for p in self.pools) + tuple(s.name for s in self.private)

    @property
    def people(self) -> int:
        """Everyone who ever reaches the pickup."""
        return sum(g.total for g in self.groups)

    @property
    def leaving(self) -> bool:
        """Whether some people may give up waiting or be sent home (the metrics then count
        them as ``left``)."""
        return any(g.leaving is not None for g in self.groups) or any(
            p.send_home for p in self.periods
        )


__all__ = [
    "BEFORE_CHECKPOINT",
    "MAX_COLUMN",
    "MAX_POOLS",
    "MAX_POOL_SIZE",
    "Ceasefire",
    "ConvoyRules",
    "Crossing",
    "FleetChange",
    "Group",
    "Leaving",
    "Linkage",
    "Milestone",
    "Period",
    "Pool",
    "PrivateStream",
    "Reported",
    "Route",
    "Scenario",
    "Window",
    "capacity",
]
