"""Which file entry each listed input of a scenario is, for per-replication parameters.

Some inputs are entries of arrays of tables: ``[[periods]]`` and ``[[fleet.<pool>.changes]]``.
Their numbers are batch-engine inputs under the key path ``--set`` gives them, the entry's
position in the file: ``periods.2.crossing.vehicles_per_hour``, ``fleet.buses.changes.1.enter``.
So a calibration's best fit, or a sweep point, is one ``--set`` away from a scenario the
reference engine runs. The scenario holds these entries in time order (ties in file order);
the functions here give, for each of them in that order, its position in the file.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sim.inputs.scenario import Scenario


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
