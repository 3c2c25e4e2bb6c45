"""Results folders read back: the object that wrote a folder, whichever study it was.

``sim.load_run(folder)`` gives the :class:`~sim.studies.runner.RunResult` of a run folder,
the :class:`~sim.studies.compare.Comparison` of a compare folder, the
:class:`~sim.studies.sweeps.run.SweepResult` of a sweep folder or the
:class:`~sim.studies.calibration.abc.Calibration` of a calibration folder, equal to the one
that was saved, so analysis can go on without running anything again.
"""

from __future__ import annotations

from pathlib import Path

from sim.errors import ScenarioError
from sim.outputs.results import read_manifest, read_run_folder
from sim.studies.calibration.abc import Calibration
from sim.studies.calibration.report import read_calibration_folder
from sim.studies.compare import Comparison, read_compare_folder
from sim.studies.runner import RunResult
from sim.studies.sweeps.output import read_sweep_folder
from sim.studies.sweeps.run import SweepResult


def load_run(folder: str | Path) -> RunResult | Comparison | SweepResult | Calibration:
    """The result saved in ``folder``: a run, compare, sweep or calibration folder.

    Raises
    ------
    ScenarioError
        If ``folder`` is none of these, or was written by a version that did not keep
        what it takes to read it back.
    """
    info = read_manifest(Path(folder), "results")
    if "sweep" in info:
        return read_sweep_folder(folder)
    if "targets_file" in info:
        return read_calibration_folder(folder)
    if "whatifs" in info:
        return read_compare_folder(folder)
    if "scenario" in info:
        return read_run_folder(folder)
    raise ScenarioError(str(folder), "", "not a run, compare, sweep or calibration folder")
