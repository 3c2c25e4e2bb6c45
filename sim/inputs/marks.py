"""Marks on a run's results: milestones the metrics record, figures reported at the time."""

from __future__ import annotations

from dataclasses import dataclass


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
