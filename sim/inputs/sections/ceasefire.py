"""``[ceasefire]`` and ``[linkage]``: suspensions, their negotiation, and the linked site."""

from __future__ import annotations

import math

from sim.inputs.exchange import EXCHANGE_KEYS, Exchange
from sim.inputs.limits import MAX_HOURS, MAX_PEOPLE, MAX_RATE
from sim.inputs.scenario import Ceasefire, Linkage, Route, Window
from sim.inputs.schema import Table
from sim.inputs.sections.exchange import read_exchange


def read_linkage(t: Table, groups: tuple[str, ...]) -> tuple[Linkage | None, Exchange | None]:
    """The linked site: the share rule (:class:`Linkage`: its people, convoys and trip, and
    the lag its deal tolerates) or, with ``rule = "exchange"``, the exchange (``groups``,
    this side's group names, for its ``after_safe`` clause)."""
    rule = t.text("rule", "share", choices=("share", "exchange"))
    site = t.text("site", "the linked site")
    people = t.number("people", minimum=0, maximum=MAX_PEOPLE, integer=True, unit="people")
    start = t.time("start", 0.0)
    if rule == "exchange":
        return None, read_exchange(t, site, people, start, groups)
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


def read_ceasefire(t: Table, route: Route, linkage: Linkage | None) -> Ceasefire:
    """The ceasefire; its negotiation and guarantee delays are required once anything can
    suspend it (breaches, incidents, an open-ended window, the linkage's lag)."""
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
