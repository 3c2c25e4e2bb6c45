"""The ceasefire: its breaches and scheduled suspensions, and the linked site tied to it."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.inputs.checks import check, is_hours, is_real, is_whole
from sim.model.distributions import Distribution

#: What ``Ceasefire.before_checkpoint`` may be.
BEFORE_CHECKPOINT = ("hold", "turn_back")


@dataclass(frozen=True)
class Window:
    """A scheduled suspension: from ``start`` to ``end`` hours, or negotiated if ``end`` is None."""

    start: float
    end: float | None
    reason: str


@dataclass(frozen=True)
class Ceasefire:
    """The ceasefire state machine.

    Attributes
    ----------
    breach_rate : float
        Breaches per hour while the ceasefire is active.
    negotiation, guarantee : Distribution or None
        Hours to renegotiate after a suspension and to obtain security guarantees; a
        negotiated suspension lasts their sum.
    before_checkpoint : {"hold", "turn_back"}
        What happens to convoys not yet past the checkpoint when the ceasefire breaks.
    max_hold : float
        Held convoys turn back after this many hours.
    max_hold_counts : {"total", "each"}
        What ``max_hold`` limits: the hours a convoy has been held in all (at the pickup and
        at the checkpoint together), or each hold on its own.
    windows : tuple of Window
    board_while_suspended : bool
        Whether a convoy may form and load while the ceasefire is suspended; its people
        then wait aboard, held, until it may leave.
    """

    breach_rate: float = 0.0
    negotiation: Distribution | None = None
    guarantee: Distribution | None = None
    before_checkpoint: str = "hold"
    max_hold: float = math.inf
    max_hold_counts: str = "total"
    windows: tuple[Window, ...] = ()
    board_while_suspended: bool = False

    def __post_init__(self) -> None:
        check(self, "breach_rate", is_hours(self.breach_rate), "breaches per hour >= 0")
        choices = " or ".join(BEFORE_CHECKPOINT)
        check(self, "before_checkpoint", self.before_checkpoint in BEFORE_CHECKPOINT, choices)
        ok = is_real(self.max_hold, 0.0, math.inf) and self.max_hold > 0
        check(self, "max_hold", ok, "hours > 0")


@dataclass(frozen=True)
class Linkage:
    """A coupled evacuation elsewhere, tied to this one by the same deal.

    The linked site (Al-Foua and Kefraya for Aleppo) sends one convoy at a time while the
    ceasefire holds. Neither side may run ahead of the other: while the share of this
    side's people evacuated exceeds the linked site's share by more than ``max_lag``, no
    convoy forms here and the breach hazard rises by ``lag_breach_rate``; while the linked
    site is ahead by more than ``max_lag``, its convoys wait.

    Attributes
    ----------
    site : str
        Name of the linked site, for narration.
    people : int
        People to evacuate from the linked site.
    per_convoy : int
        People per linked convoy (the last takes the rest).
    start : float
        Hours from the start when the first linked convoy may leave.
    trip : Distribution
        Hours from a linked convoy's departure until its people are safe; the next convoy
        may leave then.
    max_lag : float
        Largest difference of evacuated shares (a fraction, 0 to 1) the deal tolerates.
    lag_breach_rate : float
        Extra breaches per hour while this side is ahead by more than ``max_lag``.
    """

    site: str
    people: int
    per_convoy: int
    start: float
    trip: Distribution
    max_lag: float
    lag_breach_rate: float = 0.0

    def __post_init__(self) -> None:
        check(self, "people", is_whole(self.people, 0), "a whole number of people >= 0")
        check(self, "per_convoy", is_whole(self.per_convoy, 1), "a whole number >= 1")
        check(self, "start", is_hours(self.start), "hours >= 0")
        check(self, "max_lag", is_real(self.max_lag, 0.0, 1.0), "a share from 0 to 1")
        check(self, "lag_breach_rate", is_hours(self.lag_breach_rate), "breaches per hour >= 0")
