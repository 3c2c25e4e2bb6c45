"""``[ceasefire]`` and ``[linkage]``: suspensions, their negotiation, and the linked site."""

from __future__ import annotations

import math

from sim.inputs.limits import MAX_HOURS, MAX_PEOPLE, MAX_RATE
from sim.inputs.scenario import Ceasefire, Linkage, Route, Window
from sim.inputs.schema import Table


def read_linkage(t: Table) -> Linkage:
    """The linked site: its people, convoys and trip, and the lag its deal tolerates."""
    linkage = Linkage(
        site=t.text("site", "the linked site"),
        people=t.number("people", minimum=0, maximum=MAX_PEOPLE, integer=True, unit="people"),
        per_convoy=t.number(
            "per_convoy", minimum=1, maximum=MAX_PEOPLE, integer=True, unit="people"
        ),
        start=t.time("start", 0.0),
        trip=t.duration("trip"),
        max_lag=t.number("max_lag", minimum=0, maximum=1, unit="(a share of people)"),
        lag_breach_rate=t.number(
            "lag_breach_rate", 0.0, minimum=0, maximum=MAX_RATE, unit="per hour"
        ),
    )
    t.close()
    return linkage


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
