"""``evacsim init``: copy the bundled scenarios and the workshop into a folder to edit."""

from __future__ import annotations

import argparse
from pathlib import Path


def handle(args: argparse.Namespace) -> int:
    from sim.inputs.library import copy_library
    from sim.outputs.folders import check_destination

    check_destination(Path(args.folder), new=False)  # a file of that name, a read-only disk
    folder = copy_library(args.folder)
    n = sum(1 for _ in (folder / "scenarios").rglob("*.toml"))
    print(f"Copied {n} scenario files to {folder / 'scenarios'}", end="")
    print(" and the workshop to workshop.md" if (folder / "workshop.md").exists() else "")
    print(f"Try: cd {folder} && evacsim run scenarios/aleppo_2016.toml")
    return 0
