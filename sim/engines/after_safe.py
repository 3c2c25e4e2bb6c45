"""The exchange's clause "fighters only after villagers arrive" in the reference engine.

``[linkage.after_safe]`` holds groups of this side back: their people board neither a convoy
nor a private vehicle until enough of the linked site's people are safe
(:func:`sim.model.clause.needed`). The dispatcher and the private columns ask
:meth:`AfterSafe.boardable` who may board; the linked site tells :meth:`AfterSafe.safe` when
its people reach safety. The trace says once a replication why the held groups wait
(``waits_for_linked``, the first time some of them would have boarded), and when they may
board (``deal_releases``), as the batch engine's :mod:`sim.engines.batch_after_safe`.
"""

from __future__ import annotations

from typing import Protocol

from sim.engines.clock import Clock
from sim.engines.ledger import Ledger
from sim.inputs.scenario import Scenario
from sim.model.clause import needed


class Evacuation(Protocol):
    """What the clause uses of its replication (:class:`sim.engines.des.Evacuation`)."""

    scenario: Scenario
    env: Clock
    books: Ledger
    queue: list[list[int]]  # people waiting, per group and arrival cohort

    def kick(self) -> None:
        """Decide about convoys after this instant's events."""


class AfterSafe:
    """The held groups of one replication, and whether the clause is met.

    Parameters
    ----------
    evacuation : Evacuation
    convoys : int
        Convoys the linked site sends in all.
    """

    def __init__(self, evacuation: Evacuation, convoys: int):
        self.evacuation = e = evacuation
        deal = e.scenario.exchange
        assert deal is not None
        self.site = deal.site
        self.held = e.scenario.held_for_linked
        self.needed = 0
        if self.held:
            self.needed = int(needed(deal, deal.people, deal.convoy_people, convoys))
        self.met = self.needed <= 0  # the held groups may board
        self.told = False  # the trace has said why they wait

    def boardable(self, waiting: list[int]) -> list[int]:
        """People waiting per group who may board now: none of a held group until the
        clause is met; ``waiting`` itself once it is."""
        if self.met:
            return waiting
        return [0 if g in self.held else n for g, n in enumerate(waiting)]

    def note_held(self, seated: list[int]) -> None:
        """``seated[g]`` people of each group would have boarded but for the clause: the
        trace says so the first time it happens in a replication."""
        books = self.evacuation.books
        if self.told or not books.traced:
            return
        groups = [n if g in self.held else 0 for g, n in enumerate(seated)]
        if sum(groups):
            self.told = True
            books.record(self.evacuation.env.now, "waits_for_linked", groups=groups, note=self.site)

    def safe(self, linked_evacuated: int) -> None:
        """``linked_evacuated`` of the linked site's people are safe now: once they are
        enough, the held groups may board (the dispatcher decides again)."""
        if self.met or linked_evacuated < self.needed:
            return
        self.met = True
        e = self.evacuation
        queue = e.queue
        held = [sum(queue[g]) if g in self.held else 0 for g in range(len(queue))]
        e.books.record(e.env.now, "deal_releases", groups=held, note=self.site)
        e.kick()
