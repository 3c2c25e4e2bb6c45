"""evacsim: a discrete-event simulator of humanitarian evacuations.

>>> import sim
>>> scenario = sim.load_scenario("scenarios/workshop/deterministic.toml")
>>> result = sim.run(scenario, reps=3, seed=1)
>>> float(result.metrics["clearance_time"][0])
14.0
"""

from sim.errors import ScenarioError
from sim.loader import load_scenario
from sim.runner import RunResult, run
from sim.scenario import Scenario

__all__ = ["RunResult", "Scenario", "ScenarioError", "load_scenario", "run"]
