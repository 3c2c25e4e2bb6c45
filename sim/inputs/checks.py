"""Checks of a scenario's parts built in Python (a constructor, ``dataclasses.replace``).

A file's values are checked by the loader, naming the file and its key; these say the same
of a value no file could hold, naming the class and its field."""

from __future__ import annotations

import math

from sim.errors import ScenarioError


def check(owner: object, key: str, ok: bool, allowed: str) -> None:
    """Refuse a value built in Python (``dataclasses.replace``, a constructor) that a
    scenario file could not hold: the loader says the same of a file, naming its key."""
    if not ok:
        value = getattr(owner, key.split(".")[0])
        raise ScenarioError(type(owner).__name__, key, f"must be {allowed}, got {value!r}")


def is_whole(value: object, low: float = -math.inf, high: float = math.inf) -> bool:
    """Whether ``value`` is an integer (not a bool) in [low, high]."""
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def is_real(value: object, low: float, high: float) -> bool:
    """Whether ``value`` is a number (not a bool, not NaN) in [low, high]."""
    return isinstance(value, int | float) and not isinstance(value, bool) and low <= value <= high


def is_hours(value: object) -> bool:
    """Whether ``value`` is a finite number >= 0."""
    return is_real(value, 0.0, math.inf) and math.isfinite(value)  # type: ignore[arg-type]
