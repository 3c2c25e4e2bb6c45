"""``[linkage]`` with ``rule = "exchange"``: the linked site's fleet, convoys, trips and
halts, and how its convoys pair with this side's at the meeting point."""

from __future__ import annotations

import math

from sim.inputs.exchange import (
    MAX_VEHICLES,
    PAIRINGS,
    SHARE_KEYS,
    AfterSafe,
    Exchange,
    Halt,
    Pair,
)
from sim.inputs.limits import MAX_CONVOYS, MAX_HOURS, MAX_PEOPLE, MAX_RATE
from sim.inputs.schema import Table
from sim.inputs.sections.raw import GROUPS


def read_exchange(
    t: Table, site: str, people: int, start: float, groups: tuple[str, ...]
) -> Exchange:
    """Read the exchange keys of ``[linkage]`` (``rule = "exchange"``), after the keys both
    rules share (``site``, ``people``, ``start``); ``groups`` are this side's group names.

    A batch must fit on the linked site's roads: its ``there`` at most the convoys its
    vehicles make at once (a larger batch never crosses); :func:`check_batches_fit` checks
    this side's ``here`` against the corridor, once the periods are read.
    """
    for key in SHARE_KEYS:
        if t.has(key):
            raise t.error(key, 'belongs to rule = "share"; with rule = "exchange" leave it out')
    vehicles = t.number("vehicles", minimum=1, maximum=MAX_VEHICLES, integer=True)
    # The bound on the vehicles a convoy may take is checked apart from the number's own
    # range: a bound read from this file's `vehicles` would leak into the JSON schema that
    # `make schema` records from the shipped files.
    size = t.number("convoy_size", minimum=1, maximum=MAX_VEHICLES, integer=True, unit="vehicles")
    if size > vehicles:
        raise t.error("convoy_size", f"{size:,} vehicles; at most vehicles ({vehicles:,})")
    load = t.number("load", minimum=1, maximum=MAX_PEOPLE, integer=True, unit="people a vehicle")
    convoys = -(-people // (size * load))
    if convoys > MAX_CONVOYS:
        raise t.error(
            "load",
            f"{people:,} people in convoys of {size * load:,} make {convoys:,} linked convoys "
            f"in each replication; at most {MAX_CONVOYS:,} (carry more a convoy)",
        )
    trips = {name: t.duration(name) for name in ("to_meeting", "from_meeting", "return_trip")}
    headway = t.number("headway", 0.0, minimum=0, maximum=MAX_HOURS, unit="hours")
    halts, last = [], -math.inf
    for h in t.tables("halts"):
        begin, end = h.time("start"), h.time("end")
        if end <= begin:
            raise h.error("end", "must be after start")
        if begin < last:
            raise h.error("start", "must not be before the end of the halt before it")
        halts.append(Halt(begin, end, h.text("reason", "")))
        last = end
        h.close()
    pairing = t.text("pairing", "convoys", choices=PAIRINGS)
    batches = []
    for b in t.tables("batches"):
        here = b.number("here", minimum=0, maximum=MAX_CONVOYS, integer=True, unit="convoys")
        there = b.number("there", minimum=0, maximum=MAX_CONVOYS, integer=True, unit="convoys")
        if not here + there:
            raise b.error("there", "here and there must not both be 0")
        if there > vehicles // size:
            raise b.error(
                "there",
                f"must be at most {vehicles // size} (the linked site's {vehicles} vehicles "
                f"in convoys of {size} wait at the meeting point at once), got {there}",
            )
        batches.append(Pair(here, there))
        b.close()
    if pairing == "batches" and not batches:
        raise t.error("batches", 'needs at least one batch with pairing = "batches"')
    if pairing == "convoys" and batches:
        raise t.error("batches", 'only with pairing = "batches"')
    clause = (
        read_after_safe(t.table("after_safe"), people, convoys, batches, groups, pairing)
        if t.has("after_safe")
        else None
    )
    halt_rate = t.number("halt_rate", 0.0, minimum=0, maximum=MAX_RATE, unit="per hour")
    halt_duration = None
    if t.has("halt_duration") or halt_rate > 0:
        halt_duration = t.duration("halt_duration")
    exchange = Exchange(
        site=site,
        people=people,
        start=start,
        vehicles=vehicles,
        convoy_size=size,
        load=load,
        headway=headway,
        halts=tuple(halts),
        pairing=pairing,
        batches=tuple(batches),
        meeting_point=t.text("meeting_point", "the meeting point"),
        after_safe=clause,
        halt_rate=halt_rate,
        halt_duration=halt_duration,
        **trips,
    )
    t.close()
    return exchange


def check_batches_fit(root: Table, exchange: Exchange, corridor: tuple[str, int]) -> None:
    """Refuse a batch with more of this side's convoys than the corridor holds to the end.

    A batch's ``here`` convoys all wait at the meeting point at once, so at most
    ``corridor``, the ``max_in_corridor`` (key path, convoys) that holds to the end: the
    ``[convoy]``'s, or that of the last period to set it. A batch larger than an earlier
    period's corridor waits for a later, wider one; one larger than the last could wait at
    the meeting point for good.
    """
    rule, room = corridor
    last = "" if rule.startswith("convoy.") else ", and that period's rule holds to the end"
    for i, batch in enumerate(exchange.batches):
        if batch.here > room:
            raise root.error(
                f"linkage.batches.{i}.here",
                f"must be at most {rule} = {room} (the batch's convoys all wait at the meeting "
                f"point at once{last}), got {batch.here}",
            )


def read_after_safe(
    t: Table,
    people: int,
    convoys: int,
    batches: list[Pair],
    groups: tuple[str, ...],
    pairing: str,
) -> AfterSafe:
    """``[linkage.after_safe]``: the groups held back until the linked site's people are
    safe, and how many must be: ``people`` (1 to ``linkage.people``) or the deal's
    ``batch`` (1 to the number of batches; with ``pairing = "convoys"`` a batch is one
    convoy of each side, so 1 to the linked site's ``convoys``)."""
    chosen = t.raw("groups", allowed=f"a list of groups from {list(groups)}", schema=GROUPS)
    if (
        not isinstance(chosen, list)
        or not chosen
        or not all(isinstance(g, str) and g in groups for g in chosen)
        or len(set(chosen)) != len(chosen)
    ):
        raise t.error("groups", f"must be a list of distinct groups from {list(groups)}")
    if t.has("people") == t.has("batch"):
        raise t.error("people", "give exactly one of people and batch")
    count, batch = None, None
    if t.has("people"):
        count = t.number("people", minimum=1, maximum=MAX_PEOPLE, integer=True, unit="people")
        if count > people:
            raise t.error("people", f"must be at most linkage.people = {people:,}, got {count:,}")
    else:
        most = max(len(batches) if pairing == "batches" else convoys, 1)
        batch = t.number("batch", minimum=1, maximum=MAX_CONVOYS, integer=True, unit="batch")
        if batch > most:
            raise t.error("batch", f"must be one of the deal's {most} batches (1 to {most})")
    t.close()
    return AfterSafe(tuple(chosen), people=count, batch=batch)
