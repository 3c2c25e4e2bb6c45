"""Which file entry each listed input of a scenario is, for per-replication parameters.

Some inputs are entries of arrays of tables: ``[[periods]]``, ``[[fleet.<pool>.changes]]``, a
group's ``arrivals`` and a private stream's ``columns``. Their numbers are batch-engine inputs
under the key path ``--set`` gives them, the entry's position in the file:
``periods.2.crossing.vehicles_per_hour``, ``fleet.buses.changes.1.enter``,
``population.families.arrivals.0.total``, ``private.thursday.columns.0.vehicles``. So a
calibration's best fit, or a sweep point, is one ``--set`` away from a scenario the reference
engine runs. The scenario holds these inputs in time order (ties in file order), an entry
``{start, end, every}`` expanded into its batches or columns; the functions here give, for
each of them in that order, the position of its entry in the file.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sim.inputs.scenario import Scenario
from sim.inputs.spread import batch_times


def _hours(value: Any, start: datetime) -> float:
    """A validated moment of the scenario document as hours from ``start`` (for ordering)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return (value - start).total_seconds() / 3600
    return float(value)


def _file_order(entries: list[dict], key: str, start: datetime) -> list[int]:
    """Positions of ``entries`` in the order the loader sorts them: by ``key``, then file."""
    return sorted(range(len(entries)), key=lambda i: (_hours(entries[i][key], start), i))


def period_entries(scenario: Scenario) -> list[int]:
    """The file position of each of ``scenario.periods``."""
    return _file_order(scenario.document.get("periods", []), "start", scenario.start)


def change_entries(scenario: Scenario, pool: str) -> list[int]:
    """The file position of each of pool ``pool``'s ``changes``."""
    entries = scenario.document["fleet"][pool].get("changes", [])
    return _file_order(entries, "at", scenario.start)


def _expanded(entries: list[dict], start: datetime) -> list[tuple[float, int]]:
    """(hours, file position of its entry) of each batch or column, in the loader's order."""
    batches: list[tuple[float, int]] = []
    for i, entry in enumerate(entries):
        if "at" in entry:
            times = [_hours(entry["at"], start)]
        else:
            first, last = _hours(entry["start"], start), _hours(entry["end"], start)
            times = batch_times(first, last, float(entry["every"]))
        batches.extend((t, i) for t in times)
    return sorted(batches, key=lambda b: b[0])


def arrival_entries(scenario: Scenario, group: str) -> list[int]:
    """The file position of the entry of each of group ``group``'s arrival batches."""
    entries = scenario.document["population"][group].get("arrivals", [])
    batches = _expanded(entries, scenario.start)
    arrivals = next(g.arrivals for g in scenario.groups if g.name == group)
    assert [t for t, _ in batches] == [t for t, _ in arrivals], "arrival batches differ"
    return [i for _, i in batches]


def column_entries(scenario: Scenario, stream: str) -> list[int]:
    """The file position of the entry of each of private stream ``stream``'s columns."""
    columns = _expanded(scenario.document["private"][stream]["columns"], scenario.start)
    expected = next(p.columns for p in scenario.private if p.name == stream)
    assert [t for t, _ in columns] == [t for t, _ in expected], "private columns differ"
    return [i for _, i in columns]
