"""Running a scenario: replications, their summaries and the run folder.

``run`` is what the CLI's ``evacsim run`` calls; a notebook calls it directly::

    import sim
    result = sim.run(sim.load_scenario("scenarios/aleppo_2016.toml"), reps=200)
    result.summaries            # mean, 95% CI and quantiles per metric
    result.save()               # results/aleppo_2016/<run-id>/
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from sim.engines.des import run_des
from sim.metrics import Summary, summarise_all
from sim.records import Replications
from sim.scenario import Scenario

ENGINES = {"des": run_des}


@dataclass
class RunResult:
    """Replications of one scenario and what produced them.

    Attributes
    ----------
    scenario : Scenario
    replications : Replications
        Metrics per replication, hourly series and the event trace.
    seed, reps : int
    engine : str
    wall_time : float
        Seconds the engine took.
    overrides : list of str
        The ``--set`` overrides the scenario was loaded with, for the manifest.
    """

    scenario: Scenario
    replications: Replications
    seed: int
    reps: int
    engine: str
    wall_time: float
    overrides: list[str] = field(default_factory=list)

    @property
    def metrics(self) -> dict[str, np.ndarray]:
        """Per-replication metric arrays, shape (reps,)."""
        return self.replications.metrics

    @property
    def rep_ids(self) -> range:
        """The replication numbers (their variates are indexed by these)."""
        return range(self.reps)

    @cached_property
    def summaries(self) -> list[Summary]:
        """Mean, 95% CI, median, 5th and 95th percentile of every metric."""
        return summarise_all(self.metrics)

    def to_frame(self):
        """The per-replication metrics as a pandas DataFrame (needs pandas)."""
        import pandas as pd

        return pd.DataFrame(self.metrics).rename_axis("rep")

    def save(self, folder: str | Path | None = None) -> Path:
        """Write the run folder (default ``results/<scenario>/<run-id>``); return its path."""
        from sim.results import default_folder, write_run_folder

        target = Path(folder) if folder is not None else default_folder(self)
        return write_run_folder(self, target)


def run(
    scenario: Scenario,
    reps: int | None = None,
    seed: int | None = None,
    engine: str = "des",
    overrides: list[str] | None = None,
) -> RunResult:
    """Run replications of a scenario.

    Parameters
    ----------
    scenario : Scenario
    reps : int, optional
        Replications; the scenario's ``run.reps`` by default.
    seed : int, optional
        The run's seed; the scenario's ``run.seed`` by default.
    engine : {"des"}
        ``des``, the SimPy reference engine.
    overrides : list of str, optional
        Recorded in the manifest only (apply them with ``load_scenario``).
    """
    reps = scenario.reps if reps is None else reps
    seed = scenario.seed if seed is None else seed
    if reps < 1:
        raise ValueError("reps must be at least 1")
    began = time.perf_counter()
    replications: Replications = ENGINES[engine](scenario, reps, seed)
    wall = time.perf_counter() - began
    return RunResult(scenario, replications, seed, reps, engine, wall, list(overrides or []))
