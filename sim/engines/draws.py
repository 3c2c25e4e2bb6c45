"""The reference engine's variates of one replication, as its events use them.

Mixed into :class:`sim.engines.des.Evacuation`, whose state it declares: the uniforms of a
per-convoy or per-suspension stream (drawn in blocks as far as the replication needs them),
the slowest vehicle's loading or unloading time, and a leg of the route under the period's
factor. The batch engine's are :meth:`sim.engines.vector.Batch._u`, ``_slowest`` and ``_leg``.
"""

from __future__ import annotations

from abc import ABC

import numpy as np

from sim.inputs.scenario import MAX_POOLS, Scenario
from sim.model.distributions import slowest_uniform
from sim.model.periods import Rules
from sim.model.variates import Variates


class Draws(ABC):
    """The variates one replication of the reference engine draws."""

    # the state of sim.engines.des.Evacuation the draws read
    scenario: Scenario
    variates: Variates
    rep: int  # the replication's number: its variates are those of (seed, rep)
    rules: Rules  # the operating rules in force: their inspection and travel factors
    _drawn: dict[str, np.ndarray]  # each stream's uniforms drawn so far

    def _u(self, stream: str, index: int) -> float:
        """The uniform ``index`` of a per-convoy or per-suspension stream."""
        drawn = self._drawn.get(stream)
        if drawn is None or index >= len(drawn):
            size = max(64, 2 * (index + 1))
            drawn = self._drawn[stream] = self.variates.block(stream, self.rep, 0, size)
        return float(drawn[index])

    def _slowest(self, stream: str, convoy: int, vehicles: list[int], which: str) -> float:
        """Hours until the slowest vehicle of a convoy has loaded (or unloaded).

        One variate per convoy and pool gives the slowest vehicle's time exactly, see
        :func:`sim.model.distributions.slowest_uniform`.
        """
        longest = 0.0
        for p, n in enumerate(vehicles):
            if n:
                u = slowest_uniform(self._u(stream, convoy * MAX_POOLS + p), n)
                dist = getattr(self.scenario.pools[p], which)
                longest = max(longest, float(dist.ppf(u)))
        return longest

    def _leg(self, leg: str, convoy: int, stream: str | None = None) -> float:
        """Hours of a leg of the route starting now, slowed (or sped up) by the period's
        factor: ``inspection_factor`` for the inspection, ``travel_factor`` for the roads.
        ``stream`` names the variates' stream if it is not the leg's (private columns)."""
        rules = self.rules
        factor = rules.inspection_factor if leg == "inspection" else rules.travel_factor
        dist = getattr(self.scenario.route, leg)
        return float(dist.ppf(self._u(stream or leg, convoy))) * factor
