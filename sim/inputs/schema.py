"""Typed, path-aware reading of a scenario document.

:class:`Table` wraps one TOML table. Each accessor takes a key, checks its type and range,
and remembers that the key is known; :meth:`Table.close` then refuses any key nobody asked
for, so a typo fails loudly instead of being ignored. Every error names the file that set
the key, the dotted key path and what is allowed.

The accessors' arguments are the schema of the file: while a
:class:`~sim.inputs.recording.Recording` is active, each call also records what it accepts
as a JSON Schema fragment (:mod:`sim.inputs.recording`).
"""

from __future__ import annotations

import math
import sys
from datetime import datetime
from typing import Any

from sim.errors import ScenarioError, readable
from sim.inputs.limits import LARGEST, MAX_HOURS
from sim.inputs.recording import DATETIME_SCHEMA, DURATION, TABLE, Pattern, active
from sim.inputs.sources import Key, Sources
from sim.model.distributions import Distribution

MISSING: Any = object()


class Table:
    """One table of a scenario document, read key by key.

    Parameters
    ----------
    data : dict
        The table's contents.
    key : tuple of str
        Its path from the document root.
    sources : Sources
        Where values came from, for error messages.
    start : datetime, optional
        The scenario's start, to turn date-times into hours.
    pattern : tuple of str, optional
        Its pattern for a :class:`Recording`: the document's kind, then ``key`` by default.
    """

    def __init__(
        self,
        data: dict,
        key: Key,
        sources: Sources,
        start: datetime | None = None,
        pattern: Pattern | None = None,
    ):
        self.data = data
        self.key = key
        self.sources = sources
        self.start = start
        self.pattern = (sources.kind, *key) if pattern is None else pattern
        self._known: set[str] = set()
        self._recording = active()
        self._required: set[str] = set()
        if self._recording is not None:
            self._recording.shape(self.pattern).visits.append(self._required)

    def _declare(self, name: str, fragment: dict, required: bool, unit: str = "") -> None:
        """Record what key ``name`` accepts, and its unit (while a :class:`Recording` is
        active)."""
        if self._recording is None:
            return
        if unit:
            self._recording.shape(self.pattern).units[name] = unit
        fragments = self._recording.shape(self.pattern).keys.setdefault(name, [])
        if fragment not in fragments:
            fragments.append(fragment)
        if required:
            self._required.add(name)
        self._recording.sites.add(_caller())

    def error(self, name: str, message: str) -> ScenarioError:
        """A ``ScenarioError`` for key ``name`` (may be dotted, ``a.0.b``) of this table."""
        here = (*self.key, *name.split(".")) if name else self.key
        return ScenarioError(self.sources.origin(here), ".".join(here), message)

    def has(self, name: str) -> bool:
        """Whether the table sets ``name`` (which then counts as known)."""
        self._known.add(name)
        return name in self.data

    def _get(self, name: str, default: Any, allowed: str) -> Any:
        self._known.add(name)
        if name in self.data:
            return self.data[name]
        if default is MISSING:
            raise self.error(name, f"missing; expected {allowed}")
        return default

    def number(
        self,
        name: str,
        default: Any = MISSING,
        *,
        minimum: float | None = None,
        above: float | None = None,
        maximum: float | None = None,
        integer: bool = False,
        unit: str = "",
        unlimited: bool = False,
    ) -> Any:
        """A number, optionally an integer, within the given bounds (at most
        :data:`~sim.inputs.limits.LARGEST` when ``maximum`` is not given).

        With ``unlimited``, ``inf`` is allowed too and means no limit (a child file may so
        lift a limit its parent set).
        """
        if maximum is None:
            maximum = LARGEST
        allowed, fragment = _number_rule(minimum, above, maximum, integer, unit, unlimited)
        fragment = _described(fragment, allowed, default)
        self._declare(name, fragment, default is MISSING, unit.strip("()"))
        value = self._get(name, default, allowed)
        if value is default and default is not MISSING:
            return value
        if unlimited and value == math.inf and not isinstance(value, bool):
            return math.inf
        numeric = int if integer else int | float
        if isinstance(value, bool) or not isinstance(value, numeric):
            raise self.error(name, f"must be {allowed}, got {value!r}")
        if not math.isfinite(value) or (
            (minimum is not None and value < minimum)
            or (above is not None and value <= above)
            or (maximum is not None and value > maximum)
        ):
            raise self.error(name, f"must be {allowed}, got {value!r}")
        return value if integer else float(value)

    def text(self, name: str, default: Any = MISSING, choices: tuple[str, ...] = ()) -> Any:
        """A string, optionally one of ``choices``."""
        allowed = f"one of {', '.join(map(repr, choices))}" if choices else "a string"
        fragment: dict[str, Any] = {"type": "string"}
        if choices:
            fragment["enum"] = list(choices)
        self._declare(name, _described(fragment, allowed, default), default is MISSING)
        value = self._get(name, default, allowed)
        if value is default and default is not MISSING:
            return value
        if not isinstance(value, str) or (choices and value not in choices):
            raise self.error(name, f"must be {allowed}, got {value!r}")
        return value

    def flag(self, name: str, default: Any = MISSING) -> Any:
        """A boolean, ``true`` or ``false``."""
        fragment = _described({"type": "boolean"}, "true or false", default)
        self._declare(name, fragment, default is MISSING)
        value = self._get(name, default, "true or false")
        if value is default and default is not MISSING:
            return value
        if not isinstance(value, bool):
            raise self.error(name, f"must be true or false, got {value!r}")
        return value

    def time(self, name: str, default: Any = MISSING) -> Any:
        """A moment as hours from the scenario start: a local date-time or a number >= 0."""
        allowed = "a local date-time (2016-12-15T14:30:00) or hours from start >= 0"
        hours = {"type": "number", "minimum": 0, "maximum": MAX_HOURS}
        fragment = _described({"anyOf": [hours, DATETIME_SCHEMA]}, allowed, default)
        self._declare(name, fragment, default is MISSING, "hours from the start")
        value = self._get(name, default, allowed)
        if value is default and default is not MISSING:
            return value
        return self.to_hours(name, value, allowed)

    def to_hours(self, name: str, value: Any, allowed: str) -> float:
        """Convert a date-time or a number of hours into hours from the scenario start."""
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                raise self.error(name, f"must be {allowed}, got {value!r}") from None
        if isinstance(value, datetime):
            if value.tzinfo is not None:
                raise self.error(name, "must be a local date-time without a UTC offset")
            if self.start is None:
                raise self.error(name, "a date-time needs the scenario's start")
            hours = (value - self.start).total_seconds() / 3600
            if hours < 0:
                raise self.error(name, f"must not be before the scenario start {self.start}")
            if hours > MAX_HOURS:
                raise self.error(name, f"must be within {MAX_HOURS:,} hours of the start")
            return hours
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(name, f"must be {allowed}, got {value!r}")
        if not math.isfinite(value) or value < 0:
            raise self.error(name, f"must be {allowed}, got {value!r}")
        if value > MAX_HOURS:
            raise self.error(name, f"must be at most {MAX_HOURS:,} hours from start, got {value!r}")
        return float(value)

    def duration(self, name: str, default: Any = MISSING) -> Any:
        """A duration distribution, hours (see :mod:`sim.model.distributions`)."""
        self._declare(name, {"$ref": "#/definitions/duration"}, default is MISSING, DURATION)
        value = self._get(name, default, 'a duration table, e.g. {dist = "fixed", value = 1.0}')
        if value is default and default is not MISSING:
            return value
        here = (*self.key, name)
        try:
            return Distribution.from_spec(value, self.sources.origin(here), ".".join(here))
        except ScenarioError as error:
            # A child may set one parameter of its parent's table: name the file that did.
            source = self.sources.origin(tuple(error.key.split(".")))
            raise ScenarioError(source, error.key, error.message) from None

    def table(self, name: str, default_empty: bool = False) -> Table:
        """A sub-table (an empty one if absent and ``default_empty``)."""
        pattern = (*self.pattern, name)
        self._declare(name, {TABLE: pattern}, not default_empty)
        value = self._get(name, {} if default_empty else MISSING, "a table")
        if not isinstance(value, dict):
            raise self.error(name, f"must be a table, got {value!r}")
        return Table(value, (*self.key, name), self.sources, self.start, pattern)

    def tables(self, name: str) -> list[Table]:
        """An array of tables (empty if absent)."""
        pattern = (*self.pattern, name, "[]")
        self._declare(name, {"type": "array", "items": {TABLE: pattern}}, False)
        value = self._get(name, [], "an array of tables")
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.error(name, f"must be an array of tables ([[{name}]]), got {value!r}")
        return [
            Table(v, (*self.key, name, str(i)), self.sources, self.start, pattern)
            for i, v in enumerate(value)
        ]

    def named_tables(self, identifiers: bool = True) -> list[tuple[str, Table]]:
        """Every entry of a table of named tables, e.g. ``[fleet.buses]``, in file order;
        names are identifiers unless not ``identifiers`` (key paths such as
        ``[parameters."fleet.buses.count"]``)."""
        pattern = (*self.pattern, "*")
        self._entries({TABLE: pattern})
        if self._recording is not None:
            self._recording.shape(self.pattern).identifiers = identifiers
        out = []
        for name, value in self.data.items():
            if not isinstance(value, dict):
                raise self.error(name, f"must be a table ([{'.'.join((*self.key, name))}])")
            if identifiers and not name.isidentifier():
                raise self.error(name, "names must be letters, digits and underscores")
            self._known.add(name)
            table = Table(value, (*self.key, name), self.sources, self.start, pattern)
            out.append((name, table))
        return out

    def numbers(self, **bounds: Any) -> list[tuple[str, Any]]:
        """Every entry of a table of named numbers, e.g. ``per_convoy = {buses = 60}``, in
        file order, each checked as :meth:`number` checks one (``bounds`` are its)."""
        rule: dict[str, Any] = {"minimum": None, "above": None, "maximum": LARGEST}
        rule.update({"integer": False, "unit": "", "unlimited": False, **bounds})
        allowed, fragment = _number_rule(**rule)
        self._entries(_described(fragment, allowed, MISSING))
        recorded, self._recording = self._recording, None  # entries are not keys of a shape
        try:
            return [(name, self.number(name, **bounds)) for name in self.data]
        finally:
            self._recording = recorded

    def _entries(self, fragment: dict) -> None:
        """Record that this table's entries are named freely, each as ``fragment``."""
        if self._recording is not None:
            self._recording.shape(self.pattern).entries = fragment
            self._recording.sites.add(_caller())

    def raw(
        self,
        name: str,
        default: Any = MISSING,
        allowed: str = "a value",
        schema: dict | None = None,
    ) -> Any:
        """A value read without conversion; the caller checks it. ``schema`` is the JSON
        Schema of what the caller accepts, where JSON Schema can say it."""
        self._declare(name, _described(dict(schema or {}), allowed, default), default is MISSING)
        return self._get(name, default, allowed)

    def close(self) -> None:
        """Refuse keys that no accessor asked for."""
        if self._recording is not None:
            self._recording.shape(self.pattern).closed = True
        unknown = [k for k in self.data if k not in self._known]
        if unknown:
            allowed = ", ".join(sorted(self._known)) or "none"
            raise self.error(unknown[0], f"unknown key; allowed here: {allowed}")


def _number_rule(
    minimum: float | None,
    above: float | None,
    maximum: float,
    integer: bool,
    unit: str,
    unlimited: bool,
) -> tuple[str, dict[str, Any]]:
    """What :meth:`Table.number` allows, in words and as a JSON Schema fragment."""
    kind = "an integer" if integer else "a number"
    bounds = []
    if minimum is not None:
        bounds.append(f">= {readable(minimum)}")
    if above is not None:
        bounds.append(f"> {readable(above)}")
    bounds.append(f"<= {readable(maximum)}")
    allowed = " ".join([kind, " and ".join(bounds), unit]).replace("  ", " ").strip()
    if unlimited:
        allowed += ", or inf for no limit"
    fragment: dict[str, Any] = {"type": "integer" if integer else "number"}
    for word, bound in (("minimum", minimum), ("exclusiveMinimum", above)):
        if bound is not None:
            fragment[word] = bound
    if not unlimited:  # JSON has no inf to allow
        fragment["maximum"] = maximum
    return allowed, fragment


def _described(fragment: dict, allowed: str, default: Any) -> dict:
    """``fragment`` with the words of what is allowed and a plain default (JSON has no inf;
    a default the loader works out, such as a file's name, differs between files and is
    dropped when the fragments are merged)."""
    fragment.setdefault("description", allowed)  # words naming one file's pools: not here
    plain = isinstance(default, bool | str) or (
        isinstance(default, int | float) and math.isfinite(default)
    )
    if default is not MISSING and plain:
        fragment["default"] = default
    return fragment


def _caller() -> tuple[str, int, int]:
    """Where the loader called the accessor: the first frame outside this module."""
    frame = sys._getframe(1)
    while frame.f_code.co_filename == __file__:
        frame = frame.f_back  # type: ignore[assignment]
    positions = list(frame.f_code.co_positions())[frame.f_lasti // 2]
    return frame.f_code.co_filename, positions[0] or 0, positions[2] or 0
