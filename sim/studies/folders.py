"""Results folders read back: the object that wrote a folder, whichever study it was.

``sim.load_run(folder)`` gives the :class:`~sim.studies.runner.RunResult` of a run folder,
the :class:`~sim.studies.compare.Comparison` of a compare folder, the
:class:`~sim.studies.sweeps.run.SweepResult` of a sweep folder or the
:class:`~sim.studies.calibration.abc.Calibration` of a calibration folder, equal to the one
that was saved, so analysis can go on without running anything again.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from sim.errors import ScenarioError
from sim.outputs.reading import read_manifest, read_run_record
from sim.studies.calibration.abc import Calibration
from sim.studies.calibration.report import read_calibration_record
from sim.studies.compare import Comparison
from sim.studies.compare_folder import read_compare_folder
from sim.studies.runner import RunResult
from sim.studies.sweeps.output import read_sweep_folder
from sim.studies.sweeps.result import SweepResult


def load_run(folder: str | Path) -> RunResult | Comparison | SweepResult | Calibration:
    """The result saved in ``folder``: a run, compare, sweep or calibration folder.

    Raises
    ------
    ScenarioError
        If ``folder`` is none of these, or was written by a version that did not keep
        what it takes to read it back.
    """
    info = read_manifest(Path(folder))
    if "sweep" in info:
        return read_sweep_folder(folder)
    if "targets_file" in info:
        return Calibration(**_fields(read_calibration_record(folder)))
    if "whatifs" in info:
        return read_compare_folder(folder)
    if "scenario" in info:
        return RunResult(**_fields(read_run_record(folder)))
    raise ScenarioError(str(folder), "", "not a run, compare, sweep or calibration folder")


def _fields(record: object) -> dict:
    """A record's fields, to build the result class that adds ``save`` to it."""
    return {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}  # type: ignore[arg-type]
