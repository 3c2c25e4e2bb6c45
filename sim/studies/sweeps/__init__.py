"""Parameter sweeps: a sweep file's points run as batch-engine chunks, on any executor.

- :mod:`~sim.studies.sweeps.spec` reads and checks sweep files;
- :mod:`~sim.studies.sweeps.design` turns them into points (grid, Latin hypercube, Sobol, Saltelli);
- :mod:`~sim.studies.sweeps.chunks` cuts the replications into chunks and keeps finished ones;
- :mod:`~sim.studies.sweeps.executors` runs chunks on local processes or a Dask cluster;
- :mod:`~sim.studies.precision` (shared with ``evacsim run``): the stopping rule of ``--precision``;
- :mod:`~sim.studies.sweeps.sensitivity` estimates Sobol indices with SALib;
- :mod:`~sim.studies.sweeps.output`, :mod:`~sim.studies.sweeps.figures` write the sweep's folder;
- :mod:`~sim.studies.sweeps.run` puts them together in :func:`sweep`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.on_demand import importer

if TYPE_CHECKING:
    from sim.studies.sweeps.result import SweepResult
    from sim.studies.sweeps.run import sweep
    from sim.studies.sweeps.spec import SweepSpec, load_sweep

#: Each public name's module, imported on first use (PEP 562): ``evacsim run`` and
#: ``compare`` reach the executors without the sweep's writers, figures and SALib.
_ON_DEMAND = {
    "SweepResult": "sim.studies.sweeps.result",
    "sweep": "sim.studies.sweeps.run",
    "SweepSpec": "sim.studies.sweeps.spec",
    "load_sweep": "sim.studies.sweeps.spec",
}


__getattr__ = importer(__name__, _ON_DEMAND)

__all__ = ["SweepResult", "SweepSpec", "load_sweep", "sweep"]
