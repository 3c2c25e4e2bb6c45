"""Temperature over the day and the cold time it implies.

The temperature is piecewise linear between points given as (hour of day, °C), repeating
every day unless the scenario gives one profile per calendar day. Exposure metrics need the
number of cold hours (temperature below the threshold) between two moments; that is
precomputed as a cumulative curve with slope 0 or 1, so both engines get it from the same
``numpy.interp`` call.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np


@dataclass(frozen=True)
class Weather:
    """Temperature profile and cold threshold.

    Parameters
    ----------
    days : tuple of profiles
        One profile per calendar day from the start date (the last repeats); a profile is a
        tuple of (hour of day in [0, 24), temperature in °C), hours increasing.
    cold_below : float
        Temperature (°C) below which waiting people count as exposed to cold.
    harm_per_person_hour : float
        Assumed harm (e.g. cases of cold injury) per person-hour of cold exposure. A labelled
        assumption of the scenario, 0 (off) by default.
    start_hour : float
        Hour of day of the scenario start.
    horizon : float
        Simulated hours.
    """

    days: tuple[tuple[tuple[float, float], ...], ...]
    cold_below: float
    harm_per_person_hour: float
    start_hour: float
    horizon: float

    @cached_property
    def knots(self) -> tuple[np.ndarray, np.ndarray]:
        """Temperature knots (hours from start, °C) covering [0, horizon]."""
        n_days = int(np.ceil((self.start_hour + self.horizon) / 24)) + 1
        times, temps = [], []
        for day in range(-1, n_days + 1):
            profile = self.days[min(max(day, 0), len(self.days) - 1)]
            for hour, celsius in profile:
                times.append(day * 24 + hour - self.start_hour)
                temps.append(celsius)
        return np.asarray(times), np.asarray(temps)

    def temperature(self, t: np.ndarray | float) -> np.ndarray:
        """Temperature (°C) at hours ``t`` from the start."""
        times, temps = self.knots
        return np.interp(t, times, temps)

    @cached_property
    def cold_curve(self) -> tuple[np.ndarray, np.ndarray]:
        """Breakpoints (hours) and cumulative cold hours at them, from time 0."""
        times, temps = self.knots
        found = [times[0]]
        for i in range(len(times) - 1):
            a, b, ta, tb = times[i], times[i + 1], temps[i], temps[i + 1]
            if (ta < self.cold_below) != (tb < self.cold_below):
                found.append(a + (self.cold_below - ta) / (tb - ta) * (b - a))
            found.append(b)
        points = np.asarray(found)
        middle = np.interp((points[:-1] + points[1:]) / 2, times, temps) < self.cold_below
        steps = np.where(middle, np.diff(points), 0.0)
        cumulative = np.concatenate([[0.0], np.cumsum(steps)])
        return points, cumulative - np.interp(0.0, points, cumulative)

    def cold_hours(self, t0: np.ndarray | float, t1: np.ndarray | float) -> np.ndarray:
        """Hours with temperature below ``cold_below`` between ``t0`` and ``t1``."""
        return self.cold_until(t1) - self.cold_until(t0)

    def cold_until(self, t: np.ndarray | float) -> np.ndarray:
        """Hours with temperature below ``cold_below`` from the start (hour 0) to ``t``: a
        reading of the curve depends on ``t`` alone, so readings kept give the same bits."""
        points, cumulative = self.cold_curve
        return np.interp(t, points, cumulative)


def no_weather(horizon: float) -> Weather:
    """A scenario without a weather section: never cold, so exposure is zero."""
    return Weather((((0.0, 20.0),),), 0.0, 0.0, 0.0, horizon)
