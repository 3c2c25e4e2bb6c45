"""Scenario parameters for the batch engine: each a scalar, or one value per replication.

A batch may mix sweep points or calibration draws: any numeric parameter of the scenario can
be given as an array of shape ``(R,)`` by its key path, e.g.
``{"fleet.buses.crowding": np.array([...]), "route.to_reception.mean": np.array([...])}``.
Everything else keeps the scenario's scalar value, and the engine's fast paths stay scalar.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammaincinv, ndtri

from sim.errors import ScenarioError
from sim.inputs.scenario import Scenario
from sim.model.distributions import CV_FIXED, Distribution

Value = float | np.ndarray

#: Inputs that count things and must stay whole numbers.
INTEGERS = (
    "count",
    "seats",
    "per_convoy",
    "min_vehicles",
    "max_in_corridor",
    "people",
    "lanes",
    "vehicles",
    "convoy_size",
    "load",
)


def pick(value: Value, idx: np.ndarray) -> Value:
    """The value for replications ``idx``: a scalar stays a scalar."""
    return value[idx] if isinstance(value, np.ndarray) else value


@dataclass
class BatchDistribution:
    """A duration distribution whose parameters may differ per replication.

    Its ``ppf`` gives exactly :meth:`sim.model.distributions.Distribution.ppf` for scalar
    parameters (the same operations in the same order).
    """

    dist: str
    params: dict[str, Value]

    def ppf(self, u: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """Durations (hours) for uniforms ``u`` of replications ``idx``."""
        p = {k: pick(v, idx) for k, v in self.params.items()}
        if all(not isinstance(v, np.ndarray) for v in p.values()):
            scalar = Distribution(self.dist, tuple((k, float(v)) for k, v in p.items()))
            return scalar.ppf(u)
        if self.dist == "fixed":
            return np.broadcast_to(p["value"], u.shape).astype(float)
        if self.dist == "exponential":
            return -np.log1p(-u) * p["mean"]
        if self.dist == "uniform":
            return p["low"] + (p["high"] - p["low"]) * u
        if self.dist == "triangular":
            low, mode, high = p["low"], p["mode"], p["high"]
            span = np.where(high > low, high - low, 1.0)
            cut = (mode - low) / span
            rising = low + np.sqrt(u * (high - low) * (mode - low))
            falling = high - np.sqrt((1 - u) * (high - low) * (high - mode))
            return np.where(u < cut, rising, falling)
        cv, mean = p["cv"], p["mean"]
        if self.dist == "lognormal":
            sigma2 = np.log1p(cv**2)
            mu = np.log(mean) - sigma2 / 2
            return np.where(cv < CV_FIXED, mean, np.exp(mu + np.sqrt(sigma2) * ndtri(u)))
        fixed = cv < CV_FIXED
        shape = 1 / np.where(fixed, 1.0, cv) ** 2  # gamma
        return np.where(fixed, mean, gammaincinv(shape, u) * (mean / shape))


@dataclass
class BatchParameters:
    """Every numeric input the batch engine reads, scalar or per replication."""

    values: dict[str, Value]

    def __getitem__(self, key: str) -> Value:
        return self.values[key]

    def dist(self, key: str, base: Distribution) -> BatchDistribution:
        """The distribution at ``key`` with any per-replication parameters."""
        params = {name: self.values.get(f"{key}.{name}", value) for name, value in base.params}
        return BatchDistribution(base.dist, params)


def batch_parameters(
    scenario: Scenario, reps: int, arrays: dict[str, np.ndarray] | None = None
) -> BatchParameters:
    """Collect the scenario's numeric inputs, replacing those given as ``(reps,)`` arrays.

    As when loading a file, a pool whose ``per_convoy`` the file leaves out sends all its
    vehicles: its ``per_convoy`` follows a ``count`` given per replication.

    Raises
    ------
    ScenarioError
        For an unknown key path, an array of the wrong shape, or an impossible value.
    """
    values: dict[str, Value] = {}
    for p in scenario.pools:
        for name in ("count", "seats", "crowding", "available_at", "per_convoy"):
            values[f"fleet.{p.name}.{name}"] = float(getattr(p, name))
        for name in ("load_time", "unload_time"):
            for k, v in getattr(p, name).params:
                values[f"fleet.{p.name}.{name}.{k}"] = v
    for g in scenario.groups:
        if g.leaving is not None:
            values[f"population.{g.name}.leaving.after"] = g.leaving.after
            values[f"population.{g.name}.leaving.share"] = g.leaving.share
    for name in ("min_vehicles", "max_wait", "headway", "max_in_corridor"):
        values[f"convoy.{name}"] = float(getattr(scenario.convoy, name))
    route = scenario.route
    for name in ("to_checkpoint", "inspection", "to_reception", "return_trip"):
        for k, v in getattr(route, name).params:
            values[f"route.{name}.{k}"] = v
    values["route.incident_probability"] = route.incident_probability
    rules = scenario.ceasefire
    values["ceasefire.breach_rate"] = rules.breach_rate
    values["ceasefire.max_hold"] = rules.max_hold
    for name in ("negotiation", "guarantee"):
        dist = getattr(rules, name)
        for k, v in dist.params if dist else ():
            values[f"ceasefire.{name}.{k}"] = v
    linkage = scenario.linkage
    if linkage is not None:
        for name in ("people", "per_convoy", "start", "max_lag", "lag_breach_rate"):
            values[f"linkage.{name}"] = float(getattr(linkage, name))
        for k, v in linkage.trip.params:
            values[f"linkage.trip.{k}"] = v
    exchange = scenario.exchange
    if exchange is not None:
        for name in ("people", "vehicles", "convoy_size", "load", "start", "headway"):
            values[f"linkage.{name}"] = float(getattr(exchange, name))
        for name in ("to_meeting", "from_meeting", "return_trip"):
            for k, v in getattr(exchange, name).params:
                values[f"linkage.{name}.{k}"] = v
    crossing = scenario.crossing
    if crossing is not None:
        values["crossing.lanes"] = crossing.lanes
        values["crossing.vehicles_per_hour"] = crossing.vehicles_per_hour
    for stream in scenario.private:
        for k, v in stream.load.params:
            values[f"private.{stream.name}.people.{k}"] = v
    for key, array in (arrays or {}).items():
        if key not in values:
            known = ", ".join(sorted(values))
            raise ScenarioError("parameters", key, f"not a numeric scenario input; known: {known}")
        array = np.asarray(array, dtype=float)
        if array.shape != (reps,):
            raise ScenarioError(
                "parameters",
                key,
                f"must have one value per replication (shape ({reps},)), got shape {array.shape}",
            )
        if np.isnan(array).any() or (array < 0).any():
            raise ScenarioError("parameters", key, "must be >= 0 in every replication")
        if key.rsplit(".", 1)[-1] in INTEGERS and (array != np.floor(array)).any():
            raise ScenarioError("parameters", key, "must be whole numbers")
        values[key] = array
    if exchange is not None:  # the linked site's convoys need a vehicle and a person each
        size, vehicles = values["linkage.convoy_size"], values["linkage.vehicles"]
        if np.any(np.asarray(values["linkage.load"]) < 1) or np.any(np.asarray(size) < 1):
            raise ScenarioError("parameters", "linkage.load", "load and convoy_size must be >= 1")
        if np.any(np.asarray(vehicles) < np.asarray(size)):
            raise ScenarioError("parameters", "linkage.vehicles", "must be >= convoy_size")
    for p in scenario.pools:
        # a pool whose file leaves per_convoy out sends all its vehicles, as loading does
        count = arrays.get(f"fleet.{p.name}.count") if arrays else None
        named = "per_convoy" in scenario.document.get("fleet", {}).get(p.name, {})
        if count is not None and not named and f"fleet.{p.name}.per_convoy" not in arrays:
            entering = p.most - p.count
            values[f"fleet.{p.name}.per_convoy"] = np.maximum(count + entering, 1)
    return BatchParameters(values)
