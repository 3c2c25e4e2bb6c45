"""Running a study: search, certify, measure the chosen plan against the base, write it up.

``optimise`` is what ``evacsim optimise`` calls; a notebook calls it directly::

    import sim
    result = sim.optimise("scenarios/optimise/aleppo_plan.toml")
    result.statement      # "Plan ... is the best feasible plan with probability ..."
    result.folder         # results/optimise/aleppo_plan/<id>/: report.md, trials.csv, ...

The folder is named by a hash of everything the results depend on. While the search runs,
Optuna's journal lives beside it in ``<id>.search/``; a killed study resumes from there when
the same command is run again, and once the folder is written the journal moves into it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from sim.errors import ScenarioError
from sim.studies.optimise.certify import certify, shortlist
from sim.studies.optimise.evaluate import Evaluator, Plan
from sim.studies.optimise.search import Trial, search
from sim.studies.optimise.selection import Selection
from sim.studies.optimise.spec import StudySpec, load_study

if TYPE_CHECKING:
    from sim.outputs.records import Replications
    from sim.studies.compare import Difference

#: Metrics compared between the chosen plan and the base, besides the study's own.
HEADLINE = (
    "evacuated",
    "convoys",
    "turned_back",
    "suspended_hours",
    "held_person_hours",
    "cold_person_hours",
)


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
        if s.chosen is None and s.certified:
            return (
                f"No plan of the shortlist of {len(self.shortlist)} is feasible: each was "
                "found to violate a constraint."
            )
        plan = ", ".join(f"{k} = {v}" for k, v in (self.chosen or {}).items())
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


def optimise(
    study: StudySpec | str | Path,
    budget: int | None = None,
    seed: int | None = None,
    out: str | Path | None = None,
    workers: int | None = None,
    progress: bool = False,
    root: str | Path = "results",
) -> OptimiseResult:
    """Search a study's plans, certify the best feasible one and write the study's folder.

    Parameters
    ----------
    study : StudySpec, str or Path
        A study file or its loaded spec (see :func:`~sim.studies.optimise.spec.load_study`).
    budget : int, optional
        Replications for the search, instead of the file's.
    seed : int, optional
        Instead of the file's.
    out : str or Path, optional
        The folder to create; ``<root>/optimise/<name>/<id>`` by default.
    workers : int, optional
        Processes for the batch engine; results do not depend on it.
    progress : bool
        Progress bars and the certification's stages on standard error.
    root : str or Path
        The results folder, for the default ``out``.

    Raises
    ------
    ScenarioError
        A bad study file, Optuna missing, or a folder that exists already.
    """
    from sim.studies.compare import difference
    from sim.studies.optimise.report import write_folder

    began = time.perf_counter()
    if not isinstance(study, StudySpec):
        study = load_study(study, budget, seed)
    elif budget is not None or seed is not None:
        study = dataclasses.replace(
            study,
            budget=study.budget if budget is None else budget,
            seed=study.seed if seed is None else seed,
        )
    spec = study
    folder = Path(out) if out is not None else Path(root) / "optimise" / spec.name / study_id(spec)
    if folder.exists():
        raise ScenarioError(
            str(folder), "", "already exists: this study has finished (see its report.md); "
            "choose another --out folder or remove it to run again"
        )  # fmt: skip
    work = folder.with_name(folder.name + ".search")
    evaluator = Evaluator(spec, workers)
    trials = search(spec, work / "optuna.log", evaluator, progress)
    short = shortlist(spec, trials)
    selection = certify(spec, [t.plan for t in short], evaluator)
    chosen = None if selection.chosen is None else short[selection.chosen].plan
    first = spec.reps + spec.certify.max_reps
    runs: list[Replications | None] = [None, None]
    differences: list[Difference] = []
    if chosen is not None:
        n = max(spec.reps, int(selection.used[selection.chosen]))
        runs = evaluator.run([chosen, None], first, first + n)
        (independent,) = evaluator.run([chosen], first + n, first + 2 * n)
        differences = [
            difference("chosen", m, runs[1].metrics[m], runs[0].metrics[m], independent.metrics[m])
            for m in compared(spec)
        ]
    result = OptimiseResult(
        spec, folder, trials, short, selection, chosen, first, runs[0], runs[1], differences, 0.0
    )
    result.wall_time = time.perf_counter() - began
    write_folder(result, work / "optuna.log")
    shutil.rmtree(work, ignore_errors=True)
    return result


def compared(spec: StudySpec) -> list[str]:
    """The metrics of the chosen-against-base table: the study's, then the headline ones."""
    names = [o.metric for o in spec.objectives] + [c.metric for c in spec.constraints]
    return list(dict.fromkeys([*names, *HEADLINE]))


def study_id(spec: StudySpec) -> str:
    """Twelve hex digits of a hash of what the results depend on."""
    try:
        version = metadata.version("evacsim")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        version = "not installed"
    text = json.dumps({"study": spec.identity(), "evacsim": version}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]
