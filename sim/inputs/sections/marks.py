"""``[[milestones]]`` and ``[[reported]]``: marks on a run's results."""

from __future__ import annotations

from typing import Any

from sim.inputs.limits import MAX_PEOPLE
from sim.inputs.scenario import Milestone, Reported
from sim.inputs.schema import Table


def read_milestone(t: Table) -> Milestone:
    """A milestone: at a time, or after a number of convoys."""
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


def read_reported(t: Table) -> Reported:
    """A reported cumulative figure (people) with its range and source."""
    people: dict[str, Any] = {"minimum": 0, "maximum": MAX_PEOPLE, "unit": "people"}
    value = t.number("evacuated", **people)
    reported = Reported(
        at=t.time("at"),
        evacuated=value,
        low=t.number("low", value, **people),  # fixed bounds: the schema holds no one file's
        high=t.number("high", value, **people),
        source=t.text("source", ""),
    )
    t.close()
    if reported.low > value:
        raise t.error("low", f"must be <= evacuated ({value:g}), got {reported.low:g}")
    if reported.high < value:
        raise t.error("high", f"must be >= evacuated ({value:g}), got {reported.high:g}")
    return reported
