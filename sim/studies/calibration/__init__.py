"""Calibration: fit a scenario's free parameters to reported figures, with uncertainty.

A targets file (``scenarios/calibration/*.toml``) names the scenario, the reported figures
and the free parameters with their priors; :func:`calibrate` runs approximate Bayesian
computation on the batch engine and refines the fit; :meth:`Calibration.save` writes the
report, the posterior and the figures::

    import sim
    targets = sim.load_targets("scenarios/calibration/aleppo_2016_targets.toml")
    calibration = sim.calibrate(targets, draws=4096)
    calibration.best                     # the point a scenario file takes
    calibration.save()                   # results/calibration/<id>/
"""

from sim.studies.calibration.abc import Calibration, calibrate
from sim.studies.calibration.targets import Prior, Target, Targets, load_targets

__all__ = ["Calibration", "Prior", "Target", "Targets", "calibrate", "load_targets"]
