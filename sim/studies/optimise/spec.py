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

from sim.inputs.recording import TABLE
from sim.inputs.scenario import Scenario
from sim.inputs.schema import Table
from sim.outputs.records import metric_names
from sim.studies.optimise.decisions import DECISION_WORDS, DECISIONS, Decision, read_decisions
from sim.studies.optimise.defaults import DEFAULTS
from sim.studies.optimise.goals import (
    CONSTRAINT_WORDS,
    CONSTRAINTS,
    OBJECTIVE_WORDS,
    OBJECTIVES,
    Constraint,
    Objective,
    read_constraints,
    read_objectives,
)
from sim.studies.optimise.uncertainties import (
    UNCERTAINTIES,
    UNCERTAINTY_WORDS,
    Uncertainty,
    read_uncertainties,
)
from sim.studies.study_file import (
    Fail,
    no_unknown,
    number,
    read_study_file,
    read_whole,
    sub_table,
    whole,
)

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
    doc, scenario, fail, root = file.doc, file.scenario, file.fail, file.root
    known = metric_names(scenario)

    seed_words = "a whole number >= 0 (the base scenario's by default)"
    written = root.raw("seed", None, seed_words, {"type": "integer", "minimum": 0})
    written = scenario.seed if written is None else written
    seed = whole(written if seed is None else seed, "seed", 0, fail)
    reps = read_whole(root, "reps", DEFAULTS["reps"], 2, fail)
    if budget is None and not root.has("budget"):
        raise fail("budget", "must give the replications for the search, e.g. 10000")
    most = "replications for the whole search, a whole number >= reps"
    written = root.raw("budget", None, most, {"type": "integer", "minimum": 2})
    budget = whole(written if budget is None else budget, "budget", reps, fail)
    batch = read_whole(root, "batch", DEFAULTS["batch"], 1, fail)
    search = sub_table(root, "search", "a table with sampler", fail)
    no_unknown(search.data, {"sampler"}, "search", fail)
    samplers = {"type": "string", "enum": list(SAMPLERS)}
    sampler = search.raw("sampler", DEFAULTS["sampler"], f"one of {', '.join(SAMPLERS)}", samplers)
    search.close()  # unknown keys are refused above: this records that they are
    if sampler not in SAMPLERS:
        raise fail("search.sampler", f"must be one of {', '.join(SAMPLERS)}, got {sampler!r}")
    if sampler == "nsga2" and batch < 2:
        raise fail("batch", "NSGA-II breeds a population of trials: batch must be at least 2")

    given = root.has("objectives")
    goals = root.raw("objectives", allowed=OBJECTIVE_WORDS, schema=OBJECTIVES) if given else None
    objectives = read_objectives(goals, known, fail)
    given = root.has("decisions")
    chosen = root.raw("decisions", allowed=DECISION_WORDS, schema=DECISIONS) if given else None
    decisions = read_decisions(chosen, scenario, file.base, file.overrides, fail)
    drawn = root.raw("uncertainties", {}, UNCERTAINTY_WORDS, UNCERTAINTIES)
    uncertainties = read_uncertainties(drawn, scenario, decisions, fail)
    limits = root.raw("constraints", [], CONSTRAINT_WORDS, CONSTRAINTS)
    constraints = read_constraints(limits, known, fail)
    certify = _certify(root, len(objectives), reps, fail)
    root.raw("description", "", "a line saying what the study asks", {"type": "string"})
    root.close()  # unknown keys are refused by read_study_file: this records that they are
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


def _certify(root: Table, objectives: int, reps: int, fail: Fail) -> Certify:
    allowed = "a table with at least delta, the indifference zone"
    pattern = (*root.pattern, "certify")
    given = root.has("certify")
    value = root.raw("certify", allowed=allowed, schema={TABLE: pattern}) if given else None
    if not isinstance(value, dict):
        raise fail("certify", f"must be {allowed}")
    no_unknown(value, CERTIFY_KEYS, "certify", fail)
    table = Table(value, ("certify",), root.sources, pattern=pattern)
    indifference = (
        "a number above 0 in the objective's unit (the smallest difference worth telling apart)"
    )
    above = {"type": "number", "exclusiveMinimum": 0}
    delta = table.raw("delta", allowed=indifference, schema=above) if table.has("delta") else None
    if not number(delta) or delta <= 0:
        raise fail("certify.delta", f"must be {indifference}, got {delta!r}")
    risk = {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 0.5}
    alpha = table.raw("alpha", DEFAULTS["alpha"], "a number between 0 and 0.5", risk)
    if not number(alpha) or not 0 < alpha < 0.5:
        raise fail("certify.alpha", f"must be a number between 0 and 0.5, got {alpha!r}")
    shortlist = read_whole(table, "shortlist", DEFAULTS["shortlist"], 1, fail)
    first = read_whole(table, "first_stage", DEFAULTS["first_stage"], 2, fail)
    most = f"a whole number >= first_stage ({DEFAULTS['max_reps']} by default)"
    cap = table.raw("max_reps", DEFAULTS["max_reps"], most, {"type": "integer", "minimum": 2})
    cap = whole(cap, "certify.max_reps", first, fail)
    index = {"type": "integer", "enum": [0, 1]}
    ranked = table.raw("objective", 0, "the ranking objective's index, 0 or 1", index)
    if isinstance(ranked, bool) or ranked not in range(objectives):
        allowed = "0" if objectives == 1 else "0 or 1"
        raise fail("certify.objective", f"must be the objective's index, {allowed}")
    table.close()  # unknown keys are refused above: this records that they are
    return Certify(shortlist, float(alpha), float(delta), first, cap, ranked)


def _plain(item: Any) -> dict[str, Any]:
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in vars(item).items()}
