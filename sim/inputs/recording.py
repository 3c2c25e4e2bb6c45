"""The JSON Schema a document's reader declares while it reads.

While a :class:`Recording` is active (``with recording() as found:``), every accessor of
:class:`sim.inputs.schema.Table` also records what it accepts as a JSON Schema fragment,
under the table's *pattern*: its path with ``*`` for a named entry such as a pool and ``[]``
for an element of an array of tables. :mod:`sim.inputs.json_schema` builds the schema
editors use from what the loader asked while reading the library.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from sim.inputs.sources import DATETIME

#: A table's kind of document and path, with ``*`` for any named entry and ``[]`` for any
#: element of an array: ``("scenario", "fleet", "*", "changes", "[]")``.
Pattern = tuple[str, ...]
#: A date-time as JSON tools see a TOML one: ISO text. Taplo writes a local date-time with a
#: ``Z``, so the schema cannot tell it from one with an offset (which the loader refuses).
DATETIME_SCHEMA = {
    "type": "string",
    "pattern": DATETIME.pattern.removesuffix("$") + r"(\.\d+)?(Z|[+-]\d\d:\d\d)?$",
}
#: Where a fragment stands for a sub-table: the sub-table's pattern.
TABLE = "$table"
#: The unit recorded for a duration (its parameters are hours, but ``cv``).
DURATION = "hours (a duration)"


@dataclass
class Shape:
    """What the loader asked of every table of one pattern.

    Attributes
    ----------
    keys : dict
        Key -> the JSON Schema fragments its accessor calls declared (one per call that
        differed).
    visits : list of set
        For each table read, the keys it required (read without a default).
    units : dict
        Key -> the unit its accessor named (``hours`` for a duration's parameters).
    closed : bool
        Whether unknown keys are refused (the reader called :meth:`Table.close`).
    entries : dict or None
        For a table of named entries (``[fleet.buses]``, ``per_convoy = {buses = 60}``):
        the fragment of any entry (a sub-table's under :data:`TABLE`).
    identifiers : bool
        Whether the entries' names must be identifiers (pools, groups; not key paths).
    """

    keys: dict[str, list[dict]] = field(default_factory=dict)
    visits: list[set[str]] = field(default_factory=list)
    units: dict[str, str] = field(default_factory=dict)
    closed: bool = False
    identifiers: bool = True
    entries: dict | None = None


@dataclass
class Recording:
    """The shapes of the tables read while it was active, and the places in the code that
    asked (file, line, column of each accessor call), so a test can see that every one of
    them was reached."""

    shapes: dict[Pattern, Shape] = field(default_factory=dict)
    sites: set[tuple[str, int, int]] = field(default_factory=set)

    def shape(self, pattern: Pattern) -> Shape:
        return self.shapes.setdefault(pattern, Shape())


_RECORDING: ContextVar[Recording | None] = ContextVar("recording", default=None)


def active() -> Recording | None:
    """The recording of the block being run, if any (a :class:`Table` reads it when made)."""
    return _RECORDING.get()


@contextmanager
def recording() -> Iterator[Recording]:
    """Record the schema of every table read in this block (see :class:`Recording`)."""
    found = Recording()
    token = _RECORDING.set(found)
    try:
        yield found
    finally:
        _RECORDING.reset(token)
