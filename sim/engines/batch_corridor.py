"""The batch engine's corridor: convoys on the road, and loaded convoys waiting for room.

As in the reference engine (:mod:`sim.engines.corridor`): at most ``max_in_corridor``
convoys (the rule in force, per replication) are between the pickup and reception; a
loaded convoy that finds the corridor full waits (stage ``WAITING_ROOM``, no timer) with
a ticket that keeps its place. A convoy off the road lets the first one waiting leave if
there is room under the rule in force; a period that raises the number lets as many leave
as the new room allows, in ticket order; one that lowers it recalls none. The state is
declared on :class:`~sim.engines.batch_state.BatchState`; :class:`sim.engines.vector.Batch`
assembles the parts.
"""

from __future__ import annotations

import numpy as np

from sim.engines.batch_part import BatchPart
from sim.engines.batch_state import LOADING, WAITING_ROOM

LAST = np.iinfo(np.int64).max


class BatchCorridor(BatchPart):
    """The room on the road, for R replications."""

    def _leave_corridor(self, idx: np.ndarray) -> None:
        """A convoy is off the road in each of replications ``idx`` (each at most once): the
        first loaded convoy waiting for room may leave."""
        self.in_corridor[idx] -= 1
        self._let_leave(idx, np.ones(len(idx), dtype=np.int64))

    def _corridor_changes(self, idx: np.ndarray) -> None:
        """A period has set ``max_in_corridor`` in replications ``idx``: where it made room,
        convoys waiting may leave."""
        self._let_leave(idx, self.max_in_corridor[idx] - self.in_corridor[idx])

    def _let_leave(self, idx: np.ndarray, most: np.ndarray) -> None:
        """Wake at most ``most`` convoys waiting for room in each of replications ``idx``,
        first come first served (by ticket), while the corridor has room under the rule in
        force. A woken convoy takes its next step now, as the reference engine's does."""
        most = np.minimum(most, self.max_in_corridor[idx] - self.in_corridor[idx])
        idx, most = idx[most > 0], most[most > 0]
        while len(idx):
            waiting = self.c_stage.take(idx, axis=1) == WAITING_ROOM
            has = waiting.any(axis=0)
            idx, most, waiting = idx[has], most[has], waiting[:, has]
            if not len(idx):
                return
            slot = np.where(waiting, self.c_room.take(idx, axis=1), LAST).argmin(axis=0)
            self.c_stage[slot, idx] = LOADING
            self.c_next[slot, idx] = self.now[idx]
            self.c_seq[slot, idx] = self.seq[idx]
            self.seq[idx] += 1
            most -= 1
            idx = idx[most > 0]
            most = most[most > 0]
