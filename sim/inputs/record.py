"""A scenario as plain JSON values and back: what a manifest records as having run.

:func:`scenario_record` writes every field of a :class:`~sim.inputs.scenario.Scenario` (times
in hours from the start, durations as their distributions), so a manifest states the values
that ran even when the scenario was changed in Python after it was read
(``dataclasses.replace``). :func:`scenario_from_record` rebuilds the same scenario from it;
a scenario survives the round trip unchanged (``tests/test_results_io.py``).
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from sim.inputs.scenario import Scenario


def scenario_record(scenario: Scenario) -> dict[str, Any]:
    """Every value of ``scenario`` but its ``document`` (the file's text, which a manifest
    keeps apart) as JSON-ready data, infinity as ``"inf"``."""
    return {k: v for k, v in record(scenario).items() if k != "document"}


def scenario_from_record(values: dict[str, Any], document: dict | None = None) -> Scenario:
    """The scenario ``values`` describes (see :func:`scenario_record`), validated."""
    return from_record(Scenario, {**values, "document": document or {}})


def record(value: Any) -> Any:
    """A frozen dataclass (a scenario, a sweep spec, targets...) as JSON-ready data."""
    return _plain(value)


def from_record(cls: type, data: dict[str, Any]) -> Any:
    """The ``cls`` dataclass that :func:`record` wrote as ``data``, built by its type hints."""
    return _build(cls, data)


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, np.ndarray | np.generic):
        return _plain(value.tolist())
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _build(cls: type, data: dict[str, Any]) -> Any:
    hints = _hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: _convert(hints[k], v) for k, v in data.items() if k in names})


def _convert(kind: Any, value: Any) -> Any:
    """``value`` (plain JSON data) as type ``kind``."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        (kind,) = [a for a in args if a is not type(None)]
        return _convert(kind, value)
    if kind is tuple:
        return tuple(value)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(args[0], v) for v in value)
        return tuple(_convert(a, v) for a, v in zip(args, value, strict=True))
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        return _build(kind, value)
    if kind is datetime:
        return datetime.fromisoformat(value)
    if kind is float:
        return float(value)
    if kind is Path:
        return Path(value)
    return value
