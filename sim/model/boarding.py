"""Who boards which convoy: priority first, then first come, first served.

Kept apart from the engines because it is the same rule in both, and the clearest place to
read it.
"""

from __future__ import annotations

from sim.inputs.scenario import Scenario


def allocate(
    scenario: Scenario, waiting: list[int], idle: list[int]
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

    Returns
    -------
    seated : list of list of int
        ``seated[g][p]``: people of group ``g`` seated in pool ``p``.
    vehicles : list of int
        Vehicles per pool the convoy takes.
    """
    pools = scenario.pools
    free = [min(idle[p], pool.per_convoy) * pool.capacity for p, pool in enumerate(pools)]
    seated = [[0] * len(pools) for _ in scenario.groups]
    for g in scenario.boarding_order:
        left = waiting[g]
        for p in scenario.carriers[g]:
            take = min(left, free[p])
            seated[g][p] += take
            free[p] -= take
            left -= take
    load = [sum(seated[g][p] for g in range(len(seated))) for p in range(len(pools))]
    vehicles = [-(-load[p] // pool.capacity) for p, pool in enumerate(pools)]
    return seated, vehicles
