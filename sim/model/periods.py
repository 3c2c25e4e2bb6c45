"""The operating rules in force: the scenario's, updated by each period that has started.

A period (``[[periods]]`` in a scenario file) changes some rules from its start on: convoy
size, load factor, minimum vehicles, the longest wait for them, the headway, the convoys
the corridor holds, how much slower road legs and inspections are (snow), whether people
may board while the ceasefire is suspended. Rules it leaves out stay as they were. Both
engines read the rules here: the reference engine one :class:`Rules` per replication, the
batch engine the same values as arrays over replications.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.inputs.scenario import Period, Scenario, capacity

#: Rules a period sets with one value (the others are by pool: per_convoy, crowding).
SCALAR_RULES = (
    "min_vehicles",
    "max_wait",
    "headway",
    "max_in_corridor",
    "travel_factor",
    "inspection_factor",
    "board_while_suspended",
    "max_hold",
)


@dataclass
class Rules:
    """The rules in force in one replication.

    Attributes
    ----------
    per_convoy : list of int
        Most vehicles per convoy, by pool.
    capacity : list of int
        People per vehicle, by pool.
    min_vehicles : int
    max_wait : float
        Hours.
    headway : float
        Hours.
    max_in_corridor : int
        Most convoys on the road between pickup and reception.
    travel_factor : float
        Multiplies road legs that start now.
    inspection_factor : float
        Multiplies inspections that start now.
    board_while_suspended : bool
    max_hold : float
        Hours a held convoy waits before it turns back, for convoys held from now on.
    """

    per_convoy: list[int]
    capacity: list[int]
    min_vehicles: int
    max_wait: float
    headway: float
    max_in_corridor: int
    travel_factor: float = 1.0
    inspection_factor: float = 1.0
    board_while_suspended: bool = False
    max_hold: float = math.inf

    @classmethod
    def initial(cls, scenario: Scenario) -> Rules:
        """The scenario's rules, before any period."""
        convoy = scenario.convoy
        return cls(
            per_convoy=[p.per_convoy for p in scenario.pools],
            capacity=[p.capacity for p in scenario.pools],
            min_vehicles=convoy.min_vehicles,
            max_wait=convoy.max_wait,
            headway=convoy.headway,
            max_in_corridor=convoy.max_in_corridor,
            board_while_suspended=scenario.ceasefire.board_while_suspended,
            max_hold=scenario.ceasefire.max_hold,
        )

    def apply(self, period: Period, scenario: Scenario) -> None:
        """The rules ``period`` sets replace those in force."""
        index = {p.name: i for i, p in enumerate(scenario.pools)}
        for name, n in period.per_convoy:
            self.per_convoy[index[name]] = n
        for name, crowding in period.crowding:
            p = index[name]
            self.capacity[p] = capacity(scenario.pools[p].seats, crowding)
        for key in SCALAR_RULES:
            value = getattr(period, key)
            if value is not None:
                setattr(self, key, value)
