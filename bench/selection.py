"""The certification's promise, checked over many seeds (a few minutes; issue 16).

    python bench/selection.py            # appended to bench/RESULTS.md
    python bench/selection.py --quick    # a tenth of the repetitions, nothing appended

Cases with known means: normal observations, variance 1, correlated 0.5 across systems within
a replication (as common random numbers make them), and for the constrained case a chance
constraint whose events are Bernoulli. Each case repeats the procedure of
``sim/studies/optimise/selection.py`` and reports the share of correct selections with its
95% Clopper-Pearson interval, against the promised 1 - alpha, and the replications used
against what a two-stage procedure with the same constants would need.
"""

from __future__ import annotations

import argparse
import math
import platform
import subprocess
import time
from datetime import date
from pathlib import Path

import numpy as np
from scipy import stats

from sim.studies.optimise.selection import select

HERE = Path(__file__).resolve().parent
ALPHA, DELTA, N0 = 0.05, 0.5, 10

#: name, means, chance-constraint probabilities (None: no constraint), the right answer
CASES = [
    ("slippage, 5 systems, best delta above the rest", [0, 0, DELTA, 0, 0], None, 2),
    ("slippage, 10 systems", [0] * 9 + [DELTA], None, 9),
    ("increasing means, 5 systems, delta apart", [0, DELTA, 2 * DELTA, 3 * DELTA, 4 * DELTA],
     None, 4),
    ("best (by 2 delta) infeasible: P(event) = 0.3 > 0.1 + tolerance 0.05",
     [0, 0, DELTA, 0, 2 * DELTA], [0.02, 0.02, 0.02, 0.02, 0.3], 2),
    ("best feasible at the edge: P = 0.05 = bound - tolerance",
     [0, DELTA, 0, 2 * DELTA], [0.02, 0.05, 0.02, 0.2], 1),
]  # fmt: skip


def sampler(means, p, seed):
    rng = np.random.default_rng(seed)
    means = np.asarray(means, float)

    def sample(index, first, stop):
        n = stop - first
        x = means[index, None] + math.sqrt(0.5) * rng.normal(size=n)
        x = x + math.sqrt(0.5) * rng.normal(size=(len(index), n))
        if p is None:
            return x, np.zeros((len(index), 0, n))
        y = (rng.random((len(index), 1, n)) < np.asarray(p)[index, None, None]).astype(float)
        return x, y

    return sample


def run_case(means, p, answer, repeats):
    k = len(means)
    s = 0 if p is None else 1
    bounds, tolerances = np.full(s, 0.1), np.full(s, 0.05)
    right, used, fixed = 0, [], []
    for seed in range(repeats):
        found = select(
            sampler(means, p, seed), k, bounds, tolerances, np.ones(s, bool),
            ALPHA, DELTA, N0, 10**6,
        )  # fmt: skip
        right += found.chosen == answer
        used.append(found.used.sum())
        fixed.append(found.fixed_n)
    ci = stats.binomtest(right, repeats).proportion_ci(0.95, method="exact")
    return right / repeats, ci.low, ci.high, float(np.mean(used)), float(np.mean(fixed))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the repetitions")
    args = parser.parse_args()
    rows = []
    began = time.process_time()
    for name, means, p, answer in CASES:
        repeats = (200 if p is None else 100) if args.quick else (2000 if p is None else 1000)
        pcs, low, high, used, fixed = run_case(means, p, answer, repeats)
        rows.append(
            f"| {name} | {repeats:,} | {pcs:.3f} ({low:.3f}-{high:.3f}) | {1 - ALPHA:.2f} "
            f"| {used:,.0f} | {fixed:,.0f} |"
        )
        print(rows[-1], flush=True)
    cpu = time.process_time() - began
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE
    ).stdout.strip()
    entry = "\n".join(
        [
            "",
            f"## {date.today()}, commit {commit}: certification (bench/selection.py)",
            "",
            f"alpha = {ALPHA}, delta = {DELTA}, n0 = {N0}; normal observations, variance 1, "
            "correlation 0.5 across systems; chance constraint P(event) <= 0.1, tolerance "
            f"0.05. {platform.platform()}; {cpu:.0f} CPU seconds.",
            "",
            "| case | repetitions | correct selection (95% CI) | promised | replications "
            "used (mean) | two-stage, same constants (mean) |",
            "|---|---|---|---|---|---|",
            *rows,
            "",
        ]
    )
    if args.quick:
        print(entry)
        return
    with open(HERE / "RESULTS.md", "a") as f:
        f.write(entry)
    print(f"appended to {HERE / 'RESULTS.md'}")


if __name__ == "__main__":
    main()
