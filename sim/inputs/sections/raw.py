"""JSON Schema of the values the readers read raw: they check them, editors see these."""

from __future__ import annotations

from sim.inputs.limits import MAX_CELSIUS

#: Units of the numbers that are not counts or hours.
LOAD_FACTOR = "(load factor: people per seat)"
TIMES = "(times the scenario's durations)"
#: A list of distinct names (vehicle pools, population groups), in fixed words: the error
#: messages name one file's pools, the schema may not.
NAMES = {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"type": "string"}}
POOLS = {
    **NAMES,
    "minItems": 0,
    "description": "the vehicle pools that may carry the group ([]: only private streams take it)",
}
GROUPS = {**NAMES, "description": "the population groups the stream takes"}
HOUR = {"type": "number", "minimum": 0, "maximum": 24}
CELSIUS = {"type": "number", "minimum": -MAX_CELSIUS, "maximum": MAX_CELSIUS}


def pair(first: dict, second: dict | None = None) -> dict:
    """JSON Schema of a pair of numbers, ``[first, second]``."""
    items = [first, first if second is None else second]
    return {"type": "array", "items": items, "minItems": 2, "maxItems": 2}
