"""What every study file begins with: its name, a base scenario and the base's overrides.

Sweep files (:mod:`sim.studies.sweeps.spec`) and study files
(:mod:`sim.studies.optimise.spec`) are read the same way up to their base scenario:
:func:`read_study_file` does it once for both, and the checks of plain values they share
(:func:`whole`, :func:`number`, :func:`no_unknown`) say what is allowed in the same words.
Every mistake is a :class:`~sim.errors.ScenarioError` naming the file and the key.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard

from sim.errors import ScenarioError
from sim.inputs.library import locate
from sim.inputs.loader import load_scenario
from sim.inputs.names import NAME_RULE, folder_name, is_folder_name
from sim.inputs.scenario import Scenario
from sim.inputs.sources import read_toml

#: An error for a key of the file being read: ``fail(key, message)``.
Fail = Callable[[str, str], ScenarioError]


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
    """

    path: Path
    doc: dict[str, Any]
    name: str
    base: Path
    overrides: tuple[str, ...]
    scenario: Scenario

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

    def fail(key: str, message: str) -> ScenarioError:
        return ScenarioError(str(path), key, message)

    no_unknown(doc, keys, "", fail)
    name = doc.get("name", folder_name(path.stem, kind))
    if not isinstance(name, str) or not is_folder_name(name):
        raise fail("name", f"must be {NAME_RULE} (it names the {kind}'s folder), got {name!r}")
    base_text = doc.get("base")
    if not isinstance(base_text, str) or not base_text:
        raise fail("base", f"must name the base scenario file, relative to the {kind} file")
    base = path.parent / base_text
    if not base.is_file():
        raise fail("base", f"no such scenario file: {base}")
    overrides = doc.get("set", [])
    if not isinstance(overrides, list) or not all(isinstance(o, str) for o in overrides):
        raise fail("set", 'must be a list of "KEY=VALUE" texts')
    scenario = load_scenario(base, overrides)
    return StudyFile(path, doc, name, base, tuple(overrides), scenario)


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
