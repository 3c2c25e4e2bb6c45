"""The exchange's clause "fighters only after villagers arrive" (``[linkage.after_safe]``).

People of the held groups may board neither a convoy nor a private vehicle until enough of
the linked site's people have reached safety. Both engines use this module, with scalars
(the reference engine) or arrays over replications (the batch engine): how many people must
be safe, and the people waiting who may board now.

How many: the clause's ``people``, or the people of the linked site's convoys in the deal's
batches up to its ``batch`` (with ``pairing = "convoys"``, batch ``b`` is the linked site's
first ``b`` convoys), in either case at most the linked site's people, so a clause never
asks for more people than the site has. It is a count: a batch's people are safe once that
many linked people are, whichever convoys brought them.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from sim.inputs.exchange import Exchange
from sim.model.pairing import Pairing


def needed(
    exchange: Exchange, people: ArrayLike, convoy_people: ArrayLike, convoys: ArrayLike
) -> np.ndarray:
    """People of the linked site who must be safe before the held groups may board.

    Parameters
    ----------
    exchange : Exchange
        The deal, with an ``after_safe`` clause.
    people, convoy_people, convoys : int or array of int
        The linked site's people, people in a full linked convoy, and the convoys it sends
        in all (one per replication in the batch engine).
    """
    clause = exchange.after_safe
    assert clause is not None
    people = np.asarray(people, dtype=np.int64)
    if clause.people is not None:
        return np.minimum(clause.people, people)
    pairing = Pairing(exchange)
    batch = clause.batch
    assert batch is not None
    linked = batch if pairing.by_convoy else int(pairing.there[batch - 1])
    sent = np.minimum(linked, np.asarray(convoys, dtype=np.int64))
    return np.minimum(sent * np.asarray(convoy_people, dtype=np.int64), people)


def boardable(waiting: np.ndarray, held: tuple[int, ...], met: ArrayLike) -> np.ndarray:
    """People waiting per group (first axis) who may board: the held groups' count as 0
    where the clause is not yet ``met`` (a bool, or one per replication on the last axis)."""
    if not held:
        return waiting
    out = np.array(waiting, copy=True)
    out[list(held)] = np.where(np.asarray(met), out[list(held)], 0)
    return out
