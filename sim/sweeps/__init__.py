"""Parameter sweeps: a sweep file's points run as batch-engine chunks, on any executor.

- :mod:`~sim.sweeps.spec` reads and checks sweep files;
- :mod:`~sim.sweeps.design` turns them into points (grid, Latin hypercube, Sobol, Saltelli);
- :mod:`~sim.sweeps.chunks` cuts the replications into chunks and keeps finished ones;
- :mod:`~sim.sweeps.executors` runs chunks on local processes or a Dask cluster;
- :mod:`sim.precision` (shared with ``evacsim run``) is the stopping rule of ``--precision``;
- :mod:`~sim.sweeps.sensitivity` estimates Sobol indices with SALib;
- :mod:`~sim.sweeps.output` and :mod:`~sim.sweeps.figures` write the sweep's folder;
- :mod:`~sim.sweeps.run` puts them together in :func:`sweep`.
"""

from sim.sweeps.run import SweepResult, sweep
from sim.sweeps.spec import SweepSpec, load_sweep

__all__ = ["SweepResult", "SweepSpec", "load_sweep", "sweep"]
