"""Plans on the batch engine, under common random numbers.

A plan is a value for every decision of a study. Plans that differ only in numeric
batch-engine inputs share one scenario variant and run as one batch: each plan's decisions
become per-replication parameter arrays (:mod:`sim.engines.batch_params`), as sweep points
do. Every plan runs the same replication numbers, and in replication ``r`` every plan meets
the same uncertainty draws (:class:`~sim.studies.optimise.uncertainties.Uncertainty`) and the same
breaches, delays and loading times: the differences between plans are the plans' doing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import cast

import numpy as np

from sim.inputs.loader import load_scenario
from sim.inputs.scenario import Scenario
from sim.outputs.records import Replications
from sim.studies.optimise.spec import StudySpec
from sim.studies.runner import run_chunked
from sim.studies.sweeps.spec import override

Plan = dict[str, object]


@dataclass
class Outcomes:
    """What the study needs of each plan in each replication.

    Attributes
    ----------
    objectives : ndarray, shape (plans, objectives, n)
        Each objective's metric (NaN where undefined).
    constraints : ndarray, shape (plans, constraints, n)
        Each constraint's observation ``y`` (see
        :meth:`~sim.studies.optimise.goals.Constraint.observe`).
    """

    objectives: np.ndarray
    constraints: np.ndarray


class Evaluator:
    """Runs plans of one study; loads each scenario variant once.

    Parameters
    ----------
    spec : StudySpec
    workers : int, optional
        Processes for the batch engine (see :func:`sim.studies.runner.run_chunked`).
    """

    def __init__(self, spec: StudySpec, workers: int | None = None):
        self.spec = spec
        self.workers = workers
        self._variants: dict[str, Scenario] = {}

    def settings(self, plan: Plan) -> list[str]:
        """The ``KEY=VALUE`` overrides that make the base scenario this plan."""
        return [*self.spec.overrides, *(override(d.key, plan[d.key]) for d in self.spec.decisions)]

    def _signature(self, plan: Plan) -> str:
        fixed = [d for d in self.spec.decisions if not d.batch]
        return json.dumps([override(d.key, plan[d.key]) for d in fixed])

    def variant(self, plan: Plan) -> Scenario:
        """The scenario of the plan's non-batch decisions (batch ones keep the base's)."""
        signature = self._signature(plan)
        if signature not in self._variants:
            settings = json.loads(signature)
            overrides = [*self.spec.overrides, *settings]
            self._variants[signature] = load_scenario(self.spec.base, overrides)
        return self._variants[signature]

    def run(self, plans: list[Plan | None], first: int, stop: int) -> list[Replications]:
        """Replications ``first .. stop - 1`` of each plan (None: the base scenario with the
        uncertainties drawn), grouped into one batch per scenario variant."""
        spec, n = self.spec, stop - first
        reps = np.arange(first, stop)
        drawn = {u.key: u.draw(spec.seed, reps) for u in spec.uncertainties}
        groups: dict[str, list[int]] = {}
        scenarios: dict[str, Scenario] = {}
        for i, plan in enumerate(plans):
            key = "base" if plan is None else self._signature(plan)
            groups.setdefault(key, []).append(i)
            scenarios[key] = spec.scenario if plan is None else self.variant(plan)
        found: list[Replications | None] = [None] * len(plans)
        for key, members in groups.items():
            parameters = {k: np.tile(v, len(members)) for k, v in drawn.items()}
            if key != "base":  # the base keeps its own values of the decisions
                planned = [p for i in members if (p := plans[i]) is not None]
                for d in spec.decisions:
                    if d.batch:  # a numeric decision: its values are numbers
                        values = [float(cast(float, p[d.key])) for p in planned]
                        parameters[d.key] = np.repeat(values, n)
            together = run_chunked(
                scenarios[key],
                n * len(members),
                spec.seed,
                self.workers,
                parameters or None,
                rep_ids=np.tile(reps, len(members)),
            )
            for j, i in enumerate(members):
                found[i] = _part(together, j * n, (j + 1) * n)
        return found  # type: ignore[return-value]

    def outcomes(self, plans: list[Plan], first: int, stop: int) -> Outcomes:
        """The objectives and constraint observations of each plan in replications
        ``first .. stop - 1``."""
        spec = self.spec
        runs = self.run(list(plans), first, stop)
        objectives = np.array([[r.metrics[o.metric] for o in spec.objectives] for r in runs])
        constraints = np.array(
            [[c.observe(r.metrics[c.metric]) for c in spec.constraints] for r in runs]
        ).reshape(len(plans), len(spec.constraints), stop - first)
        return Outcomes(objectives.astype(float), constraints)


def _part(together: Replications, start: int, stop: int) -> Replications:
    """Replications ``start .. stop - 1`` of a batch, as their own record (no trace)."""
    metrics = {k: v[start:stop] for k, v in together.metrics.items()}
    series = {k: v[start:stop] for k, v in together.series.items()}
    return Replications(metrics, series, [])
