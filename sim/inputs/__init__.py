"""Inputs: scenario files read, checked and turned into an immutable :class:`Scenario`.

The first stage of the one-way flow (scenario → variates → engine → records → run folder →
views). A new scenario key goes here: its field in :mod:`~sim.inputs.scenario`, its check in
:mod:`~sim.inputs.schema` or :mod:`~sim.inputs.loader`, its line in ``docs/scenario.md``.
"""
