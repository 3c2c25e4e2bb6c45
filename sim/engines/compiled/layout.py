"""The compiled loop's state: a batch's arrays packed one replication to a row, and back.

The numpy batch engine lays state out as ``(entities, R)`` so that an operation covers every
replication; the compiled loop runs one replication at a time, so its state is laid out as
``(R, ...)``: a replication's numbers sit together. :func:`pack` copies a
:class:`sim.engines.vector.Batch` just set up into a :class:`State`; :func:`unpack` copies
the state back when every replication has ended, so the batch closes its books and reports
as if its own loop had run. The columns of the packed arrays are named here; the compiled
modules read them as constants.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from sim.model.variates import STREAMS

# -- a replication's numbers (F: float64, I: int64), by column ---------------------------------
(
    NOW, DECIDE_DUE, DEADLINE_DUE, UNTIL, RESUME_DUE, BREACH_DUE, HAZARD_SINCE, HAZARD_LEFT,
    EXTRA_RATE, MAX_HOLD, MAX_WAIT, HEADWAY, TRAVEL_FACTOR, INSPECTION_FACTOR, BREACH_RATE,
    INCIDENT_P, LAST_LEFT, SINCE, COLD_SINCE, WAIT_PH, HELD_PH, BOARDED_PH, COLD_PH,
    FIRST_CONVOY_PEOPLE, FIRST_DEPARTURE, LAST_DEPARTURE, SUSPENDED_SINCE, SUSPENDED_HOURS,
    BUSY_VH, CLEARED_AT, HANDED_LOAD, HANDED_UNLOAD,
) = range(32)  # fmt: skip
FLOATS = 32
(
    SEQ, ARRIVAL_NEXT, CONVOYS, IN_CORRIDOR, ROOM_TICKETS, EVACUATED, PEOPLE, ACTIVE,
    NEGOTIATED, BREACHES, WINDOW_NEXT, MIN_VEHICLES, MAX_IN_CORRIDOR, PLACE_BUSY, BOARD_SUSPENDED,
    WAITING, ARRIVED, PEAK_QUEUE, BOARDED, HELD, ABOARD, RECEPTIONS, DEPARTURES, TURNED_BACK,
    INCIDENTS, SUSPENSIONS, PEOPLE_DEPARTED, PEOPLE_CROSSED, CONVOYS_CROSSED, NEXT_HOUR,
    STATUS, PENDING_SLOT, LEFT, COLD_KNOT, BUSY_SLOTS,
) = range(35)  # fmt: skip
INTS = 35  # COLD_KNOT: the cold curve's last knot read; BUSY_SLOTS: convoys in slots
# a pool's numbers (PI, int64, by pool)
IDLE, COUNT, PER_CONVOY, CAPACITY = range(4)
POOL_INTS = 4
# a convoy slot's numbers (CF: float64, CI: int64)
(
    C_NEXT, C_FORMED, C_DEPARTED, C_AT_CHECKPOINT, C_HOLD_HOURS, C_HOLD_START, C_HOLD_UNTIL,
    C_UNLOAD,
) = range(8)  # fmt: skip
SLOT_FLOATS = 8  # C_UNLOAD: hours its unloading will take (numpy's, handed at its forming)
C_NUMBER, C_STAGE, C_SEQ, C_HOLD_SEQ, C_HOP, C_WAITED_FOR, C_ROOM, C_PEOPLE = range(8)
SLOT_INTS = 8
# the durations and uniforms by convoy (CT) and by suspension (ST) a replication reads
T_TO_CHECKPOINT, T_INSPECTION, T_TO_RECEPTION, T_RETURN_TRIP, T_INCIDENT = range(5)
#: The streams of the table by convoy, in the order of its ``T_`` rows.
TABLED = ("to_checkpoint", "inspection", "to_reception", "return_trip", "incident")
T_NEGOTIATION, T_GUARANTEE, T_BREACH_GAP = range(3)
#: Numbers a duration's distribution is folded into (sim.engines.compiled.hours)
TERMS = 4

# a replication's status between the loop's rounds (I[:, STATUS])
RUNNING, DONE, NEEDS_HOURS, NEEDS_ROOM = range(4)

State = namedtuple(
    "State",
    [
        "F", "I", "PI", "PF", "queue",  # per replication; pools; the queue (R, cells)
        "CF", "CI", "CV", "CG", "CM",  # convoy slots: numbers, vehicles, groups, manifest
        "cal_times", "cal_order", "cal_kind", "cal_people",  # the arrivals calendar
        "evacuated", "convoy_evacuated",  # (R, G) people at reception, by convoys
        "safe_by", "received_by", "departed_by", "crossed_by",  # at each time milestone
        "counted_by", "counted_at",  # after a number of convoys: by group, when
        "hour_evacuated", "hour_waiting", "hour_suspended",  # (R, H) hourly series
        "rec_rep", "rec_cell", "rec_departed", "rec_people", "rec_n",  # wait records
        "CT", "ST",  # durations and uniforms by convoy and by suspension
        "waiting_g", "seated", "vehicles", "free",  # a decision's scratch: no allocation
        "rep_ids", "vehicle_terms", "leg_terms",  # replication numbers; distributions
        "hour_x", "hour_y", "hour_z", "hour_n", "hour_call",  # a convoy's hours' scratch
    ],
)  # fmt: skip

Constants = namedtuple(
    "Constants",
    [
        "group_start", "cell_group", "cell_time", "order", "carriers", "place_groups",
        "window_start", "window_end", "timed_at", "counted_after", "cold_x", "cold_y",
        "horizon", "hold_each", "turn_back", "hours",
        "native", "vehicle_kind", "leg_kind", "key", "hour_streams", "leg_streams",
    ],
)  # fmt: skip


def _rows(a: np.ndarray) -> np.ndarray:
    """``(entities, R)`` as ``(R, entities)``, contiguous."""
    return np.ascontiguousarray(np.asarray(a).T)


def constants(batch) -> Constants:
    """What every replication of ``batch`` shares: the queue's cells, boarding order and
    carriers, the windows, the milestones, the cold curve."""
    s, books = batch.scenario, batch.books
    carriers = np.full((batch.G, batch.P), -1, dtype=np.int64)
    for g, pools in enumerate(batch.carriers):
        carriers[g, : len(pools)] = pools
    cold_x, cold_y = s.weather.cold_curve
    return Constants(
        group_start=np.asarray(batch.group_start, dtype=np.int64),
        cell_group=np.asarray(batch.cell_group, dtype=np.int64),
        cell_time=np.asarray(batch.cell_time, dtype=float),
        order=np.asarray(batch.order, dtype=np.int64),
        carriers=carriers,
        place_groups=batch.place_groups[0].astype(np.int64),
        window_start=np.asarray(batch.window_start, dtype=float),
        window_end=np.array([math.nan if w.end is None else w.end for w in s.ceasefire.windows]),
        timed_at=np.array([m.at for m in books.timed], dtype=float),
        counted_after=np.array([m.after_convoys for m, _, _ in books.counted], dtype=np.int64),
        cold_x=np.asarray(cold_x, dtype=float),
        cold_y=np.asarray(cold_y, dtype=float),
        horizon=float(s.horizon),
        hold_each=s.ceasefire.max_hold_counts == "each",
        turn_back=bool(batch.turn_back_mode),
        hours=len(books.hourly.hours),
        native=np.zeros(0, dtype=np.int64),  # none: numpy gives a new convoy's hours
        vehicle_kind=np.zeros((2, batch.P), dtype=np.int64),
        leg_kind=np.zeros(4, dtype=np.int64),
        key=np.asarray(batch.variates.key, dtype=np.uint64),
        hour_streams=np.array([STREAMS["load"], STREAMS["unload"]], dtype=np.uint64),
        leg_streams=np.array([STREAMS[s] for s in TABLED], dtype=np.uint64),
    )


def pack(batch) -> State:
    """The state of ``batch``, just set up, one replication to a row."""
    R, books = batch.R, batch.books
    F = np.zeros((R, FLOATS))
    for column, value in (
        (NOW, batch.now), (DECIDE_DUE, batch.decide_due), (DEADLINE_DUE, batch.deadline_due),
        (UNTIL, batch.until), (RESUME_DUE, batch.resume_due), (BREACH_DUE, batch.breach_due),
        (HAZARD_SINCE, batch.hazard_since), (HAZARD_LEFT, batch.hazard_left),
        (EXTRA_RATE, batch.extra_rate), (MAX_HOLD, batch.max_hold),
        (MAX_WAIT, batch.max_wait), (HEADWAY, batch.headway),
        (TRAVEL_FACTOR, batch.travel_factor), (INSPECTION_FACTOR, batch.inspection_factor),
        (BREACH_RATE, batch.breach_rate), (INCIDENT_P, batch.incident_probability),
        (LAST_LEFT, batch.last_departure[0]), (SINCE, books.since),
        (COLD_SINCE, books.cold_since), (WAIT_PH, books.wait_person_hours),
        (HELD_PH, books.held_person_hours), (BOARDED_PH, books.boarded_person_hours),
        (COLD_PH, books.cold_person_hours), (FIRST_CONVOY_PEOPLE, books.first_convoy_people),
        (FIRST_DEPARTURE, books.first_departure), (LAST_DEPARTURE, books.last_departure),
        (SUSPENDED_SINCE, books.suspended_since), (SUSPENDED_HOURS, books.suspended_hours),
        (BUSY_VH, books.busy_vehicle_hours), (CLEARED_AT, books.cleared_at),
    ):  # fmt: skip
        F[:, column] = value
    I = np.zeros((R, INTS), dtype=np.int64)  # noqa: E741 (the integer columns, as F's floats)
    for column, value in (
        (SEQ, batch.seq), (ARRIVAL_NEXT, batch.arrival_next), (CONVOYS, batch.convoys),
        (IN_CORRIDOR, batch.in_corridor), (ROOM_TICKETS, batch.room_tickets),
        (EVACUATED, batch.evacuated), (PEOPLE, batch.people), (ACTIVE, batch.active),
        (NEGOTIATED, batch.negotiated), (BREACHES, batch.breaches),
        (WINDOW_NEXT, batch.window_next), (MIN_VEHICLES, batch.min_vehicles),
        (MAX_IN_CORRIDOR, batch.max_in_corridor), (PLACE_BUSY, batch.loading[0]),
        (BOARD_SUSPENDED, batch.board_while_suspended), (WAITING, books.waiting),
        (ARRIVED, books.arrived), (PEAK_QUEUE, books.peak_queue), (BOARDED, books.boarded),
        (HELD, books.held), (ABOARD, books.aboard), (RECEPTIONS, books.receptions),
        (DEPARTURES, books.departures), (TURNED_BACK, books.turned_back),
        (INCIDENTS, books.incidents), (SUSPENSIONS, books.suspensions),
        (PEOPLE_DEPARTED, books.people_departed), (PEOPLE_CROSSED, books.people_crossed),
        (CONVOYS_CROSSED, books.convoys_crossed), (NEXT_HOUR, books.hourly.next_hour),
        (LEFT, batch.left), (BUSY_SLOTS, (batch.c_number >= 0).sum(axis=0)),
    ):  # fmt: skip
        I[:, column] = value
    PI = np.zeros((R, POOL_INTS, batch.P), dtype=np.int64)
    PI[:, IDLE], PI[:, COUNT] = _rows(batch.idle), _rows(batch.count)
    PI[:, PER_CONVOY], PI[:, CAPACITY] = _rows(batch.per_convoy), _rows(batch.capacity)
    CF, CI, CV, CG, CM = _slots(batch)
    G, T = batch.G, len(books.timed)
    M = len(books.counted)
    series = books.hourly.series
    scratch = max(2 * batch.P, 4)  # a convoy's pools' loading and unloading, or its legs
    return State(
        F=F, I=I, PI=PI, PF=_rows(batch.idle_since).astype(float), queue=batch.queue.copy(),
        CF=CF, CI=CI, CV=CV, CG=CG, CM=CM,
        cal_times=_rows(batch.arrival_times), cal_order=_rows(batch.arrival_order),
        cal_kind=np.ascontiguousarray(batch.arrival_kind), cal_people=_rows(batch.arrival_people),
        evacuated=_rows(books.evacuated), convoy_evacuated=_rows(books.convoy_evacuated),
        safe_by=np.zeros((R, T, G), dtype=np.int64), received_by=np.zeros((R, T), np.int64),
        departed_by=np.zeros((R, T, 2), np.int64), crossed_by=np.zeros((R, T, 2), np.int64),
        counted_by=np.full((R, M, G), np.nan), counted_at=np.full((R, M), np.nan),
        hour_evacuated=series["evacuated"], hour_waiting=series["waiting"],
        hour_suspended=series["suspended"],
        rec_rep=np.zeros(0, np.int64), rec_cell=np.zeros(0, np.int64),
        rec_departed=np.zeros(0), rec_people=np.zeros(0, np.int32), rec_n=np.zeros(1, np.int64),
        CT=np.zeros((R, 5, 0)), ST=np.zeros((R, 3, 0)),
        waiting_g=np.zeros(G, np.int64), seated=np.zeros((G, batch.P), np.int64),
        vehicles=np.zeros(batch.P, np.int64), free=np.zeros(batch.P, np.int64),
        rep_ids=batch.rep.astype(np.int64), vehicle_terms=np.zeros((1, 2, batch.P, TERMS)),
        leg_terms=np.zeros((1, 4, TERMS)), hour_x=np.zeros(scratch), hour_y=np.zeros(scratch),
        hour_z=np.zeros(scratch), hour_n=np.zeros(scratch, np.int64),
        hour_call=np.zeros(5, np.intp),
    )  # fmt: skip


#: The batch's convoy-slot arrays, ``(slots, R)``, and their columns in CF and CI.
SLOT_FLOAT_ARRAYS = (
    ("c_next", C_NEXT), ("c_formed", C_FORMED), ("c_departed", C_DEPARTED),
    ("c_at_checkpoint", C_AT_CHECKPOINT), ("c_hold_hours", C_HOLD_HOURS),
    ("c_hold_start", C_HOLD_START), ("c_hold_until", C_HOLD_UNTIL),
)  # fmt: skip
SLOT_INT_ARRAYS = (
    ("c_number", C_NUMBER), ("c_stage", C_STAGE), ("c_seq", C_SEQ),
    ("c_hold_seq", C_HOLD_SEQ), ("c_hop", C_HOP), ("c_waited_for", C_WAITED_FOR),
    ("c_room", C_ROOM), ("c_people", C_PEOPLE),
)  # fmt: skip


def _slots(batch) -> tuple[np.ndarray, ...]:
    """The batch's convoy slots, one replication to a row, and as many again free."""
    R, slots = batch.R, 2 * batch.slots
    old = batch.slots
    CF = np.zeros((R, slots, SLOT_FLOATS))
    CI = np.zeros((R, slots, SLOT_INTS), dtype=np.int64)
    _free(CF, CI, old)
    for name, column in SLOT_FLOAT_ARRAYS:
        CF[:, :old, column] = getattr(batch, name).T
    for name, column in SLOT_INT_ARRAYS:
        CI[:, :old, column] = getattr(batch, name).T
    CV = np.zeros((R, slots, batch.P), dtype=np.int64)
    CV[:, :old] = batch.c_vehicles.transpose(2, 0, 1)
    CG = np.zeros((R, slots, batch.G), dtype=np.int64)
    CG[:, :old] = batch.c_groups.transpose(2, 0, 1)
    CM = np.zeros((R, slots, batch.queue.shape[1]), dtype=np.int32)
    CM[:, :old] = batch.c_manifest.transpose(1, 0, 2)
    return CF, CI, CV, CG, CM


def _free(CF: np.ndarray, CI: np.ndarray, first: int) -> None:
    """Slots ``first ..`` free, as the batch engine's: number -1, no timer, not left."""
    CF[:, first:, C_NEXT] = CF[:, first:, C_HOLD_UNTIL] = np.inf
    CF[:, first:, C_DEPARTED] = CF[:, first:, C_AT_CHECKPOINT] = np.nan
    CI[:, first:, C_NUMBER] = -1


def grow_slots(state: State, slots: int) -> State:
    """``state`` with room for ``slots`` convoys in flight per replication (free slots as
    the batch engine's: number -1, no timer)."""
    R, old = state.F.shape[0], state.CF.shape[1]
    extra = slots - old

    def more(a: np.ndarray, fill) -> np.ndarray:
        fresh = np.full((R, extra, *a.shape[2:]), fill, dtype=a.dtype)
        return np.concatenate([a, fresh], axis=1)

    CF, CI = more(state.CF, 0.0), more(state.CI, 0)
    _free(CF, CI, old)
    return state._replace(
        CF=CF, CI=CI, CV=more(state.CV, 0), CG=more(state.CG, 0), CM=more(state.CM, 0)
    )


def unpack(state: State, batch) -> None:
    """Copy ``state`` back into ``batch`` and its books, the timed milestones' counts
    included, as the batch's own loop would have left them (its wait statistics are
    summarised from the loop's records: :mod:`sim.engines.compiled.waits`)."""
    books = batch.books
    F, I = state.F, state.I  # noqa: E741
    for name, column in (
        ("now", NOW), ("decide_due", DECIDE_DUE), ("deadline_due", DEADLINE_DUE),
        ("until", UNTIL), ("resume_due", RESUME_DUE), ("breach_due", BREACH_DUE),
        ("hazard_since", HAZARD_SINCE), ("hazard_left", HAZARD_LEFT),
    ):  # fmt: skip
        getattr(batch, name)[:] = F[:, column]
    batch.last_departure[0] = F[:, LAST_LEFT]
    for name, column in (
        ("since", SINCE), ("cold_since", COLD_SINCE), ("wait_person_hours", WAIT_PH),
        ("held_person_hours", HELD_PH), ("boarded_person_hours", BOARDED_PH),
        ("cold_person_hours", COLD_PH), ("first_convoy_people", FIRST_CONVOY_PEOPLE),
        ("first_departure", FIRST_DEPARTURE), ("last_departure", LAST_DEPARTURE),
        ("suspended_since", SUSPENDED_SINCE), ("suspended_hours", SUSPENDED_HOURS),
        ("busy_vehicle_hours", BUSY_VH), ("cleared_at", CLEARED_AT),
    ):  # fmt: skip
        getattr(books, name)[:] = F[:, column]
    for name, column in (
        ("seq", SEQ), ("arrival_next", ARRIVAL_NEXT), ("convoys", CONVOYS),
        ("in_corridor", IN_CORRIDOR), ("room_tickets", ROOM_TICKETS), ("evacuated", EVACUATED),
        ("active", ACTIVE), ("negotiated", NEGOTIATED), ("breaches", BREACHES),
        ("window_next", WINDOW_NEXT),
    ):  # fmt: skip
        getattr(batch, name)[:] = I[:, column]
    batch.loading[0] = I[:, PLACE_BUSY]
    for name, column in (
        ("waiting", WAITING), ("arrived", ARRIVED), ("peak_queue", PEAK_QUEUE),
        ("boarded", BOARDED), ("held", HELD), ("aboard", ABOARD), ("receptions", RECEPTIONS),
        ("departures", DEPARTURES), ("turned_back", TURNED_BACK), ("incidents", INCIDENTS),
        ("suspensions", SUSPENSIONS), ("people_departed", PEOPLE_DEPARTED),
        ("people_crossed", PEOPLE_CROSSED), ("convoys_crossed", CONVOYS_CROSSED),
    ):  # fmt: skip
        getattr(books, name)[:] = I[:, column]
    books.hourly.next_hour[:] = I[:, NEXT_HOUR]
    batch.idle[:], batch.idle_since[:] = state.PI[:, IDLE].T, state.PF.T
    batch.queue[:] = state.queue
    books.evacuated[:], books.convoy_evacuated[:] = state.evacuated.T, state.convoy_evacuated.T
    _unpack_slots(state, batch)
    books.safe_by.add_totals(state.safe_by.transpose(1, 2, 0))
    books.received_by.add_totals(state.received_by.T[:, None, :])
    books.departed_by.add_totals(state.departed_by.transpose(1, 2, 0))
    books.crossed_by.add_totals(state.crossed_by.transpose(1, 2, 0))
    for m, (_, by_group, at) in enumerate(books.counted):
        by_group[:] = state.counted_by[:, m].T
        at[:] = state.counted_at[:, m]


def _unpack_slots(state: State, batch) -> None:
    """The convoys still out at the end, as the batch's books read them when they close
    (:meth:`~sim.engines.batch_books.BatchBooks.finish`: their vehicles count as busy to
    the end); the other slot arrays are the loop's alone (the wait statistics come from it)."""
    batch.slots = state.CF.shape[1]
    batch.c_number = np.ascontiguousarray(state.CI[:, :, C_NUMBER].T)
    batch.c_formed = np.ascontiguousarray(state.CF[:, :, C_FORMED].T)
    batch.c_vehicles = np.ascontiguousarray(state.CV.transpose(1, 2, 0))
