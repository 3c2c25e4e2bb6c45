"""What a block of replications costs, measured, per scenario: how many fit in a time.

The batch engine steps all the replications of a block together, so a block's cost is far
from proportional to its replications: on the whole operation one replication takes about
0.1–0.2 s, 30 about 0.6 s and 1,000 about 2.5 s of a core (its loop runs about as many
steps for a few replications as for many, each step dearer with more of them). Measured
blocks of each scenario follow a power law ``seconds = a * reps ** p`` closely
(``p`` ≈ 0.4 on the whole operation, ≈ 0.33 on the first phase), so :class:`Costs` fits
one to the blocks run lately and answers the page's question: how many replications can
one block have to be done in so many seconds?

The seconds are the block's wall time in its worker (queueing aside): on a loaded machine
blocks take longer and the page sizes them smaller, so its first answer still comes on
time.
"""

from __future__ import annotations

import math
from collections import deque

#: Blocks remembered per scenario (the latest: the machine's load changes).
KEEP = 24
#: The exponent assumed while a scenario's blocks have had a single size, and the range a
#: fitted one is held to (the cost grows with the replications, never faster than them).
EXPONENT, LEAST_EXPONENT, MOST_EXPONENT = 0.4, 0.15, 1.0
#: Replications of a block of a scenario not measured yet (a probe, cheap everywhere).
PROBE = 4


class Costs:
    """Measured blocks per scenario family and the power law fitted to them.

    Parameters
    ----------
    keep : int
        Blocks remembered per family.

    A family is the library's name of a base: its what-ifs cost about what it costs, and
    every block of any of them is a measurement.
    """

    def __init__(self, keep: int = KEEP):
        self.seen: dict[str, deque[tuple[int, float]]] = {}
        self.keep = keep

    def add(self, family: str, reps: int, seconds: float) -> None:
        """A block of ``reps`` replications of ``family`` took ``seconds``."""
        if reps > 0 and seconds > 0:
            self.seen.setdefault(family, deque(maxlen=self.keep)).append((reps, seconds))

    def law(self, family: str) -> tuple[float, float] | None:
        """``(a, p)`` of ``seconds = a * reps ** p``, least squares in logs; None before
        any block of the family was measured."""
        points = self.seen.get(family)
        if not points:
            return None
        x = [math.log(r) for r, _ in points]
        y = [math.log(s) for _, s in points]
        mx, my = sum(x) / len(x), sum(y) / len(y)
        spread = sum((xi - mx) ** 2 for xi in x)
        p = EXPONENT
        if spread > 1e-9:  # blocks of more than one size
            p = sum((xi - mx) * (yi - my) for xi, yi in zip(x, y, strict=True)) / spread
            p = min(max(p, LEAST_EXPONENT), MOST_EXPONENT)
        return math.exp(my - p * mx), p

    def seconds(self, family: str, reps: int) -> float | None:
        """Predicted seconds of a block of ``reps`` replications; None if not measured."""
        law = self.law(family)
        return None if law is None else law[0] * reps ** law[1]

    def most(self, family: str, seconds: float) -> int:
        """The most replications one block may have to be done within ``seconds`` (at
        least 1; :data:`PROBE` for a family not measured yet)."""
        law = self.law(family)
        if law is None:
            return PROBE
        a, p = law
        return max(1, math.floor((seconds / a) ** (1 / p) * (1 + 1e-12)))
