"""The ceasefire of the reference engine: a state machine, active or suspended.

Suspensions come from scheduled windows, from breaches (a Poisson hazard that runs only
while the ceasefire is active, raised while a linked evacuation lags) and from incidents
reported by convoys. A suspension
without a set end lasts a negotiation delay plus a security-guarantee delay; a suspension
that starts while another runs extends it. Changes of state are callbacks on ``URGENT``
timers, so they take effect before anything else that happens at the same instant.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import simpy

from sim.engines.clock import URGENT, Clock, then
from sim.engines.ledger import Ledger
from sim.inputs.scenario import Ceasefire as Rules
from sim.outputs.records import BREACH, SCHEDULED


class Ceasefire:
    """Active or suspended, with the events convoys wait on.

    Parameters
    ----------
    env : Clock
    rules : sim.inputs.scenario.Ceasefire
    draw : callable
        ``draw(stream, index)``: the replication's uniform ``index`` of a stream.
    books : Ledger
    on_break, on_resume : callable
        Called with no argument when the ceasefire breaks and when it resumes.
    """

    def __init__(
        self,
        env: Clock,
        rules: Rules,
        draw: Callable[[str, int], float],
        books: Ledger,
        on_break: Callable[[], None],
        on_resume: Callable[[], None],
    ):
        self.env, self.rules, self.draw, self.books = env, rules, draw, books
        self.on_break, self.on_resume = on_break, on_resume
        self.active = True
        self.until = 0.0  # when the current suspension ends
        self.resumed = env.event()  # succeeds at the next resumption
        self.negotiated = 0  # negotiated suspensions so far: index of their variates
        self.breaches = 0
        self.extra_rate = 0.0  # breaches per hour added by the linkage rule
        self.hazard_left = self._hazard_gap()
        self.hazard_since = 0.0
        self.breach_timer: simpy.Event | None = None
        for w in rules.windows:
            timer = env.at(w.start, URGENT)
            timer.callbacks.append(then(self.suspend, w.reason or SCHEDULED, w.end))
        self._arm_breach()

    def _hazard_gap(self) -> float:
        """Unit-exponential hazard until the next breach."""
        return float(-np.log1p(-self.draw("breach", self.breaches)))

    @property
    def rate(self) -> float:
        """Breaches per hour while active."""
        return self.rules.breach_rate + self.extra_rate

    def set_extra_rate(self, extra: float) -> None:
        """Change the extra breach rate; the hazard used so far is kept."""
        if self.active and self.breach_timer is not None:
            self.hazard_left -= self.rate * (self.env.now - self.hazard_since)
            self.breach_timer = None
        self.extra_rate = extra
        if self.active:
            self._arm_breach()

    def _arm_breach(self) -> None:
        """While the ceasefire holds, the next breach comes when the hazard runs out."""
        rate = self.rate
        if rate > 0:
            now = self.env.now
            self.hazard_since = now
            self.breach_timer = self.env.at(now + self.hazard_left / rate, URGENT)
            self.breach_timer.callbacks.append(self._breach)

    def _breach(self, timer: simpy.Event) -> None:
        if timer is not self.breach_timer:  # the ceasefire broke for another reason first
            return
        self.breach_timer = None
        self.breaches += 1
        self.hazard_left = self._hazard_gap()
        self.books.counts["breaches"] += 1
        self.suspend(BREACH)

    def suspend(self, cause: str, end: float | None = None) -> None:
        """The ceasefire breaks; it resumes at ``end`` or after negotiation and guarantees."""
        now, rules = self.env.now, self.rules
        if end is None:
            k = self.negotiated
            self.negotiated += 1
            # the loader requires both delays once a suspension can come without an end
            assert rules.negotiation is not None and rules.guarantee is not None
            negotiation = float(rules.negotiation.ppf(self.draw("negotiation", k)))
            guarantee = float(rules.guarantee.ppf(self.draw("guarantee", k)))
            end = now + negotiation + guarantee
        if not self.active:
            self.until = max(self.until, end)
            self.books.suspension_log[-1][1] = self.until
            return
        self.active = False
        self.until = end
        self.books.counts["suspensions"] += 1
        self.books.suspension_log.append([now, end])
        self.books.record(now, "ceasefire_suspended", note=cause)
        if self.breach_timer is not None:
            self.hazard_left -= self.rate * (now - self.hazard_since)
            self.breach_timer = None
        self.env.at(end, URGENT).callbacks.append(self._resume)
        self.on_break()

    def _resume(self, _: simpy.Event) -> None:
        now = self.env.now
        if now < self.until:  # extended by a later suspension
            self.env.at(self.until, URGENT).callbacks.append(self._resume)
            return
        self.active = True
        self.books.suspension_log[-1][1] = now
        self.books.record(now, "ceasefire_resumes")
        resumed, self.resumed = self.resumed, self.env.event()
        resumed.succeed()
        self._arm_breach()
        self.on_resume()
