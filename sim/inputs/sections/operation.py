"""``[convoy]``, ``[route]``, ``[crossing]`` and ``[[periods]]``: how convoys run, and
the periods that change those rules."""

from __future__ import annotations

import math
from typing import Any

from sim.errors import readable
from sim.inputs.limits import MAX_HOURS
from sim.inputs.scenario import ConvoyRules, Crossing, Group, Period, Pool, Route
from sim.inputs.schema import Table
from sim.inputs.sections.raw import HOUR, LOAD_FACTOR, TIMES, pair
from sim.model.periods import SCALAR_RULES


def read_convoy(t: Table, pools: tuple[Pool, ...]) -> ConvoyRules:
    """When a convoy may form, refusing a ``min_vehicles`` no convoy could reach."""
    rules = ConvoyRules(
        min_vehicles=t.number("min_vehicles", 1, minimum=1, integer=True, unit="vehicles"),
        max_wait=t.number(
            "max_wait", math.inf, minimum=0, maximum=MAX_HOURS, unit="hours", unlimited=True
        ),
        headway=t.number("headway", 0.0, minimum=0, maximum=MAX_HOURS, unit="hours"),
        max_in_corridor=t.number(
            "max_in_corridor", 1_000_000, minimum=1, maximum=1_000_000, integer=True, unit="convoys"
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
            f"must be <= {readable(largest)}, the largest possible convoy (each pool's "
            "per_convoy, at most its vehicles, added up), or set max_wait",
        )


def _read_hours(t: Table, key: str) -> tuple[float, float]:
    """Opening and closing hour of day, ``[6, 18]``; ``[22, 6]`` spans midnight."""
    allowed = "[opening, closing] hours of day in [0, 24], different, e.g. [6, 18]"
    value = t.raw(key, allowed=allowed, schema=pair(HOUR))
    if (
        not isinstance(value, list)
        or len(value) != 2
        or any(isinstance(x, bool) or not isinstance(x, int | float) for x in value)
        or not all(0 <= x <= 24 for x in value)
        or value[0] % 24 == value[1] % 24
    ):
        raise t.error(key, f"must be {allowed}, got {value!r}")
    return float(value[0]), float(value[1])


def read_route(t: Table) -> Route:
    """The legs of a round trip (hours) and the chance of an incident at inspection."""
    route = Route(
        to_checkpoint=t.duration("to_checkpoint"),
        inspection=t.duration("inspection"),
        to_reception=t.duration("to_reception"),
        return_trip=t.duration("return_trip"),
        incident_probability=t.number(
            "incident_probability", 0.0, minimum=0, maximum=1, unit="(a probability per inspection)"
        ),
    )
    t.close()
    return route


def read_crossing(t: Table) -> Crossing:
    """Inspection lanes and their throughput; either may be left unlimited."""
    lanes = t.number("lanes", math.inf, minimum=1, integer=True, unit="lanes")
    per_hour = t.number("vehicles_per_hour", math.inf, above=0, unit="vehicles per hour per lane")
    if math.isinf(lanes) and math.isfinite(per_hour):
        raise t.error("lanes", "missing; vehicles_per_hour is a throughput per lane, set lanes too")
    t.close()
    return Crossing(lanes=float(lanes), vehicles_per_hour=per_hour)


def read_periods(
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
        fields: dict[str, Any] = dict(
            start=t.time("start"),
            name=t.text("name", ""),
            per_convoy=_by_name(
                t, "per_convoy", names, "vehicle pool", minimum=1, integer=True, unit="vehicles"
            ),
            crowding=_by_name(
                t, "crowding", names, "vehicle pool", minimum=1.0, maximum=5.0, unit=LOAD_FACTOR
            ),
            min_vehicles=t.number("min_vehicles", None, minimum=1, integer=True, unit="vehicles"),
            max_wait=t.number("max_wait", None, minimum=0, unit="hours"),
            headway=t.number("headway", None, minimum=0, unit="hours"),
            max_in_corridor=t.number(
                "max_in_corridor", None, minimum=1, maximum=1_000_000, integer=True, unit="convoys"
            ),
            travel_factor=t.number("travel_factor", None, above=0, maximum=100, unit=TIMES),
            inspection_factor=t.number("inspection_factor", None, above=0, maximum=100, unit=TIMES),
            board_while_suspended=t.flag("board_while_suspended", None),
            max_hold=_max_hold(t),
        )
        fields["crossing_vehicles_per_hour"], fields["crossing_lanes"] = _crossing_rules(
            t, crossing
        )
        fields["send_home"] = _by_name(
            t, "send_home", groups, "population group", minimum=0, maximum=1
        )
        period = Period(**fields)
        t.close()
        if not (
            period.per_convoy
            or period.crowding
            or period.send_home
            or period.crossing_vehicles_per_hour is not None
            or period.crossing_lanes is not None
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


def corridor_to_the_end(tables: list[Table], convoy: ConvoyRules) -> tuple[str, int]:
    """The ``max_in_corridor`` in force from the last period that sets it to the end (the
    ``[convoy]``'s if none does), and its key path: read after :func:`read_periods`."""
    rule = ("convoy.max_in_corridor", convoy.max_in_corridor)
    for t in sorted(tables, key=lambda t: t.time("start")):
        if "max_in_corridor" in t.data:
            rule = (".".join((*t.key, "max_in_corridor")), int(t.data["max_in_corridor"]))
    return rule


def _crossing_rules(t: Table, crossing: Crossing | None) -> tuple[float | None, float | None]:
    """A period's ``crossing = {vehicles_per_hour, lanes}``: the lanes' throughput and the
    number of lanes from then on (None: as in force)."""
    if not t.has("crossing"):
        return None, None
    table = t.table("crossing")
    if crossing is None or math.isinf(crossing.lanes):
        raise t.error("crossing", "needs a [crossing] with lanes, whose rules it changes")
    per_hour = table.number("vehicles_per_hour", None, above=0, unit="vehicles per hour per lane")
    lanes = table.number("lanes", None, minimum=1, integer=True, unit="lanes")
    table.close()
    if per_hour is None and lanes is None:
        raise table.error("vehicles_per_hour", "missing; a period's crossing sets it or lanes")
    return per_hour, None if lanes is None else float(lanes)


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
