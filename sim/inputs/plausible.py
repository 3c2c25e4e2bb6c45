"""Values a scenario file may hold but that are far outside plausible use.

They are not errors (a study may mean them), but most are unit mistakes, minutes written
as hours above all: ``headway = 90`` is three days and twelve hours between convoys. The
loader warns with :class:`ImplausibleValue`; the CLI prints each warning as one line.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from sim.errors import readable

if TYPE_CHECKING:  # the CLI imports ImplausibleValue before any scenario is read
    from sim.inputs.scenario import Scenario

#: Most hours each kind of duration plausibly takes, and what it is.
LIMITS = {
    "convoy.headway": (12.0, "hours between departures"),
    "convoy.max_wait": (24.0, "hours idle vehicles wait for a convoy"),
    "leg": (24.0, "hours for one leg of the route"),
    "vehicle": (6.0, "hours to load or unload one vehicle"),
    "ceasefire": (24.0 * 7, "hours to negotiate or guarantee"),
}
#: Most seats in one vehicle (a double-decker coach has about 90).
MOST_SEATS = 120
#: Most breaches per hour of an active ceasefire (one every six minutes).
MOST_BREACHES = 10.0


class ImplausibleValue(UserWarning):
    """A scenario value far outside plausible use, probably a unit mistake."""


def implausible(scenario: Scenario) -> list[tuple[str, str]]:
    """``(key, what is odd about it)`` for each implausible value of ``scenario``."""
    found = []

    def hours(key: str, value: float, kind: str) -> None:
        most, what = LIMITS[kind]
        if math.isfinite(value) and value > most:
            found.append(
                (
                    key,
                    f"{readable(value)} {what} is far outside plausible use (at most "
                    f"{readable(most)}); if it is in minutes, write {value / 60:.3g} (hours)",
                )
            )

    hours("convoy.headway", scenario.convoy.headway, "convoy.headway")
    hours("convoy.max_wait", scenario.convoy.max_wait, "convoy.max_wait")
    route = scenario.route
    for leg in ("to_checkpoint", "inspection", "to_reception", "return_trip"):
        hours(f"route.{leg}", getattr(route, leg).mean, "leg")
    for p in scenario.pools:
        hours(f"fleet.{p.name}.load_time", p.load_time.mean, "vehicle")
        hours(f"fleet.{p.name}.unload_time", p.unload_time.mean, "vehicle")
        if p.seats > MOST_SEATS:
            found.append((f"fleet.{p.name}.seats", f"{p.seats} seats a vehicle is implausible"))
        if p.count and p.available_at >= scenario.horizon:
            found.append((f"fleet.{p.name}.available_at", "the vehicles arrive after the horizon"))
    c = scenario.ceasefire
    for name in ("negotiation", "guarantee"):
        delay = getattr(c, name)
        if delay is not None:
            hours(f"ceasefire.{name}", delay.mean, "ceasefire")
    if c.breach_rate > MOST_BREACHES:
        found.append(
            ("ceasefire.breach_rate", f"{c.breach_rate:g} breaches an hour is implausible")
        )
    return found
