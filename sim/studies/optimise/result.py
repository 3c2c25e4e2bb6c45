"""What a study hands back: its trials, the certified choice and how it compares with the base.

Written by :func:`sim.studies.optimise.run.optimise`, read by the folder writer
(:mod:`~sim.studies.optimise.report`) and the figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sim.outputs.records import Replications
from sim.studies.optimise.decisions import shown
from sim.studies.optimise.evaluate import Plan
from sim.studies.optimise.search import Trial
from sim.studies.optimise.selection import Selection
from sim.studies.optimise.spec import StudySpec
from sim.studies.paired import Difference


@dataclass
class OptimiseResult:
    """The outcome of a study.

    Attributes
    ----------
    spec : StudySpec
    folder : Path
    trials : list of Trial
        Every trial of the search, by number.
    shortlist : list of Trial
        The plans the certification compared, in the order it numbers them.
    selection : Selection
        The ranking-and-selection outcome (indices into ``shortlist``).
    chosen : dict or None
        The selected plan's decisions (None when no plan was found feasible).
    report_first : int
        First of the replications the chosen plan and the base were measured on, after
        the search's and the certification's (so their estimates are not biased by the
        choice).
    chosen_runs, base_runs : Replications or None
        Those replications, the same numbers for both.
    differences : list of Difference
        Chosen plan minus base, paired, per metric.
    wall_time : float
        Seconds this run took.
    """

    spec: StudySpec
    folder: Path
    trials: list[Trial]
    shortlist: list[Trial]
    selection: Selection
    chosen: Plan | None
    report_first: int
    chosen_runs: Replications | None
    base_runs: Replications | None
    differences: list[Difference]
    wall_time: float

    @property
    def label(self) -> str:
        """The chosen plan's name: its trial number."""
        if self.selection.chosen is None:
            return "none"
        return f"trial {self.shortlist[self.selection.chosen].number}"

    @property
    def statement(self) -> str:
        """The certification's conclusion, in one sentence."""
        c, s = self.spec.certify, self.selection
        ranked = self.spec.ranked
        if not self.shortlist:
            names = ", ".join(o.metric for o in self.spec.objectives)
            return (
                f"No trial of the search had {names} defined in every replication (NaN, e.g. "
                "a clearance time when the enclave was not cleared within the horizon): "
                "there was no plan to certify."
            )
        if s.chosen is None and s.certified:
            return (
                f"No plan of the shortlist of {len(self.shortlist)} is feasible: each was "
                "found to violate a constraint."
            )
        plan = ", ".join(f"{k} = {shown(v)}" for k, v in (self.chosen or {}).items())
        if not s.certified:
            return (
                f"Plan {self.label} ({plan}) leads, but the certification reached "
                f"max_reps = {c.max_reps} before it could tell the plans apart: no guarantee."
            )
        return (
            f"Plan {self.label} ({plan}) is the best feasible plan with probability of "
            f"correct selection >= {1 - c.alpha:.3g} (1 - alpha, alpha = {c.alpha:g}) at "
            f"indifference delta = {c.delta:g} in {ranked.metric} ({ranked.sense}), among "
            f"the {len(self.shortlist)} plans of the shortlist."
        )
