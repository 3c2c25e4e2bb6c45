"""The scenario: every input of the model, validated and immutable.

A scenario describes the people at the pickup, the vehicles, the convoy rules, the route,
the ceasefire and the weather. :func:`sim.inputs.loader.load_scenario` builds one from a TOML file.
All times are hours from ``start``. The defaults of optional inputs are the defaults of
these dataclasses, and ``docs/scenario.md`` lists them with their units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sim.errors import ScenarioError
from sim.inputs.exchange import Exchange
from sim.inputs.limits import MAX_HORIZON
from sim.model.distributions import Distribution
from sim.model.weather import Weather

#: Most vehicles in one pool: a guard against a unit mistake, not a model limit.
MAX_POOL_SIZE = 4096
#: Most vehicle pools: the loading and unloading variates of convoy ``c`` and pool ``p`` have
#: index ``c * MAX_POOLS + p`` in their streams.
MAX_POOLS = 64
#: Most vehicles in one private column: the loads of column ``c`` have indices
#: ``c * MAX_COLUMN .. c * MAX_COLUMN + vehicles - 1`` in their stream.
MAX_COLUMN = 4096
#: What ``Ceasefire.before_checkpoint`` may be.
BEFORE_CHECKPOINT = ("hold", "turn_back")


def _check(owner: object, key: str, ok: bool, allowed: str) -> None:
    """Refuse a value built in Python (``dataclasses.replace``, a constructor) that a
    scenario file could not hold: the loader says the same of a file, naming its key."""
    if not ok:
        value = getattr(owner, key.split(".")[0])
        raise ScenarioError(type(owner).__name__, key, f"must be {allowed}, got {value!r}")


@dataclass(frozen=True)
class Leaving:
    """People who give up waiting at the pickup and go home (they stay in the enclave).

    Each cohort of a group (the people there at the start, and each arrival batch) that
    still has people waiting ``after`` hours after it reached the pickup loses
    ``floor(share * waiting)`` of them, once.

    Attributes
    ----------
    after : float
        Hours a cohort waits before some of it gives up.
    share : float
        Share (0 to 1) of the cohort's people still waiting who give up then.
    """

    after: float
    share: float


@dataclass(frozen=True)
class Group:
    """People waiting at the pickup who board together by priority.

    Attributes
    ----------
    name : str
    count : int
        People at the pickup at the start.
    priority : int
        Boarding priority; lower boards first, ties by file order.
    vehicles : tuple of str
        Pools allowed to carry the group, in order of preference.
    arrivals : tuple of (float, int)
        Later arrivals at the pickup as (hours from start, people), in time order.
    leaving : Leaving or None
        Who gives up waiting; None: nobody leaves the queue.
    """

    name: str
    count: int
    priority: int
    vehicles: tuple[str, ...]
    arrivals: tuple[tuple[float, int], ...] = ()
    leaving: Leaving | None = None

    def __post_init__(self) -> None:
        _check(self, "count", _whole(self.count, 0), "a whole number of people >= 0")
        _check(self, "priority", _whole(self.priority), "a whole number")
        _check(self, "vehicles", len(self.vehicles) > 0, "at least one vehicle pool")
        ok = all(_hours(t) and _whole(n, 0) for t, n in self.arrivals)
        _check(self, "arrivals", ok, "(hours >= 0, people >= 0) batches")

    @property
    def total(self) -> int:
        """Everyone in the group who ever reaches the pickup."""
        return self.count + sum(n for _, n in self.arrivals)


@dataclass(frozen=True)
class FleetChange:
    """Vehicles of a pool that enter the operation, or leave it, at a moment.

    Attributes
    ----------
    at : float
        Hours from start.
    vehicles : int
        Vehicles that reach the pickup (> 0), or leave the operation (< 0: burned, broken
        down, withdrawn). Leaving vehicles are taken from those idle at the pickup; any
        shortfall from the first to come back.
    reason : str
        For narration, e.g. "burned".
    """

    at: float
    vehicles: int
    reason: str = ""


@dataclass(frozen=True)
class Pool:
    """Identical vehicles shuttling between pickup and reception.

    Attributes
    ----------
    name : str
    count : int
        Vehicles in the pool.
    seats : int
        Seats per vehicle.
    crowding : float
        Load factor (>= 1): a vehicle carries ``floor(seats * crowding)`` people.
    available_at : float
        Hours from start when the vehicles first reach the pickup.
    per_convoy : int
        Most vehicles of this pool in one convoy.
    load_time, unload_time : Distribution
        Hours to board and to unload one vehicle; a convoy waits for its slowest vehicle.
    changes : tuple of FleetChange
        Later entries and losses of vehicles, in time order.
    loading_place : str
        Where its vehicles load. Pools with the same place share it: one convoy forms and
        loads there at a time, and departures from it keep the headway. Pools at different
        places form separate convoys, side by side.
    """

    name: str
    count: int
    seats: int
    crowding: float
    available_at: float
    per_convoy: int
    load_time: Distribution
    unload_time: Distribution
    changes: tuple[FleetChange, ...] = ()
    loading_place: str = "pickup"

    def __post_init__(self) -> None:
        _check(self, "count", _whole(self.count, 0, MAX_POOL_SIZE), f"0 to {MAX_POOL_SIZE}")
        _check(self, "seats", _whole(self.seats, 1), "a whole number >= 1")
        _check(self, "crowding", _real(self.crowding, 1.0, 5.0), "a number from 1 to 5")
        _check(self, "available_at", _hours(self.available_at), "hours >= 0")
        _check(self, "per_convoy", _whole(self.per_convoy, 1), "a whole number >= 1")

    @property
    def capacity(self) -> int:
        """People per vehicle."""
        return capacity(self.seats, self.crowding)

    @property
    def most(self) -> int:
        """Most vehicles the pool can ever have: its count and every later entry."""
        return self.count + sum(c.vehicles for c in self.changes if c.vehicles > 0)


def capacity(seats: int, crowding: float) -> int:
    """People per vehicle of ``seats`` seats at load factor ``crowding``."""
    return math.floor(seats * crowding + 1e-9)


@dataclass(frozen=True)
class ConvoyRules:
    """When a convoy may form at the pickup.

    Attributes
    ----------
    min_vehicles : int
        Vehicles a convoy waits for before it forms...
    max_wait : float
        ...unless idle vehicles have waited this many hours; then it forms with what there is.
    headway : float
        Least hours between two departures.
    max_in_corridor : int
        Most convoys on the road between pickup and reception at once.
    departure_hours : (float, float) or None
        Local hours of day ``(opening, closing)`` in which convoys may form, e.g. ``(6, 18)``
        for no night convoys; closing before opening spans midnight. None: any hour.
    when_corridor_full : {"wait_to_depart", "wait_to_form"}
        While ``max_in_corridor`` convoys are on the road, the next convoy forms and loads
        and only its departure waits for room (``"wait_to_depart"``), or no convoy forms
        until there is room (``"wait_to_form"``, the rule of earlier versions).
    """

    min_vehicles: int = 1
    max_wait: float = math.inf
    headway: float = 0.0
    max_in_corridor: int = 1_000_000
    departure_hours: tuple[float, float] | None = None
    when_corridor_full: str = "wait_to_depart"

    def __post_init__(self) -> None:
        _check(self, "min_vehicles", _whole(self.min_vehicles, 1), "a whole number >= 1")
        _check(self, "max_wait", _real(self.max_wait, 0.0, math.inf), "hours >= 0")
        _check(self, "headway", _hours(self.headway), "hours >= 0")
        _check(self, "max_in_corridor", _whole(self.max_in_corridor, 1), "a whole number >= 1")
        hours = self.departure_hours
        ok = hours is None or (
            len(hours) == 2
            and all(_real(h, 0.0, 24.0) for h in hours)
            and hours[0] % 24 != hours[1] % 24
        )
        _check(self, "departure_hours", ok, "None or (opening, closing) hours of day in [0, 24]")


@dataclass(frozen=True)
class Route:
    """The legs of a round trip, each a duration per convoy (hours).

    ``incident_probability`` is the chance that an inspection ends in an incident, which
    suspends the ceasefire.
    """

    to_checkpoint: Distribution
    inspection: Distribution
    to_reception: Distribution
    return_trip: Distribution
    incident_probability: float = 0.0

    def __post_init__(self) -> None:
        ok = _real(self.incident_probability, 0.0, 1.0)
        _check(self, "incident_probability", ok, "a probability from 0 to 1")


@dataclass(frozen=True)
class Period:
    """From ``start`` on, the operating rules it sets replace those in force.

    Rules a period leaves out (None, or a pool it does not name) stay as they were: the
    rules in force are the scenario's, updated by every period started so far, in order.

    Attributes
    ----------
    start : float
        Hours from start.
    name : str
        For narration, e.g. "snow".
    per_convoy : tuple of (str, int)
        Most vehicles per convoy, by pool name.
    crowding : tuple of (str, float)
        Load factor by pool name: people per vehicle ``floor(seats * crowding)``.
    min_vehicles, max_wait, headway
        As in :class:`ConvoyRules`.
    travel_factor : float or None
        Multiplies the duration of every road leg (to the checkpoint, to reception, the
        return trip) that starts in the period, e.g. 1.5 for snow.
    inspection_factor : float or None
        Multiplies the duration of every inspection that starts in the period.
    board_while_suspended, max_hold : bool or None, float or None
        As in :class:`Ceasefire`; ``max_hold`` for convoys held from the start on.
    crossing_vehicles_per_hour : float or None
        Vehicles a lane of the crossing passes per hour (``crossing.vehicles_per_hour``),
        for convoys reaching the checkpoint from the start on; needs a ``[crossing]``.
    send_home : tuple of (str, float)
        Not a lasting rule but an event: when the period starts, this share (0 to 1) of
        each named group's people waiting at the pickup, cohort by cohort, is sent home
        (``floor(share * waiting)``); they stay in the enclave.
    """

    start: float
    name: str = ""
    per_convoy: tuple[tuple[str, int], ...] = ()
    crowding: tuple[tuple[str, float], ...] = ()
    min_vehicles: int | None = None
    max_wait: float | None = None
    headway: float | None = None
    travel_factor: float | None = None
    inspection_factor: float | None = None
    board_while_suspended: bool | None = None
    max_hold: float | None = None
    crossing_vehicles_per_hour: float | None = None
    send_home: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class Crossing:
    """The checkpoint as a limited server: inspection lanes that convoys queue for.

    A convoy reaching the checkpoint takes a free lane, or waits first come, first served
    until one frees. It holds its lane for its inspection (``route.inspection``) plus
    ``vehicles / vehicles_per_hour``: its vehicles pass the lane one after another. With
    every lane busy, the crossing passes at most ``lanes * vehicles_per_hour`` vehicles an
    hour, whatever the fleet.

    Attributes
    ----------
    lanes : float
        Inspection lanes, a whole number >= 1 (``math.inf``: unlimited, nobody queues).
    vehicles_per_hour : float
        Vehicles one lane passes per hour (``math.inf``: no time per vehicle).
    """

    lanes: float = math.inf
    vehicles_per_hour: float = math.inf


@dataclass(frozen=True)
class PrivateStream:
    """Private vehicles (cars, vans, pickups) that leave the enclave once, in columns.

    A column of ``vehicles`` comes at its time; its vehicles take people waiting at the
    pickup, from ``groups`` in that order, first come first served within a group, each
    vehicle ``load`` people (rounded to a whole person, at least one). The column uses the
    route and the crossing but not the loading place, the headway or the corridor, and its
    vehicles never come back.

    Attributes
    ----------
    name : str
    groups : tuple of str
        Groups that may leave in these vehicles, in the order they take seats.
    load : Distribution
        People per vehicle.
    columns : tuple of (float, int)
        (hours from start, vehicles) of each column, in time order.
    """

    name: str
    groups: tuple[str, ...]
    load: Distribution
    columns: tuple[tuple[float, int], ...]


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
        _check(self, "breach_rate", _hours(self.breach_rate), "breaches per hour >= 0")
        choices = " or ".join(BEFORE_CHECKPOINT)
        _check(self, "before_checkpoint", self.before_checkpoint in BEFORE_CHECKPOINT, choices)
        ok = _real(self.max_hold, 0.0, math.inf) and self.max_hold > 0
        _check(self, "max_hold", ok, "hours > 0")


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
        _check(self, "people", _whole(self.people, 0), "a whole number of people >= 0")
        _check(self, "per_convoy", _whole(self.per_convoy, 1), "a whole number >= 1")
        _check(self, "start", _hours(self.start), "hours >= 0")
        _check(self, "max_lag", _real(self.max_lag, 0.0, 1.0), "a share from 0 to 1")
        _check(self, "lag_breach_rate", _hours(self.lag_breach_rate), "breaches per hour >= 0")


@dataclass(frozen=True)
class Milestone:
    """A moment at which the metrics record what had been evacuated: at a time, or when the
    ``after_convoys``-th convoy reaches reception."""

    name: str
    at: float | None
    after_convoys: int | None


@dataclass(frozen=True)
class Reported:
    """A reported cumulative figure to mark on the charts (people, with its range)."""

    at: float
    evacuated: float
    low: float
    high: float
    source: str


@dataclass(frozen=True)
class Scenario:
    """A validated scenario. Build it with :func:`load_scenario`."""

    name: str
    description: str
    start: datetime
    horizon: float
    groups: tuple[Group, ...]
    pools: tuple[Pool, ...]
    convoy: ConvoyRules
    route: Route
    ceasefire: Ceasefire
    weather: Weather
    linkage: Linkage | None = None
    exchange: Exchange | None = None  # [linkage] with rule = "exchange"
    periods: tuple[Period, ...] = ()
    crossing: Crossing | None = None
    private: tuple[PrivateStream, ...] = ()
    milestones: tuple[Milestone, ...] = ()
    reported: tuple[Reported, ...] = ()
    reps: int = 200
    seed: int = 1
    trace_reps: int = 3
    path: str = ""
    files: tuple[str, ...] = ()
    document: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        """Check what a scenario file could not hold, so that a scenario changed in Python
        (``dataclasses.replace(scenario, horizon=-5)``) fails here, not in an engine."""
        ok = _real(self.horizon, 0.0, MAX_HORIZON) and self.horizon > 0
        _check(self, "horizon", ok, f"hours > 0 and <= {MAX_HORIZON}")
        _check(self, "reps", _whole(self.reps, 1), "a whole number >= 1")
        _check(self, "seed", _whole(self.seed, 0), "a whole number >= 0")
        _check(self, "trace_reps", _whole(self.trace_reps, 0), "a whole number >= 0")
        _check(self, "pools", 0 < len(self.pools) <= MAX_POOLS, f"1 to {MAX_POOLS} pools")
        _check(self, "groups", len(self.groups) > 0, "at least one group")
        names = [p.name for p in self.pools]
        _check(self, "pools", len(set(names)) == len(names), "pools with distinct names")
        for g in self.groups:
            unknown = [v for v in g.vehicles if v not in names]
            _check(self, "groups", not unknown, f"groups riding pools of {names}")
        if self.start.tzinfo is not None:
            raise ScenarioError("Scenario", "start", "must be a local date-time, without an offset")

    def clock(self, hours: float) -> datetime:
        """The local date-time ``hours`` after the start."""
        return self.start + timedelta(hours=float(hours))

    def shown(self, hours: float) -> datetime:
        """The local date-time ``hours`` after the start, to the nearest minute: a moment as
        tables, files, pages and figures show it (15.398 h after 05:00 is 20:24, not 20:23)."""
        return self.start + timedelta(minutes=round(float(hours) * 60))

    @property
    def start_hour(self) -> float:
        """Local hour of day of the start, e.g. 5.0 for 05:00."""
        return self.start.hour + self.start.minute / 60 + self.start.second / 3600

    @property
    def boarding_order(self) -> tuple[int, ...]:
        """Group indices in boarding order: priority, then file order."""
        return tuple(sorted(range(len(self.groups)), key=lambda g: self.groups[g].priority))

    @property
    def carriers(self) -> tuple[tuple[int, ...], ...]:
        """For each group, the indices of the pools allowed to carry it, in preference order."""
        index = {p.name: i for i, p in enumerate(self.pools)}
        return tuple(tuple(index[v] for v in g.vehicles) for g in self.groups)

    @property
    def loading_places(self) -> tuple[tuple[int, ...], ...]:
        """The pools at each loading place, places in order of their first pool."""
        places: dict[str, list[int]] = {}
        for p, pool in enumerate(self.pools):
            places.setdefault(pool.loading_place, []).append(p)
        return tuple(tuple(pools) for pools in places.values())

    @property
    def private_columns(self) -> tuple[tuple[float, int, int], ...]:
        """Every private column as (hours from start, stream index, vehicles), numbered by
        position: stream by stream in file order, each in time order."""
        return tuple((t, k, n) for k, stream in enumerate(self.private) for t, n in stream.columns)

    @property
    def crossers(self) -> tuple[str, ...]:
        """Pools then private streams whose passages through the checkpoint are counted:
        all of them with a crossing or private vehicles, else none."""
        if self.crossing is None and not self.private:
            return ()
        return tuple(p.name for p in self.pools) + tuple(s.name for s in self.private)

    @property
    def people(self) -> int:
        """Everyone who ever reaches the pickup."""
        return sum(g.total for g in self.groups)

    @property
    def leaving(self) -> bool:
        """Whether some people may give up waiting or be sent home (the metrics then count
        them as ``left``)."""
        return any(g.leaving is not None for g in self.groups) or any(
            p.send_home for p in self.periods
        )


def _whole(value: object, low: float = -math.inf, high: float = math.inf) -> bool:
    """Whether ``value`` is an integer (not a bool) in [low, high]."""
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _real(value: object, low: float, high: float) -> bool:
    """Whether ``value`` is a number (not a bool, not NaN) in [low, high]."""
    return isinstance(value, int | float) and not isinstance(value, bool) and low <= value <= high


def _hours(value: object) -> bool:
    """Whether ``value`` is a finite number >= 0."""
    return _real(value, 0.0, math.inf) and math.isfinite(value)  # type: ignore[arg-type]
