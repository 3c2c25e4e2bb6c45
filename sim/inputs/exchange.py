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

from sim.errors import ScenarioError
from sim.inputs.limits import MAX_CONVOYS, MAX_HOURS, MAX_PEOPLE
from sim.inputs.schema import Table
from sim.model.distributions import Distribution

#: Most vehicles of the linked site, as of one pool (``scenario.MAX_POOL_SIZE``).
MAX_VEHICLES = 4096
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

    def __post_init__(self) -> None:
        """Refuse what a scenario file could not hold (an exchange built in Python)."""
        checks = [
            ("people", _whole(self.people, 0, MAX_PEOPLE), "a whole number of people >= 0"),
            ("vehicles", _whole(self.vehicles, 1, MAX_VEHICLES), "a whole number >= 1"),
            ("convoy_size", _whole(self.convoy_size, 1, self.vehicles), "1 to `vehicles`"),
            ("load", _whole(self.load, 1, MAX_PEOPLE), "a whole number of people >= 1"),
            ("start", _hours(self.start), "hours >= 0"),
            ("headway", _hours(self.headway), "hours >= 0"),
            ("pairing", self.pairing in PAIRINGS, " or ".join(PAIRINGS)),
            ("batches", bool(self.batches) == (self.pairing == "batches"), _BATCHES),
        ]
        for key, ok, allowed in checks:
            if not ok:
                value = getattr(self, key)
                raise ScenarioError("Exchange", key, f"must be {allowed}, got {value!r}")
        last = -math.inf
        for halt in self.halts:
            if not (last <= halt.start < halt.end):
                raise ScenarioError("Exchange", "halts", "must be in time order, not overlapping")
            last = halt.end
        for pair in self.batches:
            if not (_whole(pair.here, 0) and _whole(pair.there, 0) and pair.here + pair.there):
                raise ScenarioError("Exchange", "batches", "must be whole numbers, not both 0")

    @property
    def convoy_people(self) -> int:
        """People in a full linked convoy."""
        return self.convoy_size * self.load

    @property
    def convoys(self) -> int:
        """Convoys the linked site needs to send everyone."""
        return -(-self.people // self.convoy_people)


_BATCHES = 'given (at least one) exactly when pairing = "batches"'


def read_exchange(t: Table, site: str, people: int, start: float, corridor: int) -> Exchange:
    """Read the exchange keys of ``[linkage]`` (``rule = "exchange"``), after the keys both
    rules share (``site``, ``people``, ``start``).

    A batch must fit on the roads: this side's ``here`` convoys all wait at the meeting point
    at once, so at most ``corridor`` (``convoy.max_in_corridor``); the linked site's
    ``there`` at most the convoys its vehicles make at once. A larger batch never crosses.
    """
    for key in SHARE_KEYS:
        if t.has(key):
            raise t.error(key, 'belongs to rule = "share"; with rule = "exchange" leave it out')
    vehicles = t.number("vehicles", minimum=1, maximum=MAX_VEHICLES, integer=True)
    size = t.number("convoy_size", minimum=1, maximum=vehicles, integer=True, unit="vehicles")
    load = t.number("load", minimum=1, maximum=MAX_PEOPLE, integer=True, unit="people a vehicle")
    convoys = -(-people // (size * load))
    if convoys > MAX_CONVOYS:
        raise t.error(
            "load",
            f"{people:,} people in convoys of {size * load:,} make {convoys:,} linked convoys "
            f"in each replication; at most {MAX_CONVOYS:,} (carry more a convoy)",
        )
    trips = {name: t.duration(name) for name in ("to_meeting", "from_meeting", "return_trip")}
    headway = t.number("headway", 0.0, minimum=0, maximum=MAX_HOURS, unit="hours")
    halts, last = [], -math.inf
    for h in t.tables("halts"):
        begin, end = h.time("start"), h.time("end")
        if end <= begin:
            raise h.error("end", "must be after start")
        if begin < last:
            raise h.error("start", "must not be before the end of the halt before it")
        halts.append(Halt(begin, end, h.text("reason", "")))
        last = end
        h.close()
    pairing = t.text("pairing", "convoys", choices=PAIRINGS)
    batches = []
    for b in t.tables("batches"):
        here = b.number("here", minimum=0, maximum=MAX_CONVOYS, integer=True, unit="convoys")
        there = b.number("there", minimum=0, maximum=MAX_CONVOYS, integer=True, unit="convoys")
        if not here + there:
            raise b.error("there", "here and there must not both be 0")
        if here > corridor:
            raise b.error(
                "here",
                f"must be at most convoy.max_in_corridor = {corridor} (the batch's convoys "
                f"all wait at the meeting point at once), got {here}",
            )
        if there > vehicles // size:
            raise b.error(
                "there",
                f"must be at most {vehicles // size} (the linked site's {vehicles} vehicles "
                f"in convoys of {size} wait at the meeting point at once), got {there}",
            )
        batches.append(Pair(here, there))
        b.close()
    if pairing == "batches" and not batches:
        raise t.error("batches", 'needs at least one batch with pairing = "batches"')
    if pairing == "convoys" and batches:
        raise t.error("batches", 'only with pairing = "batches"')
    exchange = Exchange(
        site=site,
        people=people,
        start=start,
        vehicles=vehicles,
        convoy_size=size,
        load=load,
        headway=headway,
        halts=tuple(halts),
        pairing=pairing,
        batches=tuple(batches),
        meeting_point=t.text("meeting_point", "the meeting point"),
        **trips,
    )
    t.close()
    return exchange


def _whole(value: object, low: float, high: float = math.inf) -> bool:
    """Whether ``value`` is an integer (not a bool) in [low, high]."""
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _hours(value: object) -> bool:
    """Whether ``value`` is a finite number >= 0 (not a bool)."""
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return ok and math.isfinite(value) and value >= 0  # type: ignore[operator, arg-type]
