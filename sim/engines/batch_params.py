"""Scenario parameters for the batch engine: each a scalar, or one value per replication.

A batch may mix sweep points or calibration draws: any numeric parameter of the scenario can
be given as an array of shape ``(R,)`` by its key path, e.g.
``{"fleet.buses.crowding": np.array([...]), "route.to_reception.mean": np.array([...])}``.
Everything else keeps the scenario's scalar value, and the engine's fast paths stay scalar.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import gammaincinv, ndtri

from sim.engines.batch_entries import (
    arrival_entries,
    change_entries,
    column_entries,
    period_entries,
)
from sim.errors import ScenarioError
from sim.inputs.scenario import MAX_COLUMN, Period, Scenario
from sim.inputs.spread import share_out
from sim.model.distributions import CV_FIXED, Distribution, gamma_terms, lognormal_terms
from sim.model.periods import SCALAR_RULES

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
    "enter",
    "leave",
    "total",
    "vehicles",
    "convoy_size",
    "load",
)


def is_count(key: str) -> bool:
    """Whether the input at key path ``key`` counts things (a whole number): its last part is
    one of ``INTEGERS``, or it is a period's ``per_convoy`` of a pool
    (``periods.3.per_convoy.buses``)."""
    parts = key.rsplit(".", 2)
    return parts[-1] in INTEGERS or (len(parts) == 3 and parts[-2] == "per_convoy")


#: Inputs a scenario file requires to be at least 1 (by the last part of the key path):
#: counts of things a convoy, lane or corridor needs one of, and load factors (a column's or
#: the linked site's vehicles have checks of their own, below).
AT_LEAST_ONE = (
    "seats",
    "per_convoy",
    "min_vehicles",
    "max_in_corridor",
    "lanes",
    "convoy_size",
    "load",
    "enter",
    "leave",
    "crowding",
)
#: Inputs a scenario file requires to be above 0: a duration's mean, a rate of passage, a
#: factor on durations and the longest hold (0 would stop the operation or divide by 0).
ABOVE_ZERO = ("mean", "vehicles_per_hour", "travel_factor", "inspection_factor", "max_hold")


def needs_one(key: str) -> bool:
    """Whether the input at key path ``key`` must be at least 1: its last part is one of
    ``AT_LEAST_ONE``, or it is a period's ``per_convoy`` or ``crowding`` of a pool
    (``periods.3.crowding.buses``)."""
    parts = key.rsplit(".", 2)
    return parts[-1] in AT_LEAST_ONE or (len(parts) == 3 and parts[-2] in AT_LEAST_ONE)


#: Rules a period may set with one number (the others are by pool or group, or a flag).
PERIOD_NUMBERS = tuple(rule for rule in SCALAR_RULES if rule != "board_while_suspended")


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
    scalar: Distribution | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # with scalar parameters the scenario's own transform, built once: ppf runs per event
        self.scalar = (
            Distribution(self.dist, tuple((k, float(v)) for k, v in self.params.items()))
            if all(not isinstance(v, np.ndarray) for v in self.params.values())
            else None
        )

    def ppf(self, u: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """Durations (hours) for uniforms ``u`` of replications ``idx``; ``idx`` broadcasts
        against ``u`` (a column ``(R, 1)`` for a table of uniforms by replication)."""
        if self.scalar is not None:
            return self.scalar.ppf(u)
        p = {k: pick(v, idx) for k, v in self.params.items()}
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
            mu, sigma = lognormal_terms(mean, cv)
            return np.where(cv < CV_FIXED, mean, np.exp(mu + sigma * ndtri(u)))
        fixed = cv < CV_FIXED
        shape, scale = gamma_terms(mean, np.where(fixed, 1.0, cv))
        return np.where(fixed, mean, gammaincinv(shape, u) * scale)


@dataclass
class BatchParameters:
    """Every numeric input the batch engine reads, scalar or per replication.

    Attributes
    ----------
    values : dict of str to float or ndarray
        By key path; an array has one value per replication.
    periods : tuple of str
        The key path of each of the scenario's periods (in its time order), e.g. ``periods.2``.
    changes : tuple of tuple of str
        The key path of each of each pool's fleet changes, e.g. ``fleet.buses.changes.0.leave``.
    arrivals : tuple of tuple of (float or ndarray)
        People in each of each group's arrival batches (in time order).
    columns : tuple of (float or ndarray)
        Vehicles in each of the scenario's private columns (``Scenario.private_columns``).
    """

    values: dict[str, Value]
    periods: tuple[str, ...] = ()
    changes: tuple[tuple[str, ...], ...] = ()
    arrivals: tuple[tuple[Value, ...], ...] = ()
    columns: tuple[Value, ...] = ()

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
    changes = []
    for p in scenario.pools:
        for name in ("count", "seats", "crowding", "available_at", "per_convoy"):
            values[f"fleet.{p.name}.{name}"] = float(getattr(p, name))
        for name in ("load_time", "unload_time"):
            for k, v in getattr(p, name).params:
                values[f"fleet.{p.name}.{name}.{k}"] = v
        keys = []
        for i, change in zip(change_entries(scenario, p.name), p.changes, strict=True):
            way = "enter" if change.vehicles > 0 else "leave"
            keys.append(f"fleet.{p.name}.changes.{i}.{way}")
            values[keys[-1]] = float(abs(change.vehicles))
        changes.append(tuple(keys))
    document = scenario.document
    arrivals = []
    for g in scenario.groups:
        values[f"population.{g.name}.count"] = float(g.count)
        entries = arrival_entries(scenario, g.name)
        for i in dict.fromkeys(entries):
            entry = document["population"][g.name]["arrivals"][i]
            field = "count" if "count" in entry else "total"
            values[f"population.{g.name}.arrivals.{i}.{field}"] = float(entry[field])
        arrivals.append(entries)
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
        if exchange.halt_duration is not None:  # random halts: a rate and a duration
            values["linkage.halt_rate"] = exchange.halt_rate
            for k, v in exchange.halt_duration.params:
                values[f"linkage.halt_duration.{k}"] = v
        clause = exchange.after_safe
        if clause is not None and clause.people is not None:
            values["linkage.after_safe.people"] = float(clause.people)
    crossing = scenario.crossing
    if crossing is not None:
        values["crossing.lanes"] = crossing.lanes
        values["crossing.vehicles_per_hour"] = crossing.vehicles_per_hour
    columns = []
    for stream in scenario.private:
        for k, v in stream.load.params:
            values[f"private.{stream.name}.people.{k}"] = v
        entries = column_entries(scenario, stream.name)
        for i, (_, n) in zip(entries, stream.columns, strict=True):
            values[f"private.{stream.name}.columns.{i}.vehicles"] = float(n)
        columns += [f"private.{stream.name}.columns.{i}.vehicles" for i in entries]
    periods = tuple(f"periods.{i}" for i in period_entries(scenario))
    for key, period in zip(periods, scenario.periods, strict=True):
        values.update(_period_values(key, period))
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
        last = key.rsplit(".", 1)[-1]
        if is_count(key) and (array != np.floor(array)).any():
            raise ScenarioError("parameters", key, "must be whole numbers")
        # as a scenario file would (sim.inputs), so no replication runs a model it refuses
        if needs_one(key) and (array < 1).any():
            raise ScenarioError("parameters", key, "must be >= 1 in every replication")
        if last in ABOVE_ZERO and (array <= 0).any():
            raise ScenarioError("parameters", key, "must be > 0 in every replication")
        if (last == "share" or ".send_home." in key) and (array > 1).any():
            raise ScenarioError("parameters", key, "a share: must be <= 1 in every replication")
        values[key] = array
    if exchange is not None:  # the linked site's convoys need a vehicle and a person each
        size, vehicles = values["linkage.convoy_size"], values["linkage.vehicles"]
        if np.any(np.asarray(values["linkage.load"]) < 1) or np.any(np.asarray(size) < 1):
            raise ScenarioError("parameters", "linkage.load", "load and convoy_size must be >= 1")
        if np.any(np.asarray(vehicles) < np.asarray(size)):
            raise ScenarioError("parameters", "linkage.vehicles", "must be >= convoy_size")
    for p, pool_changes in zip(scenario.pools, changes, strict=True):
        _check_fleet(p.name, pool_changes, values, arrays or {}, scenario)
    if any(key.startswith("private.") and key.endswith(".vehicles") for key in arrays or {}):
        for key in columns:
            if np.any(values[key] < 1) or np.any(values[key] > MAX_COLUMN):
                raise ScenarioError("parameters", key, f"must be 1 to {MAX_COLUMN:,} vehicles")
    people = tuple(
        _arrival_counts(g.name, entries, values, document)
        for g, entries in zip(scenario.groups, arrivals, strict=True)
    )
    return BatchParameters(
        values, periods, tuple(changes), people, tuple(values[k] for k in columns)
    )


def _arrival_counts(
    group: str, entries: list[int], values: dict[str, Value], document: dict
) -> tuple[Value, ...]:
    """People in each of ``group``'s arrival batches: an entry's ``count`` in each of its
    batches, or its ``total`` shared out over them, per replication if given so."""
    by_time: list[Value] = [0] * len(entries)
    for i in sorted(set(entries)):
        field = "count" if "count" in document["population"][group]["arrivals"][i] else "total"
        value = values[f"population.{group}.arrivals.{i}.{field}"]
        value = value.astype(np.int64) if isinstance(value, np.ndarray) else int(value)
        batches = [b for b, e in enumerate(entries) if e == i]
        shares = [value] * len(batches) if field == "count" else share_out(value, len(batches))
        for b, n in zip(batches, shares, strict=True):
            by_time[b] = n
    return tuple(by_time)


def _period_values(key: str, period: Period) -> dict[str, float]:
    """The numbers period ``period`` (key path ``key``) sets, by key path."""
    values = {f"{key}.per_convoy.{name}": float(n) for name, n in period.per_convoy}
    values.update({f"{key}.crowding.{name}": c for name, c in period.crowding})
    for rule in PERIOD_NUMBERS:
        value = getattr(period, rule)
        if value is not None:
            values[f"{key}.{rule}"] = float(value)
    if period.crossing_vehicles_per_hour is not None:
        values[f"{key}.crossing.vehicles_per_hour"] = period.crossing_vehicles_per_hour
    if period.crossing_lanes is not None:
        values[f"{key}.crossing.lanes"] = period.crossing_lanes
    values.update({f"{key}.send_home.{name}": share for name, share in period.send_home})
    return values


def _check_fleet(
    pool: str,
    changes: tuple[str, ...],
    values: dict[str, Value],
    arrays: dict[str, np.ndarray],
    scenario: Scenario,
) -> None:
    """As when loading a file: no more vehicles leave a pool than ever enter it, and a pool
    whose file leaves ``per_convoy`` out sends all its vehicles (its count and every entry)."""
    if not any(k in arrays for k in (f"fleet.{pool}.count", *changes)):
        return
    entering = sum(values[k] for k in changes if k.endswith(".enter"))
    most = values[f"fleet.{pool}.count"] + entering
    leaving = sum(values[k] for k in changes if k.endswith(".leave"))
    if np.any(leaving > most):
        key = next(k for k in (*changes, f"fleet.{pool}.count") if k in arrays)
        raise ScenarioError(
            "parameters", key, f"more vehicles leave fleet.{pool} than ever enter it"
        )
    named = "per_convoy" in scenario.document.get("fleet", {}).get(pool, {})
    if not named and f"fleet.{pool}.per_convoy" not in arrays:
        values[f"fleet.{pool}.per_convoy"] = np.maximum(most, 1)
