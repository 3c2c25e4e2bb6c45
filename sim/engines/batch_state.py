"""The batch engine's state: every array the parts of :class:`sim.engines.vector.Batch` share.

One declaration, read by the type checker and by a newcomer: what the batch holds, its
shape and its unit. Arrays over replications have shape ``(R,)``; per-entity state is laid
out as ``(entities, R)``. The values are set by :class:`~sim.engines.vector.Batch` and by
the parts' ``_start`` methods; this class only names them.
"""

from __future__ import annotations

import numpy as np

from sim.engines.batch_params import BatchDistribution, BatchParameters, Value
from sim.inputs.scenario import FleetChange, Scenario, Window
from sim.model.variates import Variates

# convoy stages (``c_stage``): what a convoy's next event is
LOADING, HELD_PICKUP, TO_CHECKPOINT, INSPECTION = 1, 2, 3, 4
HELD_CHECKPOINT, TO_RECEPTION, UNLOADING, RETURNING, TURNING_BACK = 5, 6, 7, 8, 9
CROSSING_QUEUE = 10  # waiting for an inspection lane: no timer
WAITING_ROOM = 11  # loaded, waiting for room in the corridor: no timer
# an exchange (batch_exchange.py): this side's convoys at the meeting point, then the
# linked site's convoys in their slots
BRIDGE, BRIDGE_CROSSES = 12, 13  # waiting for its batch (no timer); its batch crosses
LINKED_TO_BRIDGE, LINKED_AT_BRIDGE, LINKED_CROSSES = 14, 15, 16  # at the bridge: no timer
LINKED_TO_SAFETY, LINKED_RETURNING = 17, 18
# private columns' stages (batch_private.py); they share CROSSING_QUEUE
PRIVATE_TO_CHECKPOINT, PRIVATE_INSPECTION, PRIVATE_HELD, PRIVATE_TO_RECEPTION = 20, 21, 22, 23


class BatchState:
    """The arrays of R replications advanced together (declarations only)."""

    # -- the batch (vector.py) --------------------------------------------------------------
    scenario: Scenario
    params: BatchParameters
    variates: Variates
    rep: np.ndarray  # (R,) replication numbers: a replication's variates
    traced_reps: np.ndarray  # replication numbers whose events are traced
    R: int  # replications
    G: int  # groups of people
    P: int  # vehicle pools
    K: int  # cohorts per group: the people there at the start, then each arrival batch
    cohort_times: np.ndarray  # (G, K) hours each cohort reaches the pickup
    # the queue's cells, one per real (group, cohort): a replication's row is contiguous
    group_start: np.ndarray  # (G,) each group's first cell
    group_cells: tuple[slice, ...]  # per group, its cells (its cohorts in order)
    cell_group: np.ndarray  # (cells,) the group of each cell
    cell_time: np.ndarray  # (cells,) hours each cell's cohort reaches the pickup
    order: tuple[int, ...]  # groups in boarding order
    carriers: tuple[tuple[int, ...], ...]  # per group, the pools that may carry it
    people: np.ndarray  # (R,) everyone who ever reaches the pickup
    now: np.ndarray  # (R,) hours
    seq: np.ndarray  # (R,) timers created so far: simultaneous timers go oldest first
    # fleet, per pool (P, R)
    count: np.ndarray  # vehicles
    available_at: np.ndarray  # hours a pool reaches the pickup
    per_convoy: np.ndarray  # vehicles a convoy takes at most
    capacity: np.ndarray  # people per vehicle, crowding included (a period may change it)
    seats: np.ndarray  # seats per vehicle
    load_time: list[BatchDistribution]  # per pool, hours
    unload_time: list[BatchDistribution]  # per pool, hours
    legs: dict[str, BatchDistribution]  # route legs, hours
    # arrivals of vehicle pools and people batches, sorted by time per replication
    # kind (0 vehicles, 1 people, then the timetable's), pool or group, cohort
    arrival_kind: np.ndarray  # (events, 3) kind, who, cohort or index
    arrival_people: np.ndarray  # (events, R) people of an arrival batch (0 for other events)
    arrival_times: np.ndarray  # (events + 1, R) hours, the last INF
    arrival_order: np.ndarray  # (events, R)
    arrival_next: np.ndarray  # (R,) index of the next arrival

    # -- the pickup (batch_pickup.py) ---------------------------------------------------------
    queue: np.ndarray  # (R, cells) people waiting, by group and cohort
    idle: np.ndarray  # (P, R) vehicles at the pickup
    idle_since: np.ndarray  # (P, R) hours since the pool has had an idle vehicle
    places: tuple[tuple[int, ...], ...]  # pools by loading place
    place_pools: np.ndarray  # (L, P) the pools of each loading place
    place_groups: np.ndarray  # (L, G) the groups each loading place's pools may carry
    loading: np.ndarray  # (L, R) a convoy is loading at the place
    decide_due: np.ndarray  # (R,) hours of the dispatcher's next decision
    deadline_due: np.ndarray  # (R,) hours a short convoy stops waiting (max_wait, opening)
    convoys: np.ndarray  # (R,) convoys formed
    waited: np.ndarray  # (R,) why no convoy formed at the last decision: index of WAITED
    waited_since: np.ndarray  # (R,) hours: since when it has had a reason

    # -- convoys in flight, in slots (batch_convoys.py) ---------------------------------------
    slots: int
    in_corridor: np.ndarray  # (R,) convoys on the road before reception
    last_departure: np.ndarray  # (L, R) hours, per loading place
    room_tickets: np.ndarray  # (R,) places handed out among convoys waiting for room
    evacuated: np.ndarray  # (R,) people at reception
    c_number: np.ndarray  # (slots, R) convoy number, -1 for a free slot
    c_stage: np.ndarray  # (slots, R) what the convoy's next event is
    c_next: np.ndarray  # (slots, R) hours of its next event
    c_seq: np.ndarray  # (slots, R) creation order of that timer
    c_vehicles: np.ndarray  # (slots, P, R)
    c_manifest: np.ndarray  # (slots, R, cells) people aboard by group and cohort
    c_groups: np.ndarray  # (slots, G, R) people aboard by group
    c_people: np.ndarray  # (slots, R)
    c_formed: np.ndarray  # (slots, R) hours
    c_departed: np.ndarray  # (slots, R) hours, NaN before it leaves
    c_at_checkpoint: np.ndarray  # (slots, R) hours, NaN before the checkpoint
    c_hold_seq: np.ndarray  # (slots, R) order the held convoys stopped in
    c_hop: np.ndarray  # (slots, R) a held convoy took its extra scheduling hop
    c_waited_for: np.ndarray  # (slots, R) what it last waited for at the pickup (LEFT_AFTER)
    c_lane: np.ndarray  # (slots, R) the convoy holds an inspection lane
    c_inspection: np.ndarray  # (slots, R) hours of its inspection, while it queues for a lane
    c_ticket: np.ndarray  # (slots, R) its place in the queue for a lane
    c_private: np.ndarray  # (slots, R) a private column's stream, -1 for a convoy
    c_private_n: np.ndarray  # (slots, R) a private column's vehicles
    c_place: np.ndarray  # (slots, R) the loading place the convoy formed at
    c_room: np.ndarray  # (slots, R) its place among convoys waiting for room
    c_hold_hours: np.ndarray  # (slots, R) hours held so far, against max_hold
    c_hold_start: np.ndarray  # (slots, R) when the current hold's wait began
    c_hold_until: np.ndarray  # (slots, R) when the convoy's max_hold is spent
    c_bridge: np.ndarray  # (slots, R) its rank among its side's convoys at the meeting point
    c_bridge_since: np.ndarray  # (slots, R) hours: when it began to wait there
    deferred: list[tuple[np.ndarray, np.ndarray]]  # turn-backs after an event: (hit, idx)

    # -- private vehicles (batch_private.py) --------------------------------------------------
    column_stream: np.ndarray  # (columns,) each column's stream
    column_vehicles: np.ndarray  # (columns, R) vehicles in each column
    column_order: np.ndarray  # (columns,) the order columns fall due
    column_pending: np.ndarray  # (columns, R) due while the ceasefire was suspended
    column_takes: list[tuple[int, ...]]  # per stream, the groups it takes, in order
    column_load: list[BatchDistribution]  # per stream, people per vehicle
    column_seats: dict[int, np.ndarray]  # per column drawn, (R, vehicles) cumulative seats
    column_open: np.ndarray  # (columns, R) the column may still leave

    # -- the rules in force and the timetable (batch_timetable.py) ---------------------------
    min_vehicles: np.ndarray  # (R,) vehicles a convoy waits for
    max_wait: np.ndarray  # (R,) hours idle vehicles wait for them
    headway: np.ndarray  # (R,) hours between departures
    max_in_corridor: np.ndarray  # (R,) most convoys between pickup and reception
    travel_factor: np.ndarray  # (R,) multiplies road legs that start now
    inspection_factor: np.ndarray  # (R,) multiplies inspections that start now
    board_while_suspended: np.ndarray  # (R,) convoys may load during a suspension
    to_lose: np.ndarray  # (P, R) vehicles to leave the fleet as they come back
    left: np.ndarray  # (R,) people who gave up waiting
    leave_share: np.ndarray  # (G, R) share of a cohort that gives up (0: nobody)
    change_notes: list[FleetChange]  # the pools' changes, by calendar index

    # -- the crossing (batch_crossing.py) -----------------------------------------------------
    crossing_on: bool  # the scenario has a [crossing]
    lanes: Value  # inspection lanes (INF: unlimited)
    rate_changes: tuple[float, ...]  # hours at which periods change the lanes' rate
    rates: tuple[Value, ...]  # vehicles an hour per lane, before and from each change
    lanes_busy: np.ndarray  # (R,) lanes holding a convoy
    crossing_tickets: np.ndarray  # (R,) places in the queue handed out

    # -- the ceasefire (batch_ceasefire.py) ---------------------------------------------------
    active: np.ndarray  # (R,) the ceasefire holds
    until: np.ndarray  # (R,) hours the suspension ends
    negotiated: np.ndarray  # (R,) negotiations drawn
    breaches: np.ndarray  # (R,) breaches drawn
    breach_rate: Value  # per hour
    max_hold: np.ndarray  # (R,) hours a held convoy waits before it turns back
    incident_probability: Value
    turn_back_mode: bool
    windows: tuple[Window, ...]
    window_start: np.ndarray  # (windows + 1,) hours, the last INF
    window_next: np.ndarray  # (R,)
    resume_due: np.ndarray  # (R,) hours
    breach_due: np.ndarray  # (R,) hours
    hazard_since: np.ndarray  # (R,) hours
    hazard_left: np.ndarray  # (R,) unit-exponential hazard still to run before a breach
    extra_rate: np.ndarray  # (R,) breaches per hour added by the linkage rule
    negotiation: BatchDistribution | None  # hours
    guarantee: BatchDistribution | None  # hours

    # -- the linked site (batch_linkage.py) ---------------------------------------------------
    ahead: np.ndarray  # (R,) this side is ahead beyond the deal: paused
    linked_due: np.ndarray  # (R,) hours of the linked site's next event
    linked_seq: np.ndarray  # (R,) creation order of that timer
    linked_people: Value
    linked_per_convoy: Value
    linked_start: Value  # hours
    max_lag: Value  # share of 1
    lag_breach_rate: Value  # per hour
    linked_trip: BatchDistribution  # hours
    linked_sent: np.ndarray  # (R,) people sent from the linked site
    linked_n: np.ndarray  # (R,) people in the linked convoy on its way
    linked_travelling: np.ndarray  # (R,)

    # -- an exchange (batch_exchange.py): the linked site's convoys and the meeting point -----
    x_people: np.ndarray  # (R,) people to evacuate from the linked site
    x_size: np.ndarray  # (R,) vehicles a linked convoy takes at most
    x_load: np.ndarray  # (R,) people a linked vehicle carries
    x_start: np.ndarray  # (R,) hours: the deal binds
    x_headway: np.ndarray  # (R,) hours between the linked site's departures
    x_trips: dict[str, BatchDistribution]  # to_meeting, from_meeting, return_trip: hours
    x_total: np.ndarray  # (R,) convoys the linked site sends in all
    x_batches: np.ndarray  # (R,) batches of the pairing
    x_idle: np.ndarray  # (R,) the linked site's vehicles at home
    x_sent: np.ndarray  # (R,) people who left the linked site
    x_formed: np.ndarray  # (R,) linked convoys that left
    x_last: np.ndarray  # (R,) hours of its last departure
    x_halted: np.ndarray  # (R,) the linked site is in one of its scripted halts
    x_halted_at_random: np.ndarray  # (R,) in one of its random halts
    x_here_at: np.ndarray  # (R,) this side's convoys that reached the meeting point, paired
    x_there_at: np.ndarray  # (R,) the linked site's
    x_released: np.ndarray  # (R,) batches that crossed

    # -- an exchange's after_safe clause (batch_after_safe.py) ---------------------------------
    y_held: tuple[int, ...]  # the groups it holds back (none: no clause)
    y_needed: np.ndarray  # (R,) people of the linked site safe before they may board
    y_met: np.ndarray  # (R,) they may board
    y_told: np.ndarray  # (R,) the trace has said why they wait
