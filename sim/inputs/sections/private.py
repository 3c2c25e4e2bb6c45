"""``[private.<stream>]``: private vehicles, who they take and their columns."""

from __future__ import annotations

from sim.inputs.scenario import MAX_COLUMN, Group, Pool, PrivateStream
from sim.inputs.schema import Table
from sim.inputs.sections.raw import GROUPS
from sim.inputs.spread import batch_times


def read_private(
    private: Table, pools: tuple[Pool, ...], groups: tuple[Group, ...]
) -> tuple[PrivateStream, ...]:
    """Private vehicle streams: who they take, people per vehicle, and their columns."""
    names = [g.name for g in groups]
    streams = []
    for name, t in private.named_tables():
        if name in {p.name for p in pools}:
            raise private.error(name, "a private stream needs a name no vehicle pool has")
        chosen = t.raw("groups", allowed=f"a list of groups from {names}", schema=GROUPS)
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
                columns.extend((t, vehicles) for t in batch_times(first, last, every))
            c.close()
        if not columns:
            raise t.error("columns", "needs at least one column, e.g. [{at = 12, vehicles = 9}]")
        t.close()
        columns.sort(key=lambda c: c[0])
        streams.append(PrivateStream(name, tuple(chosen), load, tuple(columns)))
    private.close()
    return tuple(streams)
