"""The uncertainties of a study: inputs nobody sets, drawn per replication."""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.engines.batch_params import INTEGERS, batch_parameters
from sim.inputs.scenario import Scenario
from sim.model.variates import Variates
from sim.studies.optimise.decisions import Decision
from sim.studies.study_file import Fail, number

#: Distributions of an uncertainty, drawn from one uniform per replication.
DISTS = ("uniform", "loguniform", "triangular")
#: What the checks below allow, in words and as JSON Schema (``evacsim schema`` writes it).
UNCERTAINTY_WORDS = (
    'numeric batch-engine inputs, each { dist = "uniform" or "loguniform", low, high } or '
    '{ dist = "triangular", low, mode, high }, with 0 <= low < high'
)
_BOUNDS = {"low": {"type": "number", "minimum": 0}, "high": {"type": "number", "minimum": 0}}
UNCERTAINTIES = {
    "type": "object",
    "additionalProperties": {
        "anyOf": [
            {
                "type": "object",
                "properties": {"dist": {"enum": ["uniform", "loguniform"]}, **_BOUNDS},
                "required": ["dist", "low", "high"],
                "additionalProperties": False,
            },
            {
                "type": "object",
                "properties": {
                    "dist": {"const": "triangular"},
                    **_BOUNDS,
                    "mode": {"type": "number", "minimum": 0},
                },
                "required": ["dist", "low", "mode", "high"],
                "additionalProperties": False,
            },
        ]
    },
}


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


def read_uncertainties(
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
        if not all(number(v) for v in values):
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
