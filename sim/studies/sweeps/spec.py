"""Sweep files: what to vary, how to sample it, and what to measure.

A sweep file names a base scenario, its axes and a design::

    name = "buses"
    base = "../aleppo_2016.toml"        # relative to the sweep file
    reps = 200                          # replications per point
    seed = 1
    metrics = ["evacuated_by_halt", "cold_person_hours"]

    [design]
    method = "grid"                     # grid | lhs | sobol | saltelli

    [axes]
    "fleet.buses.count" = [20, 30, 40, 50]

Sampled designs give each axis a range, ``"route.to_reception.mean" = { low = 0.5, high = 2.0 }``,
and ``design.points``. Optional keys: ``description``, ``set`` (overrides of the base),
``precision`` and ``max_reps`` (see :mod:`sim.studies.precision`) and ``chunk``; ``docs/sweeps.md``
describes them all. Every mistake raises :class:`~sim.errors.ScenarioError` naming the sweep
file and the key, before anything runs.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.engines.batch_params import batch_parameters, is_count
from sim.inputs.scenario import Scenario
from sim.outputs.records import metric_names
from sim.studies.study_file import Fail, read_study_file, read_whole, sub_table, whole
from sim.studies.sweeps.chunks import CHUNK

#: Designs: a full grid of listed values, or points sampled from ranges.
METHODS = ("grid", "lhs", "sobol", "saltelli")

#: Cap on replications per point in precision mode, as a multiple of ``reps``, by default.
MAX_REPS_FACTOR = 16

TOP_KEYS = {
    "name",
    "description",
    "base",
    "set",
    "reps",
    "seed",
    "metrics",
    "precision",
    "max_reps",
    "chunk",
    "design",
    "axes",
}
#: JSON Schema of what the checks below allow (``evacsim schema`` writes it out).
METRICS = {"type": "array", "minItems": 1, "items": {"type": "string"}}
PRECISION = {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1}
RANGE = {
    "type": "object",
    "properties": {"low": {"type": "number"}, "high": {"type": "number"}},
    "required": ["low", "high"],
    "additionalProperties": False,
}
AXIS_WORDS = (
    'scenario key paths, each a grid\'s values ("fleet.buses.count" = [20, 40]) or a sampled '
    "design's range ({ low = 0.5, high = 2.0 })"
)
AXES = {
    "type": "object",
    "minProperties": 1,
    "additionalProperties": {"anyOf": [{"type": "array", "minItems": 1}, RANGE]},
}


@dataclass(frozen=True)
class Axis:
    """One input a sweep varies.

    Attributes
    ----------
    key : str
        Scenario key path, e.g. ``fleet.buses.count``.
    values : tuple
        Grid values (empty for a sampled axis).
    low, high : float
        Range of a sampled axis (NaN for a grid axis), in the key's unit.
    batch : bool
        True for a numeric batch-engine input (:mod:`sim.engines.batch_params`), whose points
        share one batch; False for any other scenario key, loaded as one scenario per value.
    integer : bool
        True for inputs that count things: sampled values are rounded to whole numbers.
    """

    key: str
    values: tuple
    low: float
    high: float
    batch: bool
    integer: bool


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep file.

    Attributes
    ----------
    path : str
        The sweep file.
    name, description : str
    base : Path
        The base scenario file.
    overrides : tuple of str
        ``KEY=VALUE`` settings applied to the base scenario (the file's ``set``).
    scenario : Scenario
        The base scenario with ``overrides`` applied.
    method : str
        One of ``METHODS``.
    points : int
        Sampled points (``lhs``, ``sobol``) or the Saltelli base sample N; 0 for a grid.
    axes : tuple of Axis
    reps : int
        Replications per point (the first round in precision mode).
    seed : int
        Seed of the replications and of the sampler.
    metrics : tuple of str
    precision : float or None
        Target relative half-width of every metric's 95% CI (e.g. 0.02), or None.
    max_reps : int
        Most replications per point in precision mode.
    chunk : int
        Most replications per chunk, the unit of work an executor runs and a resumed sweep
        skips (``sim.studies.sweeps.chunks.CHUNK`` by default: bounded memory, small numpy
        overhead).
    """

    path: str
    name: str
    description: str
    base: Path
    overrides: tuple[str, ...]
    scenario: Scenario
    method: str
    points: int
    axes: tuple[Axis, ...]
    reps: int
    seed: int
    metrics: tuple[str, ...]
    precision: float | None
    max_reps: int
    chunk: int = CHUNK

    def identity(self) -> dict[str, Any]:
        """Everything the results depend on, as plain data (hashed into the sweep id)."""
        return {
            "base": self.scenario.document,
            "set": list(self.overrides),
            "method": self.method,
            "points": self.points,
            "axes": [
                {"key": a.key, "values": list(a.values), "low": a.low, "high": a.high}
                for a in self.axes
            ],
            "reps": self.reps,
            "seed": self.seed,
            "metrics": list(self.metrics),
            "precision": self.precision,
            "max_reps": self.max_reps,
            "chunk": self.chunk,
        }


def load_sweep(
    path: str | Path, precision: float | None = None, max_reps: int | None = None
) -> SweepSpec:
    """Read and check a sweep file.

    Parameters
    ----------
    path : str or Path
    precision : float, optional
        Overrides the file's ``precision``.
    max_reps : int, optional
        Overrides the file's ``max_reps``.

    Raises
    ------
    ScenarioError
        Naming the sweep file (or the base scenario) and the key.
    """
    file = read_study_file(path, "sweep", TOP_KEYS)
    doc, scenario, fail, root = file.doc, file.scenario, file.fail, file.root
    reps = read_whole(root, "reps", scenario.reps, 2, fail, "the base scenario's")
    seed = read_whole(root, "seed", scenario.seed, 0, fail, "the base scenario's")
    listed = "the metrics to summarise"
    metrics = root.raw("metrics", allowed=listed, schema=METRICS) if root.has("metrics") else None
    known = metric_names(scenario)
    if not isinstance(metrics, list) or not metrics:
        raise fail("metrics", f'must list {listed}, e.g. ["evacuated"]')
    for metric in metrics:
        if metric not in known:
            raise fail(
                "metrics", f"{metric!r} is not a metric of {file.base}; known: {', '.join(known)}"
            )
    fraction = "a fraction between 0 and 1, e.g. 0.02"
    written = root.raw("precision", None, f"{fraction} (of each mean's 95% CI)", PRECISION)
    precision = written if precision is None else precision
    if precision is not None and (
        isinstance(precision, bool)
        or not isinstance(precision, int | float)
        or not 0 < precision < 1
    ):
        raise fail("precision", f"must be {fraction}, got {precision!r}")
    most = f"a whole number >= reps ({MAX_REPS_FACTOR} reps by default)"
    cap = root.raw("max_reps", None, most, {"type": "integer", "minimum": 2})
    cap = MAX_REPS_FACTOR * reps if cap is None else cap
    cap = whole(cap if max_reps is None else max_reps, "max_reps", reps, fail)
    chunk = read_whole(root, "chunk", CHUNK, 1, fail)
    root.raw("description", "", "a line saying what the sweep asks", {"type": "string"})

    design = sub_table(root, "design", "a table with method (and points)", fail)
    extra = sorted(set(design.data) - {"method", "points"})
    if extra:
        raise fail(f"design.{extra[0]}", "unknown key; allowed: method, points")
    choices = {"type": "string", "enum": list(METHODS)}
    method = design.raw("method", "grid", f"one of {', '.join(METHODS)}", choices)
    if method not in METHODS:
        raise fail("design.method", f"must be one of {', '.join(METHODS)}, got {method!r}")
    given = root.has("axes")
    axes = root.raw("axes", allowed=AXIS_WORDS, schema=AXES) if given else None
    axes = _read_axes(axes, scenario, method, fail)
    points = 0
    if method != "grid":
        points = read_whole(design, "points", None, 1, fail)
        if method in ("sobol", "saltelli") and points & (points - 1):
            raise fail("design.points", f"must be a power of 2 for {method}, got {points}")
    elif design.has("points"):
        raise fail("design.points", "a grid has one point per combination of axis values")
    design.close()  # unknown keys are refused above: this records that they are
    root.close()
    return SweepSpec(
        file.source,
        file.name,
        str(doc.get("description", "")),
        file.base,
        file.overrides,
        scenario,
        method,
        points,
        axes,
        reps,
        seed,
        tuple(metrics),
        None if precision is None else float(precision),
        cap,
        chunk,
    )


def _read_axes(table: Any, scenario: Scenario, method: str, fail: Fail) -> tuple[Axis, ...]:
    if not isinstance(table, dict) or not table:
        raise fail("axes", 'must be a table of key paths, e.g. "fleet.buses.count" = [20, 40]')
    numeric = batch_parameters(scenario, 1).values
    axes = []
    for key, spec in table.items():
        where = f"axes.{key}"
        batch = key in numeric
        integer = is_count(key)
        if method == "grid":
            if not isinstance(spec, list) or not spec:
                raise fail(where, "a grid axis lists its values, e.g. [20, 30, 40]")
            if len(set(map(json.dumps, spec))) != len(spec):
                raise fail(where, "lists a value twice")
            if batch:
                for value in spec:
                    if isinstance(value, bool) or not isinstance(value, int | float):
                        raise fail(where, f"must list numbers, got {value!r}")
                    if integer and value != math.floor(value):
                        raise fail(where, f"counts things: values must be whole, got {value!r}")
            axes.append(Axis(key, tuple(spec), math.nan, math.nan, batch, integer))
            continue
        if not batch:
            raise fail(
                where,
                f"is not a numeric batch-engine input, so it can only be a grid axis; "
                f"ranges are allowed for: {', '.join(sorted(numeric))}",
            )
        if not isinstance(spec, dict) or set(spec) != {"low", "high"}:
            raise fail(where, f"a {method} axis is a range, e.g. {{ low = 0.5, high = 2.0 }}")
        low, high = spec["low"], spec["high"]
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (low, high)):
            raise fail(where, "low and high must be numbers")
        if not low < high:
            raise fail(where, f"low must be below high, got {low!r} and {high!r}")
        axes.append(Axis(key, (), float(low), float(high), True, integer))
    return tuple(axes)


def override(key: str, value: Any) -> str:
    """The ``KEY=VALUE`` text that sets ``key`` to ``value`` in a scenario file.

    A distribution written as a bare number is a fixed one, whose batch key ends in
    ``.value``; the file sets the number itself.
    """
    if key.endswith(".value"):
        key = key.removesuffix(".value")
    if isinstance(value, float) and is_count(key):
        value = int(value)
    text = json.dumps(value) if isinstance(value, str) else _toml(value)
    return f"{key}={text}"


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)
