"""Study files: the plan to choose, the world it must work in, and what "best" means.

A study file names a base scenario, the **decisions** (levers a planner sets), the
**uncertainties** (inputs nobody sets, drawn afresh in every replication, the same draw for
every plan), one objective (or two, for a Pareto front), the **constraints** and the
budget::

    name = "aleppo_plan"
    base = "../aleppo_2016.toml"        # relative to the study file
    seed = 1
    reps = 100                          # replications per trial of the search
    budget = 6000                       # replications for the whole search: 60 trials
    batch = 6                           # trials asked at once and run as one batch
    objectives = [{ maximise = "evacuated_by_halt" }]

    [decisions]
    "fleet.buses.count" = { low = 30, high = 60 }        # whole numbers: it counts buses
    "convoy.headway" = { low = 0.5, high = 3.0 }         # hours
    "ceasefire.before_checkpoint" = { choices = ["hold", "turn_back"] }

    [uncertainties]
    "ceasefire.breach_rate" = { dist = "uniform", low = 0.005, high = 0.05 }

    [[constraints]]                     # a chance constraint on one replication's outcome
    metric = "turned_back"
    above = 0                           # the event: more than 0 people turned back
    probability_at_most = 0.10

    [certify]
    delta = 100                         # indifference, in the objective's unit

Optional keys: ``description``, ``set`` (overrides of the base), ``search.sampler``,
``certify.shortlist``, ``alpha``, ``first_stage``, ``max_reps`` and ``objective``, a
constraint's ``name`` and ``tolerance``; ``docs/optimise.md`` describes them all with their
defaults (:data:`~sim.studies.optimise.defaults.DEFAULTS`). Every mistake raises
:class:`~sim.errors.ScenarioError` naming the study file and the key, before anything runs.

The parts of a study are read by their modules: :mod:`~sim.studies.optimise.decisions`,
:mod:`~sim.studies.optimise.uncertainties` and :mod:`~sim.studies.optimise.goals`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.inputs.scenario import Scenario
from sim.outputs.records import metric_names
from sim.studies.optimise.decisions import Decision, read_decisions
from sim.studies.optimise.defaults import DEFAULTS
from sim.studies.optimise.goals import Constraint, Objective, read_constraints, read_objectives
from sim.studies.optimise.uncertainties import Uncertainty, read_uncertainties
from sim.studies.study_file import Fail, no_unknown, number, read_study_file, whole

#: Samplers of the search (Optuna's): tree-structured Parzen estimator, NSGA-II, random.
SAMPLERS = ("tpe", "nsga2", "random")
TOP_KEYS = {
    "name",
    "description",
    "base",
    "set",
    "seed",
    "reps",
    "budget",
    "batch",
    "objectives",
    "decisions",
    "uncertainties",
    "constraints",
    "search",
    "certify",
}
CERTIFY_KEYS = {"shortlist", "alpha", "delta", "first_stage", "max_reps", "objective"}


@dataclass(frozen=True)
class Certify:
    """Settings of the ranking-and-selection procedure (:mod:`.selection`).

    Attributes
    ----------
    shortlist : int
        Most plans the search hands over: the best feasible distinct plans.
    alpha : float
        1 - alpha is the promised probability of correct selection.
    delta : float
        Indifference zone, in the ranked objective's unit: plans within ``delta`` of the
        best count as equally good.
    first_stage : int
        Replications of every plan before the first check (n0).
    max_reps : int
        Most replications per plan; the guarantee lapses for a procedure that reaches it.
    objective : int
        Which objective ranks the plans (0 or 1).
    """

    shortlist: int
    alpha: float
    delta: float
    first_stage: int
    max_reps: int
    objective: int


@dataclass(frozen=True)
class StudySpec:
    """A validated study file.

    Attributes
    ----------
    path, name, description : str
    base : Path
        The base scenario file.
    overrides : tuple of str
        ``KEY=VALUE`` settings applied to the base (the file's ``set``).
    scenario : Scenario
        The base with ``overrides``.
    seed : int
        Seed of the replications, the uncertainties and the sampler.
    reps : int
        Replications per trial of the search.
    budget : int
        Replications for the whole search (``budget // reps`` trials).
    batch : int
        Trials asked at once and run as one batch of the engine.
    sampler : str
        One of ``SAMPLERS``.
    objectives : tuple of Objective
        One, or two for a Pareto front.
    decisions : tuple of Decision
    uncertainties : tuple of Uncertainty
    constraints : tuple of Constraint
    certify : Certify
    """

    path: str
    name: str
    description: str
    base: Path
    overrides: tuple[str, ...]
    scenario: Scenario
    seed: int
    reps: int
    budget: int
    batch: int
    sampler: str
    objectives: tuple[Objective, ...]
    decisions: tuple[Decision, ...]
    uncertainties: tuple[Uncertainty, ...]
    constraints: tuple[Constraint, ...]
    certify: Certify

    @property
    def trials(self) -> int:
        """Trials of the search."""
        return self.budget // self.reps

    @property
    def ranked(self) -> Objective:
        """The objective the certification ranks plans by."""
        return self.objectives[self.certify.objective]

    def identity(self) -> dict[str, Any]:
        """Everything the results depend on, as plain data (hashed into the study id)."""
        return {
            "base": self.scenario.document,
            "set": list(self.overrides),
            "seed": self.seed,
            "reps": self.reps,
            "budget": self.budget,
            "batch": self.batch,
            "sampler": self.sampler,
            "objectives": [[o.metric, o.sense] for o in self.objectives],
            "decisions": [_plain(d) for d in self.decisions],
            "uncertainties": [_plain(u) for u in self.uncertainties],
            "constraints": [_plain(c) for c in self.constraints],
            "certify": _plain(self.certify),
        }


def load_study(path: str | Path, budget: int | None = None, seed: int | None = None) -> StudySpec:
    """Read and check a study file.

    Parameters
    ----------
    path : str or Path
        A study file, or the name of a bundled one (``optimise/deterministic_fleet``).
    budget : int, optional
        Overrides the file's ``budget`` (replications for the search).
    seed : int, optional
        Overrides the file's ``seed``.

    Raises
    ------
    ScenarioError
        Naming the study file (or the base scenario) and the key.
    """
    file = read_study_file(path, "study", TOP_KEYS)
    doc, scenario, fail = file.doc, file.scenario, file.fail
    known = metric_names(scenario)

    seed = whole(doc.get("seed", scenario.seed) if seed is None else seed, "seed", 0, fail)
    reps = whole(doc.get("reps", DEFAULTS["reps"]), "reps", 2, fail)
    if budget is None and "budget" not in doc:
        raise fail("budget", "must give the replications for the search, e.g. 10000")
    budget = whole(doc["budget"] if budget is None else budget, "budget", reps, fail)
    batch = whole(doc.get("batch", DEFAULTS["batch"]), "batch", 1, fail)
    search = _table(doc.get("search", {}), "search", {"sampler"}, fail)
    sampler = search.get("sampler", DEFAULTS["sampler"])
    if sampler not in SAMPLERS:
        raise fail("search.sampler", f"must be one of {', '.join(SAMPLERS)}, got {sampler!r}")
    if sampler == "nsga2" and batch < 2:
        raise fail("batch", "NSGA-II breeds a population of trials: batch must be at least 2")

    objectives = read_objectives(doc.get("objectives"), known, fail)
    decisions = read_decisions(doc.get("decisions"), scenario, file.base, file.overrides, fail)
    uncertainties = read_uncertainties(doc.get("uncertainties", {}), scenario, decisions, fail)
    constraints = read_constraints(doc.get("constraints", []), known, fail)
    certify = _certify(doc.get("certify"), len(objectives), reps, fail)
    return StudySpec(
        file.source,
        file.name,
        str(doc.get("description", "")),
        file.base,
        file.overrides,
        scenario,
        seed,
        reps,
        budget,
        batch,
        sampler,
        objectives,
        decisions,
        uncertainties,
        constraints,
        certify,
    )


def _certify(table: Any, objectives: int, reps: int, fail: Fail) -> Certify:
    if not isinstance(table, dict):
        raise fail("certify", "must be a table with at least delta, the indifference zone")
    no_unknown(table, CERTIFY_KEYS, "certify", fail)
    delta = table.get("delta")
    if not number(delta) or delta <= 0:
        raise fail(
            "certify.delta",
            f"must be a number above 0 in the objective's unit (the smallest difference "
            f"worth telling apart), got {delta!r}",
        )
    alpha = table.get("alpha", DEFAULTS["alpha"])
    if not number(alpha) or not 0 < alpha < 0.5:
        raise fail("certify.alpha", f"must be a number between 0 and 0.5, got {alpha!r}")

    def setting(name: str, least: int) -> int:
        return whole(table.get(name, DEFAULTS[name]), f"certify.{name}", least, fail)

    shortlist = setting("shortlist", 1)
    first = setting("first_stage", 2)
    cap = setting("max_reps", first)
    ranked = table.get("objective", 0)
    if isinstance(ranked, bool) or ranked not in range(objectives):
        allowed = "0" if objectives == 1 else "0 or 1"
        raise fail("certify.objective", f"must be the objective's index, {allowed}")
    return Certify(shortlist, float(alpha), float(delta), first, cap, ranked)


def _table(value: Any, where: str, keys: set[str], fail: Fail) -> dict:
    if not isinstance(value, dict):
        raise fail(where, f"must be a table with {', '.join(sorted(keys))}")
    no_unknown(value, keys, where, fail)
    return value


def _plain(item: Any) -> dict[str, Any]:
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in vars(item).items()}
