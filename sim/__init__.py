"""evacsim: a discrete-event simulator of humanitarian evacuations.

>>> import sim
>>> scenario = sim.load_scenario("scenarios/workshop/deterministic.toml")
>>> result = sim.run(scenario, reps=3, seed=1)
>>> float(result.metrics["clearance_time"][0])
14.0

``import sim`` loads no library at all: the scenario layer (and numpy) loads with the first
``sim.load_scenario`` or ``sim.Scenario``, the engines, the studies and their libraries
(SimPy, scipy, matplotlib, SALib, Dask, pandas, Optuna) with the first name that needs
them, and ``__version__`` (importlib.metadata, ~50 ms) when first read, so the command
line and notebooks start at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.errors import ScenarioError
from sim.on_demand import importer

if TYPE_CHECKING:  # the names below, for type checkers and editors
    from sim.inputs.loader import load_scenario
    from sim.inputs.scenario import Scenario
    from sim.studies.calibration import Calibration, calibrate, load_targets
    from sim.studies.compare import Comparison, compare
    from sim.studies.folders import load_run
    from sim.studies.optimise import OptimiseResult, StudySpec, load_study, optimise
    from sim.studies.runner import RunResult, run
    from sim.studies.sweeps import SweepResult, load_sweep, sweep
    from sim.version import __version__

#: The module each public name is imported from on first use.
_ON_DEMAND = {
    "__version__": "sim.version",
    "load_scenario": "sim.inputs.loader",
    "Scenario": "sim.inputs.scenario",
    "Calibration": "sim.studies.calibration",
    "calibrate": "sim.studies.calibration",
    "load_targets": "sim.studies.calibration",
    "Comparison": "sim.studies.compare",
    "compare": "sim.studies.compare",
    "load_run": "sim.studies.folders",
    "OptimiseResult": "sim.studies.optimise",
    "StudySpec": "sim.studies.optimise",
    "load_study": "sim.studies.optimise",
    "optimise": "sim.studies.optimise",
    "RunResult": "sim.studies.runner",
    "run": "sim.studies.runner",
    "SweepResult": "sim.studies.sweeps",
    "load_sweep": "sim.studies.sweeps",
    "sweep": "sim.studies.sweeps",
}


__getattr__ = importer(__name__, _ON_DEMAND)


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "Calibration",
    "Comparison",
    "OptimiseResult",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "StudySpec",
    "SweepResult",
    "calibrate",
    "compare",
    "load_run",
    "load_scenario",
    "load_study",
    "load_sweep",
    "load_targets",
    "optimise",
    "run",
    "sweep",
    "__version__",
]
