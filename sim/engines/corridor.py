"""The reference engine's corridor: convoys on the road, and loaded convoys waiting for room.

Mixed into :class:`sim.engines.des.Evacuation`, whose state it declares. At most
``max_in_corridor`` convoys (the rule in force, which a period may change) are between the
pickup and reception at once; a loaded convoy that finds the corridor full waits for room,
first come first served. A convoy off the road (at reception, or back after turning back)
lets the first one waiting leave if there is room under the rule in force. A period that
raises the number lets as many leave at once as the new room allows; one that lowers it
recalls none: the convoys on the road finish their trips, and the next leaves once fewer
than the new number are on the road.

The batch engine's corridor is :mod:`sim.engines.batch_corridor`.
"""

from __future__ import annotations

from abc import ABC

import simpy

from sim.engines.trip import Trip
from sim.model.periods import Rules


class Corridor(ABC):
    """The room on the road of one replication of the reference engine."""

    # the state of sim.engines.des.Evacuation the corridor reads and changes
    rules: Rules  # the operating rules in force: their max_in_corridor
    in_corridor: int  # convoys on the road between pickup and reception
    room: list[tuple[Trip, simpy.Event]]  # loaded convoys waiting for room, in order

    def _leave_corridor(self) -> None:
        """A convoy is off the road: the first loaded convoy waiting for room may leave."""
        self.in_corridor -= 1
        self._let_leave(1)

    def _corridor_changes(self) -> None:
        """A period has set ``max_in_corridor``: if it made room, convoys waiting may leave."""
        self._let_leave(self.rules.max_in_corridor - self.in_corridor)

    def _let_leave(self, most: int) -> None:
        """Wake at most ``most`` convoys waiting for room, first come first served, while
        the corridor has room under the rule in force."""
        most = min(most, self.rules.max_in_corridor - self.in_corridor, len(self.room))
        for _ in range(most):
            _, room = self.room.pop(0)
            room.succeed()
