"""``[fleet.<pool>]``: vehicle pools, their later entries and losses, and where they load."""

from __future__ import annotations

from sim.errors import readable
from sim.inputs.limits import MAX_SEATS
from sim.inputs.scenario import MAX_POOL_SIZE, MAX_POOLS, FleetChange, Pool
from sim.inputs.schema import Table
from sim.inputs.sections.raw import LOAD_FACTOR


def read_fleet(fleet: Table) -> tuple[Pool, ...]:
    """Every vehicle pool, in file order (at least one, at most ``MAX_POOLS``)."""
    pools = []
    for name, t in fleet.named_tables():
        count = t.number("count", minimum=0, maximum=MAX_POOL_SIZE, integer=True, unit="vehicles")
        changes = _read_fleet_changes(t, count)
        most = count + sum(c.vehicles for c in changes if c.vehicles > 0)
        pool = Pool(
            name=name,
            count=count,
            seats=t.number("seats", minimum=1, maximum=MAX_SEATS, integer=True, unit="people"),
            crowding=t.number("crowding", 1.0, minimum=1.0, maximum=5.0, unit=LOAD_FACTOR),
            available_at=t.time("available_at", 0.0),
            per_convoy=t.number(
                "per_convoy",
                max(most, 1),
                minimum=1,
                maximum=MAX_POOL_SIZE,
                integer=True,
                unit="vehicles",
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
        raise pool.error(
            "changes", f"at most {readable(MAX_POOL_SIZE)} vehicles in a pool, got {entered:,}"
        )
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
