"""Targets files: the reported figures a scenario is calibrated to, and the free parameters.

A targets file names a scenario, the figures it should reproduce (each a per-replication
metric with its reported value, the uncertainty that weights it in the distance, its range,
the clock time it refers to and its source) and the free parameters with their priors::

    scenario = "../aleppo_2016.toml"      # relative to the targets file
    seed = 2016
    draws = 131072                        # prior draws (a power of two)
    accept = 0.005                        # share of draws kept: the closest ones

    [targets.evacuated_by_halt]
    value = 9000                          # people; a date-time for moments
    sigma = 500                           # its weight in the distance, same unit
    low = 8000
    high = 9500
    at = 2016-12-16T11:00:00
    source = "CNN 17 Dec"
    sensitivity = [8000, 9500]            # disputed: refit with these values too

    [targets.crossed_private]             # a figure no single metric gives:
    sum = ["crossed_wednesday", "crossed_thursday"]   # the sum of these metrics
    value = 1231
    ...

    [parameters."fleet.buses.crowding"]
    prior = "uniform"                     # or "loguniform"
    low = 1.0
    high = 2.5
    source = "loads 40-60, 70-100 crammed (sources.md)"

Every mistake raises :class:`~sim.errors.ScenarioError` naming the file and the key.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from sim.engines.batch_params import batch_parameters, is_count
from sim.errors import ScenarioError
from sim.inputs.library import check_kind, locate
from sim.inputs.limits import MAX_REPS, MAX_SEED
from sim.inputs.loader import load_scenario
from sim.inputs.recording import DATETIME_SCHEMA
from sim.inputs.scenario import Scenario
from sim.inputs.schema import MISSING, Table
from sim.inputs.sources import Sources, read_toml
from sim.outputs.records import metric_names

#: Prior families: a draw is ``low + u (high - low)``, on a log scale for ``loguniform``.
PRIORS = ("uniform", "loguniform")
#: JSON Schema of what the reader checks by hand (``evacsim schema`` writes them out).
AMOUNT = {"anyOf": [{"type": "number"}, DATETIME_SCHEMA]}
NUMBERS = {"type": "array", "items": {"type": "number"}}
SUM = {"type": "array", "minItems": 2, "uniqueItems": True, "items": {"type": "string"}}


@dataclass(frozen=True)
class Target:
    """One reported figure.

    Attributes
    ----------
    metric : str
        The per-replication metric it is compared with (see ``sim.outputs.records.metric_names``),
        or, with ``parts``, the name of the sum of those metrics.
    value, sigma, low, high : float
        Reported value, its uncertainty (the distance's scale) and its reported range, in
        the metric's unit (people, convoys, or hours from the scenario start for moments).
    at : float
        Hours from the scenario start of the clock time the figure refers to.
    source : str
    sensitivity : tuple of float
        Disputed alternative values the fit is repeated with.
    parts : tuple of str
        Metrics whose sum the figure is (a total over pools or private streams); empty
        when the figure is the metric ``metric`` itself.
    """

    metric: str
    value: float
    sigma: float
    low: float
    high: float
    at: float
    source: str
    sensitivity: tuple[float, ...] = ()
    parts: tuple[str, ...] = ()

    def simulated(self, metrics: Mapping[str, np.ndarray]) -> np.ndarray:
        """The figure in each replication of a run's ``metrics`` (a sum with ``parts``)."""
        if not self.parts:
            return metrics[self.metric]
        return np.sum([metrics[m] for m in self.parts], axis=0)


@dataclass(frozen=True)
class Prior:
    """A free parameter: a numeric scenario input (batch-engine key path) and its prior.

    Inputs that count things (``count``, ``seats``, ``per_convoy`` ...) take the whole
    numbers ``low .. high``, each equally likely.
    """

    path: str
    prior: str
    low: float
    high: float
    source: str

    @property
    def integer(self) -> bool:
        """Whether the input is a whole number."""
        return is_count(self.path)

    def transform(self, u: np.ndarray) -> np.ndarray:
        """Parameter values for uniforms ``u`` in [0, 1) (inverse CDF of the prior)."""
        if self.integer:
            return np.minimum(np.floor(self.low + u * (self.high - self.low + 1)), self.high)
        if self.prior == "loguniform":
            return np.exp(np.log(self.low) + u * (np.log(self.high) - np.log(self.low)))
        return self.low + u * (self.high - self.low)


@dataclass(frozen=True)
class Targets:
    """A parsed targets file.

    Attributes
    ----------
    path : str
    scenario : Scenario
    targets : tuple of Target
    priors : tuple of Prior
    seed, draws : int
    accept : float
        Share of the draws kept (the closest), in (0, 1).
    refine_reps : int
        Replications per candidate point in the refinement (common random numbers).
    """

    path: str
    scenario: Scenario
    targets: tuple[Target, ...]
    priors: tuple[Prior, ...]
    seed: int
    draws: int
    accept: float
    refine_reps: int

    def with_value(self, metric: str, value: float) -> Targets:
        """The same file with one target's reported value replaced."""
        targets = tuple(replace(t, value=value) if t.metric == metric else t for t in self.targets)
        return replace(self, targets=targets)


def load_targets(path: str | Path) -> Targets:
    """Read and check a targets file.

    Raises
    ------
    ScenarioError
        For a missing or malformed file, an unknown key, metric or parameter path, or an
        impossible value, naming the file and the key.
    """
    path = locate(path, "targets")
    source = str(path)
    data = read_toml(path, "targets file")
    check_kind(data, path, "targets")
    root = Table(data, (), Sources(data=data, top=source, kind="targets"))
    file = _text(root, "scenario")
    scenario = load_scenario(os.path.normpath(Path(path).parent / file))
    metrics = set(metric_names(scenario))
    inputs = set(batch_parameters(scenario, 1).values)
    targets = _section(root, "targets", identifiers=True)
    priors = _section(root, "parameters", identifiers=False)
    found = Targets(
        path=source,
        scenario=scenario,
        targets=tuple(_target(name, t, scenario, metrics) for name, t in targets),
        priors=tuple(_prior(name, p, inputs) for name, p in priors),
        seed=root.number("seed", minimum=0, maximum=MAX_SEED, integer=True),
        draws=root.number("draws", minimum=2, maximum=MAX_REPS, integer=True, unit="draws"),
        accept=root.number("accept", above=0, maximum=1, unit="(a share of the draws)"),
        refine_reps=root.number(
            "refine_reps", minimum=1, maximum=MAX_REPS, integer=True, unit="replications"
        ),
    )
    if found.accept == 1:
        raise root.error("accept", "must be below 1: a share of the draws to keep")
    root.close()
    return found


def _section(root: Table, key: str, identifiers: bool) -> list[tuple[str, Table]]:
    entries = root.table(key).named_tables(identifiers)
    if not entries:
        raise root.error(key, "must be a table with at least one entry")
    return entries


def _target(name: str, t: Table, scenario: Scenario, metrics: set[str]) -> Target:
    key = f"targets.{name}"
    source = t.sources.top
    parts = _parts(t, name, metrics, scenario)

    def amount(field: str, default: Any = MISSING) -> float:
        value = t.raw(field, default, "a number or a local date-time", AMOUNT)
        if isinstance(value, datetime):  # a moment: hours from the scenario start
            return (value - scenario.start).total_seconds() / 3600
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ScenarioError(source, f"{key}.{field}", "must be a number or a local date-time")
        return float(value)

    value = amount("value")
    sigma = t.number("sigma", above=0, unit="(in the target's unit)")
    low, high = amount("low", value), amount("high", value)
    if not low <= value <= high:
        raise ScenarioError(
            source, f"{key}.low", f"need low <= value <= high, got {low:g}, {value:g}, {high:g}"
        )
    at = t.raw("at", allowed="the local date-time the figure refers to", schema=DATETIME_SCHEMA)
    if not isinstance(at, datetime):
        raise ScenarioError(source, f"{key}.at", "must be the local date-time the figure refers to")
    sensitivity = t.raw("sensitivity", [], "a list of alternative values", NUMBERS)
    if not isinstance(sensitivity, list):
        raise ScenarioError(source, f"{key}.sensitivity", "must be a list of alternative values")
    target = Target(
        metric=name,
        value=value,
        sigma=sigma,
        low=low,
        high=high,
        at=(at - scenario.start).total_seconds() / 3600,
        source=_text(t, "source"),
        sensitivity=tuple(amount_of(v, f"{key}.sensitivity", source) for v in sensitivity),
        parts=parts,
    )
    t.close()
    return target


def _parts(t: Table, name: str, metrics: set[str], scenario: Scenario) -> tuple[str, ...]:
    """The metrics a target sums (``sum``), or none when it names a metric itself."""
    key, source = f"targets.{name}", t.sources.top
    if not t.has("sum"):
        if name not in metrics:
            raise ScenarioError(
                source, key, f"not a metric of {scenario.name}; see results/README.md"
            )
        return ()
    if name in metrics:
        raise ScenarioError(
            source, f"{key}.sum", f"{name} is a metric already; name the sum otherwise"
        )
    parts = t.raw("sum", allowed="a list of at least two metric names", schema=SUM)
    if not isinstance(parts, list) or len(parts) < 2 or not all(isinstance(m, str) for m in parts):
        raise ScenarioError(source, f"{key}.sum", "must be a list of at least two metric names")
    for m in parts:
        if m not in metrics:
            raise ScenarioError(source, f"{key}.sum", f"{m!r} is not a metric of {scenario.name}")
    if len(set(parts)) != len(parts):
        raise ScenarioError(source, f"{key}.sum", "names a metric twice")
    return tuple(parts)


def amount_of(value: Any, key: str, source: str) -> float:
    """A plain number from a targets file (booleans are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScenarioError(source, key, f"must be a number, got {value!r}")
    return float(value)


def _prior(path: str, p: Table, inputs: set[str]) -> Prior:
    key, source = f"parameters.{path}", p.sources.top
    if path not in inputs:
        raise ScenarioError(
            source, key, "not a numeric scenario input; see sim/engines/batch_params.py"
        )
    prior = p.text("prior", choices=PRIORS)
    low = p.number("low", minimum=0, unit="(in the input's unit)")
    high = p.number("high", minimum=0, unit="(in the input's unit)")
    if not low < high:
        raise ScenarioError(source, f"{key}.high", f"must be above low ({low:g}), got {high:g}")
    result = Prior(path, prior, low, high, _text(p, "source"))
    p.close()
    if result.integer and (low != math.floor(low) or high != math.floor(high)):
        raise ScenarioError(source, f"{key}.low", "a count: low and high must be whole numbers")
    if prior == "loguniform" and low <= 0:
        raise ScenarioError(source, f"{key}.low", "must be > 0 for a loguniform prior")
    return result


def _text(t: Table, name: str) -> str:
    """A text that must not be empty."""
    value = t.text(name)
    if not value:
        raise t.error(name, "must be a non-empty text")
    return value
