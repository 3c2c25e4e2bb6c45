"""The batch engine's linked site: a coupled evacuation tied to this one by the deal.

As in the reference engine (:class:`sim.engines.des.Evacuation`): one linked convoy at a
time, a side ahead by more than ``max_lag`` waits, and the breach hazard rises while this
side is ahead; over the state declared on :class:`~sim.engines.batch_part.BatchPart`.
"""

from __future__ import annotations

import numpy as np

from sim.engines.batch_params import BatchParameters, pick
from sim.engines.batch_part import BatchPart

INF = np.inf


class BatchLinkage(BatchPart):
    """The linked site's convoys and the lag rule."""

    def _linkage_start(self, params: BatchParameters) -> None:
        """The linked site's first convoy may leave at its start (a timer made now)."""
        R, linkage = self.R, self.scenario.linkage
        self.ahead = np.zeros(R, dtype=bool)
        self.linked_due = np.full(R, INF)  # never due without a linkage
        self.linked_seq = np.zeros(R, dtype=np.int64)
        if linkage is None:
            return
        self.linked_people = params["linkage.people"]
        self.linked_per_convoy = params["linkage.per_convoy"]
        self.linked_start = params["linkage.start"]
        self.max_lag = params["linkage.max_lag"]
        self.lag_breach_rate = params["linkage.lag_breach_rate"]
        self.linked_trip = params.dist("linkage.trip", linkage.trip)
        self.linked_sent = np.zeros(R, dtype=np.int64)
        self.linked_n = np.zeros(R, dtype=np.int64)  # people in the linked convoy on its way
        self.linked_travelling = np.zeros(R, dtype=bool)
        self.linked_due[:] = np.broadcast_to(self.linked_start, (R,))
        self.linked_seq[:] = self.seq
        self.seq += 1

    def _gap(self, idx: np.ndarray) -> np.ndarray:
        """This side's evacuated share minus the linked site's (shares of 1)."""
        people = pick(self.linked_people, idx)
        with np.errstate(invalid="ignore", divide="ignore"):
            linked = np.where(people > 0, self.books.linked_evacuated[idx] / people, 1.0)
        arrived = self.books.arrived[idx]  # people who have reached the pickup so far
        with np.errstate(invalid="ignore", divide="ignore"):
            own = np.where(arrived > 0, self.evacuated[idx] / arrived, 1.0)
        return own - linked

    def _linked_try(self, idx: np.ndarray) -> None:
        """A linked convoy leaves where none is on its way, the ceasefire holds and the
        linked site is not ahead by more than the deal allows."""
        if self.scenario.linkage is None:
            return
        people = pick(self.linked_people, idx)
        go = (
            (self.now[idx] >= pick(self.linked_start, idx))
            & ~self.linked_travelling[idx]
            & (self.linked_sent[idx] < people)
            & self.active[idx]
        )
        go[go] = ~(-self._gap(idx[go]) > pick(self.max_lag, idx[go]))
        j = idx[go]
        if not len(j):
            return
        k = self.books.linked_convoys[j]
        n = np.minimum(
            pick(self.linked_per_convoy, j), pick(self.linked_people, j) - self.linked_sent[j]
        )
        n = n.astype(np.int64)
        self.linked_sent[j] += n
        self.linked_n[j] = n
        self.linked_travelling[j] = True
        self.books.record(j, "linked_departs", k, note=self.scenario.linkage.site, people=n)
        trip = self._hours("linked_trip", self.linked_trip, j, k)
        self.linked_due[j] = self.now[j] + trip
        self.linked_seq[j] = self.seq[j]
        self.seq[j] += 1

    def _linked_event(self, idx: np.ndarray) -> None:
        """The linked site's timer: its first convoy may leave, or a convoy arrives."""
        self.linked_due[idx] = INF
        travelling = self.linked_travelling[idx]
        self._check_lag(idx[~travelling])  # the deal starts: the lag rule binds from now
        self._linked_try(idx[~travelling])
        j = idx[travelling]
        if not len(j):
            return
        n = self.linked_n[j]
        self.linked_travelling[j] = False
        self.books.linked_evacuated[j] += n
        self.books.linked_convoys[j] += 1
        linkage = self.scenario.linkage
        assert linkage is not None  # only a scenario with a linkage has linked convoys
        site = linkage.site
        self.books.record(
            j, "linked_arrives", self.books.linked_convoys[j] - 1, note=site, people=n
        )
        self._check_lag(j)
        self._linked_try(j)
        self.kick(j)

    def _check_lag(self, idx: np.ndarray) -> None:
        """Pause this side, and raise the breach hazard, while it is ahead beyond the deal.

        Before the deal's start the rule does not bind.
        """
        idx = idx[self.now[idx] >= pick(self.linked_start, idx)]
        ahead = self._gap(idx) > pick(self.max_lag, idx)
        changed = ahead != self.ahead[idx]
        j, ahead = idx[changed], ahead[changed]
        if not len(j):
            return
        self.ahead[j] = ahead
        linkage = self.scenario.linkage
        assert linkage is not None  # only a scenario with a linkage keeps the sides' gap
        site = linkage.site
        self.books.pause_starts(j[ahead])
        self.books.record(j[ahead], "linkage_pause", note=site)
        self.books.pause_ends(j[~ahead])
        self.books.record(j[~ahead], "linkage_resume", note=site)
        self._set_extra_rate(j, np.where(ahead, pick(self.lag_breach_rate, j), 0.0))
