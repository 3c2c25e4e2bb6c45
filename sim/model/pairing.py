"""The exchange's pairing rule: which batch a convoy at the meeting point belongs to, and
how many convoys of each side a batch needs there before it crosses.

Both engines use this module, with scalars (the reference engine) or arrays over
replications (the batch engine). Convoys of each side are ranked ``0, 1, ...`` in the order
they reach the meeting point after the deal's start. Batch ``b`` crosses once this side has
had ``here[b]`` convoys there and the linked site ``there[b]`` (both cumulative, from the
first batch), and every batch before it has crossed. ``there[b]`` is capped at the convoys
the linked site will ever send, so a batch is not kept waiting for convoys that will not
come. A convoy ranked beyond the last batch crosses freely.

- ``pairing = "convoys"``: one convoy of each side a batch, as many batches as the linked
  site has convoys (count for count).
- ``pairing = "batches"``: the scenario's batches, e.g. two batches of the linked site's
  people, each matched by a batch of this side's convoys.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from sim.inputs.exchange import Exchange


class Pairing:
    """The batches of an exchange. ``convoys`` arguments are the convoys the linked site
    sends in all: an int, or one per replication in the batch engine."""

    def __init__(self, exchange: Exchange):
        self.by_convoy = exchange.pairing == "convoys"
        self.here = np.cumsum([p.here for p in exchange.batches], dtype=np.int64)
        # the linked site's, before the cap at the convoys it sends
        self.there = np.cumsum([p.there for p in exchange.batches], dtype=np.int64)

    def count(self, convoys: ArrayLike) -> np.ndarray:
        """Batches in all."""
        convoys = np.asarray(convoys, dtype=np.int64)
        if self.by_convoy:
            return convoys
        return np.full(convoys.shape, len(self.here), dtype=np.int64)

    def needs(self, batch: ArrayLike, convoys: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """Convoys of this side and of the linked site (cumulative) that batch ``batch``
        (< :attr:`count`) needs at the meeting point, for a linked site of ``convoys``."""
        batch = np.asarray(batch, dtype=np.int64)
        if self.by_convoy:
            return batch + 1, batch + 1
        last = len(self.here) - 1
        at = np.minimum(batch, last)
        return self.here[at], np.minimum(self.there[at], convoys)

    def batch_here(self, rank: ArrayLike) -> np.ndarray:
        """The batch of this side's convoy ranked ``rank`` (:attr:`count` or more: free)."""
        rank = np.asarray(rank, dtype=np.int64)
        if self.by_convoy:
            return rank
        return np.searchsorted(self.here, rank, side="right")

    def batch_there(self, rank: ArrayLike, convoys: ArrayLike) -> np.ndarray:
        """The batch of the linked site's convoy ranked ``rank``, for a linked site of
        ``convoys`` convoys (broadcast against ``rank``)."""
        rank = np.asarray(rank, dtype=np.int64)
        if self.by_convoy:
            return rank
        convoys = np.broadcast_to(np.asarray(convoys, dtype=np.int64), rank.shape)
        capped = np.minimum(self.there.reshape(-1, *(1,) * rank.ndim), convoys)
        return (capped <= rank).sum(axis=0)
