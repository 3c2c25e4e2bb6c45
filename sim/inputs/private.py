"""Private vehicles: a one-way stream that uses the crossing but not the convoys' rules."""

from __future__ import annotations

from dataclasses import dataclass

from sim.model.distributions import Distribution

#: Most vehicles in one private column: the loads of column ``c`` have indices
#: ``c * MAX_COLUMN .. c * MAX_COLUMN + vehicles - 1`` in their stream.
MAX_COLUMN = 4096


@dataclass(frozen=True)
class PrivateStream:
    """Private vehicles (cars, vans, pickups) that leave the enclave once, in columns.

    A column of ``vehicles`` comes at its time; its vehicles take people waiting at the
    pickup, from ``groups`` in that order, first come first served within a group, each
    vehicle ``load`` people (rounded to a whole person, at least one). The column uses the
    route and the crossing but not the loading place, the headway or the corridor, and its
    vehicles never come back.

    Attributes
    ----------
    name : str
    groups : tuple of str
        Groups that may leave in these vehicles, in the order they take seats.
    load : Distribution
        People per vehicle.
    columns : tuple of (float, int)
        (hours from start, vehicles) of each column, in time order.
    """

    name: str
    groups: tuple[str, ...]
    load: Distribution
    columns: tuple[tuple[float, int], ...]
