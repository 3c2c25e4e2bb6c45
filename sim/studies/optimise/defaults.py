"""The defaults of a study file's optional settings: one place, documented in docs/optimise.md."""

#: The defaults of every optional setting.
DEFAULTS = {
    "reps": 100,
    "batch": 8,
    "sampler": "tpe",
    "shortlist": 5,
    "alpha": 0.05,
    "first_stage": 20,
    "max_reps": 5000,
    "chance_tolerance": 0.01,
}
