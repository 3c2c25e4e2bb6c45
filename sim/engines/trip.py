"""A convoy of the reference engine: its passengers and vehicles and how far it got.

Formed by the dispatcher (:mod:`sim.engines.dispatcher`), driven by its process in
:class:`sim.engines.des.Evacuation`, queued at the crossing (:mod:`sim.engines.crossing`).
"""

from __future__ import annotations


class Trip:
    """A convoy's passengers and vehicles and how far it got."""

    def __init__(self, number: int, manifest: list[list[int]], vehicles: list[int]):
        self.number = number
        self.manifest = manifest  # people per group per arrival cohort
        self.vehicles = vehicles  # vehicles per pool
        self.groups = [sum(cohorts) for cohorts in manifest]
        self.people = sum(self.groups)
        self.departed: float | None = None
        self.at_checkpoint: float | None = None
        self.place = 0  # the loading place it formed at
        self.hold_hours = 0.0  # hours held so far, against ceasefire.max_hold
        self.turned_back = False

    traced = True  # the crossing traces a convoy's queueing

    @property
    def size(self) -> int:
        """Vehicles in the convoy."""
        return sum(self.vehicles)
