"""What "best" means in a study: its objectives, and the constraints a plan must meet."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.studies.optimise.defaults import DEFAULTS
from sim.studies.study_file import Fail, no_unknown, number

CONSTRAINT_KEYS = {
    "name",
    "metric",
    "mean_at_most",
    "mean_at_least",
    "above",
    "below",
    "probability_at_most",
    "tolerance",
}
#: What the checks below allow, in words and as JSON Schema (``evacsim schema`` writes it).
OBJECTIVE_WORDS = (
    'one objective, or two for a Pareto front, e.g. [{ maximise = "evacuated_by_halt" }]'
)
OBJECTIVES = {
    "type": "array",
    "minItems": 1,
    "maxItems": 2,
    "items": {
        "type": "object",
        "properties": {"maximise": {"type": "string"}, "minimise": {"type": "string"}},
        "minProperties": 1,
        "maxProperties": 1,
        "additionalProperties": False,
    },
}
CONSTRAINT_WORDS = (
    "[[constraints]] tables, each a metric with one of mean_at_most, mean_at_least (and a "
    "tolerance) or above, below with probability_at_most"
)
_BOUND = {"type": "number"}
_MEAN = {"required": ["tolerance"], "not": {"required": ["probability_at_most"]}}
CONSTRAINTS = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "metric": {"type": "string"},
            "mean_at_most": _BOUND,
            "mean_at_least": _BOUND,
            "above": _BOUND,
            "below": _BOUND,
            "probability_at_most": {"type": "number", "minimum": 0, "exclusiveMaximum": 1},
            "tolerance": {"type": "number", "exclusiveMinimum": 0},
        },
        "required": ["metric"],
        "additionalProperties": False,
        # exactly one kind; a bound on a mean has a tolerance, a chance a probability
        "oneOf": [
            {"required": [kind]} for kind in ("mean_at_most", "mean_at_least", "above", "below")
        ],
        "dependencies": {
            **dict.fromkeys(("mean_at_most", "mean_at_least"), _MEAN),
            **dict.fromkeys(("above", "below"), {"required": ["probability_at_most"]}),
        },
    },
}


@dataclass(frozen=True)
class Objective:
    """A metric's mean over replications, to ``maximise`` or ``minimise``."""

    metric: str
    sense: str

    @property
    def sign(self) -> float:
        """+1 to maximise, -1 to minimise: ``sign * metric`` is always to be maximised."""
        return 1.0 if self.sense == "maximise" else -1.0

    def __str__(self) -> str:
        return f"{self.sense} {self.metric}"


@dataclass(frozen=True)
class Constraint:
    """A limit on a plan, met when the mean of an observation ``y`` is at most ``bound``.

    - ``mean_at_most = c``: ``y`` is the metric, bound ``c``; ``mean_at_least = c``: ``y``
      is minus the metric, bound ``-c``.
    - a chance constraint, ``above = x`` (or ``below = x``) with ``probability_at_most = p``:
      ``y`` is 1 in a replication whose metric is above (below) ``x``, else 0; bound ``p``.
      A replication where the metric is undefined (NaN: e.g. ``clearance_time`` when the
      enclave was not cleared) counts as the event, the cautious reading.

    Attributes
    ----------
    name, metric : str
    kind : str
        ``mean`` or ``chance``.
    sense : str
        ``at_most`` or ``at_least`` (mean), ``above`` or ``below`` (chance).
    threshold : float
        The bound on the mean (mean), or the level that defines the event (chance), in the
        metric's unit.
    probability : float
        The most probability of the event (chance; NaN for a mean constraint).
    tolerance : float
        How close to the bound a plan may be and still be called either way by the
        certification (the feasibility check's indifference), in ``y``'s unit.
    """

    name: str
    metric: str
    kind: str
    sense: str
    threshold: float
    probability: float
    tolerance: float

    @property
    def bound(self) -> float:
        """The most the mean of ``y`` may be."""
        if self.kind == "chance":
            return self.probability
        return self.threshold if self.sense == "at_most" else -self.threshold

    def observe(self, values: np.ndarray) -> np.ndarray:
        """``y`` in each replication from the metric's values (NaN where undefined)."""
        values = np.asarray(values, dtype=float)
        if self.kind == "mean":
            return values if self.sense == "at_most" else -values
        with np.errstate(invalid="ignore"):
            event = values > self.threshold if self.sense == "above" else values < self.threshold
        return (event | np.isnan(values)).astype(float)

    def __str__(self) -> str:
        if self.kind == "mean":
            word = "<=" if self.sense == "at_most" else ">="
            return f"mean {self.metric} {word} {self.threshold:g}"
        word = ">" if self.sense == "above" else "<"
        return f"P({self.metric} {word} {self.threshold:g}) <= {self.probability:g}"


def read_objectives(value: Any, known: list[str], fail: Fail) -> tuple[Objective, ...]:
    example = 'e.g. [{ maximise = "evacuated_by_halt" }]'
    if not isinstance(value, list) or not 1 <= len(value) <= 2:
        raise fail("objectives", f"must list one objective, or two for a Pareto front, {example}")
    objectives = []
    for i, item in enumerate(value):
        where = f"objectives.{i}"
        if not isinstance(item, dict) or len(item) != 1:
            raise fail(where, f"must be one of maximise = METRIC or minimise = METRIC, {example}")
        ((sense, metric),) = item.items()
        if sense not in ("maximise", "minimise"):
            raise fail(where, f"must be maximise or minimise, got {sense!r}")
        _metric(metric, known, f"{where}.{sense}", fail)
        objectives.append(Objective(metric, sense))
    if len(objectives) == 2 and objectives[0].metric == objectives[1].metric:
        raise fail("objectives", "two objectives must be two different metrics")
    return tuple(objectives)


def read_constraints(value: Any, known: list[str], fail: Fail) -> tuple[Constraint, ...]:
    if not isinstance(value, list) or not all(isinstance(c, dict) for c in value):
        raise fail("constraints", "must be [[constraints]] tables, each with a metric")
    found = []
    names = set()
    for i, spec in enumerate(value):
        where = f"constraints.{i}"
        no_unknown(spec, CONSTRAINT_KEYS, where, fail)
        metric = _metric(spec.get("metric"), known, f"{where}.metric", fail)
        kinds = [k for k in ("mean_at_most", "mean_at_least", "above", "below") if k in spec]
        if len(kinds) != 1:
            raise fail(
                where,
                "must give one of mean_at_most, mean_at_least (a bound on the mean) or "
                "above, below with probability_at_most (a chance constraint)",
            )
        (kind,) = kinds
        threshold = spec[kind]
        if not number(threshold):
            raise fail(f"{where}.{kind}", f"must be a number, got {threshold!r}")
        tolerance = spec.get("tolerance")
        if kind.startswith("mean"):
            if "probability_at_most" in spec:
                raise fail(f"{where}.probability_at_most", "belongs to above or below only")
            if tolerance is None:
                raise fail(
                    f"{where}.tolerance",
                    f"a bound on a mean needs a tolerance in {metric}'s unit: how far from "
                    "the bound a plan may be and still be called either way",
                )
            probability = math.nan
            sense = kind.removeprefix("mean_")
        else:
            probability = spec.get("probability_at_most")
            if not number(probability) or not 0 <= probability < 1:
                raise fail(
                    f"{where}.probability_at_most",
                    f"must be a probability from 0 up to (not including) 1, got {probability!r}",
                )
            tolerance = DEFAULTS["chance_tolerance"] if tolerance is None else tolerance
            sense = kind
        if not number(tolerance) or tolerance <= 0:
            raise fail(f"{where}.tolerance", f"must be a number above 0, got {tolerance!r}")
        name = spec.get("name", f"{metric} {kind}")
        if not isinstance(name, str) or not name or name in names:
            raise fail(f"{where}.name", "must be a non-empty text, distinct from the others")
        names.add(name)
        found.append(
            Constraint(
                name,
                metric,
                "mean" if kind.startswith("mean") else "chance",
                sense,
                float(threshold),
                float(probability),
                float(tolerance),
            )
        )
    return tuple(found)


def _metric(metric: Any, known: list[str], where: str, fail: Fail) -> str:
    if not isinstance(metric, str) or metric not in known:
        raise fail(where, f"{metric!r} is not a metric of the base; known: {', '.join(known)}")
    return metric
