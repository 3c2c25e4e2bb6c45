"""Read a scenario file and build a validated :class:`~sim.inputs.scenario.Scenario`.

Each ``_read_*`` function reads one section of the file through :class:`~sim.inputs.schema.Table`,
so unknown keys, wrong types and out-of-range values fail with the file, the key and what
is allowed. Checks that span sections (vehicles that exist, a fleet that can carry
everyone) come last.
"""

from __future__ import annotations

import math
import warnings
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sim.errors import ScenarioError
from sim.inputs.exchange import EXCHANGE_KEYS, Exchange, read_exchange
from sim.inputs.library import locate
from sim.inputs.limits import (
    MAX_ARRIVAL_BATCHES,
    MAX_CELSIUS,
    MAX_CONVOYS,
    MAX_HORIZON,
    MAX_HOURS,
    MAX_PEOPLE,
    MAX_RATE,
    MAX_REPS,
    MAX_SEATS,
    MAX_SEED,
    MAX_SUSPENSIONS,
    MAX_TRACE_REPS,
)
from sim.inputs.names import NAME_RULE, folder_name, is_folder_name
from sim.inputs.plausible import ImplausibleValue, implausible
from sim.inputs.scenario import (
    MAX_COLUMN,
    MAX_POOL_SIZE,
    MAX_POOLS,
    Ceasefire,
    ConvoyRules,
    Crossing,
    FleetChange,
    Group,
    Leaving,
    Linkage,
    Milestone,
    Period,
    Pool,
    PrivateStream,
    Reported,
    Route,
    Scenario,
    Window,
)
from sim.inputs.schema import DATETIME_SCHEMA, Table
from sim.inputs.sources import Sources, read_scenario_file
from sim.model.periods import SCALAR_RULES
from sim.model.weather import Weather, no_weather

#: Longest description, characters (it heads the report page).
MAX_DESCRIPTION = 2_000

# JSON Schema of the values read raw (the readers check them; editors see these).
#: A list of distinct names (vehicle pools, population groups).
NAMES = {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"type": "string"}}
HOUR = {"type": "number", "minimum": 0, "maximum": 24}
CELSIUS = {"type": "number", "minimum": -MAX_CELSIUS, "maximum": MAX_CELSIUS}


def _pair(first: dict, second: dict | None = None) -> dict:
    """JSON Schema of a pair of numbers, ``[first, second]``."""
    items = [first, first if second is None else second]
    return {"type": "array", "items": items, "minItems": 2, "maxItems": 2}


def load_scenario(path: str | Path, overrides: list[str] | None = None) -> Scenario:
    """Read, merge and validate a scenario file.

    Parameters
    ----------
    path : str or Path
        The scenario file (TOML), or the name of a bundled one such as ``aleppo_2016`` (see
        :mod:`sim.inputs.library`). ``extends = "parent.toml"`` inside it deep-merges a parent.
    overrides : list of str, optional
        ``KEY=VALUE`` settings applied last, e.g. ``["fleet.buses.count=40"]``; the value is
        read as TOML, or as a string if it is not valid TOML.

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        Naming the file, the key and what is allowed.
    """
    path = locate(path)
    sources = read_scenario_file(path, overrides)
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
    pools = _read_fleet(root.table("fleet"))
    groups = _read_population(root.table("population"), pools)
    convoy = _read_convoy(root.table("convoy", default_empty=True), pools)
    route = _read_route(root.table("route"))
    crossing = _read_crossing(root.table("crossing")) if root.has("crossing") else None
    private = _read_private(root.table("private", default_empty=True), pools, groups)
    linkage, exchange = None, None
    if root.has("linkage"):
        linkage, exchange = _read_linkage(root.table("linkage"), convoy.max_in_corridor)
    _check_size(root, groups, pools, linkage)
    ceasefire = _read_ceasefire(root.table("ceasefire", default_empty=True), route, linkage)
    _check_suspensions(root, ceasefire, linkage, horizon)
    periods = _read_periods(root.tables("periods"), pools, groups, convoy, crossing)
    weather = (
        _read_weather(root.table("weather"), start, horizon)
        if root.has("weather")
        else no_weather(horizon)
    )
    milestones = tuple(_read_milestone(t) for t in root.tables("milestones"))
    names = [m.name for m in milestones]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise root.error(f"milestones.{i}.name", f"duplicate milestone name {name!r}")
    reported = tuple(_read_reported(t) for t in root.tables("reported"))
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


def _read_fleet(fleet: Table) -> tuple[Pool, ...]:
    pools = []
    for name, t in fleet.named_tables():
        count = t.number("count", minimum=0, maximum=MAX_POOL_SIZE, integer=True, unit="vehicles")
        changes = _read_fleet_changes(t, count)
        most = count + sum(c.vehicles for c in changes if c.vehicles > 0)
        pool = Pool(
            name=name,
            count=count,
            seats=t.number("seats", minimum=1, maximum=MAX_SEATS, integer=True, unit="people"),
            crowding=t.number("crowding", 1.0, minimum=1.0, maximum=5.0),
            available_at=t.time("available_at", 0.0),
            per_convoy=t.number(
                "per_convoy", max(most, 1), minimum=1, maximum=MAX_POOL_SIZE, integer=True
            ),
            load_time=t.duration("load_time"),
            unload_time=t.duration("unload_time"),
            changes=changes,
            loading_place=_read_place(t),
        )
        t.close()
        pools.append(pool)
    if not pools:
        raise fleet.error("", "needs at least one vehicle pool, e.g. [fleet.buses]")
    if len(pools) > MAX_POOLS:
        raise fleet.error("", f"at most {MAX_POOLS} vehicle pools")
    return tuple(pools)


def _read_fleet_changes(pool: Table, count: int) -> tuple[FleetChange, ...]:
    """Entries and losses of vehicles: ``{at, enter = n}`` or ``{at, leave = n}``."""
    changes = []
    for i, t in enumerate(pool.tables("changes")):
        enter, leave = t.has("enter"), t.has("leave")
        if enter == leave:
            raise t.error("enter", "give exactly one of 'enter' and 'leave' (vehicles)")
        key = "enter" if enter else "leave"
        n = t.number(key, minimum=1, maximum=MAX_POOL_SIZE, integer=True, unit="vehicles")
        change = FleetChange(t.time("at"), n if enter else -n, t.text("reason", ""))
        changes.append((change.at, i, change))
        t.close()
    ordered = tuple(c for _, _, c in sorted(changes, key=lambda x: x[:2]))
    entered = count + sum(c.vehicles for c in ordered if c.vehicles > 0)
    if entered > MAX_POOL_SIZE:
        raise pool.error("changes", f"at most {MAX_POOL_SIZE} vehicles in a pool, got {entered}")
    lost = -sum(c.vehicles for c in ordered if c.vehicles < 0)
    if lost > entered:
        raise pool.error(
            "changes", f"{lost} vehicles leave but the pool never has more than {entered}"
        )
    return ordered


def _read_place(t: Table) -> str:
    """A pool's loading place: a name it shares with the pools that load there."""
    place = t.text("loading_place", "pickup")
    if not place.isidentifier():
        raise t.error("loading_place", f"must be letters, digits and underscores, got {place!r}")
    return place


def _read_population(population: Table, pools: tuple[Pool, ...]) -> tuple[Group, ...]:
    by_name = {p.name: p for p in pools}
    groups = []
    for order, (name, t) in enumerate(population.named_tables()):
        count = t.number("count", 0, minimum=0, maximum=MAX_PEOPLE, integer=True, unit="people")
        priority = t.number("priority", order + 1, minimum=-MAX_PEOPLE, integer=True)
        vehicles = t.raw(
            "vehicles", allowed=f"a list of vehicle pools from {list(by_name)}", schema=NAMES
        )
        if (
            not isinstance(vehicles, list)
            or not vehicles
            or not all(isinstance(v, str) for v in vehicles)
            or len(set(vehicles)) != len(vehicles)
        ):
            raise t.error("vehicles", f"must be a list of distinct pool names from {list(by_name)}")
        for v in vehicles:
            if v not in by_name:
                raise t.error("vehicles", f"unknown vehicle pool {v!r}; fleet has {list(by_name)}")
        arrivals = _read_arrivals(t)
        leaving = _read_leaving(t.table("leaving")) if t.has("leaving") else None
        group = Group(name, count, priority, tuple(vehicles), arrivals, leaving)
        t.close()
        if group.total > 0 and not any(
            by_name[v].most > 0 and by_name[v].capacity > 0 for v in vehicles
        ):
            raise _no_carrier(population.sources, name, group.total, vehicles)
        groups.append(group)
    if not groups:
        raise population.error("", "needs at least one group, e.g. [population.families]")
    return tuple(groups)


def _no_carrier(sources: Sources, group: str, people: int, vehicles: list[str]) -> ScenarioError:
    """The error for a group no vehicle can carry.

    It names a pool's ``count`` or the group's ``vehicles``, whichever was set last (a
    child file or ``--set`` beats its parents), as that is where the mistake most likely is.
    """
    rank = {label: i for i, label in enumerate([*sources.chain, "--set"])}
    keys = [("fleet", v, "count") for v in vehicles] + [("population", group, "vehicles")]
    key = max(keys, key=lambda k: rank.get(sources.origin(k), -1))
    return ScenarioError(
        sources.origin(key),
        ".".join(key),
        f"population.{group} ({people} people) can ride only {vehicles}, which have count 0; "
        "give one of them count >= 1 or list another pool",
    )


def _read_arrivals(group: Table) -> tuple[tuple[float, int], ...]:
    """Arrival batches: ``{at, count}``, or ``{start, end, every}`` with ``count`` people
    per batch or a ``total`` shared out over the batches (the first ones take the rest)."""
    batches: list[tuple[float, int]] = []
    for t in group.tables("arrivals"):
        if t.has("at"):
            count = t.number(
                "count", minimum=0, maximum=MAX_PEOPLE, integer=True, unit="people per batch"
            )
            batches.append((t.time("at"), count))
        else:
            first = t.time("start")
            last = t.time("end")
            every = t.number("every", above=0, unit="hours")
            if last <= first:
                raise t.error("end", "must be after start")
            steps = (last - first) / every  # infinite for a tiny enough every
            if not len(batches) + steps <= MAX_ARRIVAL_BATCHES:
                raise t.error(
                    "every",
                    f"gives {len(batches) + steps:,.0f} arrival batches for this group; at most "
                    f"{MAX_ARRIVAL_BATCHES:,} (a longer every, or fewer, larger batches)",
                )
            n = math.ceil(steps - 1e-9)
            if t.has("count") == t.has("total"):
                raise t.error("count", "give exactly one of 'count' (per batch) and 'total'")
            if t.has("count"):
                count = t.number(
                    "count", minimum=0, maximum=MAX_PEOPLE, integer=True, unit="people per batch"
                )
                counts = [count] * n
            else:
                total = t.number(
                    "total", minimum=0, maximum=MAX_PEOPLE, integer=True, unit="people"
                )
                counts = [total // n + (k < total % n) for k in range(n)]
            batches.extend((first + k * every, counts[k]) for k in range(n))
        t.close()
    return tuple(sorted(batches, key=lambda b: b[0]))


def _read_leaving(t: Table) -> Leaving:
    leaving = Leaving(
        after=t.number("after", minimum=0, unit="hours"),
        share=t.number("share", minimum=0, maximum=1, unit="(a share of those waiting)"),
    )
    t.close()
    return leaving


def _read_convoy(t: Table, pools: tuple[Pool, ...]) -> ConvoyRules:
    rules = ConvoyRules(
        min_vehicles=t.number("min_vehicles", 1, minimum=1, integer=True, unit="vehicles"),
        max_wait=t.number(
            "max_wait", math.inf, minimum=0, maximum=MAX_HOURS, unit="hours", unlimited=True
        ),
        headway=t.number("headway", 0.0, minimum=0, maximum=MAX_HOURS, unit="hours"),
        max_in_corridor=t.number(
            "max_in_corridor", 1_000_000, minimum=1, maximum=1_000_000, integer=True
        ),
        departure_hours=_read_hours(t, "departure_hours") if t.has("departure_hours") else None,
        when_corridor_full=t.text(
            "when_corridor_full", "wait_to_depart", choices=("wait_to_depart", "wait_to_form")
        ),
    )
    _check_convoy_can_form(t, rules.min_vehicles, rules.max_wait, pools, {})
    t.close()
    return rules


def _check_convoy_can_form(
    t: Table, min_vehicles: int, max_wait: float, pools: tuple[Pool, ...], per_convoy: dict
) -> None:
    """Refuse a ``min_vehicles`` no convoy can reach when nothing else lets one form.

    The largest convoy takes from each pool its ``per_convoy`` (``per_convoy`` maps the
    pools a period has changed), at most the most vehicles the pool ever has.
    """
    largest = sum(min(p.most, per_convoy.get(p.name, p.per_convoy)) for p in pools)
    if min_vehicles > largest and math.isinf(max_wait):
        raise t.error(
            "min_vehicles",
            f"must be <= {largest}, the largest possible convoy (each pool's per_convoy, at "
            "most its vehicles, added up), or set max_wait",
        )


def _read_hours(t: Table, key: str) -> tuple[float, float]:
    """Opening and closing hour of day, ``[6, 18]``; ``[22, 6]`` spans midnight."""
    allowed = "[opening, closing] hours of day in [0, 24], different, e.g. [6, 18]"
    value = t.raw(key, allowed=allowed, schema=_pair(HOUR))
    if (
        not isinstance(value, list)
        or len(value) != 2
        or any(isinstance(x, bool) or not isinstance(x, int | float) for x in value)
        or not all(0 <= x <= 24 for x in value)
        or value[0] % 24 == value[1] % 24
    ):
        raise t.error(key, f"must be {allowed}, got {value!r}")
    return float(value[0]), float(value[1])


def _read_route(t: Table) -> Route:
    route = Route(
        to_checkpoint=t.duration("to_checkpoint"),
        inspection=t.duration("inspection"),
        to_reception=t.duration("to_reception"),
        return_trip=t.duration("return_trip"),
        incident_probability=t.number("incident_probability", 0.0, minimum=0, maximum=1),
    )
    t.close()
    return route


def _read_crossing(t: Table) -> Crossing:
    """Inspection lanes and their throughput; either may be left unlimited."""
    lanes = t.number("lanes", math.inf, minimum=1, integer=True, unit="lanes")
    per_hour = t.number("vehicles_per_hour", math.inf, above=0, unit="vehicles per hour per lane")
    if math.isinf(lanes) and math.isfinite(per_hour):
        raise t.error("lanes", "missing; vehicles_per_hour is a throughput per lane, set lanes too")
    t.close()
    return Crossing(lanes=float(lanes), vehicles_per_hour=per_hour)


def _read_private(
    private: Table, pools: tuple[Pool, ...], groups: tuple[Group, ...]
) -> tuple[PrivateStream, ...]:
    """Private vehicle streams: who they take, people per vehicle, and their columns."""
    names = [g.name for g in groups]
    streams = []
    for name, t in private.named_tables():
        if name in {p.name for p in pools}:
            raise private.error(name, "a private stream needs a name no vehicle pool has")
        chosen = t.raw("groups", allowed=f"a list of groups from {names}", schema=NAMES)
        if (
            not isinstance(chosen, list)
            or not chosen
            or not all(isinstance(g, str) and g in names for g in chosen)
            or len(set(chosen)) != len(chosen)
        ):
            raise t.error("groups", f"must be a list of distinct groups from {names}")
        load = t.duration("people")
        columns = []
        for c in t.tables("columns"):
            vehicles = c.number("vehicles", minimum=1, maximum=MAX_COLUMN, integer=True)
            if c.has("at"):
                columns.append((c.time("at"), vehicles))
            else:
                first, last = c.time("start"), c.time("end")
                every = c.number("every", above=0, unit="hours")
                if last <= first:
                    raise c.error("end", "must be after start")
                n = math.ceil((last - first) / every - 1e-9)
                columns.extend((first + k * every, vehicles) for k in range(n))
            c.close()
        if not columns:
            raise t.error("columns", "needs at least one column, e.g. [{at = 12, vehicles = 9}]")
        t.close()
        columns.sort(key=lambda c: c[0])
        streams.append(PrivateStream(name, tuple(chosen), load, tuple(columns)))
    private.close()
    return tuple(streams)


def _read_linkage(t: Table, corridor: int) -> tuple[Linkage | None, Exchange | None]:
    """The share rule (:class:`Linkage`) or, with ``rule = "exchange"``, the exchange (its
    batches fit ``corridor``, the convoys on the road at once)."""
    rule = t.text("rule", "share", choices=("share", "exchange"))
    site = t.text("site", "the linked site")
    people = t.number("people", minimum=0, maximum=MAX_PEOPLE, integer=True, unit="people")
    start = t.time("start", 0.0)
    if rule == "exchange":
        return None, read_exchange(t, site, people, start, corridor)
    for key in EXCHANGE_KEYS:
        if t.has(key):
            raise t.error(key, 'belongs to rule = "exchange"; the share rule does not take it')
    linkage = Linkage(
        site=site,
        people=people,
        per_convoy=t.number(
            "per_convoy", minimum=1, maximum=MAX_PEOPLE, integer=True, unit="people"
        ),
        start=start,
        trip=t.duration("trip"),
        max_lag=t.number("max_lag", minimum=0, maximum=1, unit="(a share of people)"),
        lag_breach_rate=t.number(
            "lag_breach_rate", 0.0, minimum=0, maximum=MAX_RATE, unit="per hour"
        ),
    )
    t.close()
    return linkage, None


def _read_ceasefire(t: Table, route: Route, linkage: Linkage | None) -> Ceasefire:
    windows = []
    for w in t.tables("windows"):
        start = w.time("start")
        end = w.time("end", None)
        if end is not None and end <= start:
            raise w.error("end", "must be after start")
        windows.append(Window(start, end, w.text("reason", "")))
        w.close()
    breach_rate = t.number("breach_rate", 0.0, minimum=0, maximum=MAX_RATE, unit="per hour")
    before = t.text("before_checkpoint", "hold", choices=("hold", "turn_back"))
    max_hold = t.number(
        "max_hold", math.inf, above=0, maximum=MAX_HOURS, unit="hours", unlimited=True
    )
    max_hold_counts = t.text("max_hold_counts", "total", choices=("total", "each"))
    negotiated = (
        breach_rate > 0
        or route.incident_probability > 0
        or any(w.end is None for w in windows)
        or (linkage is not None and linkage.lag_breach_rate > 0)
    )
    delays = {}
    for name in ("negotiation", "guarantee"):
        if negotiated or t.has(name):
            delays[name] = t.duration(name)
    ceasefire = Ceasefire(
        board_while_suspended=t.flag("board_while_suspended", False),
        breach_rate=breach_rate,
        negotiation=delays.get("negotiation"),
        guarantee=delays.get("guarantee"),
        before_checkpoint=before,
        max_hold=max_hold,
        max_hold_counts=max_hold_counts,
        windows=tuple(sorted(windows, key=lambda w: w.start)),
    )
    t.close()
    return ceasefire


def _read_periods(
    tables: list[Table],
    pools: tuple[Pool, ...],
    people: tuple[Group, ...],
    convoy: ConvoyRules,
    crossing: Crossing | None,
) -> tuple[Period, ...]:
    """Scheduled changes of the operating rules, in time order (ties in file order)."""
    names = [p.name for p in pools]
    groups = [g.name for g in people]
    min_vehicles, max_wait = convoy.min_vehicles, convoy.max_wait
    per_convoy: dict[str, int] = {}  # as the periods so far have set it
    periods = []
    for t in sorted(tables, key=lambda t: t.time("start")):
        period = Period(
            start=t.time("start"),
            name=t.text("name", ""),
            per_convoy=_by_name(
                t, "per_convoy", names, "vehicle pool", minimum=1, integer=True, unit="vehicles"
            ),
            crowding=_by_name(t, "crowding", names, "vehicle pool", minimum=1.0, maximum=5.0),
            min_vehicles=t.number("min_vehicles", None, minimum=1, integer=True, unit="vehicles"),
            max_wait=t.number("max_wait", None, minimum=0, unit="hours"),
            headway=t.number("headway", None, minimum=0, unit="hours"),
            travel_factor=t.number("travel_factor", None, above=0, maximum=100),
            inspection_factor=t.number("inspection_factor", None, above=0, maximum=100),
            board_while_suspended=t.flag("board_while_suspended", None),
            max_hold=_max_hold(t),
            crossing_vehicles_per_hour=_crossing_throughput(t, crossing),
            send_home=_by_name(t, "send_home", groups, "population group", minimum=0, maximum=1),
        )
        t.close()
        if not (
            period.per_convoy
            or period.crowding
            or period.send_home
            or period.crossing_vehicles_per_hour is not None
            or any(getattr(period, k) is not None for k in SCALAR_RULES)
        ):
            rules = ", ".join(("per_convoy", "crowding", *SCALAR_RULES, "crossing", "send_home"))
            raise t.error("start", f"a period must change at least one rule: {rules}")
        max_wait = period.max_wait if period.max_wait is not None else max_wait
        min_vehicles = period.min_vehicles or min_vehicles
        per_convoy.update(period.per_convoy)
        _check_convoy_can_form(t, min_vehicles, max_wait, pools, per_convoy)
        periods.append(period)
    return tuple(periods)


def _crossing_throughput(t: Table, crossing: Crossing | None) -> float | None:
    """A period's ``crossing = {vehicles_per_hour}``: the lanes' throughput from then on."""
    if not t.has("crossing"):
        return None
    table = t.table("crossing")
    if crossing is None or math.isinf(crossing.lanes):
        raise t.error("crossing", "needs a [crossing] with lanes, whose throughput it changes")
    per_hour = table.number("vehicles_per_hour", above=0, unit="vehicles per hour per lane")
    table.close()
    return per_hour


def _max_hold(t: Table) -> float | None:
    """A period's ``max_hold``: hours > 0, or ``inf`` for no limit from then on."""
    return t.number("max_hold", None, above=0, unit="hours", unlimited=True)


def _by_name(t: Table, key: str, names: list[str], what: str, **bounds: Any) -> tuple:
    """A table of one number per pool or group name, e.g. ``per_convoy = {buses = 60}``."""
    if not t.has(key):
        return ()
    table = t.table(key)
    for name in table.data:
        if name not in names:
            raise table.error(name, f"unknown {what} {name!r}; the scenario has {names}")
    return tuple(table.numbers(**bounds))


def _read_weather(t: Table, start: datetime, horizon: float) -> Weather:
    def profile(value: Any, key: str) -> tuple[tuple[float, float], ...]:
        allowed = (
            "a list of [hour of day, °C] pairs with hours increasing in [0, 24) and "
            f"°C within ±{MAX_CELSIUS:g}"
        )
        points: list[tuple[float, float]] = []
        if not isinstance(value, list) or not value:
            raise t.error(key, f"must be {allowed}")
        for point in value:
            if (
                not isinstance(point, list)
                or len(point) != 2
                or any(isinstance(x, bool) or not isinstance(x, int | float) for x in point)
                or not 0 <= point[0] < 24
                or not -MAX_CELSIUS <= point[1] <= MAX_CELSIUS
                or (points and point[0] <= points[-1][0])
            ):
                raise t.error(key, f"must be {allowed}, got {point!r}")
            points.append((float(point[0]), float(point[1])))
        return tuple(points)

    day = {"type": "array", "minItems": 1, "items": _pair(HOUR, CELSIUS)}
    days = t.raw("days", None, "a list of daily profiles", {"type": "array", "items": day})
    profiles: tuple[tuple[tuple[float, float], ...], ...]
    if days is None:
        profiles = (profile(t.raw("daily", allowed="[[hour, °C], ...]", schema=day), "daily"),)
    elif isinstance(days, list) and days and not t.has("daily"):
        profiles = tuple(profile(d, f"days.{i}") for i, d in enumerate(days))
    else:
        raise t.error("days", "must be a non-empty list of daily profiles, without 'daily'")
    weather = Weather(
        days=profiles,
        cold_below=t.number(
            "cold_below", 0.0, minimum=-MAX_CELSIUS, maximum=MAX_CELSIUS, unit="°C"
        ),
        harm_per_person_hour=t.number("harm_per_person_hour", 0.0, minimum=0, maximum=1),
        start_hour=start.hour + start.minute / 60 + start.second / 3600,
        horizon=horizon,
    )
    t.close()
    return weather


def _read_milestone(t: Table) -> Milestone:
    name = t.text("name")
    if not name.isidentifier():
        raise t.error("name", f"must be letters, digits and underscores, got {name!r}")
    has_at, has_after = t.has("at"), t.has("after_convoys")
    if has_at == has_after:
        raise t.error("at", "give exactly one of 'at' (a time) and 'after_convoys' (a count)")
    milestone = Milestone(
        name=name,
        at=t.time("at") if has_at else None,
        after_convoys=t.number("after_convoys", minimum=1, integer=True) if has_after else None,
    )
    t.close()
    return milestone


def _read_reported(t: Table) -> Reported:
    value = t.number("evacuated", minimum=0, maximum=MAX_PEOPLE, unit="people")
    reported = Reported(
        at=t.time("at"),
        evacuated=value,
        low=t.number("low", value, minimum=0, maximum=value),
        high=t.number("high", value, minimum=value, maximum=MAX_PEOPLE),
        source=t.text("source", ""),
    )
    t.close()
    return reported


__all__ = ["ScenarioError", "load_scenario"]
