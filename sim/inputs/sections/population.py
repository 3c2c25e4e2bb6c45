"""``[population.<group>]``: the groups at the pickup, their arrivals and who leaves."""

from __future__ import annotations

from sim.errors import ScenarioError
from sim.inputs.limits import MAX_ARRIVAL_BATCHES, MAX_PEOPLE
from sim.inputs.scenario import Group, Leaving, Pool, PrivateStream
from sim.inputs.schema import Table
from sim.inputs.sections.raw import POOLS
from sim.inputs.sources import Sources
from sim.inputs.spread import batch_times, share_out


def read_population(population: Table, pools: tuple[Pool, ...]) -> tuple[Group, ...]:
    """Every group, in file order. Whether something can carry each is checked once the
    private streams are read (:func:`check_carried`): a group may list no pool at all."""
    by_name = {p.name: p for p in pools}
    groups = []
    for order, (name, t) in enumerate(population.named_tables()):
        count = t.number("count", 0, minimum=0, maximum=MAX_PEOPLE, integer=True, unit="people")
        priority = t.number("priority", order + 1, minimum=-MAX_PEOPLE, integer=True)
        vehicles = t.raw(
            "vehicles", allowed=f"a list of vehicle pools from {list(by_name)}", schema=POOLS
        )
        if (
            not isinstance(vehicles, list)
            or not all(isinstance(v, str) for v in vehicles)
            or len(set(vehicles)) != len(vehicles)
        ):
            raise t.error(
                "vehicles",
                f"must be a list of distinct pool names from {list(by_name)} "
                "([] for a group only private vehicles take)",
            )
        for v in vehicles:
            if v not in by_name:
                raise t.error("vehicles", f"unknown vehicle pool {v!r}; fleet has {list(by_name)}")
        arrivals = _read_arrivals(t)
        leaving = _read_leaving(t.table("leaving")) if t.has("leaving") else None
        groups.append(Group(name, count, priority, tuple(vehicles), arrivals, leaving))
        t.close()
    if not groups:
        raise population.error("", "needs at least one group, e.g. [population.families]")
    return tuple(groups)


def check_carried(
    population: Table,
    groups: tuple[Group, ...],
    pools: tuple[Pool, ...],
    private: tuple[PrivateStream, ...],
) -> None:
    """Refuse a group with people whom nothing can carry: none of its pools has a vehicle
    with a seat, and no private stream takes it."""
    by_name = {p.name: p for p in pools}
    by_car = {g for stream in private for g in stream.groups}
    for group in groups:
        if group.total == 0 or group.name in by_car:
            continue
        if not group.vehicles:
            raise population.error(
                f"{group.name}.vehicles",
                f"is empty, but no private stream takes population.{group.name} "
                f"({group.total} people); list a pool from {list(by_name)} or add the group "
                "to a [private.<stream>] groups",
            )
        if not any(by_name[v].most > 0 and by_name[v].capacity > 0 for v in group.vehicles):
            raise _no_carrier(population.sources, group.name, group.total, list(group.vehicles))


def _no_carrier(sources: Sources, group: str, people: int, vehicles: list[str]) -> ScenarioError:
    """The error for a group no vehicle can carry.

    It names a pool's ``count`` or the group's ``vehicles``, whichever was set last (a
    child file or ``--set`` beats its parents), as that is where the mistake most likely is.
    """
    rank = {label: i for i, label in enumerate([*sources.chain, sources.setter])}
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
            times = batch_times(first, last, every)
            n = len(times)
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
                counts = share_out(total, n)
            batches.extend(zip(times, counts, strict=True))
        t.close()
    return tuple(sorted(batches, key=lambda b: b[0]))


def _read_leaving(t: Table) -> Leaving:
    leaving = Leaving(
        after=t.number("after", minimum=0, unit="hours"),
        share=t.number("share", minimum=0, maximum=1, unit="(a share of those waiting)"),
    )
    t.close()
    return leaving
