"""The compiled batch engine: the batch engine's replications, each run in compiled code.

An optional accelerator (``pip install 'evacsim[fast]'``, which brings numba). The numpy
batch engine (:mod:`sim.engines.vector`) sets a batch up and closes its books; in between,
instead of advancing every replication in lockstep with array operations, a compiled loop
(:mod:`~sim.engines.compiled.loop`) runs each replication's events one after another, in
the batch engine's order, with the same arithmetic in the same order. So the three engines
agree to the bit, replication by replication.

Every transcendental function (``exp``, ``log``, ``ndtri``) is numpy's or scipy's: numba's
differ from numpy's in the last bit for a few values in a hundred. A convoy's hours (its
slowest vehicles' loading and unloading, which depend on how many vehicles it takes, and
its legs') are computed as it forms, by numpy's own loops and scipy's functions called from
compiled code (:mod:`~sim.engines.compiled.hours`, :mod:`~sim.engines.compiled.native`);
durations indexed by a suspension come from the batch engine's tables, transformed in numpy
before the loop. Where numpy's functions cannot be had, the legs' hours come from the
tables too, and a replication that forms a convoy stops: numpy computes its slowest
vehicles' hours for every stopped replication at once, and the loop resumes
(:mod:`~sim.engines.compiled.run`).

Only the first phase's mechanisms are compiled
(:func:`~sim.engines.compiled.run.compiled_supports`); a batch with any other, or with
traced replications, runs in the numpy engine.
"""
