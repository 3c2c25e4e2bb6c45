"""Study files: the plan to choose, the world it must work in, and what "best" means.

A study file names a base scenario, the **decisions** (levers a planner sets), the
**uncertainties** (inputs nobody sets, drawn afresh in every replication, the same draw for
every plan), one objective (or two, for a Pareto front), the **constraints** and the
budget::

    name = "aleppo_plan"
    base = "../aleppo_2016.toml"        # relative to the study file
    seed = 1
    reps = 100                          # replications per trial of the search
    budget = 6000                       # replications for the whole search: 60 trials
    batch = 6                           # trials asked at once and run as one batch
    objectives = [{ maximise = "evacuated_by_halt" }]

    [decisions]
    "fleet.buses.count" = { low = 30, high = 60 }        # whole numbers: it counts buses
    "convoy.headway" = { low = 0.5, high = 3.0 }         # hours
    "ceasefire.before_checkpoint" = { choices = ["hold", "turn_back"] }

    [uncertainties]
    "ceasefire.breach_rate" = { dist = "uniform", low = 0.005, high = 0.05 }

    [[constraints]]                     # a chance constraint on one replication's outcome
    metric = "turned_back"
    above = 0                           # the event: more than 0 people turned back
    probability_at_most = 0.10

    [certify]
    delta = 100                         # indifference, in the objective's unit

Optional keys: ``description``, ``set`` (overrides of the base), ``search.sampler``,
``certify.shortlist``, ``alpha``, ``first_stage``, ``max_reps`` and ``objective``, a
constraint's ``name`` and ``tolerance``; ``docs/optimise.md`` describes them all with their
defaults (:data:`DEFAULTS`). Every mistake raises :class:`~sim.errors.ScenarioError` naming
the study file and the key, before anything runs.
"""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard

import numpy as np

from sim.engines.batch_params import INTEGERS, batch_parameters
from sim.errors import ScenarioError
from sim.inputs.library import locate
from sim.inputs.loader import load_scenario
from sim.inputs.names import NAME_RULE, folder_name, is_folder_name
from sim.inputs.scenario import Scenario
from sim.inputs.sources import read_toml
from sim.model.variates import Variates
from sim.outputs.records import metric_names
from sim.studies.sweeps.spec import override

#: Samplers of the search (Optuna's): tree-structured Parzen estimator, NSGA-II, random.
SAMPLERS = ("tpe", "nsga2", "random")

#: Distributions of an uncertainty, drawn from one uniform per replication.
DISTS = ("uniform", "loguniform", "triangular")

#: The defaults of every optional setting, documented in docs/optimise.md.
DEFAULTS = {
    "reps": 100,
    "batch": 8,
    "sampler": "tpe",
    "shortlist": 5,
    "alpha": 0.05,
    "first_stage": 20,
    "max_reps": 5000,
    "chance_tolerance": 0.01,
}

TOP_KEYS = {
    "name",
    "description",
    "base",
    "set",
    "seed",
    "reps",
    "budget",
    "batch",
    "objectives",
    "decisions",
    "uncertainties",
    "constraints",
    "search",
    "certify",
}
CERTIFY_KEYS = {"shortlist", "alpha", "delta", "first_stage", "max_reps", "objective"}
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

Fail = Callable[[str, str], ScenarioError]


@dataclass(frozen=True)
class Decision:
    """A lever of the plan: a scenario input by key path, and the values it may take.

    Attributes
    ----------
    key : str
        Scenario key path, e.g. ``fleet.buses.count``.
    kind : str
        ``integer`` (inputs that count things), ``real`` or ``choice``.
    low, high : float
        The range of an ``integer`` or ``real`` decision, in the key's unit (NaN for a choice).
    step : float or None
        Spacing of the allowed values from ``low`` (None: any value in the range).
    log : bool
        Search the range on a log scale.
    choices : tuple
        The values of a ``choice`` decision (empty otherwise).
    batch : bool
        True for a numeric batch-engine input (plans differing only in these share a batch);
        False for any other scenario key, loaded as one scenario per value.
    """

    key: str
    kind: str
    low: float = math.nan
    high: float = math.nan
    step: float | None = None
    log: bool = False
    choices: tuple = ()
    batch: bool = True


@dataclass(frozen=True)
class Uncertainty:
    """An input nobody decides: drawn per replication, the same draw for every plan.

    The draw of replication ``r`` is the inverse CDF of the uniform
    ``uniforms(seed, "uncertainty", r, crc32(key))``: a pure function of the seed, the
    replication and the key, so adding an uncertainty never changes another's draws, and
    every plan meets the same world in replication ``r`` (common random numbers).

    Attributes
    ----------
    key : str
        A numeric batch-engine input.
    dist : str
        One of ``DISTS``.
    low, mode, high : float
        The range (and the triangular's mode; NaN otherwise), in the key's unit. Inputs
        that count things take the whole numbers ``low .. high``, each equally likely.
    """

    key: str
    dist: str
    low: float
    high: float
    mode: float = math.nan

    @property
    def integer(self) -> bool:
        """Whether the input is a whole number."""
        return self.key.rsplit(".", 1)[-1] in INTEGERS

    def draw(self, seed: int, reps: np.ndarray) -> np.ndarray:
        """The input's value in each of replications ``reps``."""
        index = zlib.crc32(self.key.encode())
        u = Variates(seed).uniform("uncertainty", np.asarray(reps, dtype=np.int64), index)
        return self.transform(u)

    def transform(self, u: np.ndarray) -> np.ndarray:
        """Values for uniforms ``u`` on (0, 1): the inverse CDF."""
        low, high = self.low, self.high
        if self.integer:
            return np.minimum(np.floor(low + u * (high - low + 1)), high)
        if self.dist == "loguniform":
            return np.exp(np.log(low) + u * (np.log(high) - np.log(low)))
        if self.dist == "triangular":
            cut = (self.mode - low) / (high - low)
            rising = low + np.sqrt(u * (high - low) * (self.mode - low))
            falling = high - np.sqrt((1 - u) * (high - low) * (high - self.mode))
            return np.where(u < cut, rising, falling)
        return low + u * (high - low)


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


@dataclass(frozen=True)
class Certify:
    """Settings of the ranking-and-selection procedure (:mod:`.selection`).

    Attributes
    ----------
    shortlist : int
        Most plans the search hands over: the best feasible distinct plans.
    alpha : float
        1 - alpha is the promised probability of correct selection.
    delta : float
        Indifference zone, in the ranked objective's unit: plans within ``delta`` of the
        best count as equally good.
    first_stage : int
        Replications of every plan before the first check (n0).
    max_reps : int
        Most replications per plan; the guarantee lapses for a procedure that reaches it.
    objective : int
        Which objective ranks the plans (0 or 1).
    """

    shortlist: int
    alpha: float
    delta: float
    first_stage: int
    max_reps: int
    objective: int


@dataclass(frozen=True)
class StudySpec:
    """A validated study file.

    Attributes
    ----------
    path, name, description : str
    base : Path
        The base scenario file.
    overrides : tuple of str
        ``KEY=VALUE`` settings applied to the base (the file's ``set``).
    scenario : Scenario
        The base with ``overrides``.
    seed : int
        Seed of the replications, the uncertainties and the sampler.
    reps : int
        Replications per trial of the search.
    budget : int
        Replications for the whole search (``budget // reps`` trials).
    batch : int
        Trials asked at once and run as one batch of the engine.
    sampler : str
        One of ``SAMPLERS``.
    objectives : tuple of Objective
        One, or two for a Pareto front.
    decisions : tuple of Decision
    uncertainties : tuple of Uncertainty
    constraints : tuple of Constraint
    certify : Certify
    """

    path: str
    name: str
    description: str
    base: Path
    overrides: tuple[str, ...]
    scenario: Scenario
    seed: int
    reps: int
    budget: int
    batch: int
    sampler: str
    objectives: tuple[Objective, ...]
    decisions: tuple[Decision, ...]
    uncertainties: tuple[Uncertainty, ...]
    constraints: tuple[Constraint, ...]
    certify: Certify

    @property
    def trials(self) -> int:
        """Trials of the search."""
        return self.budget // self.reps

    @property
    def ranked(self) -> Objective:
        """The objective the certification ranks plans by."""
        return self.objectives[self.certify.objective]

    def identity(self) -> dict[str, Any]:
        """Everything the results depend on, as plain data (hashed into the study id)."""
        return {
            "base": self.scenario.document,
            "set": list(self.overrides),
            "seed": self.seed,
            "reps": self.reps,
            "budget": self.budget,
            "batch": self.batch,
            "sampler": self.sampler,
            "objectives": [[o.metric, o.sense] for o in self.objectives],
            "decisions": [_plain(d) for d in self.decisions],
            "uncertainties": [_plain(u) for u in self.uncertainties],
            "constraints": [_plain(c) for c in self.constraints],
            "certify": _plain(self.certify),
        }


def load_study(path: str | Path, budget: int | None = None, seed: int | None = None) -> StudySpec:
    """Read and check a study file.

    Parameters
    ----------
    path : str or Path
        A study file, or the name of a bundled one (``optimise/deterministic_fleet``).
    budget : int, optional
        Overrides the file's ``budget`` (replications for the search).
    seed : int, optional
        Overrides the file's ``seed``.

    Raises
    ------
    ScenarioError
        Naming the study file (or the base scenario) and the key.
    """
    path = locate(path, "study")
    source = str(path)
    doc = read_toml(path, "study file")

    def fail(key: str, message: str) -> ScenarioError:
        return ScenarioError(source, key, message)

    _no_unknown(doc, TOP_KEYS, "", fail)
    name = doc.get("name", folder_name(path.stem, "study"))
    if not isinstance(name, str) or not is_folder_name(name):
        raise fail("name", f"must be {NAME_RULE} (it names the study's folder), got {name!r}")
    base_text = doc.get("base")
    if not isinstance(base_text, str) or not base_text:
        raise fail("base", "must name the base scenario file, relative to the study file")
    base = path.parent / base_text
    if not base.is_file():
        raise fail("base", f"no such scenario file: {base}")
    overrides = doc.get("set", [])
    if not isinstance(overrides, list) or not all(isinstance(o, str) for o in overrides):
        raise fail("set", 'must be a list of "KEY=VALUE" texts')
    scenario = load_scenario(base, overrides)
    known = metric_names(scenario)

    seed = _whole(doc.get("seed", scenario.seed) if seed is None else seed, "seed", 0, fail)
    reps = _whole(doc.get("reps", DEFAULTS["reps"]), "reps", 2, fail)
    if budget is None and "budget" not in doc:
        raise fail("budget", "must give the replications for the search, e.g. 10000")
    budget = _whole(doc["budget"] if budget is None else budget, "budget", reps, fail)
    batch = _whole(doc.get("batch", DEFAULTS["batch"]), "batch", 1, fail)
    search = _table(doc.get("search", {}), "search", {"sampler"}, fail)
    sampler = search.get("sampler", DEFAULTS["sampler"])
    if sampler not in SAMPLERS:
        raise fail("search.sampler", f"must be one of {', '.join(SAMPLERS)}, got {sampler!r}")
    if sampler == "nsga2" and batch < 2:
        raise fail("batch", "NSGA-II breeds a population of trials: batch must be at least 2")

    objectives = _objectives(doc.get("objectives"), known, fail)
    decisions = _decisions(doc.get("decisions"), scenario, base, overrides, fail)
    uncertainties = _uncertainties(doc.get("uncertainties", {}), scenario, decisions, fail)
    constraints = _constraints(doc.get("constraints", []), known, fail)
    certify = _certify(doc.get("certify"), len(objectives), reps, fail)
    return StudySpec(
        source,
        name,
        str(doc.get("description", "")),
        base,
        tuple(overrides),
        scenario,
        seed,
        reps,
        budget,
        batch,
        sampler,
        objectives,
        decisions,
        uncertainties,
        constraints,
        certify,
    )


def _objectives(value: Any, known: list[str], fail: Fail) -> tuple[Objective, ...]:
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


def _decisions(
    table: Any, scenario: Scenario, base: Path, overrides: list[str], fail: Fail
) -> tuple[Decision, ...]:
    if not isinstance(table, dict) or not table:
        raise fail("decisions", 'must be a table of key paths, e.g. "fleet.buses.count" = ...')
    numeric = batch_parameters(scenario, 1).values
    decisions = []
    for key, spec in table.items():
        where = f"decisions.{key}"
        if not isinstance(spec, dict):
            raise fail(where, "must be { low = ..., high = ... } or { choices = [...] }")
        batch = key in numeric
        if "choices" in spec:
            _no_unknown(spec, {"choices"}, where, fail)
            choices = spec["choices"]
            if not isinstance(choices, list) or len(choices) < 2:
                raise fail(f"{where}.choices", "must list at least two values")
            if len(set(map(json.dumps, choices))) != len(choices):
                raise fail(f"{where}.choices", "lists a value twice")
            for value in choices:
                if isinstance(value, dict | list):
                    raise fail(f"{where}.choices", f"must list plain values, got {value!r}")
                if batch and (isinstance(value, bool) or not isinstance(value, int | float)):
                    raise fail(f"{where}.choices", f"must list numbers, got {value!r}")
            whole = all(v == math.floor(v) for v in choices) if batch else True
            if batch and key.rsplit(".", 1)[-1] in INTEGERS and not whole:
                raise fail(f"{where}.choices", "counts things: values must be whole")
            decision = Decision(key, "choice", choices=tuple(choices), batch=batch)
            values = choices
        else:
            decision = _range(key, spec, batch, numeric, fail)
            values = [decision.low, decision.high]
        for value in values:
            setting = override(key, value)
            try:
                load_scenario(base, [*overrides, setting])
            except ScenarioError as error:
                raise fail(where, f"{setting}: {error.message}") from None
        decisions.append(decision)
    return tuple(decisions)


def _range(key: str, spec: dict, batch: bool, numeric: dict, fail: Fail) -> Decision:
    where = f"decisions.{key}"
    _no_unknown(spec, {"low", "high", "step", "log"}, where, fail)
    if not batch:
        raise fail(
            where,
            f"is not a numeric batch-engine input, so it takes choices = [...]; ranges are "
            f"allowed for: {', '.join(sorted(numeric))}",
        )
    if "low" not in spec or "high" not in spec:
        raise fail(where, "a range needs low and high, e.g. { low = 20, high = 60 }")
    low, high = spec["low"], spec["high"]
    if not all(_number(v) for v in (low, high)):
        raise fail(where, "low and high must be numbers")
    if not low < high:
        raise fail(where, f"low must be below high, got {low!r} and {high!r}")
    integer = key.rsplit(".", 1)[-1] in INTEGERS
    if integer and (low != math.floor(low) or high != math.floor(high)):
        raise fail(where, "counts things: low and high must be whole numbers")
    step = spec.get("step")
    if step is not None and (not _number(step) or step <= 0):
        raise fail(f"{where}.step", f"must be a number above 0, got {step!r}")
    if step is not None and integer and step != math.floor(step):
        raise fail(f"{where}.step", "counts things: the step must be a whole number")
    log = spec.get("log", False)
    if not isinstance(log, bool):
        raise fail(f"{where}.log", "must be true or false")
    if log and (low <= 0 or step is not None):
        raise fail(f"{where}.log", "a log scale needs low above 0 and no step")
    kind = "integer" if integer else "real"
    return Decision(key, kind, float(low), float(high), step and float(step), log)


def _uncertainties(
    table: Any, scenario: Scenario, decisions: tuple[Decision, ...], fail: Fail
) -> tuple[Uncertainty, ...]:
    if not isinstance(table, dict):
        raise fail("uncertainties", 'must be a table of key paths, e.g. "ceasefire.breach_rate"')
    numeric = batch_parameters(scenario, 1).values
    decided = {d.key for d in decisions}
    found = []
    for key, spec in table.items():
        where = f"uncertainties.{key}"
        if key not in numeric:
            raise fail(
                where,
                f"must be a numeric batch-engine input (drawn per replication); "
                f"known: {', '.join(sorted(numeric))}",
            )
        if key in decided:
            raise fail(where, "is a decision too: an input is decided or uncertain, not both")
        if not isinstance(spec, dict) or spec.get("dist") not in DISTS:
            raise fail(f"{where}.dist", f"must be one of {', '.join(DISTS)}")
        dist = spec["dist"]
        needed = {"dist", "low", "high"} | ({"mode"} if dist == "triangular" else set())
        if set(spec) != needed:
            names = ", ".join(sorted(needed - {"dist"}))
            raise fail(where, f"a {dist} uncertainty takes exactly {names}")
        values = [spec[k] for k in sorted(needed - {"dist"})]
        if not all(_number(v) for v in values):
            raise fail(where, f"{', '.join(sorted(needed - {'dist'}))} must be numbers")
        low, high, mode = spec["low"], spec["high"], spec.get("mode", math.nan)
        if not 0 <= low < high:
            raise fail(where, f"needs 0 <= low < high, got {low!r} and {high!r}")
        if dist == "loguniform" and low <= 0:
            raise fail(f"{where}.low", "a log-uniform range needs low above 0")
        if dist == "triangular" and not low <= mode <= high:
            raise fail(f"{where}.mode", f"must lie between low and high, got {mode!r}")
        found.append(Uncertainty(key, dist, float(low), float(high), float(mode)))
    return tuple(found)


def _constraints(value: Any, known: list[str], fail: Fail) -> tuple[Constraint, ...]:
    if not isinstance(value, list) or not all(isinstance(c, dict) for c in value):
        raise fail("constraints", "must be [[constraints]] tables, each with a metric")
    found = []
    names = set()
    for i, spec in enumerate(value):
        where = f"constraints.{i}"
        _no_unknown(spec, CONSTRAINT_KEYS, where, fail)
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
        if not _number(threshold):
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
            if not _number(probability) or not 0 <= probability < 1:
                raise fail(
                    f"{where}.probability_at_most",
                    f"must be a probability from 0 up to (not including) 1, got {probability!r}",
                )
            tolerance = DEFAULTS["chance_tolerance"] if tolerance is None else tolerance
            sense = kind
        if not _number(tolerance) or tolerance <= 0:
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


def _certify(table: Any, objectives: int, reps: int, fail: Fail) -> Certify:
    if not isinstance(table, dict):
        raise fail("certify", "must be a table with at least delta, the indifference zone")
    _no_unknown(table, CERTIFY_KEYS, "certify", fail)
    delta = table.get("delta")
    if not _number(delta) or delta <= 0:
        raise fail(
            "certify.delta",
            f"must be a number above 0 in the objective's unit (the smallest difference "
            f"worth telling apart), got {delta!r}",
        )
    alpha = table.get("alpha", DEFAULTS["alpha"])
    if not _number(alpha) or not 0 < alpha < 0.5:
        raise fail("certify.alpha", f"must be a number between 0 and 0.5, got {alpha!r}")

    def setting(name: str, least: int) -> int:
        return _whole(table.get(name, DEFAULTS[name]), f"certify.{name}", least, fail)

    shortlist = setting("shortlist", 1)
    first = setting("first_stage", 2)
    cap = setting("max_reps", first)
    ranked = table.get("objective", 0)
    if isinstance(ranked, bool) or ranked not in range(objectives):
        allowed = "0" if objectives == 1 else "0 or 1"
        raise fail("certify.objective", f"must be the objective's index, {allowed}")
    return Certify(shortlist, float(alpha), float(delta), first, cap, ranked)


def shown(value: object) -> str:
    """A decision's value as reports show it: reals to 4 significant digits."""
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _metric(metric: Any, known: list[str], where: str, fail: Fail) -> str:
    if not isinstance(metric, str) or metric not in known:
        raise fail(where, f"{metric!r} is not a metric of the base; known: {', '.join(known)}")
    return metric


def _table(value: Any, where: str, keys: set[str], fail: Fail) -> dict:
    if not isinstance(value, dict):
        raise fail(where, f"must be a table with {', '.join(sorted(keys))}")
    _no_unknown(value, keys, where, fail)
    return value


def _no_unknown(table: dict, allowed: set[str], where: str, fail: Fail) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        key = f"{where}.{unknown[0]}" if where else unknown[0]
        raise fail(key, f"unknown key; allowed: {', '.join(sorted(allowed))}")


def _whole(value: Any, key: str, least: int, fail: Fail) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise fail(key, f"must be a whole number >= {least}, got {value!r}")
    return value


def _number(value: object) -> TypeGuard[float]:
    """Whether ``value`` is a finite number (booleans are not numbers)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _plain(item: Any) -> dict[str, Any]:
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in vars(item).items()}
