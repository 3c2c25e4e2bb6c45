"""``[weather]``: the temperature over the day, and what counts as cold."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sim.errors import readable
from sim.inputs.limits import MAX_CELSIUS
from sim.inputs.schema import Table
from sim.inputs.sections.raw import CELSIUS, HOUR, pair
from sim.model.weather import Weather


def read_weather(t: Table, start: datetime, horizon: float) -> Weather:
    """One daily temperature profile, or one a day (``days``), as [hour, °C] pairs."""

    def profile(value: Any, key: str) -> tuple[tuple[float, float], ...]:
        allowed = (
            "a list of [hour of day, °C] pairs with hours increasing in [0, 24) and "
            f"°C within ±{readable(MAX_CELSIUS)}"
        )
        points: list[tuple[float, float]] = []
        if not isinstance(value, list) or not value:
            raise t.error(key, f"must be {allowed}")
        for point in value:
            if (
                not isinstance(point, list)
                or len(point) != 2
                or any(isinstance(x, bool) or not isinstance(x, int | float) for x in point)
                or not 0 <= point[0] < 24
                or not -MAX_CELSIUS <= point[1] <= MAX_CELSIUS
                or (points and point[0] <= points[-1][0])
            ):
                raise t.error(key, f"must be {allowed}, got {point!r}")
            points.append((float(point[0]), float(point[1])))
        return tuple(points)

    day = {"type": "array", "minItems": 1, "items": pair(HOUR, CELSIUS)}
    days = t.raw("days", None, "a list of daily profiles", {"type": "array", "items": day})
    profiles: tuple[tuple[tuple[float, float], ...], ...]
    if days is None:
        profiles = (profile(t.raw("daily", allowed="[[hour, °C], ...]", schema=day), "daily"),)
    elif isinstance(days, list) and days and not t.has("daily"):
        profiles = tuple(profile(d, f"days.{i}") for i, d in enumerate(days))
    else:
        raise t.error("days", "must be a non-empty list of daily profiles, without 'daily'")
    weather = Weather(
        days=profiles,
        cold_below=t.number(
            "cold_below", 0.0, minimum=-MAX_CELSIUS, maximum=MAX_CELSIUS, unit="°C"
        ),
        harm_per_person_hour=t.number("harm_per_person_hour", 0.0, minimum=0, maximum=1),
        start_hour=start.hour + start.minute / 60 + start.second / 3600,
        horizon=horizon,
    )
    t.close()
    return weather
