"""The compiled loop's state and constants as one numba structure passed by reference.

A named tuple of arrays would reach each compiled function as its arrays' every field,
hundreds of arguments a call; a structure reference is one pointer. It is one structure,
not the state and the constants apart: numba counts references to each structure a
function takes, two atomic operations a call where it cannot prune them (most functions:
see ``docs/architecture.md``), so each reference taken costs every call. :func:`boxed`
wraps :class:`~sim.engines.compiled.layout.State` and
:class:`~sim.engines.compiled.layout.Constants` for :func:`sim.engines.compiled.loop.advance`;
the arrays are shared, not copied.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit
from numba.core import types
from numba.experimental import structref

from sim.engines.compiled.layout import Constants, State


@structref.register
class LoopType(types.StructRef):
    """The numba type of a boxed :class:`~sim.engines.compiled.layout.State` and its
    :class:`~sim.engines.compiled.layout.Constants`."""

    def preprocess_fields(self, fields):
        return tuple((name, types.unliteral(typ)) for name, typ in fields)


class LoopBox(structref.StructRefProxy):
    """A :class:`~sim.engines.compiled.layout.State` and its
    :class:`~sim.engines.compiled.layout.Constants`, which the compiled loop takes by
    reference."""


#: The loop's scratch beyond the state and the constants: the convoys each suspension of a
#: pass interrupts (a row each, :func:`~sim.engines.compiled.ceasefire.suspend`) and how
#: many rows; fields, not arguments, as each array a function takes is counted too.
SCRATCH = ["hits", "n_hits"]
structref.define_proxy(LoopBox, LoopType, list(State._fields) + list(Constants._fields) + SCRATCH)


def _arrays(kinds: dict[str, Any]) -> list[tuple[str, types.Type]]:
    """Fields of C-contiguous arrays ``(dtype, ndim)``, or of scalar types, by name."""
    return [
        (name, types.Array(kind[0], kind[1], "C") if isinstance(kind, tuple) else kind)
        for name, kind in kinds.items()
    ]


F64, I64, I32, U8 = types.float64, types.int64, types.int32, types.uint8
#: The types of the state's and the constants' fields (layout.pack and layout.constants make
#: them so): known here, the structure is made by a compiled function numba caches, not by
#: the proxy's constructor, which it would compile anew in every process (~1.4 s).
LOOP = LoopType(_arrays({
    "F": (F64, 2), "I": (I64, 2), "PI": (I64, 3), "PF": (F64, 2), "queue": (I64, 2),
    "CF": (F64, 3), "CI": (I64, 3), "CV": (I64, 3), "CG": (I64, 3), "CM": (I32, 3),
    "cal_times": (F64, 2), "cal_order": (I64, 2), "cal_kind": (I64, 2), "cal_people": (I64, 2),
    "evacuated": (I64, 2), "convoy_evacuated": (I64, 2), "safe_by": (I64, 3),
    "received_by": (I64, 2), "departed_by": (I64, 3), "crossed_by": (I64, 3),
    "counted_by": (F64, 3), "counted_at": (F64, 2), "hour_evacuated": (I32, 2),
    "hour_waiting": (I32, 2), "hour_suspended": (U8, 2), "rec_rep": (I64, 1),
    "rec_cell": (I64, 1), "rec_departed": (F64, 1), "rec_people": (I32, 1), "rec_n": (I64, 1),
    "CT": (F64, 3), "ST": (F64, 3), "waiting_g": (I64, 1), "seated": (I64, 2),
    "vehicles": (I64, 1), "free": (I64, 1), "rep_ids": (I64, 1), "vehicle_terms": (F64, 4),
    "leg_terms": (F64, 3),
    "hour_x": (F64, 1), "hour_y": (F64, 1), "hour_z": (F64, 1), "hour_n": (I64, 1),
    "hour_call": (types.intp, 1),
    "group_start": (I64, 1), "cell_group": (I64, 1), "cell_time": (F64, 1), "order": (I64, 1),
    "carriers": (I64, 2), "place_groups": (I64, 1), "window_start": (F64, 1),
    "window_end": (F64, 1), "timed_at": (F64, 1), "counted_after": (I64, 1),
    "cold_x": (F64, 1), "cold_y": (F64, 1), "horizon": F64, "hold_each": types.boolean,
    "turn_back": types.boolean, "hours": I64, "native": (I64, 1), "vehicle_kind": (I64, 2),
    "leg_kind": (I64, 1), "key": (types.uint64, 1), "hour_streams": (types.uint64, 1),
    "leg_streams": (types.uint64, 1),
    "hits": (types.boolean, 2), "n_hits": (I64, 1),
}))  # fmt: skip


@njit(cache=True)
def _box(t, c):
    st = structref.new(LOOP)
    st.F = t.F
    st.I = t.I
    st.PI = t.PI
    st.PF = t.PF
    st.queue = t.queue
    st.CF = t.CF
    st.CI = t.CI
    st.CV = t.CV
    st.CG = t.CG
    st.CM = t.CM
    st.cal_times = t.cal_times
    st.cal_order = t.cal_order
    st.cal_kind = t.cal_kind
    st.cal_people = t.cal_people
    st.evacuated = t.evacuated
    st.convoy_evacuated = t.convoy_evacuated
    st.safe_by = t.safe_by
    st.received_by = t.received_by
    st.departed_by = t.departed_by
    st.crossed_by = t.crossed_by
    st.counted_by = t.counted_by
    st.counted_at = t.counted_at
    st.hour_evacuated = t.hour_evacuated
    st.hour_waiting = t.hour_waiting
    st.hour_suspended = t.hour_suspended
    st.rec_rep = t.rec_rep
    st.rec_cell = t.rec_cell
    st.rec_departed = t.rec_departed
    st.rec_people = t.rec_people
    st.rec_n = t.rec_n
    st.CT = t.CT
    st.ST = t.ST
    st.waiting_g = t.waiting_g
    st.seated = t.seated
    st.vehicles = t.vehicles
    st.free = t.free
    st.rep_ids = t.rep_ids
    st.vehicle_terms = t.vehicle_terms
    st.leg_terms = t.leg_terms
    st.hour_x = t.hour_x
    st.hour_y = t.hour_y
    st.hour_z = t.hour_z
    st.hour_n = t.hour_n
    st.hour_call = t.hour_call
    st.group_start = c.group_start
    st.cell_group = c.cell_group
    st.cell_time = c.cell_time
    st.order = c.order
    st.carriers = c.carriers
    st.place_groups = c.place_groups
    st.window_start = c.window_start
    st.window_end = c.window_end
    st.timed_at = c.timed_at
    st.counted_after = c.counted_after
    st.cold_x = c.cold_x
    st.cold_y = c.cold_y
    st.horizon = c.horizon
    st.hold_each = c.hold_each
    st.turn_back = c.turn_back
    st.hours = c.hours
    st.native = c.native
    st.vehicle_kind = c.vehicle_kind
    st.leg_kind = c.leg_kind
    st.key = c.key
    st.hour_streams = c.hour_streams
    st.leg_streams = c.leg_streams
    st.hits = np.zeros((4 + 2 * len(c.window_end), t.CI.shape[1]), dtype=np.bool_)
    st.n_hits = np.zeros(1, dtype=np.int64)
    return st


def boxed(state: State, shared: Constants) -> LoopBox:
    """``state`` and ``shared`` for the compiled loop (the arrays shared, not copied)."""
    return _box(state, shared)
