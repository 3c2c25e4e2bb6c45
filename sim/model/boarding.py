"""Who boards which convoy: priority first, then first come, first served.

Kept apart from the engines because it is the same rule in both, and the clearest place to
read it.
"""

from __future__ import annotations

from sim.inputs.scenario import Scenario


def allocate(
    scenario: Scenario,
    waiting: list[int],
    idle: list[int],
    per_convoy: list[int] | None = None,
    capacity: list[int] | None = None,
) -> tuple[list[list[int]], list[int]]:
    """Seat waiting people in the idle vehicles a convoy may take.

    Groups board in priority order; each fills the seats of its allowed pools in order of
    preference (patients take ambulance seats first, then bus seats). A pool contributes at
    most ``per_convoy`` vehicles, and only as many as its passengers need.

    Parameters
    ----------
    scenario : Scenario
    waiting : list of int
        People waiting per group.
    idle : list of int
        Idle vehicles at the pickup per pool.
    per_convoy, capacity : list of int, optional
        Most vehicles per convoy and people per vehicle, by pool, as the rules in force
        set them (:mod:`sim.model.periods`); the pools' own values if omitted.

    Returns
    -------
    seated : list of list of int
        ``seated[g][p]``: people of group ``g`` seated in pool ``p``.
    vehicles : list of int
        Vehicles per pool the convoy takes.
    """
    pools = scenario.pools
    per_convoy = per_convoy or [p.per_convoy for p in pools]
    capacity = capacity or [p.capacity for p in pools]
    free = [min(idle[p], per_convoy[p]) * capacity[p] for p in range(len(pools))]
    seated = [[0] * len(pools) for _ in scenario.groups]
    for g in scenario.boarding_order:
        left = waiting[g]
        for p in scenario.carriers[g]:
            take = min(left, free[p])
            seated[g][p] += take
            free[p] -= take
            left -= take
    load = [sum(seated[g][p] for g in range(len(seated))) for p in range(len(pools))]
    vehicles = [-(-load[p] // capacity[p]) for p in range(len(pools))]
    return seated, vehicles
