"""Departure hours: whether convoys may form now, and when they next may."""

from __future__ import annotations

import numpy as np

from sim.model.daylight import gate

# midnight to 05:12 local, from a start at 05:00: the first opening is 19.0 h from the start
HOURS = (0.0, 5.212598802476876)


def test_the_next_opening_is_one_instant_whenever_it_is_asked_for():
    """From 2.88 h the opening used to be 18.999999999999996 h, from 3.66 h 19.0 h."""
    asked = np.array([0.5, 2.879333268572322, 3.6623370170192766, 9.586425833234292, 17.0])
    open_now, opening = gate(HOURS, 5.0, asked)
    assert not open_now.any()
    assert (opening == 19.0).all()
    for t in asked:  # a number gives the array's bits
        assert float(gate(HOURS, 5.0, float(t))[1]) == 19.0


def test_the_opening_is_the_first_plus_whole_days():
    open_now, opening = gate(HOURS, 5.0, np.array([30.0, 24.0 * 7 + 6.0]))
    assert not open_now.any()
    np.testing.assert_array_equal(opening, [43.0, 24.0 * 7 + 19.0])


def test_open_now_is_now():
    open_now, opening = gate((6.0, 18.0), 5.0, np.array([1.0, 12.99, 19.0 - 1e-12]))
    np.testing.assert_array_equal(open_now, [True, True, False])
    np.testing.assert_array_equal(opening, [1.0, 12.99, 25.0])
    # an opening less than TOLERANCE ahead counts as now
    assert bool(gate((6.0, 18.0), 5.0, 1.0 - 1e-12)[0])


def test_hours_over_midnight():
    open_now, opening = gate((22.0, 4.0), 5.0, np.array([12.0, 18.0, 22.5, 30.0]))
    np.testing.assert_array_equal(open_now, [False, True, True, False])
    np.testing.assert_array_equal(opening, [17.0, 18.0, 22.5, 41.0])
