"""Optimisation under uncertainty: search for the best plan, then certify it.

- :mod:`~sim.studies.optimise.spec` reads and checks study files, their parts in
  :mod:`~sim.studies.optimise.decisions`, :mod:`~sim.studies.optimise.uncertainties` and
  :mod:`~sim.studies.optimise.goals` (defaults in :mod:`~sim.studies.optimise.defaults`);
- :mod:`~sim.studies.optimise.evaluate` runs plans on the batch engine under common random
  numbers, the uncertainties drawn per replication;
- :mod:`~sim.studies.optimise.search` searches with Optuna (resumable from its journal);
- :mod:`~sim.studies.optimise.selection` is the ranking-and-selection procedure with
  feasibility checks, on any observations;
- :mod:`~sim.studies.optimise.certify` hands it the search's shortlist;
- :mod:`~sim.studies.optimise.report`, :mod:`~sim.studies.optimise.figures` write the folder;
- :mod:`~sim.studies.optimise.run` puts them together in :func:`optimise`.
"""

from sim.studies.optimise.result import OptimiseResult
from sim.studies.optimise.run import optimise
from sim.studies.optimise.spec import StudySpec, load_study

__all__ = ["OptimiseResult", "StudySpec", "load_study", "optimise"]
