"""The one exception type for mistakes a user can make, and how its messages write a limit."""

import math


class ScenarioError(Exception):
    """A user error: a bad scenario file, a missing file or an impossible value.

    The CLI prints ``str(error)`` as a single line and exits with status 2.

    Parameters
    ----------
    source : str
        The file (or ``--set``) the offending value came from.
    key : str
        The dotted key path, e.g. ``fleet.buses.seats``; empty for whole-file problems.
    message : str
        What is wrong and what is allowed.
    """

    def __init__(self, source: str, key: str, message: str):
        self.source = source
        self.key = key
        self.message = message
        where = f"{source}: {key}" if key else source
        super().__init__(one_line(f"{where}: {message}"))


def readable(limit: float) -> str:
    """A limit (or a value) as a user reads it: a whole number with thousands separators,
    10,000,000 where ``%g`` wrote 1e+07, and any other number as ``%g`` writes it (0.5)."""
    if isinstance(limit, int) or (math.isfinite(limit) and limit.is_integer()):
        return f"{int(limit):,}"
    return f"{limit:g}"


def one_line(text: str) -> str:
    """``text`` with line breaks and other unprintable characters escaped (``\\n``, ``\\x00``),
    so a key or a file name holding them cannot split an error into several lines."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
