"""evacsim: a discrete-event simulator of humanitarian evacuations.

>>> import sim
>>> scenario = sim.load_scenario("scenarios/workshop/deterministic.toml")
>>> result = sim.run(scenario, reps=3, seed=1)
>>> float(result.metrics["clearance_time"][0])
14.0
"""

from importlib import metadata

from sim.errors import ScenarioError
from sim.inputs.loader import load_scenario
from sim.inputs.scenario import Scenario
from sim.studies.calibration import Calibration, calibrate, load_targets
from sim.studies.compare import Comparison, compare
from sim.studies.folders import load_run
from sim.studies.optimise import OptimiseResult, StudySpec, load_study, optimise
from sim.studies.runner import RunResult, run
from sim.studies.sweeps import SweepResult, load_sweep, sweep

try:
    __version__ = metadata.version("evacsim")
except metadata.PackageNotFoundError:  # a checkout on sys.path that was never installed
    __version__ = "0+unknown"

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
