"""Where a command's folder goes, checked before anything is computed."""

from __future__ import annotations

import sys
from pathlib import Path

#: Where run, compare and calibration folders go unless ``--out`` says otherwise.
RESULTS = Path("results")


def check_out(out: str | None, default_parent: Path) -> None:
    """Refuse an ``--out`` (or a results root) that cannot be written, before computing."""
    from sim.outputs.folders import check_destination

    if out is None:
        check_destination(default_parent, new=False)
    else:
        check_destination(Path(out))


def moved(out: str | None, folder: Path) -> None:
    """Say so when ``--out`` was taken by another process while this one computed."""
    if out is not None and folder != Path(out):
        print(f"evacsim: note: {out} appeared during the run; wrote {folder}", file=sys.stderr)
