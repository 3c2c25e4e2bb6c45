"""Duration distributions as inverse-CDF transforms of standard uniforms.

A duration is never sampled directly: each engine draws a uniform ``u`` from a named
stream (see :mod:`sim.model.variates`) and calls :meth:`Distribution.ppf`. The same ``u``
therefore serves any parameter value, which is what makes paired what-if comparisons
and sweeps use common random numbers.

In a scenario file a distribution is a table, e.g. ``{dist = "lognormal", mean = 1.2,
cv = 0.3}`` (hours), or a bare number as shorthand for ``{dist = "fixed", value = x}``.

>>> d = Distribution.from_spec({"dist": "uniform", "low": 1.0, "high": 3.0}, "f.toml", "k")
>>> float(d.ppf(0.25))
1.5
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.errors import ScenarioError
from sim.inputs.limits import MAX_CV, MAX_HOURS

#: A coefficient of variation below this counts as zero: the duration is fixed at its mean.
CV_FIXED = 1e-9

#: Parameters each distribution takes (all in hours except ``cv``, which has no unit).
PARAMETERS: dict[str, tuple[str, ...]] = {
    "fixed": ("value",),
    "exponential": ("mean",),
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "lognormal": ("mean", "cv"),
    "gamma": ("mean", "cv"),
}


def slowest_uniform(u: np.ndarray | float, n: np.ndarray | int) -> np.ndarray:
    """The uniform of the slowest of ``n`` vehicles, from one uniform ``u``.

    The largest of ``n`` independent uniforms has distribution function ``x ** n``, so it
    is distributed as ``u ** (1 / n)``; every duration is a non-decreasing transform of its
    uniform, so this gives the slowest vehicle's duration exactly in distribution. Written
    ``exp(log(u) / n)`` because numpy's ``exp`` and ``log`` give the same bits for one
    value and for an array, while ``power`` does not: both engines must agree to the bit.
    """
    return np.exp(np.log(u) / n)


def lognormal_terms(mean: Any, cv: Any) -> tuple[Any, Any]:
    """The mean and standard deviation of a lognormal duration's log (``mu``, ``sigma``)
    from the duration's mean (hours) and coefficient of variation; scalars or arrays.

    Its quantile is ``exp(mu + sigma * ndtri(u))``; the engines and the compiled loop all
    fold the parameters so, with these operations in this order (the same bits).
    """
    sigma2 = np.log1p(cv**2)
    return np.log(mean) - sigma2 / 2, np.sqrt(sigma2)


def gamma_terms(mean: Any, cv: Any) -> tuple[Any, Any]:
    """The shape and scale (hours) of a gamma duration from its mean (hours) and coefficient
    of variation (above 0); scalars or arrays. Its quantile is ``gammaincinv(shape, u) *
    scale``."""
    shape = 1 / cv**2
    return shape, mean / shape


@dataclass(frozen=True)
class Distribution:
    """A non-negative duration distribution, in hours.

    Parameters
    ----------
    dist : str
        One of ``PARAMETERS``.
    params : tuple of (str, float)
        The parameters in the order of ``PARAMETERS[dist]``.
    """

    dist: str
    params: tuple[tuple[str, float], ...]

    @property
    def mean(self) -> float:
        """The expected duration, hours."""
        p = dict(self.params)
        if self.dist == "fixed":
            return p["value"]
        if self.dist == "uniform":
            return (p["low"] + p["high"]) / 2
        if self.dist == "triangular":
            return (p["low"] + p["mode"] + p["high"]) / 3
        return p["mean"]

    @property
    def is_fixed(self) -> bool:
        """True if the distribution has no spread (every ``u`` gives the same value)."""
        p = dict(self.params)
        return (
            self.dist == "fixed"
            or (self.dist in ("lognormal", "gamma") and p["cv"] < CV_FIXED)
            or (self.dist == "uniform" and p["low"] == p["high"])
            or (self.dist == "triangular" and p["low"] == p["high"])
        )

    def ppf(self, u: np.ndarray | float) -> np.ndarray:
        """Transform standard uniforms on (0, 1) into durations, hours.

        Every transform is non-decreasing in ``u``, so the longest of several durations
        is the transform of the largest uniform.
        """
        u = np.asarray(u, dtype=float)
        p = dict(self.params)
        if self.is_fixed:
            return np.full(u.shape, self.mean)
        if self.dist == "exponential":
            return -np.log1p(-u) * p["mean"]
        if self.dist == "uniform":
            return p["low"] + (p["high"] - p["low"]) * u
        if self.dist == "triangular":
            low, mode, high = p["low"], p["mode"], p["high"]
            cut = (mode - low) / (high - low)
            rising = low + np.sqrt(u * (high - low) * (mode - low))
            falling = high - np.sqrt((1 - u) * (high - low) * (high - mode))
            return np.where(u < cut, rising, falling)
        # scipy only here: numpy has no inverse normal or gamma CDF with the same bits,
        # and the scenario layer (``sim.load_scenario``) must not load scipy
        if self.dist == "lognormal":
            from scipy.special import ndtri

            mu, sigma = lognormal_terms(p["mean"], p["cv"])
            return np.exp(mu + sigma * ndtri(u))
        from scipy.special import gammaincinv

        shape, scale = gamma_terms(p["mean"], p["cv"])
        return gammaincinv(shape, u) * scale

    def describe(self) -> str:
        """A short human-readable form, e.g. ``lognormal(mean=1.2, cv=0.3)``."""
        inner = ", ".join(f"{k}={v:g}" for k, v in self.params)
        return f"{self.dist}({inner})"

    @classmethod
    def fixed(cls, value: float) -> Distribution:
        """A distribution that always gives ``value`` hours."""
        return cls("fixed", (("value", float(value)),))

    @classmethod
    def from_spec(cls, spec: Any, source: str, key: str) -> Distribution:
        """Build a distribution from its scenario-file form, or raise ``ScenarioError``."""
        if isinstance(spec, bool):
            raise ScenarioError(source, key, _ALLOWED)
        if isinstance(spec, int | float):
            if not math.isfinite(spec) or not 0 <= spec <= MAX_HOURS:
                raise ScenarioError(
                    source, key, f"must be a duration of 0 to {MAX_HOURS:,} hours, got {spec!r}"
                )
            return cls.fixed(spec)
        if not isinstance(spec, dict):
            raise ScenarioError(source, key, _ALLOWED)
        dist = spec.get("dist")
        if not isinstance(dist, str) or dist not in PARAMETERS:
            raise ScenarioError(
                source, f"{key}.dist", f"must be one of {', '.join(PARAMETERS)}, got {dist!r}"
            )
        names = PARAMETERS[dist]
        extra = sorted(set(spec) - set(names) - {"dist"})
        if extra:
            raise ScenarioError(
                source, f"{key}.{extra[0]}", f"unknown for {dist}; allowed: {', '.join(names)}"
            )
        values = {}
        for name in names:
            if name not in spec:
                needs = ", ".join(names)
                raise ScenarioError(source, f"{key}.{name}", f"missing; {dist} needs {needs}")
            value = spec[name]
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ScenarioError(source, f"{key}.{name}", f"must be a number, got {value!r}")
            largest, unit = (MAX_CV, "") if name == "cv" else (MAX_HOURS, " hours")
            if not math.isfinite(value) or not 0 <= value <= largest:
                raise ScenarioError(
                    source, f"{key}.{name}", f"must be 0 to {largest:,g}{unit}, got {value!r}"
                )
            values[name] = float(value)
        _check_shape(dist, values, source, key)
        return cls(dist, tuple((n, values[n]) for n in names))


_ALLOWED = (
    'must be a duration in hours or a table such as {dist = "lognormal", mean = 1.2, cv = 0.3}'
)


def _check_shape(dist: str, v: dict[str, float], source: str, key: str) -> None:
    if dist in ("exponential", "lognormal", "gamma") and v["mean"] <= 0:
        raise ScenarioError(source, f"{key}.mean", f"must be > 0 hours, got {v['mean']:g}")
    if dist == "uniform" and v["high"] < v["low"]:
        raise ScenarioError(source, f"{key}.high", "must be >= low")
    if dist == "triangular" and not v["low"] <= v["mode"] <= v["high"]:
        raise ScenarioError(source, f"{key}.mode", "must satisfy low <= mode <= high")
