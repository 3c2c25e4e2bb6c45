"""Optuna's journal of a study, locked with the operating system's file locks.

Optuna's own journal lock is a lock file that a killed process leaves behind, and the next
run waits out a grace period before it dares to break it. Locks taken with ``flock`` are
released by the operating system when their process dies, however it dies, so a study
killed with SIGKILL resumes at once. The whole search holds one more lock, taken without
waiting, so that a second ``evacsim optimise`` of the same study is refused with a clear
error instead of both writing one journal.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sim.errors import ScenarioError


@contextlib.contextmanager
def held(folder: Path, source: str) -> Iterator[None]:
    """Hold ``folder``'s study lock for the block.

    Raises
    ------
    ScenarioError
        If another process holds it (the same study is running elsewhere).
    """
    folder.mkdir(parents=True, exist_ok=True)
    handle = os.open(folder / "study.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ScenarioError(
                source, "", f"another evacsim optimise is running this study ({folder})"
            ) from None
        yield
    finally:
        os.close(handle)  # closing releases the lock


def cut_to_whole_lines(journal: Path) -> None:
    """Cut ``journal`` back to its last whole line.

    A kill or a full disk in the middle of a write leaves part of a line at the end. Optuna
    skips it when it reads, but appends the next line after it, so the two read as one
    broken line and the journal can no longer be resumed.
    """
    if not journal.is_file():
        return
    with journal.open("r+b") as handle:
        text = handle.read()
        handle.truncate(text.rfind(b"\n") + 1)


def storage(optuna: Any, journal: Path) -> Any:
    """Optuna's journal storage on ``journal``, each write under an ``flock``."""
    from optuna.storages.journal._file import BaseJournalFileLock  # not re-exported

    class Lock(BaseJournalFileLock):
        def __init__(self, path: Path):
            self.path = path
            self.handle: int | None = None

        def acquire(self) -> bool:
            self.handle = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            fcntl.flock(self.handle, fcntl.LOCK_EX)
            return True

        def release(self) -> None:
            if self.handle is not None:
                os.close(self.handle)
                self.handle = None

    lock = Lock(journal.with_name(journal.name + ".lock"))
    backend = optuna.storages.journal.JournalFileBackend(str(journal), lock_obj=lock)
    return optuna.storages.journal.JournalStorage(backend)
