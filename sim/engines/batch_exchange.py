"""The batch engine's exchange: the linked site's convoys, its halts, and the meeting point.

As in the reference engine (:mod:`sim.engines.exchange`), over the state declared on
:class:`~sim.engines.batch_state.BatchState`. A linked convoy in flight sits in a convoy slot
(no vehicles of this side, no passengers of its groups; ``c_people`` its people) and steps
through ``LINKED_TO_BRIDGE``, ``LINKED_AT_BRIDGE`` (waiting, no timer), ``LINKED_CROSSES``,
``LINKED_TO_SAFETY`` and ``LINKED_RETURNING``. This side's convoys wait at the meeting point
in stage ``BRIDGE`` and move on through ``BRIDGE_CROSSES``. The linked site's halts are
entries of the arrivals calendar, after the private columns.
"""

from __future__ import annotations

import numpy as np

from sim.engines.batch_exchange_books import ExchangeBooks
from sim.engines.batch_params import BatchParameters
from sim.engines.batch_part import BatchPart
from sim.engines.batch_state import (
    BRIDGE,
    BRIDGE_CROSSES,
    LINKED_AT_BRIDGE,
    LINKED_CROSSES,
    LINKED_RETURNING,
    LINKED_TO_BRIDGE,
    LINKED_TO_SAFETY,
)
from sim.inputs.exchange import Exchange
from sim.model.linked_halts import random_halts
from sim.model.pairing import Pairing
from sim.outputs.records import (
    PARTNER_HERE,
    PARTNER_THERE,
    RANDOM_HALT,
    SUSPENDED,
    WAITED_AT_BRIDGE,
)

#: Kind of the linked site's halts in the arrivals calendar (after the private columns').
EXCHANGE_HALT = 6

INF = np.inf
LAST = np.iinfo(np.int64).max


class BatchExchange(BatchPart):
    """The linked site's convoys and halts, and the meeting point."""

    pairing: Pairing

    @property
    def _deal(self) -> Exchange:
        """The scenario's exchange: the steps that use it run only in a scenario with one."""
        deal = self.scenario.exchange
        assert deal is not None
        return deal

    @property
    def _deal_books(self) -> ExchangeBooks:
        """The exchange's books, kept in a scenario with an exchange."""
        books = self.books.exchange
        assert books is not None
        return books

    def _exchange_rows(self, params: BatchParameters) -> list[tuple[np.ndarray, tuple]]:
        """The linked site's halts as calendar entries: (times (R,), kind), start then end;
        the scripted halts, then the random ones (numbered after them)."""
        deal = self.scenario.exchange
        rows: list[tuple[np.ndarray, tuple]] = []
        if deal is None:
            return rows
        for i, halt in enumerate(deal.halts):
            rows.append((np.full(self.R, halt.start), (EXCHANGE_HALT, i, 0)))
            rows.append((np.full(self.R, halt.end), (EXCHANGE_HALT, i, 1)))
        if deal.halt_duration is None:
            return rows
        everyone = np.arange(self.R)
        duration = params.dist("linkage.halt_duration", deal.halt_duration)
        halts = random_halts(
            lambda stream, k: self._u(stream, everyone, np.full(self.R, k)),
            np.broadcast_to(params["linkage.halt_rate"], (self.R,)),
            lambda u: duration.ppf(u, everyone),
            np.broadcast_to(params["linkage.start"], (self.R,)),
            self.scenario.horizon,
        )
        for k, (begins, ends) in enumerate(halts, start=len(deal.halts)):
            rows.append((begins, (EXCHANGE_HALT, k, 0)))
            rows.append((ends, (EXCHANGE_HALT, k, 1)))
        return rows

    def _exchange_start(self, params: BatchParameters) -> None:
        deal, R = self.scenario.exchange, self.R
        if deal is None:
            return

        def state(key: str, dtype: type = np.int64) -> np.ndarray:
            return np.array(np.broadcast_to(params[f"linkage.{key}"], (R,)), dtype=dtype)

        self.x_people, self.x_load = state("people"), state("load")
        self.x_size = state("convoy_size")
        self.x_start, self.x_headway = state("start", float), state("headway", float)
        self.x_trips = {
            name: params.dist(f"linkage.{name}", getattr(deal, name))
            for name in ("to_meeting", "from_meeting", "return_trip")
        }
        self.x_total = -(-self.x_people // (self.x_size * self.x_load))
        self.pairing = Pairing(deal)
        self.x_batches = self.pairing.count(self.x_total)
        self.x_idle = state("vehicles")
        self.x_sent = np.zeros(R, dtype=np.int64)
        self.x_formed = np.zeros(R, dtype=np.int64)
        self.x_last = np.full(R, -INF)
        self.x_halted = np.zeros(R, dtype=bool)
        self.x_halted_at_random = np.zeros(R, dtype=bool)
        self.x_here_at = np.zeros(R, dtype=np.int64)
        self.x_there_at = np.zeros(R, dtype=np.int64)
        self.x_released = np.zeros(R, dtype=np.int64)
        self.deadline_due = np.minimum(self.deadline_due, self.x_start)  # the deal's start

    # -- the linked site ---------------------------------------------------------------------

    def _exchange_halt(self, idx: np.ndarray, halt: np.ndarray, ends: np.ndarray) -> None:
        """The linked site's halts start or end (the calendar then kicks the dispatcher):
        scripted ones by their number, random ones after them."""
        scripted = self._deal.halts
        reasons = np.array([h.reason for h in scripted] + [RANDOM_HALT], dtype=object)
        random = halt >= len(scripted)
        starts = ends == 0
        notes = reasons[np.minimum(halt, len(scripted))]
        self.x_halted[idx[starts & ~random]] = True
        self.x_halted_at_random[idx[starts & random]] = True
        self.books.record(idx[starts], "linked_halted", note=notes[starts])
        self.x_halted[idx[~starts & ~random]] = False
        self.x_halted_at_random[idx[~starts & random]] = False
        self.books.record(idx[~starts], "linked_resumes", note=notes[~starts])

    def _exchange_send(self, idx: np.ndarray) -> None:
        """Send linked convoys while the deal allows, as many as may leave this instant."""
        site = self._deal.site
        while len(idx):
            now, start = self.now[idx], self.x_start[idx]
            early = now < start
            j = idx[early]
            self.deadline_due[j] = np.minimum(self.deadline_due[j], start[early])
            left = self.x_people[idx] - self.x_sent[idx]
            halted = self.x_halted[idx] | self.x_halted_at_random[idx]
            ok = ~early & ~halted & self.active[idx] & (left > 0)
            load = self.x_load[idx]
            vehicles = np.minimum(self.x_size[idx], -(-left // load))
            ok &= self.x_idle[idx] >= vehicles  # it sends again when vehicles come back
            ready = self.x_last[idx] + self.x_headway[idx]
            later = ok & (now < ready)
            j = idx[later]
            self.deadline_due[j] = np.minimum(self.deadline_due[j], ready[later])
            go = ok & ~later
            idx = idx[go]
            if not len(idx):
                return
            k = self.x_formed[idx].copy()
            n = np.minimum(self.x_size[idx] * load[go], left[go])
            self.x_formed[idx] += 1
            self.x_sent[idx] += n
            self.x_idle[idx] -= vehicles[go]
            self.x_last[idx] = now[go]
            self.books.record(idx, "linked_departs", k, note=site, people=n)
            slot = self._free_slot(idx)
            self.c_number[slot, idx] = k
            self.c_people[slot, idx] = n
            self.c_vehicles[slot, :, idx] = 0
            self.c_groups[slot, :, idx] = 0
            self.c_manifest[slot, idx] = 0
            self.c_formed[slot, idx] = now[go]
            self.c_departed[slot, idx] = np.nan
            self.c_at_checkpoint[slot, idx] = np.nan
            trip = self._linked_trip("to_meeting", idx, k)
            self._set_timer(slot, idx, now[go] + trip, LINKED_TO_BRIDGE)

    def _linked_trip(self, leg: str, idx: np.ndarray, k: np.ndarray) -> np.ndarray:
        stream = {"to_meeting": "exchange_to_meeting", "from_meeting": "exchange_from_meeting"}
        return self._hours(stream.get(leg, "exchange_return"), self.x_trips[leg], idx, k)

    def _exchange_step(self, slot: np.ndarray, idx: np.ndarray) -> None:
        stage = self.c_stage[slot, idx]
        for code, step in (
            (BRIDGE_CROSSES, self._bridge_crosses),
            (LINKED_TO_BRIDGE, self._linked_at_bridge),
            (LINKED_CROSSES, self._linked_crosses_after_wait),
            (LINKED_TO_SAFETY, self._linked_safe),
            (LINKED_RETURNING, self._linked_back),
        ):
            here = stage == code
            if here.any():
                step(slot[here], idx[here])

    def _linked_at_bridge(self, slot: np.ndarray, idx: np.ndarray) -> None:
        rank = self.x_there_at[idx].copy()
        self.x_there_at[idx] += 1
        self._release(idx)
        crosses = self._crosses(self.pairing.batch_there(rank, self.x_total[idx]), idx)
        go = crosses & self.active[idx]
        if go.any():
            self._linked_cross(slot[go], idx[go], "")
        s, j = slot[~go], idx[~go]
        if len(j):
            self._deal_books.waits[1, j] += 1
            self._wait_at_bridge(s, j, rank[~go], LINKED_AT_BRIDGE)
            why = np.where(crosses[~go], SUSPENDED, PARTNER_HERE).astype(object)
            k, n = self.c_number[s, j], self.c_people[s, j]
            self.books.record(j, "linked_waits_at_bridge", k, note=why, people=n)

    def _linked_crosses_after_wait(self, slot: np.ndarray, idx: np.ndarray) -> None:
        self._linked_cross(slot, idx, WAITED_AT_BRIDGE)

    def _linked_cross(self, slot: np.ndarray, idx: np.ndarray, note: str) -> None:
        k, n = self.c_number[slot, idx], self.c_people[slot, idx]
        self.books.record(idx, "linked_crosses", k, note=note, people=n)
        trip = self._linked_trip("from_meeting", idx, k)
        self._set_timer(slot, idx, self.now[idx] + trip, LINKED_TO_SAFETY)

    def _linked_safe(self, slot: np.ndarray, idx: np.ndarray) -> None:
        k, n = self.c_number[slot, idx], self.c_people[slot, idx]
        self.books.linked_evacuated[idx] += n
        self.books.linked_convoys[idx] += 1
        self._deal_books.safe(self.now[idx], idx, n)
        self.books.record(idx, "linked_arrives", k, note=self._deal.site, people=n)
        self._after_safe_check(idx)
        trip = self._linked_trip("return_trip", idx, k)
        self._set_timer(slot, idx, self.now[idx] + trip, LINKED_RETURNING)

    def _linked_back(self, slot: np.ndarray, idx: np.ndarray) -> None:
        k, n = self.c_number[slot, idx], self.c_people[slot, idx]
        self.x_idle[idx] += -(-n // self.x_load[idx])
        self.books.record(idx, "linked_returns", k, note=self._deal.site, people=n)
        self.c_number[slot, idx] = -1
        self.c_stage[slot, idx] = 0
        self.c_next[slot, idx] = INF
        self.kick(idx)

    # -- the meeting point -------------------------------------------------------------------

    def _reach_bridge(self, slot: np.ndarray, idx: np.ndarray) -> None:
        """Inspected convoys of this side: cross at once, or wait for their batch."""
        if self.scenario.exchange is None:
            self._pass(slot, idx)
            return
        paired = self.now[idx] >= self.x_start[idx]  # before the deal, nothing is paired
        if (~paired).any():
            self._pass(slot[~paired], idx[~paired])
        slot, idx = slot[paired], idx[paired]
        if not len(idx):
            return
        rank = self.x_here_at[idx].copy()
        self.x_here_at[idx] += 1
        self._release(idx)
        crosses = self._crosses(self.pairing.batch_here(rank), idx)
        go = crosses & self.active[idx]
        if go.any():
            self._pass(slot[go], idx[go])
        s, j = slot[~go], idx[~go]
        if len(j):
            self._deal_books.waits[0, j] += 1
            self._wait_at_bridge(s, j, rank[~go], BRIDGE)
            self.books.change_held(j, self.c_people[s, j])
            why = np.where(crosses[~go], SUSPENDED, PARTNER_THERE).astype(object)
            self.books.convoy_event(s, j, "waits_at_bridge", why)

    def _bridge_crosses(self, slot: np.ndarray, idx: np.ndarray) -> None:
        self._pass(slot, idx, WAITED_AT_BRIDGE)

    def _wait_at_bridge(self, slot: np.ndarray, idx: np.ndarray, rank, stage: int) -> None:
        self.c_bridge[slot, idx] = rank
        self.c_bridge_since[slot, idx] = self.now[idx]
        self.c_stage[slot, idx] = stage
        self.c_next[slot, idx] = INF

    def _crosses(self, batch: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """Whether convoys of batches ``batch`` (of replications ``idx``) may cross now."""
        return (batch < self.x_released[idx]) | (batch >= self.x_batches[idx])

    def _release(self, idx: np.ndarray) -> None:
        """Batches whose convoys are all at the meeting point cross, in order; while the
        ceasefire holds, their waiting convoys move on now."""
        before = self.x_released[idx].copy()
        while True:
            released = self.x_released[idx]
            here, there = self.pairing.needs(released, self.x_total[idx])
            more = (
                (released < self.x_batches[idx])
                & (self.x_here_at[idx] >= here)
                & (self.x_there_at[idx] >= there)
            )
            if not more.any():
                break
            self.x_released[idx[more]] += 1
        j = idx[(self.x_released[idx] > before) & self.active[idx]]
        if len(j):
            self._move_on(j)

    def _exchange_resume(self, idx: np.ndarray) -> None:
        """The ceasefire resumes: convoys whose batch crossed during the suspension move on."""
        if self.scenario.exchange is not None:
            self._move_on(idx)

    def _move_on(self, j: np.ndarray) -> None:
        """Waiting convoys whose batch may cross move on now, this side's first, each
        side's in the order they came."""
        cols = np.arange(len(j))
        for side, stage in enumerate((BRIDGE, LINKED_AT_BRIDGE)):
            waiting = self.c_stage.take(j, axis=1) == stage
            if not waiting.any():
                continue
            rank = self.c_bridge.take(j, axis=1)
            if side == 0:
                batch = self.pairing.batch_here(rank)
            else:
                batch = self.pairing.batch_there(rank, np.broadcast_to(self.x_total[j], rank.shape))
            ready = waiting & ((batch < self.x_released[j]) | (batch >= self.x_batches[j]))
            order = np.argsort(np.where(ready, rank, LAST), axis=0, kind="stable")
            for r in range(ready.sum(axis=0).max(initial=0)):
                slot = order[r]
                on = ready[slot, cols]
                s, jj = slot[on], j[on]
                hours = self.now[jj] - self.c_bridge_since[s, jj]
                self._deal_books.wait_hours[side, jj] += hours
                if side == 0:
                    self.books.change_held(jj, -self.c_people[s, jj])
                self.c_stage[s, jj] = BRIDGE_CROSSES if side == 0 else LINKED_CROSSES
                self.c_next[s, jj] = self.now[jj]
                self.c_seq[s, jj] = self.seq[jj]
                self.seq[jj] += 1
