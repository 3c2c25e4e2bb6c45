"""How results are worded for people: moments, hours of day, durations, counts, convoys.

The narration, the HTML report and the animation write them the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

from sim.inputs.scenario import Group, Pool

#: A moment with its day, as figures and the report show it: ``Thu 15 Dec 14:30``.
CLOCK = "%a %d %b %H:%M"


def figure_text(text: str) -> str:
    """``text`` as a figure shows it literally: matplotlib reads ``$...$`` as mathtext and
    fails on most text that holds dollars, so they are escaped (as the report escapes HTML)."""
    return text.replace("$", r"\$")


def figure_title(name: str, what: str, reps: int, overrides: Sequence[str] = ()) -> str:
    """A figure's title: the scenario, what is drawn, the runs, and the ``--set`` overrides
    on a second line (the figure of a changed scenario must not pass for the baseline's)."""
    title = f"{figure_text(name)}: {what}, {reps:,} runs"
    if overrides:
        changed = ", ".join(overrides)
        changed = changed if len(changed) <= 90 else changed[:89] + "…"
        title += f"\nwith --set {figure_text(changed)}"
    return title


def metric_unit(metric: str) -> str:
    """The unit of a per-replication metric, for axis labels: ``people``, ``convoys``,
    ``hours from the start``, ``hours``, ``person-hours``, ``a share`` or ``events``."""
    if metric in ("first_departure", "last_departure", "clearance_time") or metric.startswith(
        "time_of_"
    ):
        return "hours from the start"
    if metric.endswith("person_hours"):
        return "person-hours"
    if metric.endswith("_hours") or metric.startswith("wait_"):
        return "hours"
    if metric == "utilisation":
        return "a share"
    if metric.startswith(("evacuated", "departed", "people_")):  # evacuated_by_two_convoys
        return "people"
    if "convoys" in metric or metric == "turned_back":
        return "convoys"
    if metric in ("suspensions", "breaches", "incidents"):
        return "events"
    if metric == "cold_harm":
        return "cases"
    return "people"


def convoy_name(number: int) -> str:
    """'Convoy 1' for convoy 0: convoys are numbered from 1 for readers (from 0 in the trace)."""
    return f"Convoy {number + 1}"


def count(n: int, plural: str) -> str:
    """'2 buses', '1 bus': group and pool names are plural nouns."""
    if n != 1:
        return f"{n:,} {plural}"
    for ending, singular in (("ies", "y"), ("ses", "s"), ("s", "")):
        if plural.endswith(ending):
            return f"1 {plural[: -len(ending)]}{singular}"
    return f"1 {plural}"


def hour_of_day(hour: float) -> str:
    """'06:00', '18:30': an hour of the day."""
    h, m = divmod(round(hour * 60), 60)
    return f"{h:02d}:{m:02d}"


def duration(hours: float) -> str:
    """'2 h 05 min', '45 min', '6 h'."""
    h, m = divmod(round(hours * 60), 60)
    if not h:
        return f"{m} min"
    return f"{h} h" if not m else f"{h} h {m:02d} min"


def people_phrase(groups: Sequence[Group], counts: Sequence[int]) -> str:
    """'951 people (26 patients, 925 families)', or '600 families' for one group."""
    parts = [count(n, g.name) for g, n in zip(groups, counts, strict=True) if n]
    if len(parts) == 1:
        return parts[0]
    return f"{sum(counts):,} people ({', '.join(parts)})"


def vehicles_phrase(pools: Sequence[Pool], counts: Sequence[int]) -> str:
    """'20 buses and 13 ambulances'."""
    parts = [count(n, p.name) for p, n in zip(pools, counts, strict=True) if n]
    return " and ".join(parts) if len(parts) <= 2 else ", ".join(parts)
