"""Upper bounds of scenario values: guards against unit mistakes and numbers the machine
cannot hold, each with its reason. ``docs/scenario.md`` states them beside the keys.

Every numeric key has a bound: the ones below where a key needs its own, and
:data:`LARGEST` for any other (:class:`sim.inputs.schema.Table` applies it).
"""

from __future__ import annotations

#: Longest horizon, hours (a year): a guard against a unit mistake.
MAX_HORIZON = 24 * 366
#: Longest duration parameter and latest moment, hours: nothing longer can end in a run.
MAX_HOURS = MAX_HORIZON
#: Largest coefficient of variation of a duration: beyond it almost every draw is zero and
#: the rest overflow (``cv ** 2`` of 1e308 is infinite).
MAX_CV = 10.0
#: Most people in one scenario (every group, arrivals and the linked site together): the
#: hourly series count people in 32-bit integers, and a city of ten million is beyond any
#: convoy evacuation.
MAX_PEOPLE = 10_000_000
#: Most seats in one vehicle.
MAX_SEATS = 1_000
#: Largest rate of an event per hour (breaches): one a minute sixty times over.
MAX_RATE = 3_600.0
#: Most arrival batches of one group (``every`` expands into one batch per step).
MAX_ARRIVAL_BATCHES = 10_000
#: Most convoys a scenario may need at each site in one replication; the least it needs is
#: its people over the seats of the largest convoy. Beyond this a run takes hours.
MAX_CONVOYS = 10_000
#: Most suspensions a scenario may imply in one replication: the horizon over the mean time
#: from one breach to the next (breach gap, then negotiation and guarantee).
MAX_SUSPENSIONS = 10_000
#: Lowest and highest temperature, °C.
MAX_CELSIUS = 100.0
#: Most replications of a run, and most traced replications.
MAX_REPS = 100_000_000
MAX_TRACE_REPS = 1_000
#: Largest seed: TOML's largest integer.
MAX_SEED = 2**63 - 1
#: Largest value of any other numeric key.
LARGEST = 1e9
