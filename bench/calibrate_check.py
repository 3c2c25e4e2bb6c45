"""Parameter recovery on the Aleppo targets file (not a test: it prints figures).

    python bench/calibrate_check.py              # make calibrate-check
    python bench/calibrate_check.py --draws 8192 # quicker

For each of a few known parameter points (every free parameter of
``scenarios/calibration/aleppo_2016_targets.toml``), the model's own figures (means over 200
replications) are handed to the calibration as if reported; the known values should lie
inside the posterior's 90% intervals about 90% of the time. Parameters the figures do not
constrain (shrinkage near 1) are covered trivially; the check that matters is on the ones
they do constrain. Exit status 1 if fewer than 80% of the intervals cover their known value.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TARGETS = ROOT / "scenarios" / "calibration" / "aleppo_2016_targets.toml"
#: Where each known point sits in every prior's range (0 = low, 1 = high).
POINTS = (0.3, 0.5, 0.7)
#: Least share of intervals covering their known value for the check to pass.
REQUIRED = 0.8


def known_point(priors, where: float) -> dict[str, float]:
    """Values a share ``where`` of the way through each prior (whole numbers for counts)."""
    return {p.path: float(p.transform(np.array([where]))[0]) for p in priors}


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from sim.studies.calibration import calibrate, load_targets
    from sim.studies.calibration.recovery import covered, synthetic_targets
    from sim.studies.calibration.summary import fitted

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=32768, help="prior draws per point")
    args = parser.parse_args()
    targets = load_targets(TARGETS)
    hits = total = 0
    for k, where in enumerate(POINTS):
        truth = known_point(targets.priors, where)
        synthetic = synthetic_targets(targets, truth, reps=200, seed=10_000 + k)
        began = time.perf_counter()
        calibration = calibrate(synthetic, draws=args.draws, refine=False)
        seconds = time.perf_counter() - began
        inside = covered(calibration, truth)
        print(f"\nKnown point {k + 1} ({where:.0%} through each prior): {seconds:.0f} s")
        print(f"{'parameter':<30}{'known':>10}{'90% interval':>24}{'shrinkage':>11}  inside")
        for f in fitted(calibration):
            interval = f"{f.p5:.3g} – {f.p95:.3g}"
            mark = "yes" if inside[f.prior.path] else "NO"
            known = truth[f.prior.path]
            print(f"{f.prior.path:<30}{known:>10.3g}{interval:>24}{f.shrinkage:>11.2f}  {mark}")
        hits += sum(inside.values())
        total += len(inside)
    share = hits / total
    print(
        f"\n{hits} of {total} intervals ({share:.0%}) cover their known value; need {REQUIRED:.0%}"
    )
    return 0 if share >= REQUIRED else 1


if __name__ == "__main__":
    sys.exit(main())
