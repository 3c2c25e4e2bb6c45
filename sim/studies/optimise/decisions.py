"""The decisions of a study: the levers a planner sets, and the values each may take."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.engines.batch_params import batch_parameters, is_count
from sim.errors import ScenarioError
from sim.inputs.loader import load_scenario
from sim.inputs.scenario import Scenario
from sim.studies.study_file import Fail, no_unknown, number
from sim.studies.sweeps.spec import override

#: What the checks below allow, in words and as JSON Schema (``evacsim schema`` writes it).
DECISION_WORDS = (
    'scenario key paths, each a range ("fleet.buses.count" = { low = 30, high = 60 }, with '
    'step and log optional) or choices ("ceasefire.before_checkpoint" = '
    '{ choices = ["hold", "turn_back"] })'
)
RANGE = {
    "type": "object",
    "properties": {
        "low": {"type": "number"},
        "high": {"type": "number"},
        "step": {"type": "number", "exclusiveMinimum": 0},
        "log": {"type": "boolean", "default": False},
    },
    "required": ["low", "high"],
    "additionalProperties": False,
}
CHOICES = {
    "type": "object",
    "properties": {
        "choices": {
            "type": "array",
            "minItems": 2,
            "uniqueItems": True,
            "items": {"type": ["string", "number", "boolean"]},
        }
    },
    "required": ["choices"],
    "additionalProperties": False,
}
DECISIONS = {
    "type": "object",
    "minProperties": 1,
    "additionalProperties": {"anyOf": [RANGE, CHOICES]},
}


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


def read_decisions(
    table: Any, scenario: Scenario, base: Path, overrides: tuple[str, ...], fail: Fail
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
            no_unknown(spec, {"choices"}, where, fail)
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
            if batch and is_count(key) and not whole:
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
    no_unknown(spec, {"low", "high", "step", "log"}, where, fail)
    if not batch:
        raise fail(
            where,
            f"is not a numeric batch-engine input, so it takes choices = [...]; ranges are "
            f"allowed for: {', '.join(sorted(numeric))}",
        )
    if "low" not in spec or "high" not in spec:
        raise fail(where, "a range needs low and high, e.g. { low = 20, high = 60 }")
    low, high = spec["low"], spec["high"]
    if not all(number(v) for v in (low, high)):
        raise fail(where, "low and high must be numbers")
    if not low < high:
        raise fail(where, f"low must be below high, got {low!r} and {high!r}")
    integer = is_count(key)
    if integer and (low != math.floor(low) or high != math.floor(high)):
        raise fail(where, "counts things: low and high must be whole numbers")
    step = spec.get("step")
    if step is not None and (not number(step) or step <= 0):
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


def shown(value: object) -> str:
    """A decision's value as reports show it: reals to 4 significant digits."""
    return f"{value:.4g}" if isinstance(value, float) else str(value)
