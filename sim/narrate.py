"""A replication told as a plain-language timeline with clock times.

>>> import sim
>>> from sim.narrate import narrate
>>> lines = narrate(sim.load_scenario("scenarios/workshop/deterministic.toml"), rep=0, seed=1)
>>> lines[1]
'Thu 15 Dec 06:00  Convoy 1 starts boarding: 600 families in 10 buses.'
"""

from __future__ import annotations

import textwrap

from sim.engines.des import Evacuation
from sim.records import TraceEvent
from sim.scenario import Scenario
from sim.variates import Variates

WIDTH = 80
CLOCK = "%a %d %b %H:%M"


def narrate(scenario: Scenario, rep: int = 0, seed: int | None = None) -> list[str]:
    """The timeline of replication ``rep`` as lines of at most 80 characters.

    The replication is run alone with the reference engine; its variates depend only on
    ``(seed, rep)``, so it is the same replication as inside any batch.
    """
    seed = scenario.seed if seed is None else seed
    books = Evacuation(scenario, Variates(seed), rep, traced=True).run()
    return describe(scenario, books.trace)


def describe(scenario: Scenario, trace: list[TraceEvent]) -> list[str]:
    """Turn trace events into timeline lines."""
    lines, evacuated, suspended_at = [], 0, 0.0
    indent = " " * (len(scenario.clock(0).strftime(CLOCK)) + 2)
    for e in trace:
        if e.event == "reaches_reception":
            evacuated += e.people
        if e.event == "ceasefire_suspended":
            suspended_at = e.time
        text = _sentence(scenario, e, evacuated, e.time - suspended_at)
        stamp = scenario.clock(e.time).strftime(CLOCK)
        lines += textwrap.wrap(text, WIDTH, initial_indent=f"{stamp}  ", subsequent_indent=indent)
    return lines


def _count(n: int, plural: str) -> str:
    """'2 buses', '1 bus': group and pool names are plural nouns."""
    if n != 1:
        return f"{n:,} {plural}"
    for ending, singular in (("ies", "y"), ("ses", "s"), ("s", "")):
        if plural.endswith(ending):
            return f"1 {plural[: -len(ending)]}{singular}"
    return f"1 {plural}"


def _people(scenario: Scenario, e: TraceEvent) -> str:
    """'951 people (26 patients, 925 families)', or '600 families' for one group."""
    parts = [_count(n, g.name) for g, n in zip(scenario.groups, e.groups, strict=True) if n]
    if len(parts) == 1:
        return parts[0]
    return f"{e.people:,} people ({', '.join(parts)})"


def _vehicles(scenario: Scenario, e: TraceEvent) -> str:
    parts = [_count(n, p.name) for p, n in zip(scenario.pools, e.vehicles, strict=True) if n]
    return " and ".join(parts) if len(parts) <= 2 else ", ".join(parts)


def _sentence(scenario: Scenario, e: TraceEvent, evacuated: int, suspended_for: float) -> str:
    convoy = f"Convoy {e.convoy + 1}"
    people, vehicles = _people(scenario, e), _vehicles(scenario, e)
    hours, minutes = divmod(round(suspended_for * 60), 60)
    sentences = {
        "vehicles_arrive": f"{vehicles} reach the pickup.",
        "people_arrive": f"{people} arrive at the pickup.",
        "convoy_forms": f"{convoy} starts boarding: {people} in {vehicles}.",
        "held": f"{convoy} is held {e.note}: the ceasefire is suspended, and {e.people:,} "
        "people wait aboard.",
        "convoy_departs": f"{convoy} leaves the pickup: {vehicles}, {people}.",
        "reaches_checkpoint": f"{convoy} reaches the checkpoint; inspection begins.",
        "incident": f"Incident at the checkpoint while {convoy.lower()} is inspected.",
        "passes_checkpoint": f"{convoy} passes the checkpoint.",
        "turned_back": f"{convoy} is turned back with {e.people:,} people aboard.",
        "back_at_pickup": f"{convoy} is back at the pickup; its {e.people:,} people rejoin "
        "the queue.",
        "reaches_reception": f"{convoy} reaches reception: {people} evacuated "
        f"({evacuated:,} so far).",
        "unloaded": f"{convoy} has unloaded; its vehicles head back.",
        "vehicles_return": f"{convoy}'s {vehicles} are back at the pickup.",
        "ceasefire_suspended": f"The ceasefire is suspended: {e.note}.",
        "ceasefire_resumes": f"The ceasefire resumes after {hours} h {minutes:02d} min.",
        "cleared": f"Everyone is out: {evacuated:,} people evacuated.",
    }
    return sentences[e.event]
