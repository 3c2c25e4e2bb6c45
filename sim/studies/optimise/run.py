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
from pathlib import Path

import sim.version  # the one version lookup, read at each call
from sim.errors import ScenarioError
from sim.outputs.folders import check_destination
from sim.outputs.records import Replications
from sim.studies.optimise.certify import certify, shortlist
from sim.studies.optimise.evaluate import Evaluator
from sim.studies.optimise.result import OptimiseResult
from sim.studies.optimise.search import search
from sim.studies.optimise.spec import StudySpec, load_study
from sim.studies.paired import Difference, difference

#: Metrics compared between the chosen plan and the base, besides the study's own.
HEADLINE = (
    "evacuated",
    "convoys",
    "turned_back",
    "suspended_hours",
    "held_person_hours",
    "cold_person_hours",
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
        A bad study file, Optuna missing, a folder that exists already or cannot be
        written, or a search journal the disk cannot take (the trials before it are kept).
    """
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
    if folder.is_dir():
        raise ScenarioError(
            str(folder), "", "already exists: this study has finished (see its report.md); "
            "choose another --out folder or remove it to run again"
        )  # fmt: skip
    work = folder.with_name(folder.name + ".search")
    check_destination(folder)  # a file of that name, a parent that is a file, read-only
    check_destination(work, new=False)
    evaluator = Evaluator(spec, workers)
    try:
        trials = search(spec, work / "optuna.log", evaluator, progress, study_id(spec))
    except OSError as error:  # the journal: a full disk, a quota
        raise ScenarioError(
            str(work), "", f"cannot be written: {error.strerror}; the trials finished before "
            "are kept: make room and run the same command to resume"
        ) from None  # fmt: skip
    short = shortlist(spec, trials)
    selection = certify(spec, [t.plan for t in short], evaluator, progress)
    chosen = None if selection.chosen is None else short[selection.chosen].plan
    first = spec.reps + spec.certify.max_reps
    chosen_runs: Replications | None = None
    base_runs: Replications | None = None
    differences: list[Difference] = []
    if chosen is not None:
        n = max(spec.reps, int(selection.used[selection.chosen]))
        chosen_runs, base_runs = evaluator.run([chosen, None], first, first + n)
        (independent,) = evaluator.run([chosen], first + n, first + 2 * n)
        differences = [
            difference(
                "chosen", m, base_runs.metrics[m], chosen_runs.metrics[m], independent.metrics[m]
            )
            for m in compared(spec)
        ]
    result = OptimiseResult(
        spec,
        folder,
        trials,
        short,
        selection,
        chosen,
        first,
        chosen_runs,
        base_runs,
        differences,
        0.0,
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
    identity = {"study": spec.identity(), "evacsim": sim.version.__version__}
    text = json.dumps(identity, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]
