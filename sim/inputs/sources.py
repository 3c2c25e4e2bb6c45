"""Scenario files as data: TOML reading, ``extends`` inheritance, a file's ``set`` and the
``--set`` overrides (both walked by :mod:`sim.inputs.settings`).

The result is a plain nested dict plus a record of where every value came from, so that a
validation error can name the file that set the offending key, not just the file the user
passed.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.errors import ScenarioError, readable
from sim.inputs.library import check_kind
from sim.inputs.settings import Fail, assign, set_by_the_file

Key = tuple[str, ...]
#: A local date-time as a scenario file writes it: 2016-12-15T05:00:00
DATETIME = re.compile(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d)?$")

#: Largest file read, bytes: scenario, sweep and targets files are a few kB; anything this
#: big is a mistake (a data file passed by accident), refused before it is parsed.
MAX_FILE_BYTES = 1_000_000
#: Deepest nesting of arrays and inline tables (the Python TOML reader recurses on them).
MAX_NESTING = 32
#: Most parts in one dotted key (``a.b.c`` has 3; the TOML reader is quadratic in them).
MAX_KEY_PARTS = 32
#: Longest ``extends`` path, characters.
MAX_PATH_CHARS = 1024


@dataclass
class Sources:
    """A merged scenario document and the origin of each of its values.

    Attributes
    ----------
    data : dict
        The merged document: parents first, then each file's ``set`` and keys, then
        ``--set`` overrides.
    origins : dict
        Key path -> the file (or ``--set``) that set it; tables and leaves both recorded.
    top : str
        The file the user named.
    chain : list of str
        Every file read, parent-most first.
    kind : str
        What the document is: ``scenario``, ``sweep`` or ``targets`` (names its schema).
    setter : str
        Where the ``KEY=VALUE`` overrides come from, as errors name it: ``--set`` on the
        command line, ``page`` on the page (which has no command line).
    """

    data: dict[str, Any]
    top: str
    origins: dict[Key, str] = field(default_factory=dict)
    chain: list[str] = field(default_factory=list)
    kind: str = "scenario"
    setter: str = "--set"

    def origin(self, key: Key) -> str:
        """The file that set ``key``, or the closest enclosing table that was set."""
        for n in range(len(key), 0, -1):
            if key[:n] in self.origins:
                return self.origins[key[:n]]
        return self.top


def read_scenario_file(
    path: str | Path, overrides: list[str] | None = None, setter: str = "--set"
) -> Sources:
    """Read a scenario file with its ``extends`` chain and apply ``KEY=VALUE`` overrides
    (``setter``: where they come from, as errors name it).

    Raises
    ------
    ScenarioError
        A missing or unreadable file, invalid TOML, a cyclic or missing ``extends``, or a
        malformed override.
    """
    path = Path(path)
    sources = Sources(data={}, top=str(path), setter=setter)
    _read(path, sources, stack=())
    for expression in overrides or []:
        _apply_override(sources, expression)
    return sources


def read_toml(path: str | Path, kind: str = "scenario file") -> dict:
    """The document in a TOML file.

    The file is checked before it is parsed: at most ``MAX_FILE_BYTES``, UTF-8 text,
    arrays and inline tables nested at most ``MAX_NESTING`` deep and dotted keys of at most
    ``MAX_KEY_PARTS`` parts, so no file can exhaust the reader's memory or recursion.

    Raises
    ------
    ScenarioError
        Naming the file if it is missing, unreadable, too large, not UTF-8 or not valid TOML.
    """
    path, label = Path(path), str(path)
    try:
        is_file = path.is_file()
        other = not is_file and path.exists()  # a folder, a device, a named pipe
    except (OSError, ValueError):  # a NUL in the name, a name too long for the file system
        is_file = other = False
    if other:
        what = "a folder" if path.is_dir() else "not a regular file (a device or a pipe)"
        raise ScenarioError(label, "", f"is {what}, not a {kind}")
    if not is_file:
        raise ScenarioError(label, "", f"no such {kind}")
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise ScenarioError(label, "", f"cannot be read: {error.strerror}") from None
    if len(data) > MAX_FILE_BYTES:
        raise ScenarioError(label, "", f"larger than {MAX_FILE_BYTES:,} bytes; is it a {kind}?")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ScenarioError(
            label, "", f"not UTF-8 text (byte {error.start + 1}, line {line}); save it as UTF-8"
        ) from None
    return parse_toml(text, label)


def parse_toml(text: str, label: str) -> dict:
    """Parse TOML text after checking its nesting depth and dotted-key length.

    Raises
    ------
    ScenarioError
        Naming ``label`` and the line of the problem.
    """
    problem = _too_deep(text)
    if problem:
        raise ScenarioError(label, "", problem)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(label, "", f"not valid TOML: {error}") from None


#: Strings (multi-line first) and comments, which may hold any bracket or dot.
_SKIPPED = re.compile(
    r'"""(?:[^\\]|\\.)*?"""|\'\'\'.*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|#[^\n]*',
    re.DOTALL,
)


def _too_deep(text: str) -> str:
    """What makes ``text`` too deep for the reader (empty if nothing): strings and comments
    are skipped, then brackets are counted and dots between separators."""
    bare = _SKIPPED.sub(lambda m: "\n" * m[0].count("\n") or " ", text)
    depth = dots = 0
    line = 1
    for char in bare:
        if char in "[{":
            depth += 1
            if depth > MAX_NESTING:
                return f"line {line}: arrays or tables nested more than {MAX_NESTING} deep"
            dots = 0
        elif char in "]}":
            depth -= 1
            dots = 0
        elif char == ".":
            dots += 1
            if dots >= MAX_KEY_PARTS:
                return f"line {line}: a dotted key of more than {MAX_KEY_PARTS} parts"
        elif char in "=,\n":
            dots = 0
            line += char == "\n"
    return ""


def _read(path: Path, sources: Sources, stack: tuple[Path, ...]) -> None:
    label = str(path)
    document = read_toml(path)
    check_kind(document, path, "scenario")
    parent = document.pop("extends", None)
    settings = document.pop("set", [])
    if not isinstance(settings, list) or not all(isinstance(s, str) for s in settings):
        raise ScenarioError(label, "set", 'must be a list of "KEY=VALUE" texts')
    if settings and parent is None:
        raise ScenarioError(
            label,
            "set",
            "changes items of the lists of the file this one extends, and it extends none "
            '(extends = "parent.toml")',
        )
    if parent is not None:
        if not isinstance(parent, str) or not parent:
            raise ScenarioError(label, "extends", "must be the path of another scenario file")
        if "\0" in parent or len(parent) > MAX_PATH_CHARS:
            raise ScenarioError(
                label,
                "extends",
                f"must be a file path without NUL, at most {readable(MAX_PATH_CHARS)} characters",
            )
        try:
            parent_path = (path.parent / parent).resolve()
            here = path.resolve()
            found = parent_path.is_file()
        except (OSError, RuntimeError) as error:  # a symlink loop, a name too long
            reason = getattr(error, "strerror", None) or "a symbolic link loop"
            raise ScenarioError(label, "extends", f"cannot follow {parent!r}: {reason}") from None
        if parent_path in stack or parent_path == here:
            cycle = " -> ".join(str(p) for p in (*stack, here, parent_path))
            raise ScenarioError(label, "extends", f"cyclic inheritance: {cycle}")
        if not found:
            raise ScenarioError(label, "extends", f"no such scenario file: {parent}")
        _read(parent_path, sources, (*stack, here))
    _apply_file_settings(sources, document, settings, label)
    _merge(sources.data, document, (), label, sources.origins)
    sources.chain.append(label)


def _merge(base: dict, update: dict, key: Key, label: str, origins: dict[Key, str]) -> None:
    """Deep-merge ``update`` into ``base``: tables merge, every other value replaces."""
    for name, value in update.items():
        here = (*key, name)
        if isinstance(value, dict) and isinstance(base.get(name), dict):
            _merge(base[name], value, here, label, origins)
        else:
            base[name] = value
            for stale in [k for k in origins if k[: len(here)] == here]:
                del origins[stale]
        origins.setdefault(here, label)
        if not isinstance(value, dict):
            origins[here] = label


def _apply_override(sources: Sources, expression: str) -> None:
    """Apply ``--set KEY=VALUE`` (or the page's) to the merged document."""

    def fail(here: str, problem: str) -> ScenarioError:
        return ScenarioError(sources.setter, here, problem)

    parts, value = _read_setting(expression, fail, "fleet.buses.count=40")
    assign(sources.data, sources.origins, parts, value, sources.setter, fail, in_file=False)


def _apply_file_settings(
    sources: Sources, document: dict[str, Any], settings: list[str], label: str
) -> None:
    """Apply a file's ``set`` to its parents' merged document, before the file's own keys
    merge (see :mod:`sim.inputs.settings`)."""

    def fail(here: str, problem: str) -> ScenarioError:
        return ScenarioError(label, "set", f"{here}: {problem}")

    paths: list[list[str]] = []
    for expression in settings:
        parts, value = _read_setting(expression, fail, "periods.3.headway=0.5")
        name = ".".join(parts)
        for other in paths:
            shorter = min(len(other), len(parts))
            if other[:shorter] == parts[:shorter]:
                raise fail(name, f"set twice (also {'.'.join(other)}): set each value once")
        own = set_by_the_file(document, parts)
        if own:
            raise fail(
                name,
                f"this file sets {own} itself, which replaces the parent's: change the value "
                f"there, or drop {own} from the file",
            )
        assign(sources.data, sources.origins, parts, value, label, fail, in_file=True)
        paths.append(parts)


def _read_setting(expression: str, fail: Fail, example: str) -> tuple[list[str], Any]:
    """The key path and value of a ``KEY=VALUE`` text (``example``: one, for an error)."""
    name, sep, text = expression.partition("=")
    name = name.strip()
    if not sep or not name:
        raise fail(expression, f"expected KEY=VALUE, e.g. {example}")
    parts = name.split(".")
    if len(parts) > MAX_KEY_PARTS or not all(parts):
        raise fail(name, f"KEY must be 1 to {MAX_KEY_PARTS} non-empty parts joined by dots")
    return parts, parse_value(text, name, fail)


def parse_value(text: str, key: str, fail: Fail | None = None) -> Any:
    """The value of ``KEY=VALUE`` text: read as TOML, or a string if it is not valid TOML.

    Raises
    ------
    ScenarioError
        Naming ``--set`` (or what ``fail`` names) and ``key`` if the text nests too deep for
        the TOML reader.
    """
    problem = _too_deep(text)
    if problem:
        problem = problem.removeprefix("line 1: ")
        raise (fail or (lambda k, p: ScenarioError("--set", k, p)))(key, problem)
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text.strip()


def toml_text(document: dict) -> str:
    """A scenario document as TOML text: values first, then tables and arrays of tables.

    Date-time strings stay bare, as a scenario file writes them, so reading the text back
    gives the same document.
    """
    return "\n".join(_toml(document)) + "\n"


def _toml(table: dict, path: tuple[str, ...] = ()) -> list[str]:
    lines, later = [], []
    for key, value in table.items():
        name = ".".join(_key(k) for k in (*path, key))
        nested = isinstance(value, dict) and any(isinstance(v, dict | list) for v in value.values())
        if isinstance(value, dict) and (not path or nested):
            inner = _toml(value, (*path, key))  # no header for a table holding only tables
            later += inner if inner[:1] == [""] else ["", f"[{name}]", *inner]
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for item in value:
                later += ["", f"[[{name}]]", *_toml(item, (*path, key))]
        else:
            lines.append(f"{_key(key)} = {toml_value(value)}")
    return lines + later


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else toml_value(key)


def toml_value(value: Any) -> str:
    """One TOML value; date-time strings stay bare, as a scenario file writes them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value if DATETIME.match(value) else json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    return repr(value)  # numbers, including inf and nan, as TOML writes them
