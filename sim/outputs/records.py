"""What an engine hands back for each replication: metrics, hourly series and event trace.

Both engines produce exactly these records, so everything downstream (summaries, run
folders, figures, narration) is engine-agnostic.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple, cast

import numpy as np

from sim.inputs.scenario import Scenario
from sim.outputs.hourly_counts import HourlyCounts
from sim.outputs.metrics import HourlyStats
from sim.outputs.npz import deflated
from sim.outputs.packed import Packed

#: Event kinds of the trace, in the order a convoy meets them, then pickup and ceasefire events.
EVENTS = (
    "convoy_forms",  # vehicles take people aboard and start loading
    "held",  # a loaded convoy cannot move on because the ceasefire is suspended
    "convoy_departs",
    "reaches_checkpoint",
    "queues_at_crossing",  # every inspection lane is busy: the convoy waits its turn
    "inspection_starts",  # a queueing convoy takes a lane that has freed
    "incident",  # the inspection ends in an incident
    "passes_checkpoint",
    "turned_back",  # people aboard head back to the pickup
    "back_at_pickup",  # a turned-back convoy's people rejoin the queue
    "reaches_reception",  # its people count as evacuated
    "unloaded",
    "vehicles_return",  # the convoy's vehicles are back at the pickup, idle
    "vehicles_arrive",  # a pool's vehicles reach the pickup: first, or a later batch
    "vehicles_lost",  # vehicles leave the operation: burned, broken down, withdrawn
    "people_arrive",
    "people_leave",  # people give up waiting and go home
    "period_starts",  # the operating rules change (convoy size, headway, snow, ...)
    "ceasefire_suspended",
    "ceasefire_resumes",
    "cleared",  # everyone has reached reception
    "private_departs",  # a column of private vehicles leaves the pickup with people aboard
    "private_arrives",  # its people reach reception
    "linked_departs",  # a convoy leaves the linked site
    "linked_arrives",  # its people are safe
    "linkage_pause",  # this side is ahead of the linked site: no convoy forms here
    "linkage_resume",  # the linked site has caught up
    "waits_at_bridge",  # an exchange: a convoy waits at the meeting point for its partners
    "linked_waits_at_bridge",  # a linked convoy waits at the meeting point for its partners
    "linked_crosses",  # a linked convoy crosses the meeting point towards safety
    "linked_returns",  # a linked convoy's vehicles are back at the linked site
    "linked_halted",  # the linked site halts: no convoy leaves it
    "linked_resumes",  # the linked site's halt ends
    "waits_for_linked",  # an exchange's clause holds back people who would have boarded
    "deal_releases",  # enough of the linked site's people are safe: the held groups may board
)

# -- reasons: the ``note`` of an event says why, in words both engines write ------------------

#: Why a convoy formed only when it did (the note of ``convoy_forms``): the reason the
#: dispatcher last declined to form one although people and vehicles were there for it, in
#: the order the dispatcher checks them; ``""`` if it formed as soon as it could.
SUSPENDED = "ceasefire suspended"
BOARDING = "another convoy boarding"  # one convoy boards at a time
CORRIDOR = "corridor full"  # max_in_corridor convoys between pickup and reception
LINKED_BEHIND = "linked site behind"  # the linkage rule pauses this side
CLOSED = "outside departure hours"
TOO_FEW = "too few vehicles"  # fewer than min_vehicles, max_wait not yet over
MAX_WAIT = "max_wait over"  # it goes with fewer than min_vehicles
WAITED = ("", SUSPENDED, BOARDING, CORRIDOR, LINKED_BEHIND, CLOSED, TOO_FEW, MAX_WAIT)

#: Why a convoy left later than it had loaded (the note of ``convoy_departs``), besides
#: being held (its ``held`` event says so): what it waited for last.
HEADWAY = "headway"
ROOM = "room in the corridor"  # max_in_corridor convoys were on the road

#: Why a convoy turned back (the note of ``turned_back``).
HELD_TOO_LONG = "held for max_hold"  # held, and the ceasefire had not resumed
TURN_BACK_RULE = "ceasefire broke before the checkpoint"  # before_checkpoint = "turn_back"

#: The causes of a suspension (the note of ``ceasefire_suspended``): a breach, an incident,
#: or a scheduled window, told by its reason (``SCHEDULED`` if it has none).
BREACH = "breach of the ceasefire"
INCIDENT = "incident at the checkpoint"
SCHEDULED = "scheduled"


#: Why a convoy waits at an exchange's meeting point (the note of ``waits_at_bridge`` and
#: ``linked_waits_at_bridge``), and what a convoy that waited there says when it crosses
#: (the note of ``passes_checkpoint`` and ``linked_crosses``).
PARTNER_THERE = "the linked site's convoys not yet at the meeting point"
PARTNER_HERE = "this side's convoys not yet at the meeting point"
WAITED_AT_BRIDGE = "waited at the meeting point for the other side"

#: The note of ``linked_halted`` and ``linked_resumes`` for a random halt of an exchange's
#: linked site (a scripted halt's note is its reason).
RANDOM_HALT = "a halt of its own, at random"

#: Why people leave the queue for home: the notes of ``people_leave`` events.
GAVE_UP, SENT_HOME = "gave up waiting", "sent home"


class TraceEvent(NamedTuple):
    """One event of a traced replication.

    Attributes
    ----------
    rep : int
    time : float
        Hours from the scenario start.
    event : str
        One of ``EVENTS``.
    convoy : int
        Convoy number from 0, or -1 for events of no convoy.
    people : int
        People concerned (aboard, arriving, evacuated), 0 if none.
    groups : tuple of int
        ``people`` by population group, in scenario order.
    vehicles : tuple of int
        Vehicles concerned by pool, in scenario order.
    note : str
        Where a convoy is held, the site of a linked convoy, and the reasons: why a convoy
        formed only then (``WAITED``), left after its headway or room on the road (``HEADWAY``,
        ``ROOM``) or turned back
        (``HELD_TOO_LONG``, ``TURN_BACK_RULE``), why the ceasefire broke (``BREACH``,
        ``INCIDENT`` or a window's reason).
    """

    rep: int
    time: float
    event: str
    convoy: int
    people: int
    groups: tuple[int, ...]
    vehicles: tuple[int, ...]
    note: str


#: The metrics of an exchange (``[linkage]`` with ``rule = "exchange"``), then the linked
#: site's evacuated and convoys by each milestone with a time.
EXCHANGE_METRICS = [
    "linked_evacuated",  # people of the linked site safe
    "linked_convoys",  # its convoys that reached safety
    "linked_departed",  # people who left the linked site
    "exchange_batches",  # batches (convoy pairs) that crossed the meeting point
    "bridge_waits",  # this side's convoys that waited at the meeting point
    "bridge_wait_hours",  # convoy-hours they waited there
    "linked_bridge_waits",  # the linked site's convoys that waited there
    "linked_bridge_wait_hours",
]


def metric_names(scenario: Scenario) -> list[str]:
    """The per-replication metrics of a scenario, in table order.

    Units: people for counts, hours for times (from the start) and durations,
    person-hours for waiting and exposure, a fraction for ``utilisation``. People are
    conserved: ``arrived`` (everyone who reached the pickup by the end of the run) equals
    ``evacuated + waiting_at_end + aboard_at_end + left``, where ``left`` (reported when a
    group has a leaving rule, else 0) counts the people who gave up waiting. With a
    linkage, ``linked_evacuated`` and ``linked_convoys`` count the linked site's people and
    convoys, and ``linkage_paused_hours`` the hours this side was ahead by more than the deal
    allows. With an exchange (``EXCHANGE_METRICS``), the linked site's people and convoys
    safe, the people who left it, the batches exchanged, and this side's and the linked
    site's convoys that waited at the meeting point with their convoy-hours there (convoys
    still waiting at the end count to the end); ``linked_evacuated_by_<m>`` and
    ``linked_convoys_by_<m>`` count the linked site's at each milestone with a time.
    allows. With private vehicles, ``evacuated_private``, ``people_departed_private`` and
    ``people_crossed_private`` count the people evacuated in them, who left the pickup in them
    and who passed the checkpoint in them (also counted in ``evacuated``, ``people_departed``
    and ``people_crossed``, which count every vehicle kind).
    With a crossing or private vehicles, ``crossed_<name>`` counts the vehicle passages
    through the checkpoint of each pool and private stream; with a crossing,
    ``crossing_queue_peak`` is the most vehicles queueing for a lane at once and
    ``crossing_queue_vehicle_hours`` the vehicle-hours spent queueing. With fleet changes,
    ``served_<pool>`` counts the pool's distinct vehicles over the run: its fleet at the start
    and every batch that entered by the end of the run, before losses (the model has no
    vehicle identities, so a batch that enters counts as new vehicles).
    """
    groups = [g.name for g in scenario.groups]
    names = ["evacuated", *(f"evacuated_{g}" for g in groups)]
    names += ["arrived", "waiting_at_end", "aboard_at_end"]
    if scenario.leaving:
        names += ["left"]
    names += [
        "convoys",
        "convoys_departed",
        "people_departed",
        "convoys_crossed",
        "people_crossed",
        "turned_back",
        "first_departure",
        "last_departure",
        "first_convoy_people",
        "clearance_time",
        "suspensions",
        "suspended_hours",
        "breaches",
        "incidents",
        "wait_person_hours",
        "held_person_hours",
        "boarded_person_hours",
        "cold_person_hours",
        "cold_harm",
    ]
    for g in groups:
        names += [f"wait_mean_{g}", f"wait_p95_{g}"]
        names += [f"wait_censored_mean_{g}", f"wait_censored_p95_{g}"]
    names += ["utilisation", "peak_queue", "mean_queue"]
    if scenario.linkage is not None:
        names += ["linked_evacuated", "linked_convoys", "linkage_paused_hours"]
    if scenario.exchange is not None:
        names += EXCHANGE_METRICS
        for m in scenario.milestones:
            if m.at is not None:
                names += [f"linked_evacuated_by_{m.name}", f"linked_convoys_by_{m.name}"]
    if scenario.private:
        names += ["evacuated_private", "people_departed_private", "people_crossed_private"]
    names += [f"crossed_{name}" for name in scenario.crossers]
    if scenario.crossing is not None:
        names += ["crossing_queue_peak", "crossing_queue_vehicle_hours"]
    if any(p.changes for p in scenario.pools):
        names += [f"served_{p.name}" for p in scenario.pools]
    for m in scenario.milestones:
        names += [f"evacuated_by_{m.name}", *(f"evacuated_{g}_by_{m.name}" for g in groups)]
        names += [f"convoys_by_{m.name}"]
        if m.at is not None:
            names += [f"departed_by_{m.name}", f"convoys_departed_by_{m.name}"]
            names += [f"people_crossed_by_{m.name}", f"convoys_crossed_by_{m.name}"]
        if m.after_convoys is not None:
            names += [f"time_of_{m.name}"]
    return names


def count_metrics(scenario: Scenario) -> set[str]:
    """The metrics of ``metric_names`` that count people, convoys or events."""
    names = set(metric_names(scenario))
    durations = {n for n in names if n.startswith(("wait_", "time_of_", "first_d", "last_d"))}
    durations |= {
        "clearance_time",
        "suspended_hours",
        "held_person_hours",
        "boarded_person_hours",
        "cold_person_hours",
        "cold_harm",
        "utilisation",
        "mean_queue",
        "linkage_paused_hours",
        "crossing_queue_vehicle_hours",
        "bridge_wait_hours",
        "linked_bridge_wait_hours",
    }
    return names - durations


#: Hourly series recorded for every replication: state at each whole hour, after its events,
#: with their storage types (people as 32-bit counts, the ceasefire state as 0 or 1), small
#: enough for a million replications.
SERIES = {"evacuated": np.int32, "waiting": np.int32, "suspended": np.uint8}


def series_types(scenario: Scenario) -> dict[str, type]:
    """The hourly series of a scenario with their storage types, in table order.

    ``SERIES`` always; when people may leave the queue (a leaving rule or a send-home, as
    for the metric ``left``) also ``evacuated_<group>`` (each group's people at reception so
    far, by convoy or private vehicle) and ``left`` (people who have left the queue for home
    so far); with a crossing or private vehicles also ``people_crossed`` (people past the
    checkpoint so far, in convoys or private vehicles: ``people_crossed - evacuated`` are on
    their way to reception) and ``crossed_<name>`` (vehicle passages of a pool or private
    stream through the checkpoint so far), and with a crossing
    ``crossing_queue`` (vehicles queueing for a lane). Only scenarios whose population comes
    and goes carry the by-group series, so the first-phase baseline's million-replication
    runs keep their three.
    """
    types: dict[str, type] = dict(SERIES)
    if scenario.leaving:
        types.update({f"evacuated_{g.name}": np.int32 for g in scenario.groups})
        types["left"] = np.int32
    if scenario.crossers:
        types["people_crossed"] = np.int32
    types.update({f"crossed_{name}": np.int32 for name in scenario.crossers})
    if scenario.crossing is not None:
        types["crossing_queue"] = np.int32
    return types


@dataclass
class Replications:
    """The outcome of R replications of one scenario.

    Attributes
    ----------
    metrics : mapping of str to ndarray
        Each of ``metric_names(scenario)`` -> float array of shape (R,) (a dict, or
        :class:`~sim.outputs.packed.Packed` for a run's gathered chunks).
    series : mapping of str to ndarray
        Each of ``series_types(scenario)`` -> array of shape (R, H + 1): cumulative
        evacuated, people waiting at the pickup, and 1 if the ceasefire is suspended, at hours
        0, 1, ..., H (a dict, or :class:`~sim.outputs.packed.Packed`).
    trace : list of TraceEvent
        Every event of the first ``trace_reps`` replications, in time order per replication.
    counted : dict of str to HourlyCounts
        Series whose values are counted already, hour by hour (:meth:`packed` counts them
        where a chunk runs): what :attr:`hourly` reads them from.
    """

    metrics: Mapping[str, np.ndarray]
    series: Mapping[str, np.ndarray]
    trace: list[TraceEvent] = field(default_factory=list)
    counted: dict[str, HourlyCounts] = field(default_factory=dict)

    def arrays(self, label: str) -> dict[str, np.ndarray]:
        """Metrics and series as ``label/metrics/name`` and ``label/series/name`` arrays, the
        layout a study folder's ``.npz`` keeps them in (:meth:`from_arrays` reads it back)."""
        return {
            f"{label}/{kind}/{name}": values
            for kind, part in (("metrics", self.metrics), ("series", self.series))
            for name, values in part.items()
        }

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], label: str) -> Replications:
        """The replications :meth:`arrays` wrote under ``label`` (no trace)."""

        def part(kind: str) -> dict[str, np.ndarray]:
            prefix = f"{label}/{kind}/"
            return {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}

        return cls(part("metrics"), part("series"))

    @cached_property
    def hourly(self) -> HourlyStats:
        """The hourly series' means and percentiles across replications, each taken once."""
        return HourlyStats(self.series, self.counted)

    @property
    def reps(self) -> int:
        """Number of replications R."""
        if isinstance(self.metrics, Packed):
            return self.metrics.length
        return len(next(iter(self.metrics.values())))

    def packed(self, counts: Collection[str] = (), first: int = 0) -> Replications:
        """These replications held packed (:class:`~sim.outputs.packed.Packed`): the metrics
        named in ``counts`` as 32-bit integers where whole; read, the same values. Each
        series is held as the pieces of ``series.npz`` (:func:`sim.outputs.npz.deflated`:
        these replications are rows ``first ..`` of their run), and each series of whole
        numbers is counted too (:class:`HourlyCounts`), so that a run's hourly statistics
        never read its series again."""
        if isinstance(self.metrics, Packed):
            return self
        counted = {k: HourlyCounts.of(v) for k, v in self.series.items()}
        series = {k: deflated(v, first) for k, v in self.series.items()}
        return Replications(
            Packed.pack(self.metrics, counts),
            Packed({k: v.dtype for k, v in self.series.items()}, series),
            list(self.trace),
            {k: c for k, c in counted.items() if c is not None},
        )

    @staticmethod
    def joined(parts: Sequence[Replications]) -> Replications:
        """Packed replications (:meth:`packed`) one after the other; their blocks are shared,
        not copied, and the counts of a series counted in every part are added."""
        metrics = Packed.join([cast(Packed, p.metrics) for p in parts])
        series = Packed.join([cast(Packed, p.series) for p in parts])
        everywhere = [k for k in series if all(k in p.counted for p in parts)]
        counted = {k: HourlyCounts.joined([p.counted[k] for p in parts]) for k in everywhere}
        return Replications(metrics, series, [e for p in parts for e in p.trace], counted)


def hours_grid(scenario: Scenario) -> np.ndarray:
    """The whole hours 0, 1, ..., floor(horizon) of the hourly series."""
    return np.arange(int(np.floor(scenario.horizon)) + 1, dtype=float)


def interleaved(parts: list[Replications], where: list[np.ndarray]) -> Replications:
    """One batch's results from its parts: ``parts[i]`` holds the replications at the
    positions ``where[i]`` (a mask over the batch) selects, in order."""
    first = parts[0]
    metrics = {}
    for name, values in first.metrics.items():
        metrics[name] = np.empty(len(where[0]), dtype=values.dtype)
        for part, at in zip(parts, where, strict=True):
            metrics[name][at] = part.metrics[name]
    series = {}
    for name, values in first.series.items():
        series[name] = np.empty((len(where[0]), values.shape[1]), dtype=values.dtype)
        for part, at in zip(parts, where, strict=True):
            series[name][at] = part.series[name]
    return Replications(metrics, series, [e for part in parts for e in part.trace])
