"""What a calibration hands back: the prior draws, their distances, the posterior and the
refined point; read by the folder writer, the figures and the summaries."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.outputs.frames import html_table, pandas
from sim.outputs.metrics import percentiles
from sim.outputs.records import Replications
from sim.studies.calibration.targets import Targets

#: Quantiles reported for the posterior and the model's predictive intervals.
QUANTILES = (5, 50, 95)


@dataclass
class Refit:
    """The posterior for one variant of the reported figures (see ``sensitivity``).

    Attributes
    ----------
    metric : str
        The target whose reported value was changed ("" for the file's own values).
    value : float
        The reported value used for it.
    accepted : ndarray of int
        Indices of the kept draws, closest first.
    epsilon : float
        Distance of the farthest kept draw.
    """

    metric: str
    value: float
    accepted: np.ndarray
    epsilon: float


@dataclass
class CalibrationRecord:
    """The outcome of :func:`~sim.studies.calibration.abc.calibrate`: what a calibration
    folder is written from (:class:`~sim.studies.calibration.abc.Calibration` adds ``save``).

    Attributes
    ----------
    targets : Targets
    seed : int
        The seed used (the file's unless overridden).
    values : ndarray, shape (draws, parameters)
        Every prior draw, in the order of ``targets.priors``.
    simulated : ndarray, shape (draws, targets)
        The targets' metrics in each draw's replication.
    distance : ndarray, shape (draws,)
        ``inf`` where a metric is undefined.
    fit : Refit
        The posterior for the file's reported values.
    sensitivity : list of Refit
        The posterior for each disputed alternative value.
    series : Replications
        Hourly series and metrics of the accepted draws (the posterior predictive).
    best : dict of str to float
        The refined point, by parameter path, rounded to three significant figures.
    best_run : Replications
        The scenario's ``run.reps`` replications at ``best``, with its ``run.seed``: what
        ``evacsim run`` gives once the scenario file takes these values.
    timings : dict of str to float
        Wall-clock seconds of each stage.
    """

    targets: Targets
    seed: int
    values: np.ndarray
    simulated: np.ndarray
    distance: np.ndarray
    fit: Refit
    sensitivity: list[Refit]
    series: Replications
    best: dict[str, float]
    best_run: Replications
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def posterior(self) -> np.ndarray:
        """Parameter values of the kept draws, shape (accepted, parameters)."""
        return self.values[self.fit.accepted]

    def to_frame(self) -> Any:
        """The posterior sample, closest draw first: distance, parameter values and the
        targets' metrics, as a pandas DataFrame indexed by draw.

        Raises
        ------
        ImportError
            Saying how to install pandas (``pip install 'evacsim[frames]'``) if it is missing.
        """
        kept = self.fit.accepted
        columns = {"distance": self.distance[kept]}
        columns.update({p.path: self.values[kept, i] for i, p in enumerate(self.targets.priors)})
        columns.update(
            {t.metric: self.simulated[kept, i] for i, t in enumerate(self.targets.targets)}
        )
        return pandas().DataFrame(columns, index=kept).rename_axis("draw")

    def __repr__(self) -> str:
        return (
            f"Calibration({Path(self.targets.path).name!r}, draws={len(self.values)}, "
            f"accepted={len(self.fit.accepted)}, seed={self.seed}, best={self.best})"
        )

    def _repr_html_(self) -> str:
        rows: list[list[object]] = []
        for i, p in enumerate(self.targets.priors):
            low, median, high = percentiles(self.posterior[:, i], QUANTILES)
            rows.append([p.path, self.best[p.path], median, low, high])
        header = ("parameter", "best fit", "posterior median", "p5", "p95")
        return html_table(repr(self), header, rows)
