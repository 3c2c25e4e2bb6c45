"""The people at the pickup: groups that board together, and those who give up waiting."""

from __future__ import annotations

from dataclasses import dataclass

from sim.inputs.checks import check, is_hours, is_whole


@dataclass(frozen=True)
class Leaving:
    """People who give up waiting at the pickup and go home (they stay in the enclave).

    Each cohort of a group (the people there at the start, and each arrival batch) that
    still has people waiting ``after`` hours after it reached the pickup loses
    ``floor(share * waiting)`` of them, once.

    Attributes
    ----------
    after : float
        Hours a cohort waits before some of it gives up.
    share : float
        Share (0 to 1) of the cohort's people still waiting who give up then.
    """

    after: float
    share: float


@dataclass(frozen=True)
class Group:
    """People waiting at the pickup who board together by priority.

    Attributes
    ----------
    name : str
    count : int
        People at the pickup at the start.
    priority : int
        Boarding priority; lower boards first, ties by file order.
    vehicles : tuple of str
        Pools allowed to carry the group, in order of preference. Empty for people no
        convoy carries, who leave only in the private streams that list the group (e.g.
        families waiting for their own cars): they never make a convoy form or wait.
    arrivals : tuple of (float, int)
        Later arrivals at the pickup as (hours from start, people), in time order.
    leaving : Leaving or None
        Who gives up waiting; None: nobody leaves the queue.
    """

    name: str
    count: int
    priority: int
    vehicles: tuple[str, ...]
    arrivals: tuple[tuple[float, int], ...] = ()
    leaving: Leaving | None = None

    def __post_init__(self) -> None:
        check(self, "count", is_whole(self.count, 0), "a whole number of people >= 0")
        check(self, "priority", is_whole(self.priority), "a whole number")
        distinct = len(set(self.vehicles)) == len(self.vehicles)
        check(self, "vehicles", distinct, "distinct pool names (none: private streams only)")
        ok = all(is_hours(t) and is_whole(n, 0) for t, n in self.arrivals)
        check(self, "arrivals", ok, "(hours >= 0, people >= 0) batches")

    @property
    def total(self) -> int:
        """Everyone in the group who ever reaches the pickup."""
        return self.count + sum(n for _, n in self.arrivals)
