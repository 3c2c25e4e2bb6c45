"""What every study file begins with: its name, a base scenario and the base's overrides.

Sweep files (:mod:`sim.studies.sweeps.spec`) and study files
(:mod:`sim.studies.optimise.spec`) are read the same way up to their base scenario:
:func:`read_study_file` does it once for both, and the checks of plain values they share
(:func:`whole`, :func:`number`, :func:`no_unknown`) say what is allowed in the same words.
Every mistake is a :class:`~sim.errors.ScenarioError` naming the file and the key.

Each key is read through a :class:`~sim.inputs.schema.Table` (:meth:`~sim.inputs.schema.Table.raw`,
with the JSON Schema of what the check next to it allows), so the files' JSON Schemas are
recorded from these readers as the scenario file's is from the loader
(:mod:`sim.studies.schemas`); the checks and their words stay the readers' own.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard

from sim.errors import ScenarioError
from sim.inputs.library import check_kind, locate
from sim.inputs.loader import load_scenario
from sim.inputs.names import MAX_NAME, NAME_RULE, folder_name, is_folder_name
from sim.inputs.recording import TABLE
from sim.inputs.scenario import Scenario
from sim.inputs.schema import Table
from sim.inputs.sources import Sources, read_toml

#: An error for a key of the file being read: ``fail(key, message)``.
Fail = Callable[[str, str], ScenarioError]
#: JSON Schema of what the checks below allow (JSON Schema's regexes cannot say "a letter or
#: digit" of any script, so a name is only bounded in length).
NAME = {"type": "string", "minLength": 1, "maxLength": MAX_NAME}
BASE = {"type": "string", "minLength": 1}
SETTINGS = {"type": "array", "items": {"type": "string"}}


@dataclass(frozen=True)
class StudyFile:
    """A study file read up to its base scenario.

    Attributes
    ----------
    path : Path
        The file (a bundled name located).
    doc : dict
        The whole file, for the study's own keys.
    name : str
        The study's folder name (the file's ``name``, or its stem).
    base : Path
        The base scenario file.
    overrides : tuple of str
        ``KEY=VALUE`` settings applied to the base (the file's ``set``).
    scenario : Scenario
        The base with ``overrides``.
    root : Table
        The whole file as a table, through which the study reads (and so records) its keys.
    """

    path: Path
    doc: dict[str, Any]
    name: str
    base: Path
    overrides: tuple[str, ...]
    scenario: Scenario
    root: Table

    @property
    def source(self) -> str:
        """The file as its errors name it."""
        return str(self.path)

    def fail(self, key: str, message: str) -> ScenarioError:
        """The error for ``key`` of this file."""
        return ScenarioError(self.source, key, message)


def read_study_file(path: str | Path, kind: str, keys: set[str]) -> StudyFile:
    """Read a study file of ``kind`` (``"sweep"``, ``"study"``) up to its base scenario.

    Parameters
    ----------
    path : str or Path
        The file, or the name of a bundled one of that kind.
    kind : str
        ``"sweep"`` or ``"study"``: the library's kind of file, and the word its errors use
        ("the sweep file", "the sweep's folder").
    keys : set of str
        The top-level keys the file may have.

    Raises
    ------
    ScenarioError
        Naming the file (or the base scenario) and the key.
    """
    path = locate(path, kind)
    doc = read_toml(path, f"{kind} file")
    check_kind(doc, path, kind)

    def fail(key: str, message: str) -> ScenarioError:
        return ScenarioError(str(path), key, message)

    no_unknown(doc, keys, "", fail)
    root = Table(doc, (), Sources(data=doc, top=str(path), kind=kind))
    naming = f"{NAME_RULE} (it names the {kind}'s folder)"
    name = root.raw("name", folder_name(path.stem, kind), naming, NAME)
    if not isinstance(name, str) or not is_folder_name(name):
        raise fail("name", f"must be {naming}, got {name!r}")
    where = f"the base scenario file, relative to the {kind} file"
    base_text = root.raw("base", allowed=where, schema=BASE) if root.has("base") else None
    if not isinstance(base_text, str) or not base_text:
        raise fail("base", f"must name {where}")
    base = path.parent / base_text
    if not base.is_file():
        raise fail("base", f"no such scenario file: {base}")
    overrides = root.raw("set", [], 'a list of "KEY=VALUE" texts', SETTINGS)
    if not isinstance(overrides, list) or not all(isinstance(o, str) for o in overrides):
        raise fail("set", 'must be a list of "KEY=VALUE" texts')
    scenario = load_scenario(base, overrides)
    return StudyFile(path, doc, name, base, tuple(overrides), scenario, root)


def sub_table(parent: Table, name: str, allowed: str, fail: Fail) -> Table:
    """The sub-table ``name`` of ``parent`` (empty if absent), refused in the reader's words
    (``must be {allowed}``) if it is not a table."""
    pattern = (*parent.pattern, name)
    value = parent.raw(name, {}, allowed, {TABLE: pattern})
    if not isinstance(value, dict):
        key = ".".join((*parent.key, name))
        raise fail(key, f"must be {allowed}")
    return Table(value, (*parent.key, name), parent.sources, pattern=pattern)


def read_whole(
    table: Table, name: str, default: Any, least: int, fail: Fail, by_default: str = ""
) -> int:
    """Key ``name`` of ``table`` if it is a whole number >= ``least`` (see :func:`whole`);
    ``default`` if absent, which ``by_default`` names where it differs from file to file
    (``"the base scenario's"``), so the schema states no one number."""
    fragment = {"type": "integer", "minimum": least}
    allowed = f"a whole number >= {least}"
    if by_default:
        value = table.raw(name, None, f"{allowed} ({by_default} by default)", fragment)
        value = default if value is None else value
    else:
        value = table.raw(name, default, allowed, fragment)
    return whole(value, ".".join((*table.key, name)), least, fail)


def no_unknown(table: dict, allowed: set[str], where: str, fail: Fail) -> None:
    """Refuse a key of ``table`` (at ``where``, "" for the top) that is not ``allowed``."""
    unknown = sorted(set(table) - allowed)
    if unknown:
        key = f"{where}.{unknown[0]}" if where else unknown[0]
        raise fail(key, f"unknown key; allowed: {', '.join(sorted(allowed))}")


def whole(value: Any, key: str, least: int, fail: Fail) -> int:
    """``value`` if it is a whole number >= ``least`` (booleans are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise fail(key, f"must be a whole number >= {least}, got {value!r}")
    return value


def number(value: object) -> TypeGuard[float]:
    """Whether ``value`` is a finite number (booleans are not numbers)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
