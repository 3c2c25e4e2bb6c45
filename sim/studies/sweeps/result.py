"""What a sweep hands back: its points, each metric's values and summaries, Sobol indices.

Written by :func:`sim.studies.sweeps.run.sweep`, read by the folder writer
(:mod:`~sim.studies.sweeps.output`), the figures and the terminal report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.outputs.frames import UNITS, html_table, pandas
from sim.outputs.metrics import Summary
from sim.studies.precision import precise
from sim.studies.sweeps.sensitivity import SobolIndex
from sim.studies.sweeps.spec import SweepSpec


@dataclass
class SweepResult:
    """The outcome of a sweep.

    Attributes
    ----------
    spec : SweepSpec
    folder : Path
        ``results/sweeps/<name>/<id>/``.
    points : list of dict
        Axis values of each point, in design order.
    values : dict of str to list of ndarray
        Each metric's value per replication (0, 1, ...) at each point.
    summaries : dict of str to list of Summary
        Each metric's mean, 95% CI and quantiles at each point.
    sobol : list of SobolIndex
        Sobol indices (``saltelli`` designs only).
    chunks, reused : int
        Chunks in the sweep, and how many of them an earlier run had finished.
    wall_time : float
        Seconds this run took.
    damaged : int
        Chunk files an earlier run left that failed their check (moved to
        ``chunks/damaged/``) and were computed again.
    """

    spec: SweepSpec
    folder: Path
    points: list[dict[str, object]]
    values: dict[str, list[np.ndarray]]
    summaries: dict[str, list[Summary]]
    sobol: list[SobolIndex] = field(default_factory=list)
    chunks: int = 0
    reused: int = 0
    wall_time: float = 0.0
    damaged: int = 0

    @property
    def reps(self) -> np.ndarray:
        """Replications run at each point."""
        first = next(iter(self.values.values()))
        return np.array([len(v) for v in first])

    def to_frame(self) -> Any:
        """One row per point: its axis values, replications, and each metric's mean and 95%
        CI (``<metric>_mean``, ``_ci_low``, ``_ci_high``), as a pandas DataFrame.

        Raises
        ------
        ImportError
            Saying how to install pandas (``pip install 'evacsim[frames]'``) if it is missing.
        """
        columns: dict[str, list] = {a.key: [p[a.key] for p in self.points] for a in self.spec.axes}
        columns["reps"] = list(self.reps)
        for m, summaries in self.summaries.items():
            columns[f"{m}_mean"] = [s.mean for s in summaries]
            columns[f"{m}_ci_low"] = [s.ci_low for s in summaries]
            columns[f"{m}_ci_high"] = [s.ci_high for s in summaries]
        return pandas().DataFrame(columns).rename_axis("point")

    def __repr__(self) -> str:
        return (
            f"SweepResult({self.spec.name!r}, points={len(self.points)}, "
            f"reps={int(self.reps.sum())}, metrics={list(self.spec.metrics)}, "
            f"folder='{self.folder}')"
        )

    def _repr_html_(self) -> str:
        keys = [a.key for a in self.spec.axes]
        header = ["point", *keys, "reps", *(f"{m} mean" for m in self.spec.metrics)]
        rows = [
            [i, *(p[k] for k in keys), int(self.reps[i]),
             *(self.summaries[m][i].mean for m in self.spec.metrics)]
            for i, p in enumerate(self.points)
        ]  # fmt: skip
        return html_table(repr(self), header, rows, UNITS)

    @property
    def precise(self) -> np.ndarray:
        """Whether each point meets the precision rule (all True without ``precision``)."""
        if self.spec.precision is None:
            return np.ones(len(self.points), bool)
        return np.array(
            [
                precise({m: v[p] for m, v in self.values.items()}, self.spec.precision)
                for p in range(len(self.points))
            ]
        )
