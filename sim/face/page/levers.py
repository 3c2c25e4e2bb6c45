"""The page's controls: the levers a planner moves and the uncertainties a teacher varies.

A lever is a scenario key, exactly as ``--set KEY=VALUE`` names it, with its unit, a
slider's range and the base scenario's value (the default where the file is silent). A
setting is the TOML text of a value, as on the command line; the scenario schema, not the
page, decides whether it is allowed. Only the levers of a base can be set from the page, so
a URL cannot reach any other key.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sim.errors import ScenarioError
from sim.inputs.scenario import MAX_POOL_SIZE, Scenario
from sim.inputs.sources import parse_value
from sim.model.distributions import Distribution

#: Who moves a lever: the planner's decisions, the teacher's uncertainties.
PLANNER, TEACHER = "planner", "teacher"


@dataclass(frozen=True)
class Lever:
    """One control of the page.

    Attributes
    ----------
    key : str
        The scenario key, e.g. ``fleet.buses.count``.
    label : str
        What the control is called on the page.
    unit : str
        The value's unit, e.g. "vehicles", "hours", "per hour".
    kind : {"integer", "number", "choice", "boolean", "hours"}
        ``hours`` is a pair ``[opening, closing]`` of hours of day.
    group : {"planner", "teacher"}
    base : Any
        The base scenario's value, as a scenario file writes it (None: not set, e.g. no
        departure hours).
    low, high, step : float
        The slider's range and step; the text box beside it takes any value the schema
        allows.
    choices : tuple of str
        For ``choice`` levers.
    """

    key: str
    label: str
    unit: str
    kind: str
    group: str
    base: Any
    low: float = 0.0
    high: float = 1.0
    step: float = 1.0
    choices: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """The lever for the page's script (infinite values as the text ``inf``)."""
        base = self.base
        if isinstance(base, float) and math.isinf(base):
            base = "inf"
        return {
            "key": self.key,
            "label": self.label,
            "unit": self.unit,
            "kind": self.kind,
            "group": self.group,
            "base": base,
            "low": self.low,
            "high": self.high,
            "step": self.step,
            "choices": list(self.choices),
        }


def levers(scenario: Scenario) -> list[Lever]:
    """The controls of a base scenario, planner's first, each with the base's value."""
    s, doc = scenario, scenario.document
    fleet = sum(p.count for p in s.pools)
    out = []
    for p in s.pools:
        out.append(
            Lever(
                f"fleet.{p.name}.count",
                f"{p.name}: vehicles",
                "vehicles",
                "integer",
                PLANNER,
                p.count,
                0,
                min(MAX_POOL_SIZE, max(3 * p.count, 10)),
            )
        )
        out.append(
            Lever(
                f"fleet.{p.name}.crowding",
                f"{p.name}: load factor",
                "× seats",
                "number",
                PLANNER,
                p.crowding,
                1.0,
                3.0,
                0.01,
            )
        )
        out.append(
            Lever(
                f"fleet.{p.name}.per_convoy",
                f"{p.name}: most per convoy",
                "vehicles",
                "integer",
                PLANNER,
                p.per_convoy,
                1,
                max(2 * p.per_convoy, p.count, 2),
            )
        )
    c = s.convoy
    out += [
        Lever(
            "convoy.min_vehicles",
            "convoy leaves with at least",
            "vehicles",
            "integer",
            PLANNER,
            c.min_vehicles,
            1,
            max(fleet, c.min_vehicles, 2),
        ),
        Lever(
            "convoy.max_wait",
            "or after waiting",
            "hours",
            "number",
            PLANNER,
            c.max_wait,
            0,
            _top(c.max_wait, 6),
            0.05,
        ),
        Lever(
            "convoy.headway",
            "headway between departures",
            "hours",
            "number",
            PLANNER,
            c.headway,
            0,
            _top(c.headway, 4),
            0.05,
        ),
        Lever(
            "convoy.max_in_corridor",
            "convoys on the road at once",
            "convoys",
            "integer",
            PLANNER,
            c.max_in_corridor,
            1,
            12 if c.max_in_corridor > 12 else max(2 * c.max_in_corridor, 4),
        ),
    ]
    crossing = s.crossing
    lanes = math.inf if crossing is None else crossing.lanes
    per_hour = math.inf if crossing is None else crossing.vehicles_per_hour
    out += [
        Lever(
            "crossing.lanes",
            "crossing: inspection lanes",
            "lanes",
            "integer",
            PLANNER,
            int(lanes) if math.isfinite(lanes) else lanes,
            1,
            max(2 * lanes, 6) if math.isfinite(lanes) else 6,
        ),
        Lever(
            "crossing.vehicles_per_hour",
            "crossing: vehicles through a lane",
            "vehicles per hour",
            "number",
            PLANNER,
            per_hour,
            5,
            _top(per_hour, 120),
            5,
        ),
    ]
    out += [
        Lever(
            f"population.{g.name}.priority",
            f"{g.name}: boarding priority",
            "1 boards first",
            "integer",
            PLANNER,
            g.priority,
            1,
            max(len(s.groups), g.priority),
        )
        for g in s.groups
    ]
    cf = s.ceasefire
    out += [
        Lever(
            "ceasefire.before_checkpoint",
            "convoys before the checkpoint when it breaks",
            "",
            "choice",
            PLANNER,
            cf.before_checkpoint,
            choices=("hold", "turn_back"),
        ),
        Lever(
            "ceasefire.max_hold",
            "held convoys turn back after",
            "hours",
            "number",
            PLANNER,
            cf.max_hold,
            0.25,
            _top(cf.max_hold, 12),
            0.25,
        ),
        Lever(
            "ceasefire.board_while_suspended",
            "board while suspended (people wait aboard)",
            "",
            "boolean",
            PLANNER,
            cf.board_while_suspended,
        ),
        Lever(
            "convoy.departure_hours",
            "convoys leave only between",
            "hours of day",
            "hours",
            PLANNER,
            list(c.departure_hours) if c.departure_hours else None,
            0,
            24,
            0.5,
        ),
        Lever(
            "ceasefire.breach_rate",
            "breach rate",
            "per hour",
            "number",
            TEACHER,
            cf.breach_rate,
            0,
            _top(cf.breach_rate, 0.1),
            0.001,
        ),
    ]
    for name in ("negotiation", "guarantee"):
        lever = _mean_lever(
            f"ceasefire.{name}", f"{name} time (mean)", getattr(cf, name), doc.get("ceasefire", {})
        )
        if lever is not None:
            out.append(lever)
    if s.linkage is not None:
        out += [
            Lever(
                "linkage.max_lag",
                f"lag tolerated behind {s.linkage.site}",
                "share of people",
                "number",
                TEACHER,
                s.linkage.max_lag,
                0,
                1,
                0.01,
            ),
            Lever(
                "linkage.lag_breach_rate",
                "extra breaches while ahead",
                "per hour",
                "number",
                TEACHER,
                s.linkage.lag_breach_rate,
                0,
                _top(s.linkage.lag_breach_rate, 0.2),
                0.005,
            ),
        ]
    out.append(
        Lever(
            "route.incident_probability",
            "incident at inspection",
            "probability per convoy",
            "number",
            TEACHER,
            s.route.incident_probability,
            0,
            _top(s.route.incident_probability, 0.1, cap=1.0),
            0.001,
        )
    )
    return out


def _top(base: float, floor: float, cap: float = math.inf) -> float:
    """A slider's upper end: three times the base value, at least ``floor``."""
    top = 3 * base if math.isfinite(base) else floor
    return min(max(top, floor), cap)


def _mean_lever(key: str, label: str, dist: Distribution | None, table: dict) -> Lever | None:
    """A lever on the mean of a duration the file gives as a table with a ``mean`` (or a
    fixed ``value``, or a bare number); None for other shapes or no duration."""
    if dist is None:
        return None
    spec = table.get(key.rsplit(".", 1)[-1])
    if isinstance(spec, dict) and "mean" in spec:
        key += ".mean"
    elif isinstance(spec, dict) and set(spec) == {"dist", "value"}:
        key += ".value"
    elif not isinstance(spec, int | float) or isinstance(spec, bool):
        return None
    mean = dist.mean
    return Lever(key, label, "hours", "number", TEACHER, mean, 0, _top(mean, 4), 0.05)


def changed(scenario: Scenario, settings: dict[str, str]) -> dict[str, Any]:
    """The settings that differ from the base, as values (in lever order).

    Parameters
    ----------
    scenario : Scenario
        The base.
    settings : dict of str to str
        Lever key -> TOML text of its value, e.g. ``{"fleet.buses.count": "60"}``.

    Raises
    ------
    ScenarioError
        For a key that is not a lever of this base, naming ``page`` and the key (the page's
        field), as the page's other errors do.
    """
    by_key = {lever.key: lever for lever in levers(scenario)}
    for key in settings:
        if key not in by_key:
            raise ScenarioError(
                "page", key, f"not a control of this page; controls: {', '.join(by_key)}"
            )
    out = {}
    for key, lever in by_key.items():
        if key in settings:
            value = parse_value(settings[key], key, lambda k, p: ScenarioError("page", k, p))
            if not _same(value, lever.base):
                out[key] = value
    return out


def _same(value: Any, base: Any) -> bool:
    if isinstance(value, bool) or isinstance(base, bool):
        return value is base
    if isinstance(value, int | float) and isinstance(base, int | float):
        return float(value) == float(base)
    if isinstance(value, list) and isinstance(base, list):
        return len(value) == len(base) and all(map(_same, value, base))
    return value == base
