"""Certification: the search's best plans, compared afresh by ranking and selection.

The search's estimates are biased in favour of the trials it kept (a plan looks best partly
because its replications were kind to it), so the shortlist is compared on replications the
search never ran: ``reps, reps + 1, ...`` for every plan (common random numbers among the
plans, independent of the search). :func:`~sim.studies.optimise.selection.select` does the
comparison and the feasibility checks.
"""

from __future__ import annotations

import json

import numpy as np

from sim.studies.optimise.evaluate import Evaluator, Plan
from sim.studies.optimise.search import Trial
from sim.studies.optimise.selection import Selection, select
from sim.studies.optimise.spec import StudySpec
from sim.views.progress import progress_bar


def shortlist(spec: StudySpec, trials: list[Trial]) -> list[Trial]:
    """The best distinct plans of the search, best first, at most ``certify.shortlist``.

    With one objective: the feasible trials by their objective. With two: the feasible
    Pareto front, by the ranked objective. Without a feasible trial: the trials closest to
    feasible (smallest total violation), for the certification to judge on more replications.
    Ties go to the earlier trial. A trial whose estimates are exactly those of an earlier one
    is left out: on the same replications (common random numbers) its decisions made no
    difference, e.g. a headway that never binds, and comparing the two would only spend
    replications on telling a plan from itself.
    """
    distinct = distinct_trials(spec, trials)
    ranked = spec.certify.objective
    sign = [o.sign for o in spec.objectives]

    def score(t: Trial) -> float:
        return -sign[ranked] * t.objectives[ranked]

    feasible = [t for t in distinct if t.feasible]
    if len(spec.objectives) == 2:
        feasible = pareto_front(feasible, sign)
    if feasible:
        return sorted(feasible, key=score)[: spec.certify.shortlist]
    closest = sorted(distinct, key=lambda t: (sum(max(v, 0) for v in t.violations), score(t)))
    return closest[: spec.certify.shortlist]


def distinct_trials(spec: StudySpec, trials: list[Trial]) -> list[Trial]:
    """The defined trials, each plan once and each outcome once (the earliest trial), by
    number: a sampler may propose a plan again, and plans whose decisions made no
    difference on the search's replications have exactly the same estimates."""
    seen, distinct = set(), []
    for t in sorted(trials, key=lambda t: t.number):
        plan = json.dumps([t.plan[d.key] for d in spec.decisions])
        outcome = json.dumps([*t.objectives, *t.estimates])
        if t.defined and plan not in seen and outcome not in seen:
            seen |= {plan, outcome}
            distinct.append(t)
    return distinct


def pareto_front(trials: list[Trial], sign: list[float]) -> list[Trial]:
    """The trials no other trial dominates (as good in both objectives, better in one)."""
    values = np.array([[s * v for s, v in zip(sign, t.objectives, strict=True)] for t in trials])
    front = []
    for i, t in enumerate(trials):
        others = np.delete(values, i, axis=0)
        dominated = ((others >= values[i]).all(axis=1) & (others > values[i]).any(axis=1)).any()
        if not dominated:
            front.append(t)
    return front


def certify(
    spec: StudySpec, plans: list[Plan], evaluator: Evaluator, progress: bool = False
) -> Selection:
    """Select the best feasible of ``plans`` with the study's guarantee (see
    :mod:`~sim.studies.optimise.selection`), on replications from ``spec.reps`` on.

    With ``progress``, a bar on standard error counts the replications run and the plans
    still in contention."""
    ranked, sign = spec.certify.objective, spec.ranked.sign
    bar = progress_bar(progress, desc="certify")

    def sample(index: np.ndarray, first: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        chosen = [plans[i] for i in index]
        outcomes = evaluator.outcomes(chosen, spec.reps + first, spec.reps + stop)
        bar.update(len(index) * (stop - first))
        bar.set_postfix_str(f"{len(index)} of {len(plans)} plans still in at replication {first}")
        return sign * outcomes.objectives[:, ranked, :], outcomes.constraints

    c = spec.constraints
    with bar:
        return select(
            sample,
            len(plans),
            np.array([x.bound for x in c]),
            np.array([x.tolerance for x in c]),
            np.array([x.kind == "chance" for x in c], bool),
            spec.certify.alpha,
            spec.certify.delta,
            spec.certify.first_stage,
            spec.certify.max_reps,
        )
