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

from sim.engines.batch_params import INTEGERS, batch_parameters
from sim.errors import ScenarioError
from sim.inputs.library import locate
from sim.inputs.loader import load_scenario
from sim.inputs.scenario import Scenario
from sim.inputs.sources import read_toml
from sim.outputs.records import metric_names

#: Prior families: a draw is ``low + u (high - low)``, on a log scale for ``loguniform``.
PRIORS = ("uniform", "loguniform")
SETTINGS = {"scenario", "seed", "draws", "accept", "refine_reps", "targets", "parameters"}
TARGET_KEYS = {"value", "sigma", "low", "high", "at", "source", "sensitivity", "sum"}
PARAMETER_KEYS = {"prior", "low", "high", "source"}


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
        return self.path.rsplit(".", 1)[-1] in INTEGERS

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
    unknown = sorted(set(data) - SETTINGS)
    if unknown:
        raise ScenarioError(
            source, unknown[0], f"unknown key; allowed: {', '.join(sorted(SETTINGS))}"
        )
    file = _text(data, "scenario", source)
    scenario = load_scenario(os.path.normpath(Path(path).parent / file))
    metrics = set(metric_names(scenario))
    inputs = set(batch_parameters(scenario, 1).values)
    targets = _section(data, "targets", source)
    priors = tuple(
        _prior(name, p, inputs, source) for name, p in _section(data, "parameters", source).items()
    )
    return Targets(
        path=source,
        scenario=scenario,
        targets=tuple(_target(name, t, scenario, metrics, source) for name, t in targets.items()),
        priors=priors,
        seed=int(_number(data, "seed", source, minimum=0, integer=True)),
        draws=int(_number(data, "draws", source, minimum=2, integer=True)),
        accept=_number(data, "accept", source, minimum=0, maximum=1, open_range=True),
        refine_reps=int(_number(data, "refine_reps", source, minimum=1, integer=True)),
    )


def _section(data: dict, key: str, source: str) -> dict[str, dict]:
    section = data.get(key)
    if not isinstance(section, dict) or not section:
        raise ScenarioError(source, key, "must be a table with at least one entry")
    for name, entry in section.items():
        if not isinstance(entry, dict):
            raise ScenarioError(source, f"{key}.{name}", "must be a table")
    return section


def _target(name: str, t: dict, scenario: Scenario, metrics: set[str], source: str) -> Target:
    key = f"targets.{name}"
    _known(t, TARGET_KEYS, key, source)
    parts = _parts(t, name, metrics, scenario, key, source)

    def amount(field: str, default: float | None = None) -> float:
        value = t.get(field, default)
        if isinstance(value, datetime):  # a moment: hours from the scenario start
            return (value - scenario.start).total_seconds() / 3600
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ScenarioError(source, f"{key}.{field}", "must be a number or a local date-time")
        return float(value)

    value = amount("value")
    sigma = _number(t, "sigma", source, minimum=0, open_range=True, prefix=key)
    low, high = amount("low", value), amount("high", value)
    if not low <= value <= high:
        raise ScenarioError(
            source, f"{key}.low", f"need low <= value <= high, got {low:g}, {value:g}, {high:g}"
        )
    at = t.get("at")
    if not isinstance(at, datetime):
        raise ScenarioError(source, f"{key}.at", "must be the local date-time the figure refers to")
    sensitivity = t.get("sensitivity", [])
    if not isinstance(sensitivity, list):
        raise ScenarioError(source, f"{key}.sensitivity", "must be a list of alternative values")
    return Target(
        metric=name,
        value=value,
        sigma=sigma,
        low=low,
        high=high,
        at=(at - scenario.start).total_seconds() / 3600,
        source=_text(t, "source", source, prefix=key),
        sensitivity=tuple(amount_of(v, f"{key}.sensitivity", source) for v in sensitivity),
        parts=parts,
    )


def _parts(
    t: dict, name: str, metrics: set[str], scenario: Scenario, key: str, source: str
) -> tuple[str, ...]:
    """The metrics a target sums (``sum``), or none when it names a metric itself."""
    if "sum" not in t:
        if name not in metrics:
            raise ScenarioError(
                source, key, f"not a metric of {scenario.name}; see results/README.md"
            )
        return ()
    if name in metrics:
        raise ScenarioError(
            source, f"{key}.sum", f"{name} is a metric already; name the sum otherwise"
        )
    parts = t["sum"]
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


def _prior(path: str, p: dict, inputs: set[str], source: str) -> Prior:
    key = f"parameters.{path}"
    if path not in inputs:
        raise ScenarioError(
            source, key, "not a numeric scenario input; see sim/engines/batch_params.py"
        )
    _known(p, PARAMETER_KEYS, key, source)
    prior = p.get("prior")
    if prior not in PRIORS:
        raise ScenarioError(
            source, f"{key}.prior", f"must be one of {', '.join(PRIORS)}, got {prior!r}"
        )
    low = _number(p, "low", source, minimum=0, prefix=key)
    high = _number(p, "high", source, minimum=0, prefix=key)
    if not low < high:
        raise ScenarioError(source, f"{key}.high", f"must be above low ({low:g}), got {high:g}")
    result = Prior(path, prior, low, high, _text(p, "source", source, prefix=key))
    if result.integer and (low != math.floor(low) or high != math.floor(high)):
        raise ScenarioError(source, f"{key}.low", "a count: low and high must be whole numbers")
    if prior == "loguniform" and low <= 0:
        raise ScenarioError(source, f"{key}.low", "must be > 0 for a loguniform prior")
    return result


def _known(table: dict, allowed: set[str], key: str, source: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ScenarioError(
            source, f"{key}.{unknown[0]}", f"unknown key; allowed: {', '.join(sorted(allowed))}"
        )


def _text(table: dict, name: str, source: str, prefix: str = "") -> str:
    key = f"{prefix}.{name}" if prefix else name
    value = table.get(name)
    if not isinstance(value, str) or not value:
        raise ScenarioError(source, key, "must be a non-empty text")
    return value


def _number(
    table: dict,
    name: str,
    source: str,
    minimum: float | None = None,
    maximum: float | None = None,
    integer: bool = False,
    open_range: bool = False,
    prefix: str = "",
) -> float:
    """A number within bounds (exclusive ones if ``open_range``)."""
    key = f"{prefix}.{name}" if prefix else name
    if name not in table:
        raise ScenarioError(source, key, "missing")
    value = amount_of(table[name], key, source)
    if integer and value != math.floor(value):
        raise ScenarioError(source, key, f"must be a whole number, got {value:g}")
    below = minimum is not None and (value <= minimum if open_range else value < minimum)
    above = maximum is not None and (value >= maximum if open_range else value > maximum)
    if below or above:
        bound = "between" if maximum is not None else ("above" if open_range else "at least")
        limits = f"{minimum:g} and {maximum:g}" if maximum is not None else f"{minimum:g}"
        raise ScenarioError(source, key, f"must be {bound} {limits}, got {value:g}")
    return value
