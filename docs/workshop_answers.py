"""Write docs/workshop-answers.md: the workshop's answers, computed by running its commands.

Run ``make workshop-answers`` (or ``python docs/workshop_answers.py`` with the package
installed) to rewrite the file. Each exercise's commands are the ones ``docs/workshop.md``
shows; they run here through the Python API the command line calls (``evacsim run`` is
``sim.run(sim.load_scenario(path, sets), reps, seed)``, ``evacsim narrate`` is
``sim.views.narrate.narrate``), so the numbers are the ones a participant sees. Numbers are
rounded the same way every time; ``tests/test_workshop.py`` checks that the checked-in
file is what this script writes, so a model change that moves an answer fails until the
answers are regenerated (and their explanations reread).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import numpy as np

import sim
from sim.outputs.metrics import Summary
from sim.views.narrate import narrate

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "workshop-answers.md"
EVACSIM = ".venv/bin/evacsim"


@dataclass(frozen=True)
class Run:
    """One ``evacsim run`` of the workshop: its command line and its result.

    Attributes
    ----------
    scenario : str
        Scenario file, relative to the repository root.
    reps, seed : int
    sets : tuple of str
        ``--set KEY=VALUE`` overrides.
    """

    scenario: str
    reps: int
    seed: int = 1
    sets: tuple[str, ...] = ()

    @property
    def command(self) -> str:
        """The command line, as the workshop shows it."""
        words = [EVACSIM, "run", self.scenario, "--reps", str(self.reps), "--seed", str(self.seed)]
        for override in self.sets:
            words += ["--set", f'"{override}"' if "'" in override else override]
        return " ".join(words)

    def load(self) -> sim.Scenario:
        """The scenario with the overrides applied."""
        return sim.load_scenario(ROOT / self.scenario, list(self.sets))

    def summary(self, metric: str) -> Summary:
        """The summary of one metric over the replications."""
        return _summaries(self)[metric]

    def values(self, metric: str) -> np.ndarray:
        """The metric's value in each replication."""
        return _result(self).metrics[metric]


def _told(run: Run, rep: int) -> list[str]:
    """The narration of replication ``rep``, as ``evacsim narrate`` tells it."""
    scenario = run.load()
    trace = sim.run(scenario, rep + 1, run.seed, trace=[rep]).replications.trace
    return narrate(scenario, trace, rep)


@cache
def _result(run: Run) -> sim.RunResult:
    return sim.run(run.load(), run.reps, run.seed)


@cache
def _summaries(run: Run) -> dict[str, Summary]:
    return _result(run).summaries


# -- number formats: the same text for the same value, every time ----------------------------


def hours(value: float) -> str:
    """'15.42 h'."""
    return f"{value:.2f} h"


def clock(scenario: sim.Scenario, value: float) -> str:
    """'Thu 21:25': a moment as the terminal table shows it."""
    return scenario.clock(value).strftime("%a %H:%M")


def people(value: float) -> str:
    """'2,282' (people, person-hours: whole numbers)."""
    return f"{value:,.0f}"


def share(part: float, whole: float) -> str:
    """'97.4%'."""
    return f"{100 * part / whole:.1f}%"


def commands(*lines: str) -> str:
    """A shell block."""
    return "```sh\n" + "\n".join(lines) + "\n```"


def table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table."""
    lines = [header, ["---"] * len(header), *rows]
    return "\n".join(f"| {' | '.join(cells)} |" for cells in lines)


# -- the exercises ---------------------------------------------------------------------------

DETERMINISTIC = "scenarios/workshop/deterministic.toml"
RANDOM = "scenarios/workshop/random.toml"
CEASEFIRE = "scenarios/workshop/ceasefire.toml"
PRIORITY = "scenarios/workshop/priority.toml"
LINKED = "scenarios/workshop/linked.toml"
SWEEP = "scenarios/workshop/sweeps/fleet.toml"


def exercise_1() -> str:
    base = Run(DETERMINISTIC, reps=3)
    fewer = Run(DETERMINISTIC, reps=3, sets=("fleet.buses.count=8",))
    s = base.load()
    clear, convoys = base.summary("clearance_time"), base.summary("convoys")
    clear8, convoys8 = fewer.summary("clearance_time"), fewer.summary("convoys")
    spread = float(np.ptp(base.values("clearance_time")))
    return f"""## Exercise 1: clearance time by hand

{commands(base.command, fewer.command)}

**Answer.** The enclave is clear at **{hours(clear.mean)}** after the start, that is
**{clock(s, clear.mean)}**, after **{convoys.mean:.0f} convoys**. With 8 buses it is clear at
**{hours(clear8.mean)}** ({clock(s, clear8.mean)}) after **{convoys8.mean:.0f} convoys**.

**Why.** A bus carries floor(50 × 1.2) = 60 people, so 10 buses carry 600 a convoy and
2,300 people need ceil(2,300 / 600) = 4 convoys. A rotation takes 0.5 (load) + 0.5 + 0.25
+ 0.75 (to reception) + 0.25 (unload) + 1.75 (return) = 4.0 h, and a convoy reaches
reception 2.0 h after it starts boarding: 3 × 4.0 + 2.0 = 14.0 h. With 8 buses a convoy
carries 480, so ceil(2,300 / 480) = 5 convoys: 4 × 4.0 + 2.0 = 18.0 h. Nothing is random,
so the three replications agree exactly (they differ by {spread:g} h) and one run is enough.
"""


def exercise_2() -> str:
    singles = [Run(RANDOM, reps=1, seed=seed) for seed in (1, 2, 3)]
    growing = [Run(RANDOM, reps=n) for n in (10, 50, 200, 1000)]
    s = singles[0].load()
    one = ", ".join(f"{hours(r.summary('clearance_time').mean)} (seed {r.seed})" for r in singles)
    rows = [
        [
            f"{r.reps:,}",
            hours(c.mean),
            f"{hours(c.ci_low)} to {hours(c.ci_high)}",
            f"± {60 * (c.ci_high - c.ci_low) / 2:.1f} min",
        ]
        for r in growing
        for c in [r.summary("clearance_time")]
    ]
    days = [r.summary("clearance_time").mean for r in singles]
    half = {
        r.reps: (r.summary("clearance_time").ci_high - r.summary("clearance_time").ci_low) / 2
        for r in growing
    }
    big = growing[2]
    first = big.summary("first_departure")
    clear = big.summary("clearance_time")
    return f"""## Exercise 2: randomness and replications

{commands(*(r.command for r in singles), *(r.command for r in growing))}

**Answer.** One replication each: {one}. The mean clearance time over replications, with
its 95% confidence interval:

{table(["replications", "mean", "95% CI", "half-width"], rows)}

With 200 replications the mean is **{hours(clear.mean)}** ({clock(s, clear.mean)}), known to
within ±{60 * half[200]:.1f} minutes; from 50 to 200 replications the half-width shrinks by a
factor of {half[50] / half[200]:.2f}, from 200 to 1,000 by {half[200] / half[1000]:.2f}.

**Why.** Each replication is one possible day: the three single runs differ by up to
{hours(max(days) - min(days))}, so one run says little about what to expect. The
confidence interval of the mean narrows like 1 / √n: four times the replications halve it
(√4 = 2), five times divide it by √5 ≈ 2.24. It describes the *mean*; the spread of single
days does not shrink: 5% of days still clear after {clock(s, clear.p95)} (p95 {hours(clear.p95)}).

The mean is later than the 14.0 h of exercise 1 although every mean duration is the same,
because a convoy waits for its *slowest* vehicle: the first convoy leaves on average at
{hours(first.mean)}, not 0.5 h, since the slowest of 10 loading times is longer than a
typical one. The same happens at every loading and unloading, and each delay pushes back
every later convoy.
"""


def exercise_3() -> str:
    hold = Run(CEASEFIRE, reps=500)
    turn = Run(CEASEFIRE, reps=500, sets=("ceasefire.before_checkpoint='turn_back'",))
    calm = Run(RANDOM, reps=500)
    rep = int(np.flatnonzero(hold.values("suspensions") > 0)[0])
    story = _excerpt(_told(hold, rep), "The ceasefire", "held", "turns back")
    told = f"{EVACSIM} narrate {CEASEFIRE} --rep {rep} --seed {hold.seed}"
    cleared = {r: r.summary("clearance_time").n for r in (hold, turn)}

    def row(label: str, r: Run) -> list[str]:
        m = r.summary
        return [
            label,
            people(m("evacuated").mean),
            share(cleared[r], r.reps),
            f"{m('suspensions').mean:.2f}",
            f"{m('suspended_hours').mean:.2f}",
            f"{m('turned_back').mean:.2f}",
            people(m("held_person_hours").mean),
            people(m("wait_person_hours").mean),
        ]

    header = ["rule", "evacuated in 24 h", "cleared in 24 h", "suspensions", "suspended h"]
    header += ["turned back", "person-hours held aboard", "person-hours waiting"]
    rows = [row("hold (as in the file)", hold), row("turn_back", turn)]

    calm_wait = calm.summary("wait_person_hours").mean
    calm_days = int(np.sum(hold.values("suspensions") == 0))
    return f"""## Exercise 3: ceasefire interruptions

{commands(hold.command, told, turn.command)}

**Answer.** The first replication with a suspension is replication **{rep}**. Its narration
says (the ceasefire and the convoys it stopped):

```
{chr(10).join(story)}
```

Over 500 replications (means per replication):

{table(header, rows)}

Of the {hold.summary("suspensions").mean:.2f} suspensions per replication,
{hold.summary("breaches").mean:.2f} are breaches and {hold.summary("incidents").mean:.2f} follow
incidents at the checkpoint.

**Why.** A breach comes at random, 0.04 an hour while the ceasefire holds: over a day of
about 16 h that is about 0.6, and 2,300 people in 4 convoys give 4 inspections with a 5%
chance of an incident each, about 0.2. {share(calm_days, hold.reps)} of the days have no
suspension at all, so one replication can hide the risk entirely: you had to look for one
that shows it. A
suspension lasts about 2 + 1 = 3 h, and people wait at the pickup meanwhile: waiting rises
from {people(calm_wait)} person-hours without suspensions (exercise 2's scenario, 500
replications) to {people(hold.summary("wait_person_hours").mean)}.

Holding keeps people waiting aboard ({people(hold.summary("held_person_hours").mean)}
person-hours a day on average), but a held convoy moves on as soon as the ceasefire
resumes. Turning back empties the buses, but the convoy drives back, its people queue again
and the trip is lost: fewer people are out within the day and more days end uncleared. Both
runs use the same seed, so they share random numbers and the difference between the rows
comes from the rule, not from luck.
"""


def exercise_4() -> str:
    first = Run(PRIORITY, reps=200)
    last = Run(PRIORITY, reps=200, sets=("population.patients.priority=3",))

    def row(label: str, r: Run) -> list[str]:
        waits = [f"wait_{q}_{g}" for g in ("patients", "families") for q in ("mean", "p95")]
        m = r.summary
        return [label, *(hours(m(w).mean) for w in waits), people(m("wait_person_hours").mean)]

    header = ["patients board", "patients' mean wait", "patients' p95 wait"]
    header += ["families' mean wait", "families' p95 wait", "person-hours waiting"]
    rows = [row("first (priority 1)", first), row("last (priority 3)", last)]

    patients = last.summary("wait_mean_patients").mean - first.summary("wait_mean_patients").mean
    families = first.summary("wait_mean_families").mean - last.summary("wait_mean_families").mean
    total = last.summary("wait_person_hours").mean - first.summary("wait_person_hours").mean
    return f"""## Exercise 4: boarding priority and patients

{commands(first.command, last.command)}

**Answer.** Mean over 200 replications of each group's mean and 95th-percentile wait (from
reaching the pickup to leaving it):

{table(header, rows)}

Boarding last, each patient waits **{hours(patients)} longer**; each family waits
**{60 * families:.0f} minutes less**. In total, waiting {"rises" if total > 0 else "falls"} by
{people(abs(total))} person-hours.

**Why.** First in the queue, all 60 patients leave with the first convoy: 8 on the
ambulances' stretchers and the rest in buses. Last in the queue, the ambulances still take
8 patients a trip, because families may not ride them, but the other patients wait for the
buses until every family has left. The 60 patients gain hours while each of the 2,300
families loses only minutes, and the total hardly moves: priority decides *who* waits, not
how much waiting there is. Putting patients first is a choice about whom to protect, not
about speed.
"""


def exercise_5() -> str:
    deal = Run(LINKED, reps=500)
    looser = Run(LINKED, reps=500, sets=("linkage.max_lag=0.4",))
    free = Run(LINKED, reps=500, sets=("linkage.max_lag=1.0",))
    told = f"{EVACSIM} narrate {LINKED} --seed {deal.seed}"
    story = _excerpt(_told(deal, 0), "Departures here pause", "caught up", most=2)

    def row(label: str, r: Run) -> list[str]:
        m = r.summary
        return [
            label,
            hours(m("clearance_time").mean),
            hours(m("linkage_paused_hours").mean),
            f"{m('suspensions').mean:.2f}",
            people(m("wait_person_hours").mean),
        ]

    header = ["deal", "clearance time", "hours paused", "suspensions", "person-hours waiting"]
    rows = [
        row("max_lag 0.2 (as in the file)", deal),
        row("max_lag 0.4", looser),
        row("max_lag 1.0 (no lag rule)", free),
    ]
    calm = Run(RANDOM, reps=500)
    m = deal.summary
    delay = m("clearance_time").mean - free.summary("clearance_time").mean
    eased = looser.summary("clearance_time").mean - free.summary("clearance_time").mean
    return f"""## Exercise 5: a linked evacuation

{commands(told, deal.command, looser.command, free.command)}

**Answer.** Replication 0's narration at its first pause and resumption:

```
{chr(10).join(story)}
```

Over 500 replications (means per replication):

{table(header, rows)}

The deal as written holds this side back **{hours(m("linkage_paused_hours").mean)}** on
average and clears the enclave **{hours(delay)} later** than with no lag rule; a looser
deal (0.4) cuts the delay to {hours(eased)}. Without the rule the mean clearance time,
{hours(free.summary("clearance_time").mean)}, is that of exercise 2's scenario over the same
500 replications ({hours(calm.summary("clearance_time").mean)}): the same seed gives the
same durations, so the same days.

**Why.** One convoy of 600 takes this side from 0% to 26% of its people, while the
linked site has nobody out until its first convoy arrives, about 6 h after it left: the
gap exceeds 20 points at once, and no convoy forms here until the linked site catches up.
The slower partner sets the pace. Clearance is delayed by less than the hours paused,
because a pause only costs time while buses stand idle at the pickup: buses still on the
road or driving back lose nothing. Holding a side back also raises the breach hazard
(0.05 an hour more), so the lag rule brings suspensions:
{m("suspensions").mean:.2f} a replication, {looser.summary("suspensions").mean:.2f} with the
looser deal, {
        free.summary(
            "suspensions"
        ).mean:.2f} without the rule. A deal that ties two evacuations together trades
speed on one side for fairness between them.
"""


def exercise_6() -> str:
    with tempfile.TemporaryDirectory() as root:  # the sweep's folder is not part of the answer
        result = sim.sweep(ROOT / SWEEP, workers=1, root=root)
    crowding, trip = "fleet.buses.crowding", "route.return_trip.mean"
    mean = {
        (p[crowding], p[trip]): (s.mean, c.mean)
        for p, s, c in zip(
            result.points,
            result.summaries["clearance_time"],
            result.summaries["convoys"],
            strict=True,
        )
    }
    bus = result.spec.scenario.pools[0]
    loads = sorted({k[0] for k in mean})
    trips = sorted({k[1] for k in mean})
    middle = trips[len(trips) // 2]
    header = ["crowding (people per bus)", *(f"return trip {t:g} h" for t in trips), "convoys"]
    rows = [
        [f"{c:.1f} ({replace(bus, crowding=c).capacity})", *(hours(mean[c, t][0]) for t in trips)]
        + [f"{mean[c, middle][1]:g}"]
        for c in loads
    ]

    def gain(a: float, b: float) -> str:
        return hours(mean[a, middle][0] - mean[b, middle][0])

    slopes = {
        c: (mean[c, trips[-1]][0] - mean[c, trips[0]][0]) / (trips[-1] - trips[0]) for c in loads
    }
    return f"""## Exercise 6: a small sweep, and what sensitivity means

{commands(f"{EVACSIM} sweep {SWEEP}")}

**Answer.** Mean clearance time over {result.spec.reps} replications at each of the
{len(result.points)} points (the `clearance_time_mean` column of `points.csv`), and the
convoys needed:

{table(header, rows)}

With the {middle:g} h return trip, going from 60 to 70 people a bus (crowding 1.2 to 1.4)
clears the enclave **{gain(1.2, 1.4)} earlier**; from 70 to 80 (1.4 to 1.6), **{gain(1.4, 1.6)}
earlier**. One more hour of return trip adds **{hours(slopes[1.0])}** at crowding 1.0,
**{hours(slopes[1.2])}** at 1.2 and **{hours(slopes[1.8])}** at 1.8.

**Why.** Clearance is set by the number of convoys: 2,300 people in 10 buses of 60 need 4
convoys, and so do buses of 70 (700 a convoy, ceil(2,300 / 700) = 4), so ten more people a
bus hardly change anything (the last convoy needs fewer buses, so it waits for a slightly
less slow one); at 80 a bus 3 convoys suffice and a whole rotation is saved. The return
trip is driven once per convoy but the last, so an hour more of it costs (convoys − 1)
hours: 4 with 5 convoys, 3 with 4, 2 with 3.

*Sensitivity* is how much an output moves when one input moves a little, the others held
where they are. Here it is not one number: clearance time is flat in crowding between
thresholds and jumps at them, and its sensitivity to the return trip depends on the
crowding. A one-at-a-time change from a single starting point (say crowding 1.2 to 1.4)
would have called crowding useless; the sweep shows where it matters. Every point uses the
same random numbers (replication r draws the same durations at every point), so the
differences between points come from the inputs, not from luck.
"""


def _excerpt(lines: list[str], *phrases: str, most: int | None = None) -> list[str]:
    """The narration's first ``most`` entries containing any of ``phrases``, under their
    day headings."""
    kept: list[str] = []
    day: list[str] = []
    entry: list[str] = []
    found = 0

    def close() -> None:
        nonlocal found
        if entry and any(p in " ".join(entry) for p in phrases) and found != most:
            kept.extend(day + entry)
            day.clear()
            found += 1

    for line in [*lines, ""]:
        if line.startswith(" "):  # an entry wrapped onto the next line
            entry.append(line)
            continue
        close()
        entry = []
        if line[:2].isdigit():
            entry = [line]
        elif line:
            day[:] = ([""] if kept else []) + [line]
    return kept


def answers() -> str:
    """The whole answers page (Markdown)."""
    parts = [exercise_1(), exercise_2(), exercise_3(), exercise_4(), exercise_5(), exercise_6()]
    head = """# Workshop answers

The answers to the exercises of [the workshop](workshop.md), with the numbers the model
gives. This page is written by `docs/workshop_answers.py` (`make workshop-answers`), which
runs each command shown through the same Python API as the command line; do not edit it
by hand. Commands run from the repository root after `make run`; `--seed` fixes the
random numbers, so everyone gets these numbers exactly.
"""
    return "\n".join([head, *parts]).rstrip() + "\n"


def main() -> None:
    """Write the answers page; a failed run leaves the old page in place."""
    text = answers()
    partial = OUT.with_suffix(".md.tmp")
    partial.write_text(text)
    partial.replace(OUT)
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
