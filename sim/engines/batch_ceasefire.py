"""The batch engine's ceasefire: active or suspended, for many replications at once.

The state machine of :mod:`sim.engines.ceasefire` with arrays: scheduled windows, breaches
from a hazard that runs only while active, negotiated resumptions, over the state declared
on :class:`~sim.engines.batch_part.BatchPart`.
"""

from __future__ import annotations

import numpy as np

from sim.engines.batch_convoys import BEFORE_CHECKPOINT
from sim.engines.batch_params import BatchParameters, pick
from sim.engines.batch_part import BatchPart
from sim.engines.batch_state import HELD_CHECKPOINT, HELD_PICKUP, PRIVATE_HELD
from sim.outputs.records import BREACH, SCHEDULED

INF = np.inf


class BatchCeasefire(BatchPart):
    """Suspensions and resumptions of the ceasefire."""

    def _ceasefire_start(self, params: BatchParameters) -> None:
        rules, R = self.scenario.ceasefire, self.R
        self.active = np.ones(R, dtype=bool)
        self.until = np.zeros(R)
        self.negotiated = np.zeros(R, dtype=np.int64)
        self.breaches = np.zeros(R, dtype=np.int64)
        self.breach_rate = params["ceasefire.breach_rate"]
        # hours a held convoy waits before it turns back; a period may change it
        self.max_hold = np.array(np.broadcast_to(params["ceasefire.max_hold"], (R,)), dtype=float)
        self.incident_probability = params["route.incident_probability"]
        self.turn_back_mode = rules.before_checkpoint == "turn_back"
        self.windows = rules.windows
        self.window_start = np.array([w.start for w in rules.windows] + [INF])
        self.window_next = np.zeros(R, dtype=np.int64)
        self.resume_due = np.full(R, INF)
        self.breach_due = np.full(R, INF)
        self.hazard_since = np.zeros(R)
        self.extra_rate = np.zeros(R)  # breaches per hour added by the linkage rule
        all_reps = np.arange(R)
        self.hazard_left = self._hazard_gap(all_reps)
        self._arm_breach(all_reps)

    def _hazard_gap(self, idx: np.ndarray) -> np.ndarray:
        return -np.log1p(-self._u("breach", idx, self.breaches[idx]))

    def _rate(self, idx: np.ndarray) -> np.ndarray:
        """Breaches per hour while active."""
        return pick(self.breach_rate, idx) + self.extra_rate[idx]

    def _set_extra_rate(self, idx: np.ndarray, extra: np.ndarray) -> None:
        """Change the extra breach rate; the hazard used so far is kept."""
        armed = self.active[idx] & np.isfinite(self.breach_due[idx])
        a = idx[armed]
        self.hazard_left[a] -= self._rate(a) * (self.now[a] - self.hazard_since[a])
        self.breach_due[a] = INF
        self.extra_rate[idx] = extra
        self._arm_breach(idx[self.active[idx]])

    def _arm_breach(self, idx: np.ndarray) -> None:
        rate = self._rate(idx)
        on = rate > 0
        if np.count_nonzero(on):
            j, rate_j = idx[on], rate[on]
            self.hazard_since[j] = self.now[j]
            with np.errstate(over="ignore"):  # a vanishing rate: no breach, ever
                self.breach_due[j] = self.now[j] + self.hazard_left[j] / rate_j

    def suspend(
        self,
        idx: np.ndarray,
        cause: str | list[str],
        end: np.ndarray | None,
        exclude_slot: np.ndarray | None = None,
    ) -> None:
        """The ceasefire breaks in replications ``idx``; ``end`` NaN means negotiated."""
        now = self.now[idx]
        end = np.full(len(idx), np.nan) if end is None else np.asarray(end, dtype=float)
        negotiated = np.isnan(end)
        if np.count_nonzero(negotiated):
            j, k = idx[negotiated], self.negotiated[idx[negotiated]]
            self.negotiated[j] += 1
            # the loader requires both delays once a suspension can come without an end
            assert self.negotiation is not None and self.guarantee is not None
            delay = self._hours("negotiation", self.negotiation, j, k)
            end[negotiated] = (
                now[negotiated] + delay + self._hours("guarantee", self.guarantee, j, k)
            )
        was_active = self.active[idx]
        extend = idx[~was_active]
        self.until[extend] = np.maximum(self.until[extend], end[~was_active])
        j = idx[was_active]
        if not len(j):
            return
        self.active[j] = False
        self.until[j] = end[was_active]
        self.books.suspension_starts(j)
        note = cause if isinstance(cause, str) else np.asarray(cause, dtype=object)[was_active]
        self.books.record(j, "ceasefire_suspended", note=note)
        self._suspended(j)
        armed = np.isfinite(self.breach_due[j])
        if np.count_nonzero(armed):
            a = j[armed]
            self.hazard_left[a] -= self._rate(a) * (self.now[a] - self.hazard_since[a])
            self.breach_due[a] = INF
        self.resume_due[j] = self.until[j]
        if self.turn_back_mode:
            stage = self.c_stage.take(j, axis=1)
            hit = np.isin(stage, BEFORE_CHECKPOINT) & (
                self.c_private.take(j, axis=1) < 0
            )  # convoys only
            if exclude_slot is not None:
                hit[exclude_slot[was_active], np.arange(len(j))] = False
            self.deferred.append((hit, j))

    def _window(self, idx: np.ndarray) -> None:
        w = self.window_next[idx]
        self.window_next[idx] += 1
        ends = np.array([np.nan if x.end is None else x.end for x in self.windows])[w]
        causes = [self.windows[i].reason or SCHEDULED for i in w]
        self.suspend(idx, causes, ends)

    def _windows_due(self, idx: np.ndarray) -> None:
        """Start the windows due at this instant in replications ``idx``, in file order.

        Their timers were set when the replication started, so they come before any
        ceasefire change set at this instant (a resumption, a turn-back): a window due the
        instant a suspension ends extends it, one spell (docs/model.md, the order of
        simultaneous events).
        """
        due = idx[self.window_start[self.window_next[idx]] == self.now[idx]]
        while len(due):
            self._window(due)
            due = due[self.window_start[self.window_next[due]] == self.now[due]]

    def _breach(self, idx: np.ndarray) -> None:
        self.breach_due[idx] = INF
        self.breaches[idx] += 1
        self.hazard_left[idx] = self._hazard_gap(idx)
        self.suspend(idx, BREACH, None)

    def _resume(self, idx: np.ndarray) -> None:
        later = self.now[idx] < self.until[idx]
        self.resume_due[idx[later]] = self.until[idx[later]]
        j = idx[~later]
        self.resume_due[j] = INF
        self.active[j] = True
        self.books.suspension_ends(j)
        self.books.record(j, "ceasefire_resumes")
        # held convoys still waiting move on, in the order they stopped; one already woken
        # at this instant (by an earlier resumption or its max_hold) keeps its place
        stage = self.c_stage.take(j, axis=1)  # compared three times: np.isin costs ~3x more
        held = ((stage == HELD_PICKUP) | (stage == HELD_CHECKPOINT) | (stage == PRIVATE_HELD)) & (
            self.c_next.take(j, axis=1) > self.now[j]
        )
        if np.count_nonzero(held):
            order = np.argsort(
                np.where(held, self.c_hold_seq.take(j, axis=1), np.iinfo(np.int64).max),
                axis=0,
                kind="stable",
            )
            for rank in range(held.sum(0).max()):
                slot = order[rank]
                on = held[slot, np.arange(len(j))]
                self.c_next[slot[on], j[on]] = self.now[j[on]]
                self.c_seq[slot[on], j[on]] = self.seq[j[on]]
                self.seq[j[on]] += 1
        self._arm_breach(j)
        self._private_resume(j)
        self._exchange_resume(j)
        self._linked_try(j)
        self.kick(j)
