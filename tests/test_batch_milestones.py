"""The batch engine's counts at time milestones, summed at the end from a log of events: a
hand-worked case, and the totals of adding each event to every milestone as it happens."""

import numpy as np

from sim.engines.batch_milestones import TimedCounts


def test_counts_at_or_before_each_milestone_by_hand():
    counts = TimedCounts(np.array([1.0, 2.0]), R=3, rows=2)  # people, convoys
    counts.add(np.array([0, 2]), np.array([0.5, 1.5]), np.array([3, 4]), 1)  # two leave
    counts.add(np.array([0]), np.array([2.0]), np.array([-3]), -1)  # one turns back at 2 h
    counts.add(np.array([1]), np.array([2.5]), np.array([7]), 1)  # after the last milestone
    totals = counts.totals()
    assert totals.dtype == np.int64 and totals.shape == (2, 2, 3)
    assert totals[0].tolist() == [[3, 0, 0], [1, 0, 0]]  # by 1 h
    assert totals[1].tolist() == [[0, 0, 4], [0, 0, 1]]  # by 2 h: the milestone's hour counts


def test_no_milestone_or_no_event_counts_nothing():
    none = TimedCounts(np.zeros(0), R=4, rows=1)
    none.add(np.array([1]), np.array([0.0]), 1)
    assert none.totals().shape == (0, 1, 4)
    quiet = TimedCounts(np.array([5.0]), R=2, rows=3)
    assert quiet.totals().tolist() == [[[0, 0], [0, 0], [0, 0]]]


def test_totals_equal_counting_each_event_as_it_happens():
    rng = np.random.default_rng(12)
    R, at = 50, np.array([3.0, 0.5, 8.0, 8.0])  # unsorted, one repeated: each on its own
    counts, direct = TimedCounts(at, R, 2), np.zeros((len(at), 2, R), dtype=np.int64)
    for _ in range(200):
        idx = rng.choice(R, rng.integers(1, 10), replace=False)  # an event: no repeats
        now = rng.choice([0.5, 3.0, 8.0, *rng.uniform(0, 10, 3)], len(idx))
        people = rng.integers(-40, 60, len(idx))
        convoys = int(rng.integers(-1, 2))
        counts.add(idx, now, people, convoys)
        on = now <= at[:, None]
        direct[:, 0][:, idx] += on * people
        direct[:, 1][:, idx] += on * convoys
    assert np.array_equal(counts.totals(), direct)
