"""The scenario library that ships with evacsim: find a file by name, list, copy to edit.

The library is the repository's ``scenarios/`` folder (the Aleppo baseline, its what-ifs,
the workshop, sweeps and calibration targets). A wheel carries it as ``sim/scenarios/``
with the workshop's handout beside it, so a pip install can run
``evacsim run aleppo_2016`` from any folder; a checkout uses ``scenarios/`` itself.

A *name* is a library file's path without ``.toml``, relative to the library
(``aleppo_2016``, ``what-if/double_fleet``, ``workshop/sweeps/fleet``), or its last part
when no other file shares it (``double_fleet``). A path to an existing file always wins
over a name.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import tomllib
from pathlib import Path
from typing import NamedTuple

from sim.errors import ScenarioError

#: What a TOML file of the library is, by the keys only that kind has.
KINDS = ("scenario", "sweep", "targets", "study")
#: The workshop's handout: beside the bundled library, or in a checkout's docs/.
HANDOUT = "workshop.md"


class Entry(NamedTuple):
    """One file of the library.

    Attributes
    ----------
    name : str
        Its path without ``.toml``, relative to the library, with ``/`` separators.
    kind : str
        One of ``KINDS``.
    description : str
        The file's ``description`` ("" if it has none).
    path : Path
    """

    name: str
    kind: str
    description: str
    path: Path


def library_root() -> Path:
    """The folder of the bundled scenarios: ``sim/scenarios`` in a wheel, ``scenarios/`` in a
    checkout (an editable install included)."""
    package = Path(__file__).resolve().parent.parent
    bundled = package / "scenarios"
    if bundled.is_dir():
        return bundled
    checkout = package.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "scenarios").is_dir():
        return checkout / "scenarios"
    raise ScenarioError("evacsim", "", "the scenario library is missing from this install")


def handout() -> Path | None:
    """The workshop's handout (``docs/workshop.md``), or None if this install lacks it."""
    root = library_root()
    for candidate in (root / HANDOUT, root.parent / "docs" / HANDOUT):
        if candidate.is_file():
            return candidate
    return None


def file_kind(document: dict) -> str:
    """``sweep`` for a document with ``base`` and ``axes``, ``targets`` for one with
    ``targets`` and ``parameters``, ``study`` (of ``evacsim optimise``) for one with ``base``
    and ``decisions``, ``scenario`` otherwise."""
    if "axes" in document and "base" in document:
        return "sweep"
    if "decisions" in document and "base" in document:
        return "study"
    if "targets" in document and "parameters" in document:
        return "targets"
    return "scenario"


#: The command that reads each kind of file, for a file given to another command.
READERS = {
    "scenario": "evacsim run",
    "sweep": "evacsim sweep",
    "targets": "evacsim calibrate",
    "study": "evacsim optimise",
}
#: Top-level keys only a scenario has (a scenario given to ``sweep`` is told as one).
_SCENARIO_KEYS = {"population", "fleet", "extends", "start", "ceasefire", "route"}


def check_kind(document: dict, path: str | Path, kind: str) -> None:
    """Refuse a file of another kind than ``kind`` (e.g. a scenario given to ``evacsim
    sweep``), naming what it is and the command that reads it.

    Only a file that is plainly of another kind is refused here (the keys only that kind
    has, :func:`file_kind`); a file of ``kind`` with a mistake is left to its own reader,
    which names the key.

    Raises
    ------
    ScenarioError
        Naming the file, its kind, ``kind`` and the command for it.
    """
    found = file_kind(document)
    if found == "scenario" and not _SCENARIO_KEYS & document.keys():
        return  # nothing says what it is: the reader of ``kind`` names what is missing
    if found != kind:
        raise ScenarioError(
            str(path), "", f"is a {found} file, not a {kind} file: {READERS[found]} reads it"
        )


def entries() -> list[Entry]:
    """Every file of the library, by name."""
    root = library_root()
    found = []
    for path in sorted(root.rglob("*.toml")):
        try:
            with path.open("rb") as handle:
                document = tomllib.load(handle)
        except (OSError, tomllib.TOMLDecodeError):
            continue  # `evacsim validate` says what is wrong with it
        description = document.get("description", "")
        name = path.relative_to(root).with_suffix("").as_posix()
        found.append(Entry(name, file_kind(document), str(description), path))
    return found


def locate(text: str | Path, kind: str = "scenario") -> Path:
    """The file ``text`` names: an existing path as it is, else a library file of ``kind``.

    Raises
    ------
    ScenarioError
        If ``text`` is neither an existing file nor the name of one library file of
        ``kind``; the message lists the names that are.
    """
    path = Path(text)
    try:
        is_file = path.is_file()
        special = not is_file and path.exists() and not path.is_dir()  # /dev/null, a pipe
    except OSError:  # a name too long for the file system: its reader says so
        return path
    if is_file or special or path.suffix:
        return path  # a path: its reader says if it is missing or not a file
    known = [e for e in entries() if e.kind == kind]
    name = path.as_posix()
    exact = [e for e in known if e.name == name]
    if not exact:
        exact = [e for e in known if e.name.rsplit("/", 1)[-1] == name]
    if len(exact) == 1:
        return exact[0].path
    if not exact and path.is_dir():  # e.g. a run folder given to compare
        raise ScenarioError(str(text), "", f"is a folder, not a {kind} file")
    names = ", ".join(e.name for e in (exact or known))
    why = "names several bundled files" if exact else f"no such file nor bundled {kind}"
    raise ScenarioError(str(text), "", f"{why}; bundled: {names} (see `evacsim scenarios`)")


def copy_library(folder: str | Path) -> Path:
    """Copy the library to ``folder/scenarios`` and the workshop handout to
    ``folder/workshop.md``, all at once; return ``folder``.

    Raises
    ------
    ScenarioError
        If ``folder`` holds a ``scenarios`` folder or a ``workshop.md`` already, or cannot
        be written (a file of that name, a full disk, a read-only file system): nothing is
        overwritten and nothing half-copied.
    """
    folder = Path(folder)
    for name in ("scenarios", HANDOUT):
        if os.path.lexists(folder / name):
            raise ScenarioError(str(folder / name), "", "already exists; choose another folder")
    made = not os.path.lexists(folder)
    staging = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".evacsim-init.", dir=folder))
        _copy_library(staging / "scenarios")
        guide = handout()
        if guide is not None:
            shutil.copyfile(guide, staging / HANDOUT)
        for item in sorted(staging.iterdir()):
            item.rename(folder / item.name)
    except OSError as error:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        if made:  # removed only if empty: another `evacsim init` may have filled it meanwhile
            with contextlib.suppress(OSError):
                folder.rmdir()
        why = error.strerror or type(error).__name__
        raise ScenarioError(
            str(folder), "", f"cannot be written: {why}; nothing was left behind"
        ) from None
    shutil.rmtree(staging, ignore_errors=True)
    return folder


def _copy_library(target: Path) -> None:
    """Copy the library's files (:data:`LIBRARY_FILES`) to ``target``, keeping its folders.

    File by file rather than ``shutil.copytree``, whose errors come gathered into one
    ``shutil.Error`` of strings; here the first that fails raises its own ``OSError``.
    """
    root = library_root()
    for source in sorted(root.rglob("*")):
        if source.suffix in LIBRARY_FILES and source.is_file():
            copy = target / source.relative_to(root)
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, copy)


#: What the library holds: scenario files and the JSON Schemas they name (``schemas/``).
LIBRARY_FILES = (".toml", ".json")
