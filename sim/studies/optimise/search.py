"""The search: Optuna proposes plans, the batch engine evaluates them in batches.

Trials are asked ``batch`` at a time and run as one batch of the engine on replications
``0 .. reps - 1`` (common random numbers: every trial meets the same worlds). Constraints
reach the sampler through :meth:`optuna.trial.Trial.set_constraint`, which Optuna 5 puts in
place of the samplers' ``constraints_func`` and which its constrained samplers (TPE,
NSGA-II) read the same way: each constraint's value is ``(estimate - bound) / tolerance``,
at most 0 when the trial's estimate meets it, in units of the constraint's own tolerance so
that constraints in different units can be added.

Optuna keeps the study in a journal file (``optuna.log``, :mod:`.journal`), appended and
flushed: a search killed at any moment resumes from it. The sampler proposes in an
in-memory copy of the study, and a trial reaches the journal only once evaluated, whole, in
one line (Optuna would write a trial asked of the journal one parameter at a time, and a
kill between two of those lines leaves a half-proposed trial that no sampler can complete
as it would have). Each trial's sampler is seeded by the study's seed and the trial's
number, so on resume the batch a kill cut short is proposed again, identically (its
earlier trials running, as they were), and only its trials missing from the journal are
evaluated: a resumed search gives the same trials as one never stopped.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.errors import ScenarioError
from sim.studies.optimise.evaluate import Evaluator, Plan
from sim.studies.optimise.journal import cut_to_whole_lines, held, storage
from sim.studies.optimise.spec import StudySpec
from sim.views.progress import progress_bar

#: The study's name inside its journal.
STUDY = "evacsim"


@dataclass(frozen=True)
class Trial:
    """One evaluated plan of the search.

    Attributes
    ----------
    number : int
        Optuna's trial number, from 0, in the order trials were asked.
    plan : dict
        Decision key path -> value.
    objectives : tuple of float
        Each objective's mean over the trial's replications (NaN if undefined in any).
    estimates : tuple of float
        Each constraint's estimate: the probability of the event (chance) or the metric's
        mean (mean).
    violations : tuple of float
        Each constraint's ``(estimate - bound) / tolerance`` on ``y``'s scale; <= 0 is met.
    """

    number: int
    plan: Plan
    objectives: tuple[float, ...]
    estimates: tuple[float, ...]
    violations: tuple[float, ...]

    @property
    def defined(self) -> bool:
        """Whether every objective is defined (no NaN in any replication)."""
        return all(math.isfinite(v) for v in self.objectives)

    @property
    def feasible(self) -> bool:
        """Whether the trial's estimates meet every constraint."""
        return self.defined and all(v <= 0 for v in self.violations)


def optuna_module(spec: StudySpec) -> Any:
    """Optuna, or a one-line error saying how to install it."""
    try:
        import optuna
    except ImportError:
        raise ScenarioError(
            spec.path,
            "",
            "the search needs Optuna, which is not installed: pip install 'evacsim[optimise]'",
        ) from None
    return optuna


def search(
    spec: StudySpec,
    journal: Path,
    evaluator: Evaluator,
    progress: bool = False,
    identity: str = "",
) -> list[Trial]:
    """Run (or resume) the search; return every trial in order of its number.

    Parameters
    ----------
    spec : StudySpec
    journal : Path
        Optuna's journal file; created if missing, resumed from if present.
    evaluator : Evaluator
    progress : bool
        A progress bar over trials on standard error.
    identity : str
        The study's id (:func:`~sim.studies.optimise.run.study_id`), kept in the journal: a
        journal of another study (an ``--out`` reused after the file changed) is refused
        rather than resumed.

    Raises
    ------
    ScenarioError
        Optuna missing, the study running elsewhere, or a journal of another study.
    """
    optuna = optuna_module(spec)
    with held(journal.parent, spec.path), _quiet(optuna):
        cut_to_whole_lines(journal)
        directions = ["maximize" if o.sense == "maximise" else "minimize" for o in spec.objectives]
        study = optuna.create_study(
            storage=storage(optuna, journal),
            study_name=STUDY,
            directions=directions,
            load_if_exists=True,
        )
        kept = study.user_attrs.get("evacsim_study_id")
        if kept is None and not study.get_trials(deepcopy=False):
            study.set_user_attr("evacsim_study_id", identity)
        elif kept != identity:
            raise ScenarioError(
                str(journal),
                "",
                f"is the journal of another study (id {kept}, this one is {identity}): "
                "remove its folder or choose another --out",
            )
        space = distributions(optuna, spec)
        done = len(study.get_trials(deepcopy=False))
        # The sampler's view: the journal's trials up to the batch a kill may have cut short.
        start = done // spec.batch * spec.batch
        mirror = optuna.create_study(directions=directions)
        mirror.add_trials(study.get_trials()[:start])
        with _bar(progress, spec.trials) as bar:
            bar.update(done)
            while start < spec.trials:
                stop = min(start + spec.batch, spec.trials)
                batch = []
                for number in range(start, stop):
                    mirror.sampler = sampler(optuna, spec, number)
                    batch.append(mirror.ask(space))
                _replayed(study, batch[: done - start], journal)
                _evaluate(optuna, mirror, batch, spec, evaluator)
                evaluated = mirror.get_trials(deepcopy=False)
                for trial in batch[done - start :]:  # one journal line per trial, once whole
                    study.add_trial(evaluated[trial.number])
                bar.update(stop - done)
                start = done = stop
        return [_record(t, spec) for t in study.get_trials(deepcopy=False)]


def _replayed(study: Any, trials: list[Any], journal: Path) -> None:
    """Check that the trials proposed again on resume are the journal's.

    Raises
    ------
    ScenarioError
        If they differ: the journal was written by another version of Optuna or evacsim.
    """
    kept = study.get_trials(deepcopy=False)
    for trial in trials:
        if trial.params != kept[trial.number].params:
            raise ScenarioError(
                str(journal),
                "",
                f"trial {trial.number} is proposed differently from the journal's (written "
                "by another version of Optuna or evacsim): remove its folder to start again",
            )


def distributions(optuna: Any, spec: StudySpec) -> dict[str, Any]:
    """Optuna's distribution of each decision."""
    space = {}
    for d in spec.decisions:
        if d.kind == "choice":
            space[d.key] = optuna.distributions.CategoricalDistribution(list(d.choices))
        elif d.kind == "integer":
            step = int(d.step or 1)
            space[d.key] = optuna.distributions.IntDistribution(
                int(d.low), int(d.high), log=d.log, step=step
            )
        else:
            space[d.key] = optuna.distributions.FloatDistribution(
                d.low, d.high, log=d.log, step=d.step
            )
    return space


def sampler(optuna: Any, spec: StudySpec, number: int) -> Any:
    """The sampler that proposes trial ``number``, seeded by the study's seed and the number
    (so a resumed search proposes what an uninterrupted one would)."""
    seed = (spec.seed * 1_000_003 + number) % 2**32
    samplers = optuna.samplers
    if spec.sampler == "random":
        return samplers.RandomSampler(seed=seed)
    if spec.sampler == "nsga2":
        return samplers.NSGAIISampler(population_size=spec.batch, seed=seed)
    return samplers.TPESampler(seed=seed, multivariate=True, constant_liar=True)


def _evaluate(
    optuna: Any, study: Any, trials: list[Any], spec: StudySpec, evaluator: Evaluator
) -> None:
    """Run ``trials`` as one batch of the engine and tell Optuna their values."""
    outcomes = evaluator.outcomes([dict(t.params) for t in trials], 0, spec.reps)
    for i, trial in enumerate(trials):
        objectives = outcomes.objectives[i]
        means = [float(v.mean()) if not np.isnan(v).any() else math.nan for v in objectives]
        estimates, violations = [], []
        for c, values in zip(spec.constraints, outcomes.constraints[i], strict=True):
            mean = float(values.mean()) if not np.isnan(values).any() else math.nan
            violation = (mean - c.bound) / c.tolerance if math.isfinite(mean) else math.inf
            estimates.append(mean if c.kind == "chance" or c.sense == "at_most" else -mean)
            violations.append(violation)
            trial.set_constraint(c.name, violation)  # what the sampler reads
        for name, values in (("objectives", means), ("estimates", estimates)):
            trial.set_user_attr(name, [_json(v) for v in values])
        trial.set_user_attr("violations", [_json(v) for v in violations])
        if all(math.isfinite(v) for v in means):
            study.tell(trial, means)
        else:  # an objective undefined in some replication: the trial cannot be ranked
            study.tell(trial, state=optuna.trial.TrialState.FAIL)


def _record(trial: Any, spec: StudySpec) -> Trial:
    attrs = trial.user_attrs
    nan = [math.nan] * len(spec.objectives)
    return Trial(
        trial.number,
        {d.key: trial.params[d.key] for d in spec.decisions},
        tuple(float(v) for v in attrs.get("objectives", nan)),
        tuple(float(v) for v in attrs.get("estimates", [])),
        tuple(float(v) for v in attrs.get("violations", [])),
    )


def _json(value: float) -> float | str:
    """A float for the journal (JSON has no NaN or infinity: those go as text)."""
    return value if math.isfinite(value) else repr(value)


@contextlib.contextmanager
def _quiet(optuna: Any) -> Iterator[None]:
    """Optuna without its log lines and experimental-feature warnings."""
    before = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            yield
    finally:
        optuna.logging.set_verbosity(before)


def _bar(progress: bool, total: int):
    """A progress bar over trials (silent if not wanted)."""
    return progress_bar(progress, total=total, unit="trial", desc="search")
