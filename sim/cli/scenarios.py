"""``evacsim scenarios``: list the bundled scenarios, sweeps, targets and studies."""

from __future__ import annotations

import argparse

import sim
from sim.inputs.library import entries, library_root


def handle(args: argparse.Namespace) -> int:
    found = entries()
    width = max(len(e.name) for e in found)
    print(f"Bundled with evacsim {sim.__version__}:")
    kinds = (("scenario", "scenarios"), ("sweep", "sweeps"), ("targets", "targets"))
    for kind, title in (*kinds, ("study", "studies")):
        print(f"\n{title} (evacsim {_COMMAND[kind]} NAME)")
        for e in (e for e in found if e.kind == kind):
            line = f"  {e.name:<{width}}  {e.description}".rstrip()
            print(line if len(line) <= 100 else line[:99] + "…")
    print("\nevacsim init DIR copies them (and the workshop) into DIR to edit.")
    print(f"Library: {library_root()}")
    return 0


#: The command that reads each kind of library file.
_COMMAND = {"scenario": "run", "sweep": "sweep", "targets": "calibrate", "study": "optimise"}
