"""A run's replications and what produced them: the record a run folder is written from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from sim.inputs.scenario import Scenario
from sim.outputs.frames import SUMMARY_HEADER, UNITS, html_table, pandas, summary_rows
from sim.outputs.metrics import Summary, summarise_all
from sim.outputs.records import Replications


@dataclass
class RunRecord:
    """Replications of one scenario and what produced them: what a run folder is written
    from (:class:`sim.studies.runner.RunResult` adds ``save``).

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
    precision : dict, optional
        With ``run(..., precision=...)``: the target, the metrics, the replication cap,
        whether the rule was met and the rule itself, for the manifest.
    """

    scenario: Scenario
    replications: Replications
    seed: int
    reps: int
    engine: str
    wall_time: float
    overrides: list[str] = field(default_factory=list)
    precision: dict | None = None

    @property
    def metrics(self) -> Mapping[str, np.ndarray]:
        """Per-replication metric arrays, shape (reps,)."""
        return self.replications.metrics

    @property
    def rep_ids(self) -> range:
        """The replication numbers (their variates are indexed by these)."""
        return range(self.reps)

    @cached_property
    def summaries(self) -> dict[str, Summary]:
        """Mean, 95% CI, median, 5th and 95th percentile of every metric, by metric name
        (percentiles are replications' values: those of counts are counts)."""
        return {s.metric: s for s in summarise_all(self.metrics)}

    def to_frame(self) -> Any:
        """The per-replication metrics as a pandas DataFrame, one row per replication.

        Raises
        ------
        ImportError
            Saying how to install pandas (``pip install 'evacsim[frames]'``) if it is missing.
        """
        frame = pandas().DataFrame(dict(self.metrics), index=list(self.rep_ids))  # a Mapping
        return frame.rename_axis("rep")

    def __repr__(self) -> str:
        overrides = f", overrides={self.overrides!r}" if self.overrides else ""
        return (
            f"{type(self).__name__}({self.scenario.name!r}, reps={self.reps}, seed={self.seed}, "
            f"engine={self.engine!r}{overrides}, metrics={len(self.metrics)})"
        )

    def _repr_html_(self) -> str:
        rows = summary_rows(self.summaries.values())
        return html_table(repr(self), SUMMARY_HEADER, rows, UNITS)
