"""What each part of the batch engine offers the others.

:class:`sim.engines.vector.Batch` is assembled from parts by concept (pickup, convoys,
ceasefire, linked site), each a class over :class:`BatchPart`: the shared state
(:class:`~sim.engines.batch_state.BatchState`), the books, and the few methods one part
calls on another, declared here so that each part reads, and type-checks, on its own. A
method a part adds for another part's use is declared here too; ``Batch`` cannot be made
while one is missing.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np

from sim.engines.batch_books import BatchBooks
from sim.engines.batch_params import BatchDistribution, BatchParameters
from sim.engines.batch_state import BatchState


class BatchPart(BatchState, ABC):
    """The state, the books and the methods the parts of a batch share."""

    books: BatchBooks

    # -- the batch (vector.py): variates and timers ---------------------------------------------

    @abstractmethod
    def _u(self, stream: str, idx: np.ndarray, index: np.ndarray) -> np.ndarray:
        """Uniforms ``index`` (one per replication: a convoy, a breach, a suspension...) of
        replications ``idx`` in ``stream``."""

    @abstractmethod
    def _hours(
        self, stream: str, dist: BatchDistribution, idx: np.ndarray, index: np.ndarray
    ) -> np.ndarray:
        """Durations (hours) of ``dist`` for uniforms ``index`` of replications ``idx`` in
        ``stream`` (a stream read through one distribution only)."""

    @abstractmethod
    def _slowest(
        self,
        stream: str,
        slot: np.ndarray,
        idx: np.ndarray,
        dists: Sequence[BatchDistribution],
    ) -> np.ndarray:
        """Hours until the slowest vehicle of each convoy has loaded (or unloaded)."""

    @abstractmethod
    def _leg(
        self, leg: str, slot: np.ndarray, idx: np.ndarray, stream: str | None = None
    ) -> np.ndarray:
        """Hours the convoys (or columns) in ``slot`` take on route leg ``leg``."""

    @abstractmethod
    def _set_timer(
        self, slot: np.ndarray, idx: np.ndarray, at: np.ndarray, stage: int | np.ndarray
    ) -> None:
        """The convoys in ``slot`` take step ``stage`` at ``at`` hours."""

    # -- the set-up (batch_setup.py) ---------------------------------------------------------

    @abstractmethod
    def _grow_slots(self, slots: int) -> None:
        """Room for ``slots`` convoys in flight per replication."""

    # -- the pickup -------------------------------------------------------------------------

    @abstractmethod
    def kick(self, idx: np.ndarray) -> None:
        """Decide about a convoy after this instant's events."""

    @abstractmethod
    def _waiting(self, idx: np.ndarray) -> np.ndarray:
        """People waiting per group in replications ``idx``, shape (G, n)."""

    @abstractmethod
    def _make_idle(self, idx: np.ndarray, p: int, n: np.ndarray) -> None:
        """``n`` vehicles of pool ``p`` wait at the pickup."""

    @abstractmethod
    def _suspended(self, idx: np.ndarray) -> None:
        """The ceasefire broke: the dispatcher's reason to wait, for the trace."""

    # -- the timetable: fleet changes, periods, people giving up ------------------------------

    @abstractmethod
    def _rules_start(self, params: BatchParameters) -> None:
        """The operating rules in force before any period."""

    @abstractmethod
    def _timetable_rows(self, params: BatchParameters) -> list[tuple[np.ndarray, tuple]]:
        """The timetable's entries of the arrivals calendar: (times (R,), kind), in order."""

    @abstractmethod
    def _timetable(
        self, idx: np.ndarray, kind: np.ndarray, who: np.ndarray, index: np.ndarray
    ) -> None:
        """Apply the timetable entries due in replications ``idx``."""

    @abstractmethod
    def _come_back(self, idx: np.ndarray, p: int, n: np.ndarray) -> None:
        """``n`` vehicles of pool ``p`` are back at the pickup; those due to leave do."""

    # -- the corridor (batch_corridor.py) ----------------------------------------------------

    @abstractmethod
    def _leave_corridor(self, idx: np.ndarray) -> None:
        """A convoy is off the road in each of replications ``idx``: one waiting may leave."""

    @abstractmethod
    def _corridor_changes(self, idx: np.ndarray) -> None:
        """A period has set ``max_in_corridor``: convoys waiting for room may leave."""

    # -- the crossing ----------------------------------------------------------------------

    @abstractmethod
    def _release_lane(self, slot: np.ndarray, idx: np.ndarray) -> None:
        """Convoys' inspections end: their lanes go to the first convoys queueing."""

    @abstractmethod
    def _leave_crossing(self, slot: np.ndarray, idx: np.ndarray) -> None:
        """Convoys turning back leave the queue for a lane, or their lane."""

    @abstractmethod
    def _crossed(self, slot: np.ndarray, idx: np.ndarray) -> None:
        """Convoys' or private columns' vehicles are past the checkpoint."""

    @abstractmethod
    def _enter_crossing(self, slot: np.ndarray, idx: np.ndarray, service: np.ndarray) -> None:
        """Convoys or columns at the checkpoint take a lane for ``service`` hours, or queue."""

    @abstractmethod
    def _set_lanes(self, idx: np.ndarray, lanes: np.ndarray | float) -> None:
        """Replications ``idx`` have ``lanes`` inspection lanes from now on."""

    # -- private vehicles -------------------------------------------------------------------

    @abstractmethod
    def _private_due(self, idx: np.ndarray, column: np.ndarray) -> None:
        """Private columns fall due at the pickup."""

    @abstractmethod
    def _private_resume(self, idx: np.ndarray) -> None:
        """The ceasefire resumes: private columns due meanwhile leave."""

    @abstractmethod
    def _private_finish(self, idx: np.ndarray) -> None:
        """Replications ``idx`` have ended: their columns will not leave."""

    @abstractmethod
    def _private_step(self, slot: np.ndarray, idx: np.ndarray) -> None:
        """Private columns whose timers fired take their next step."""

    # -- people safe ------------------------------------------------------------------------

    @abstractmethod
    def _people_safe(self, idx: np.ndarray, people: np.ndarray) -> None:
        """People of convoys or private columns have reached reception."""

    @abstractmethod
    def _free_slot(self, idx: np.ndarray) -> np.ndarray:
        """A free convoy slot in each of replications ``idx``."""

    # -- the ceasefire ----------------------------------------------------------------------

    @abstractmethod
    def suspend(
        self,
        idx: np.ndarray,
        cause: str | list[str],
        end: np.ndarray | None,
        exclude_slot: np.ndarray | None = None,
    ) -> None:
        """The ceasefire breaks in replications ``idx``; ``end`` NaN means negotiated."""

    @abstractmethod
    def _resume(self, idx: np.ndarray) -> None:
        """The ceasefire's resume timer fires."""

    @abstractmethod
    def _windows_due(self, idx: np.ndarray) -> None:
        """Start the scheduled windows due at this instant, before anything set now."""

    @abstractmethod
    def _set_extra_rate(self, idx: np.ndarray, extra: np.ndarray) -> None:
        """Change the breach rate the linkage rule adds (per hour)."""

    # -- the linked site --------------------------------------------------------------------

    @abstractmethod
    def _check_lag(self, idx: np.ndarray) -> None:
        """Pause this side while it is ahead of the linked site beyond the deal."""

    @abstractmethod
    def _linked_try(self, idx: np.ndarray) -> None:
        """A linked convoy leaves if the deal allows it."""

    # -- an exchange ------------------------------------------------------------------------

    @abstractmethod
    def _exchange_rows(self, params: BatchParameters) -> list[tuple[np.ndarray, tuple]]:
        """The linked site's halts as entries of the arrivals calendar: (times (R,), kind)."""

    @abstractmethod
    def _reach_bridge(self, slot: np.ndarray, idx: np.ndarray) -> None:
        """Inspected convoys meet the linked site's at the meeting point, or pass on."""

    @abstractmethod
    def _exchange_send(self, idx: np.ndarray) -> None:
        """The linked site sends convoys where the deal allows (a dispatcher decision)."""

    @abstractmethod
    def _exchange_halt(self, idx: np.ndarray, halt: np.ndarray, ends: np.ndarray) -> None:
        """The linked site's halts ``halt`` start (``ends`` 0) or end (1)."""

    @abstractmethod
    def _exchange_resume(self, idx: np.ndarray) -> None:
        """The ceasefire resumes: convoys waiting at the meeting point whose batch crossed
        move on."""

    @abstractmethod
    def _exchange_step(self, slot: np.ndarray, idx: np.ndarray) -> None:
        """Convoys of the exchange whose timers fired take their next step."""

    @abstractmethod
    def _pass(self, slot: np.ndarray, idx: np.ndarray, note: str = "") -> None:
        """Convoys pass the checkpoint towards reception."""

    # -- an exchange's after_safe clause ----------------------------------------------------

    @abstractmethod
    def _boardable(self, waiting: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """People waiting per group (``(G, n)``) who may board now."""

    @abstractmethod
    def _note_held(self, idx: np.ndarray, would: np.ndarray) -> None:
        """People who would have boarded but for the clause: the trace says so once."""

    @abstractmethod
    def _after_safe_check(self, idx: np.ndarray) -> None:
        """Linked people reached safety: the held groups may board once enough are."""
