"""One value of a scenario document set by its key path: ``--set`` and a file's ``set``.

A key path names tables by their keys and list items by their index, down to a value:
``fleet.buses.count``, ``periods.3.crossing.vehicles_per_hour``. :func:`assign` walks it for
both ways of setting one:

- ``--set KEY=VALUE`` on the command line may add keys and tables the document lacks (the
  loader then checks them as any other key), but no pool or group by a dotted key.
- ``set = ["KEY=VALUE", ...]`` in a file that ``extends`` another changes an item of a list
  the parent has. Tables merge key by key, but a list in a child file replaces the
  parent's whole, so without ``set`` a file that changes one period repeats every period,
  and its copies go stale when the parent is refitted. Its path must therefore go through a
  list item and exist in the parent down to its last key, which may be a key the item's
  table does not have yet (a rule a period did not set); a key outside any list is set as
  a key of the file itself, the one way to set it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sim.errors import ScenarioError

#: The error for a setting: ``fail(key path so far, what is wrong)``.
Fail = Callable[[str, str], ScenarioError]

#: Tables of named tables, and what one entry is called: a dotted ``--set`` inside an entry
#: that does not exist is a misspelt name, not a new entry (which needs all its keys).
NAMED = {"fleet": "pool", "population": "group"}


def assign(
    document: dict[str, Any],
    origins: dict[tuple[str, ...], str],
    parts: list[str],
    value: Any,
    origin: str,
    fail: Fail,
    in_file: bool,
) -> None:
    """Set ``value`` at the key path ``parts`` of ``document``.

    Parameters
    ----------
    document : dict
        The merged scenario document so far (for a file's ``set``, its parents').
    origins : dict
        Key path -> the file (or ``--set``) that set it; ``origin`` is recorded for the path.
    parts : list of str
        The key path, split at its dots.
    value : Any
        The new value (a TOML value).
    origin : str
        What set it, as errors of the loader will name it: ``--set`` or the file.
    fail : callable
        Builds the error for a key path and a problem.
    in_file : bool
        A file's ``set``: the path must go through a list item and exist in ``document``
        down to its last key.

    Raises
    ------
    ScenarioError
        A list index out of range, a key under a value, a misspelt pool or group; in a
        file, a key the parent lacks or a path through no list item.
    """
    node: Any = document
    through_list = False
    for depth, part in enumerate(parts[:-1]):
        here = ".".join(parts[: depth + 1])
        if isinstance(node, list):
            node, through_list = list_item(node, part, here, fail), True
        elif isinstance(node, dict):
            if part not in node:
                if in_file:
                    raise fail(
                        here, f"not in the scenario this file extends; {_has(parts, depth, node)}"
                    )
                _refuse_new_entry(parts, depth, node, fail)
                origins[tuple(parts[: depth + 1])] = origin
            node = node.setdefault(part, {})
        else:
            raise fail(here, "is a value, not a table")
    name, last = ".".join(parts), parts[-1]
    if isinstance(node, list):
        list_item(node, last, name, fail)
        through_list = True
    elif not isinstance(node, dict):
        raise fail(".".join(parts[:-1]), "is a value, not a table")
    if in_file and not through_list:
        table = f"[{'.'.join(parts[:-1])}] " if len(parts) > 1 else ""
        raise fail(
            name,
            f"is in no list: set it as a key of the file ({table}{last} = ...); "
            "set is for an item of a list the parent has",
        )
    node[int(last) if isinstance(node, list) else last] = value
    for stale in [k for k in origins if k[: len(parts)] == tuple(parts)]:
        del origins[stale]
    origins[tuple(parts)] = origin


def set_by_the_file(document: dict[str, Any], parts: list[str]) -> str:
    """The key path of ``document`` (a file's own keys) that holds ``parts`` or a list
    above it, "" if none: a file that sets a list itself replaces the parent's, so its
    ``set`` may not also change an item of it."""
    node: Any = document
    for depth, part in enumerate(parts):
        if not isinstance(node, dict) or part not in node:
            return ""
        node = node[part]
        if not isinstance(node, dict):
            return ".".join(parts[: depth + 1])
    return ".".join(parts)


def list_item(items: list, part: str, here: str, fail: Fail) -> Any:
    """Item ``part`` (an index) of ``items``."""
    if not (part.isascii() and part.isdigit()) or int(part) >= len(items):
        raise fail(here, f"list index must be 0..{len(items) - 1}")
    return items[int(part)]


def _has(parts: list[str], depth: int, node: dict) -> str:
    """What the table at ``parts[:depth]`` has, for an error."""
    where = ".".join(parts[:depth]) or "the top"
    return f"{where} has {', '.join(node) or 'no key'}"


def _refuse_new_entry(parts: list[str], depth: int, node: dict, fail: Fail) -> None:
    """Refuse ``--set fleet.bus.count=60`` when the fleet has no pool ``bus``."""
    if depth != 1 or parts[0] not in NAMED:
        return
    entry, names = NAMED[parts[0]], [k for k, v in node.items() if isinstance(v, dict)]
    example = f"{parts[0]}.{parts[1]}={{count = 10, ...}}"
    raise fail(
        ".".join(parts[:2]),
        f"no {entry} named {parts[1]}; {parts[0]} has {', '.join(names) or 'none'} "
        f"(to add one, set the whole table: {example})",
    )
