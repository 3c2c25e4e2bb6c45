"""The batch engine's clause "fighters only after villagers arrive" (``[linkage.after_safe]``).

As in the reference engine (:mod:`sim.engines.after_safe`): people of the held groups board
neither a convoy nor a private vehicle until ``y_needed`` of the linked site's people are
safe, per replication; the dispatcher and the private columns ask :meth:`_boardable`; the
linked site's convoys reaching safety call :meth:`_after_safe_check`. The trace says once a
replication why the held groups wait (``waits_for_linked``) and when they may board
(``deal_releases``).
"""

from __future__ import annotations

import numpy as np

from sim.engines.batch_params import BatchParameters
from sim.engines.batch_part import BatchPart
from sim.model.clause import boardable, needed


class BatchAfterSafe(BatchPart):
    """Groups held back until enough of the linked site's people are safe."""

    def _after_safe_start(self, params: BatchParameters) -> None:
        """The clause's state; called after the exchange's (it reads its convoys)."""
        deal, R = self.scenario.exchange, self.R
        self.y_held = self.scenario.held_for_linked
        self.y_met = np.ones(R, dtype=bool)
        self.y_told = np.zeros(R, dtype=bool)
        if deal is None or not self.y_held:
            return
        clause = deal.after_safe
        assert clause is not None
        if clause.people is not None:  # a count, per replication, at most the site's people
            count = np.broadcast_to(params["linkage.after_safe.people"], (R,))
            self.y_needed = np.minimum(self.x_people, count.astype(np.int64))
        else:
            self.y_needed = needed(deal, self.x_people, self.x_size * self.x_load, self.x_total)
        self.y_met = self.y_needed <= 0

    def _boardable(self, waiting: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """People waiting per group (``(G, n)``, of replications ``idx``) who may board now:
        ``waiting`` itself where no group is held."""
        if not self.y_held:
            return waiting
        met = self.y_met[idx]
        return waiting if met.all() else boardable(waiting, self.y_held, met)

    def _note_held(self, idx: np.ndarray, would: np.ndarray) -> None:
        """``would`` (``(G, n)``) people of each group of replications ``idx`` would have
        boarded but for the clause: the traced ones say so the first time."""
        first = self.books.traced[idx] & ~self.y_told[idx] & ~self.y_met[idx]
        groups = np.zeros_like(would)
        held = list(self.y_held)
        groups[held] = would[held]
        first &= groups.sum(axis=0) > 0
        if first.any():
            j = idx[first]
            self.y_told[j] = True
            site = self.scenario.exchange.site if self.scenario.exchange else ""
            self.books.record(j, "waits_for_linked", groups=groups[:, first], note=site)

    def _after_safe_check(self, idx: np.ndarray) -> None:
        """Linked people reached safety in replications ``idx``: where they are now enough,
        the held groups may board, and the dispatcher decides again."""
        deal = self.scenario.exchange
        if not self.y_held or deal is None:
            return
        now = ~self.y_met[idx] & (self.books.linked_evacuated[idx] >= self.y_needed[idx])
        j = idx[now]
        if not len(j):
            return
        self.y_met[j] = True
        held = np.zeros((self.G, len(j)), dtype=np.int64)
        queue = self._waiting(j)
        held[list(self.y_held)] = queue[list(self.y_held)]
        self.books.record(j, "deal_releases", groups=held, note=deal.site)
        self.kick(j)
