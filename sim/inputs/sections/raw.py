"""JSON Schema of the values the readers read raw: they check them, editors see these."""

from __future__ import annotations

from sim.inputs.limits import MAX_CELSIUS

#: A list of distinct names (vehicle pools, population groups).
NAMES = {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"type": "string"}}
HOUR = {"type": "number", "minimum": 0, "maximum": 24}
CELSIUS = {"type": "number", "minimum": -MAX_CELSIUS, "maximum": MAX_CELSIUS}


def pair(first: dict, second: dict | None = None) -> dict:
    """JSON Schema of a pair of numbers, ``[first, second]``."""
    items = [first, first if second is None else second]
    return {"type": "array", "items": items, "minItems": 2, "maxItems": 2}
