"""Daily hours in which convoys may form (``convoy.departure_hours``).

Both engines call :func:`gate`, with a number or an array of times, and get the same bits:
a convoy's fate must not depend on the engine. The next opening is one instant whenever it
is asked for: the first opening after the start plus whole days, not ``t`` plus the hours
left, whose rounding would depend on ``t`` (a decision set at 18.999999999999996 h from one
time and at 19.0 h from another falls on either side of an event at 19.0 h).

>>> open_now, next_open = gate((6.0, 18.0), start_hour=5.0, t=0.5)  # 05:30
>>> bool(open_now), float(next_open)                                # opens at 06:00
(False, 1.0)
"""

from __future__ import annotations

import numpy as np

#: An opening less than this far ahead (hours, about 4 microseconds) counts as now:
#: rounding may land the opening instant a hair before the opening hour.
TOLERANCE = 1e-9


def gate(
    hours: tuple[float, float], start_hour: float, t: np.ndarray | float
) -> tuple[np.ndarray, np.ndarray]:
    """Whether convoys may form at ``t`` and, if not, when they next may.

    Parameters
    ----------
    hours : (float, float)
        Opening and closing hour of day (local); closing before opening spans midnight.
    start_hour : float
        Local hour of day of the scenario's start.
    t : float or ndarray
        Hours from the start.

    Returns
    -------
    open_now : bool or ndarray of bool
    next_open : float or ndarray
        Hours from the start of the next opening; ``t`` itself when open now.
    """
    opening, closing = hours
    hour = np.mod(start_hour + t, 24.0)
    until_open = np.mod(opening - hour, 24.0)
    since_open = np.mod(hour - opening, 24.0)
    open_now = (since_open < np.mod(closing - opening, 24.0)) | (until_open < TOLERANCE)
    first = np.mod(opening - start_hour, 24.0)  # hours from the start of the first opening
    days = np.maximum(np.ceil((t - first) / 24.0), 0.0)  # closed: strictly before an opening
    return open_now, np.where(open_now, t, first + 24.0 * days)
