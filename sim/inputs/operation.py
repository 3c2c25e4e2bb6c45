"""How convoys run: when one forms, the legs of its trip, the crossing, and the periods that
change these rules."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.inputs.checks import check, is_hours, is_real, is_whole
from sim.model.distributions import Distribution


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
        check(self, "min_vehicles", is_whole(self.min_vehicles, 1), "a whole number >= 1")
        check(self, "max_wait", is_real(self.max_wait, 0.0, math.inf), "hours >= 0")
        check(self, "headway", is_hours(self.headway), "hours >= 0")
        check(self, "max_in_corridor", is_whole(self.max_in_corridor, 1), "a whole number >= 1")
        hours = self.departure_hours
        ok = hours is None or (
            len(hours) == 2
            and all(is_real(h, 0.0, 24.0) for h in hours)
            and hours[0] % 24 != hours[1] % 24
        )
        check(self, "departure_hours", ok, "None or (opening, closing) hours of day in [0, 24]")


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
        ok = is_real(self.incident_probability, 0.0, 1.0)
        check(self, "incident_probability", ok, "a probability from 0 to 1")


@dataclass(frozen=True)
class Crossing:
    """The checkpoint as a limited server: inspection lanes that convoys queue for.

    A convoy reaching the checkpoint takes a free lane, or waits first come, first served
    until one frees. It holds its lane for its inspection (``route.inspection``) plus
    ``vehicles / vehicles_per_hour``: its vehicles pass the lane one after another (at a
    period's rate from the period's start, :func:`sim.model.lane.passage_end`). With
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
    max_in_corridor : int or None
        Most convoys on the road between pickup and reception from the start on. Raising it
        lets loaded convoys waiting for room leave at once, first come first served; lowering
        it recalls none: convoys already on the road finish their trip, and the next leaves
        once fewer than the new number are on the road.
    travel_factor : float or None
        Multiplies the duration of every road leg (to the checkpoint, to reception, the
        return trip) that starts in the period, e.g. 1.5 for snow.
    inspection_factor : float or None
        Multiplies the duration of every inspection that starts in the period.
    board_while_suspended, max_hold : bool or None, float or None
        As in :class:`Ceasefire`; ``max_hold`` for convoys held from the start on.
    crossing_vehicles_per_hour : float or None
        Vehicles a lane of the crossing passes per hour (``crossing.vehicles_per_hour``),
        for every vehicle passing from the start on, those of convoys already queueing or
        in a lane included (:func:`sim.model.lane.passage_end`); needs a ``[crossing]``.
    crossing_lanes : float or None
        Inspection lanes of the crossing (``crossing.lanes``) from the start on: convoys
        queueing take the lanes it opens at once, first come first served; a convoy in a
        lane it closes finishes its inspection first. Needs a ``[crossing]``.
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
    max_in_corridor: int | None = None
    travel_factor: float | None = None
    inspection_factor: float | None = None
    board_while_suspended: bool | None = None
    max_hold: float | None = None
    crossing_vehicles_per_hour: float | None = None
    crossing_lanes: float | None = None
    send_home: tuple[tuple[str, float], ...] = ()
