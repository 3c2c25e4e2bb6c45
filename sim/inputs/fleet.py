"""The vehicles: pools of identical vehicles, and the vehicles that enter or leave them."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.errors import readable
from sim.inputs.checks import check, is_hours, is_real, is_whole
from sim.model.distributions import Distribution

#: Most vehicles in one pool: a guard against a unit mistake, not a model limit.
MAX_POOL_SIZE = 4096
#: Most vehicle pools: the loading and unloading variates of convoy ``c`` and pool ``p`` have
#: index ``c * MAX_POOLS + p`` in their streams.
MAX_POOLS = 64


@dataclass(frozen=True)
class FleetChange:
    """Vehicles of a pool that enter the operation, or leave it, at a moment.

    Attributes
    ----------
    at : float
        Hours from start.
    vehicles : int
        Vehicles that reach the pickup (> 0), or leave the operation (< 0: burned, broken
        down, withdrawn). Leaving vehicles are taken from those idle at the pickup; any
        shortfall from the first to come back.
    reason : str
        For narration, e.g. "burned".
    """

    at: float
    vehicles: int
    reason: str = ""


@dataclass(frozen=True)
class Pool:
    """Identical vehicles shuttling between pickup and reception.

    Attributes
    ----------
    name : str
    count : int
        Vehicles in the pool.
    seats : int
        Seats per vehicle.
    crowding : float
        Load factor (>= 1): a vehicle carries ``floor(seats * crowding)`` people.
    available_at : float
        Hours from start when the vehicles first reach the pickup.
    per_convoy : int
        Most vehicles of this pool in one convoy.
    load_time, unload_time : Distribution
        Hours to board and to unload one vehicle; a convoy waits for its slowest vehicle.
    changes : tuple of FleetChange
        Later entries and losses of vehicles, in time order.
    loading_place : str
        Where its vehicles load. Pools with the same place share it: one convoy forms and
        loads there at a time, and departures from it keep the headway. Pools at different
        places form separate convoys, side by side.
    """

    name: str
    count: int
    seats: int
    crowding: float
    available_at: float
    per_convoy: int
    load_time: Distribution
    unload_time: Distribution
    changes: tuple[FleetChange, ...] = ()
    loading_place: str = "pickup"

    def __post_init__(self) -> None:
        ok = is_whole(self.count, 0, MAX_POOL_SIZE)
        check(self, "count", ok, f"0 to {readable(MAX_POOL_SIZE)}")
        check(self, "seats", is_whole(self.seats, 1), "a whole number >= 1")
        check(self, "crowding", is_real(self.crowding, 1.0, 5.0), "a number from 1 to 5")
        check(self, "available_at", is_hours(self.available_at), "hours >= 0")
        check(self, "per_convoy", is_whole(self.per_convoy, 1), "a whole number >= 1")

    @property
    def capacity(self) -> int:
        """People per vehicle."""
        return capacity(self.seats, self.crowding)

    @property
    def most(self) -> int:
        """Most vehicles the pool can ever have: its count and every later entry."""
        return self.count + sum(c.vehicles for c in self.changes if c.vehicles > 0)


def capacity(seats: int, crowding: float) -> int:
    """People per vehicle of ``seats`` seats at load factor ``crowding``."""
    return math.floor(seats * crowding + 1e-9)
