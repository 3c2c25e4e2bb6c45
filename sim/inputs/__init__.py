"""Inputs: scenario files read, checked and turned into an immutable :class:`Scenario`.

The first stage of the one-way flow (scenario → variates → engine → records → run folder →
views). A new scenario key goes here: its field in the dataclass of its part (exported from
:mod:`~sim.inputs.scenario`), its reading and check in its section's module of
:mod:`~sim.inputs.sections`, its line in ``docs/scenario.md``.
"""
