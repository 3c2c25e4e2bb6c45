"""Run and study folders, made safely: a fresh name under a results root, a destination
checked before any work is done, and a folder written whole into a staging folder and
renamed into place, so that nothing half-written is ever left (a full disk, a kill, two runs
that chose the same name).
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path

from sim.errors import ScenarioError
from sim.inputs.names import NAME_RULE, is_folder_name
from sim.outputs.run import RunRecord


def fresh_folder(parent: Path, label: str) -> Path:
    """``parent/<date>-<time>-<label>``, with ``-2``, ``-3``... if that exists already.

    Two runs may pick the same name in the same second; :class:`atomic_folder` settles
    that when it renames, so the name is a proposal, not a reservation.
    """
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    base = parent / f"{stamp}-{label}"
    folder, n = base, 1
    while os.path.lexists(folder):
        n += 1
        folder = base.with_name(f"{base.name}-{n}")
    return folder


def default_folder(result: RunRecord, root: Path = Path("results")) -> Path:
    """``results/<scenario>/<run-id>``, the run id made of the time and the seed.

    Raises
    ------
    ScenarioError
        If the scenario's name is not a folder name (a scenario built in Python rather
        than loaded), as a run folder never leaves the results root.
    """
    name = result.scenario.name
    if not is_folder_name(name):
        raise ScenarioError("scenario", "name", f"must be {NAME_RULE}, got {name!r}")
    return fresh_folder(root / name, f"seed{result.seed}")


def check_destination(folder: Path, new: bool = True) -> None:
    """Refuse a destination that cannot be written, before anything is computed.

    Parameters
    ----------
    folder : Path
        The folder to create (``new``), or one that may exist already and will hold the
        new folder (the results root).
    new : bool
        Whether ``folder`` must not exist yet.

    Raises
    ------
    ScenarioError
        If ``folder`` exists (``new``) or is not a folder, if a parent is a file or a
        broken symbolic link, if nothing can be created in the nearest existing parent
        (tried with an empty folder, removed at once), or if a name is too long.
    """
    label = str(folder)
    if "\0" in label:
        raise ScenarioError(label, "", "a path cannot contain a NUL character")
    try:
        if os.path.lexists(folder):
            if new:
                kind = (
                    "a broken symbolic link"
                    if not folder.exists()
                    else "a folder"
                    if folder.is_dir()
                    else "a file"
                )
                raise ScenarioError(label, "", f"already exists ({kind}); choose another folder")
            if not folder.is_dir():
                raise ScenarioError(label, "", "exists and is not a folder")
            ancestor = folder
        else:
            ancestor = folder.absolute().parent
            while not os.path.lexists(ancestor):
                ancestor = ancestor.parent
            if not ancestor.exists():
                raise ScenarioError(label, "", f"{ancestor} is a broken symbolic link")
            if not ancestor.is_dir():
                raise ScenarioError(label, "", f"{ancestor} is a file, not a folder")
        longest = os.pathconf(ancestor, "PC_NAME_MAX")
        os.rmdir(tempfile.mkdtemp(prefix=".evacsim-probe-", dir=ancestor))  # really writable?
    except OSError as error:
        where = "" if error.filename is None else f" in {ancestor}"
        raise ScenarioError(label, "", f"cannot be created{where}: {error.strerror}") from None
    for part in folder.parts:
        if len(os.fsencode(part)) > longest:
            raise ScenarioError(label, "", f"a name longer than {longest} bytes: {part[:40]}...")


#: errno values of a rename whose target is taken (by another run, or a file).
_TAKEN = {errno.EEXIST, errno.ENOTEMPTY, errno.ENOTDIR, errno.EISDIR}


class atomic_folder(AbstractContextManager):  # lower case: it reads as `with atomic_folder(...)`
    """A staging folder to fill, renamed to ``folder`` once the block ends without error.

    The staging folder is a hidden sibling of ``folder``; on any error or interruption it
    is removed, so ``folder`` either holds every file or does not exist. If another process
    took ``folder`` while this one was working (two runs finishing in the same second),
    the rename takes ``folder-2``, ``folder-3``... instead: a finished result is never lost,
    and :attr:`folder` says where it went.

    Attributes
    ----------
    folder : Path
        Where the files are once the block has ended.

    Raises
    ------
    ScenarioError
        If ``folder`` exists already (results never overwrite each other), or if the
        files cannot be written (a full disk, a read-only file system): nothing is left.
    """

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.requested = self.folder
        self._staging: Path | None = None

    def __enter__(self) -> Path:
        folder = self.folder
        if os.path.lexists(folder):
            raise ScenarioError(str(folder), "", "already exists; choose another --out folder")
        try:
            folder.parent.mkdir(parents=True, exist_ok=True)
            self._staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
        except OSError as error:
            raise _write_error(folder, error) from None
        return self._staging

    def __exit__(self, kind, error, traceback) -> None:
        staging = self._staging
        assert staging is not None  # set by __enter__
        try:
            if kind is None:
                umask = os.umask(0)
                os.umask(umask)
                staging.chmod(0o777 & ~umask)  # mkdtemp makes it private; results are not
                self.folder = _rename_unique(staging, self.folder)
                return
        except OSError as failure:
            shutil.rmtree(staging, ignore_errors=True)
            raise _write_error(self.folder, failure) from None
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(error, OSError):
            raise _write_error(self.folder, error) from None


class atomic_file(AbstractContextManager):  # lower case, like atomic_folder
    """A hidden temporary file beside ``path`` to write, renamed to ``path`` once the block
    ends without error.

    The temporary file keeps ``path``'s extension (writers such as Pillow and ffmpeg choose
    the format by it). On any error or interruption it is removed, so ``path`` is either
    the whole new file or what it was before: never a file cut short by a full disk or a
    Ctrl-C.

    Raises
    ------
    ScenarioError
        If the file cannot be written (a full disk, a read-only file system): nothing is
        left behind.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self._staging: Path | None = None

    def __enter__(self) -> Path:
        path = self.path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(
                prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent
            )
            os.close(handle)
        except OSError as error:
            raise _write_error(path, error) from None
        self._staging = Path(name)
        return self._staging

    def __exit__(self, kind, error, traceback) -> None:
        staging = self._staging
        assert staging is not None  # set by __enter__
        if kind is None:
            try:
                umask = os.umask(0)
                os.umask(umask)
                staging.chmod(0o666 & ~umask)  # mkstemp makes it private; results are not
                os.replace(staging, self.path)
                return
            except OSError as failure:
                staging.unlink(missing_ok=True)
                raise _write_error(self.path, failure) from None
        staging.unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise _write_error(self.path, error) from None


def _rename_unique(staging: Path, folder: Path) -> Path:
    """Rename ``staging`` to ``folder``, or to the first free ``folder-N``; return it."""
    candidate, n = folder, 1
    while True:
        try:
            os.rename(staging, candidate)
            return candidate
        except OSError as error:
            if error.errno not in _TAKEN or n > 1000:
                raise
        n += 1
        candidate = folder.with_name(f"{folder.name}-{n}")


def _write_error(folder: Path, error: OSError) -> ScenarioError:
    """A one-line error for a folder or file that could not be written (disk full,
    read-only...)."""
    reason = error.strerror or type(error).__name__
    return ScenarioError(str(folder), "", f"cannot be written: {reason}; nothing was left behind")
