"""The linked site of the reference engine: a coupled evacuation tied to this one by the deal.

The linked site (Al-Foua and Kefraya for Aleppo) sends one convoy at a time while the
ceasefire holds. Each side's *share* is the people evacuated over its total: the linked
site's ``people``, and here the people who have reached the pickup so far. From the deal's
start, a side ahead of the other by more than ``max_lag`` waits: the linked site's next
convoy, or here the dispatcher (which reads :attr:`LinkedSite.ahead`); while this side is
ahead, the ceasefire's breach rate rises by ``lag_breach_rate``. The rule is checked at the
deal's start, when a share changes (convoys arrive, people reach the pickup) and when the
ceasefire resumes.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from sim.engines.ceasefire import Ceasefire
from sim.engines.clock import Clock
from sim.engines.ledger import Ledger
from sim.inputs.scenario import Linkage


class LinkedSite:
    """The linked site's convoys and the lag rule.

    Parameters
    ----------
    env : Clock
    linkage : sim.inputs.scenario.Linkage
    draw : callable
        ``draw(stream, index)``: the replication's uniform ``index`` of a stream.
    books : Ledger
    ceasefire : Ceasefire
    own_share : callable
        This side's evacuated share (0 to 1) now.
    on_arrival : callable
        Called when a linked convoy arrives, after the lag rule is checked.
    """

    def __init__(
        self,
        env: Clock,
        linkage: Linkage,
        draw: Callable[[str, int], float],
        books: Ledger,
        ceasefire: Ceasefire,
        own_share: Callable[[], float],
        on_arrival: Callable[[], None],
    ):
        self.env, self.linkage, self.draw, self.books = env, linkage, draw, books
        self.ceasefire, self.own_share, self.on_arrival = ceasefire, own_share, on_arrival
        self.sent = 0  # people who have left the linked site
        self.travelling = False  # a linked convoy is on its way
        self.ahead = False  # this side is ahead beyond the deal's lag: no convoy forms here
        env.at(linkage.start).callbacks.append(lambda _: self._deal_starts())

    def _deal_starts(self) -> None:
        """From the deal's start the lag rule binds and the linked site's convoys may leave."""
        self.check_lag()
        self.try_leave()

    def gap(self) -> float:
        """This side's evacuated share minus the linked site's."""
        people = self.linkage.people
        linked = self.books.linked_evacuated / people if people else 1.0
        return self.own_share() - linked

    def try_leave(self) -> None:
        """A linked convoy leaves if none is on its way, the ceasefire holds and the linked
        site is not ahead by more than the deal allows."""
        linkage, now = self.linkage, self.env.now
        if (
            now < linkage.start
            or self.travelling
            or self.sent >= linkage.people
            or not self.ceasefire.active
            or -self.gap() > linkage.max_lag
        ):
            return
        k = self.books.linked_convoys
        n = min(linkage.per_convoy, linkage.people - self.sent)
        self.sent += n
        self.travelling = True
        self.books.record(now, "linked_departs", k, note=linkage.site, people=n)
        trip = float(linkage.trip.ppf(self.draw("linked_trip", k)))
        self.env.at(now + trip).callbacks.append(lambda _: self._arrives(k, n))

    def _arrives(self, k: int, n: int) -> None:
        self.travelling = False
        self.books.linked_evacuated += n
        self.books.linked_convoys += 1
        self.books.record(self.env.now, "linked_arrives", k, note=self.linkage.site, people=n)
        self.check_lag()
        self.try_leave()
        self.on_arrival()

    def check_lag(self) -> None:
        """Pause this side, and raise the breach hazard, while it is ahead beyond the deal.

        Before the deal's start the rule does not bind.
        """
        linkage, now = self.linkage, self.env.now
        if now < linkage.start:
            return
        ahead = self.gap() > linkage.max_lag
        if ahead == self.ahead:
            return
        self.ahead = ahead
        if ahead:
            self.books.pause_log.append([now, math.inf])
            self.books.record(now, "linkage_pause", note=linkage.site)
        else:
            self.books.pause_log[-1][1] = now
            self.books.record(now, "linkage_resume", note=linkage.site)
        self.ceasefire.set_extra_rate(linkage.lag_breach_rate if ahead else 0.0)
