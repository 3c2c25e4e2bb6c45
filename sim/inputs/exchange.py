"""The linked evacuation as an exchange: the linked site's own convoys, its own halts, and
the pairing rule under which both sides' convoys wait for each other at a meeting point.

``[linkage]`` with ``rule = "exchange"`` (the default ``rule = "share"`` is
:class:`sim.inputs.scenario.Linkage`). The linked site (Al-Foua and Kefraya for Aleppo) has a
fleet of ``vehicles`` that shuttle: a convoy of up to ``convoy_size`` vehicles, ``load``
people each, drives to the meeting point (``to_meeting``), waits there for its partner
convoys, goes on to safety (``from_meeting``, its people are then evacuated) and its vehicles
come back (``return_trip``). Convoys of both sides reaching the meeting point are numbered
in the order they reach it; the pairing rule groups them into batches, and a batch crosses
once all its convoys of both sides are there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.errors import ScenarioError, readable
from sim.inputs.checks import check, is_hours, is_real, is_whole
from sim.inputs.fleet import MAX_POOL_SIZE
from sim.inputs.limits import MAX_PEOPLE, MAX_RATE
from sim.model.distributions import Distribution

#: Most vehicles of the linked site, as of one pool.
MAX_VEHICLES = MAX_POOL_SIZE
#: How convoys are paired at the meeting point (``linkage.pairing``).
PAIRINGS = ("convoys", "batches")
#: The keys of the share rule, refused under the exchange (and the reverse).
SHARE_KEYS = ("per_convoy", "trip", "max_lag", "lag_breach_rate")
EXCHANGE_KEYS = (
    "vehicles",
    "convoy_size",
    "load",
    "to_meeting",
    "from_meeting",
    "return_trip",
    "headway",
    "halts",
    "pairing",
    "batches",
    "meeting_point",
    "after_safe",
    "halt_rate",
    "halt_duration",
)


@dataclass(frozen=True)
class Halt:
    """A scheduled halt of the linked site: no convoy leaves it from ``start`` to ``end``
    (hours from the scenario start); convoys already on the road go on."""

    start: float
    end: float
    reason: str = ""


@dataclass(frozen=True)
class Pair:
    """One batch of the exchange: ``here`` convoys of this side and ``there`` convoys of the
    linked site cross the meeting point together."""

    here: int
    there: int


@dataclass(frozen=True)
class AfterSafe:
    """The deal's clause "fighters only after villagers arrive": people of ``groups`` (this
    side's groups, by name) may board a convoy or a private vehicle only once ``people`` of
    the linked site have reached safety, or, with ``batch``, the people of the linked
    site's convoys in the deal's batches up to and including that one (1 = the first).
    Exactly one of ``people`` and ``batch`` is given."""

    groups: tuple[str, ...]
    people: int | None = None
    batch: int | None = None

    def __post_init__(self) -> None:
        """Refuse a clause a scenario file could not hold."""
        check(self, "groups", len(self.groups) > 0, "at least one group")
        one = (self.people is None) != (self.batch is None)
        check(self, "people", one, "given exactly when batch is not")
        if self.people is not None:
            check(self, "people", is_whole(self.people, 1, MAX_PEOPLE), "a whole number >= 1")
        if self.batch is not None:
            check(self, "batch", is_whole(self.batch, 1), "a whole number >= 1")


@dataclass(frozen=True)
class Exchange:
    """The linked evacuation as an exchange of convoys at a meeting point.

    Attributes
    ----------
    site : str
        The linked site's name, for narration.
    people : int
        People to evacuate from the linked site.
    start : float
        Hours from the start when the deal binds: the linked site's first convoy may leave,
        and this side's convoys reaching the meeting point from then on are paired (earlier
        ones cross freely).
    vehicles : int
        The linked site's fleet, there at ``start``.
    convoy_size : int
        Vehicles a linked convoy takes at most (the last takes only what its people need).
    load : int
        People per linked vehicle.
    to_meeting, from_meeting, return_trip : Distribution
        Hours per linked convoy: from the linked site to the meeting point; from it to
        safety (its people are then evacuated); and back to the linked site.
    headway : float
        Least hours between two departures from the linked site.
    halts : tuple of Halt
        The linked site's own halts, in time order, not overlapping.
    pairing : str
        ``"convoys"``: convoy for convoy, the k-th of each side together, for as many
        convoys as the linked site sends; ``"batches"``: by ``batches``.
    batches : tuple of Pair
        With ``pairing = "batches"``: the batches in order; convoys after the last batch
        cross freely.
    meeting_point : str
        Where the convoys meet, for narration.
    after_safe : AfterSafe or None
        Groups of this side held back until the linked site's people are safe; None: none.
    halt_rate : float
        Random halts of the linked site per hour, from ``start``, while not in one
        (:mod:`sim.model.linked_halts`); 0: only the scripted ``halts``.
    halt_duration : Distribution or None
        Hours a random halt lasts; given whenever ``halt_rate`` may be above 0.
    """

    site: str
    people: int
    start: float
    vehicles: int
    convoy_size: int
    load: int
    to_meeting: Distribution
    from_meeting: Distribution
    return_trip: Distribution
    headway: float = 0.0
    halts: tuple[Halt, ...] = ()
    pairing: str = "convoys"
    batches: tuple[Pair, ...] = ()
    meeting_point: str = "the meeting point"
    after_safe: AfterSafe | None = None
    halt_rate: float = 0.0
    halt_duration: Distribution | None = None

    def __post_init__(self) -> None:
        """Refuse what a scenario file could not hold (an exchange built in Python)."""
        check(self, "people", is_whole(self.people, 0, MAX_PEOPLE), "a whole number >= 0")
        check(self, "vehicles", is_whole(self.vehicles, 1, MAX_VEHICLES), "a whole number >= 1")
        check(self, "convoy_size", is_whole(self.convoy_size, 1, self.vehicles), "1 to vehicles")
        check(self, "load", is_whole(self.load, 1, MAX_PEOPLE), "a whole number >= 1")
        check(self, "start", is_hours(self.start), "hours >= 0")
        check(self, "headway", is_hours(self.headway), "hours >= 0")
        check(self, "pairing", self.pairing in PAIRINGS, " or ".join(PAIRINGS))
        ok = bool(self.batches) == (self.pairing == "batches")
        check(self, "batches", ok, 'given (at least one) exactly when pairing = "batches"')
        last = -math.inf
        for halt in self.halts:
            if not (last <= halt.start < halt.end):
                raise ScenarioError("Exchange", "halts", "must be in time order, not overlapping")
            last = halt.end
        for pair in self.batches:
            if not (is_whole(pair.here, 0) and is_whole(pair.there, 0) and pair.here + pair.there):
                raise ScenarioError("Exchange", "batches", "must be whole numbers, not both 0")
        ok = is_real(self.halt_rate, 0.0, MAX_RATE)
        check(self, "halt_rate", ok, f"0 to {readable(MAX_RATE)}")
        ok = self.halt_rate == 0 or self.halt_duration is not None
        check(self, "halt_duration", ok, "given when halt_rate is above 0")
        clause = self.after_safe
        if clause is not None and clause.people is not None:
            check(self, "after_safe", clause.people <= self.people, "at most people safe")
        if clause is not None and clause.batch is not None:
            most = self.convoys if self.pairing == "convoys" else len(self.batches)
            check(self, "after_safe", clause.batch <= max(most, 1), "a batch of the deal")

    @property
    def convoy_people(self) -> int:
        """People in a full linked convoy."""
        return self.convoy_size * self.load

    @property
    def convoys(self) -> int:
        """Convoys the linked site needs to send everyone."""
        return -(-self.people // self.convoy_people)
