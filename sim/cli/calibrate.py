"""``evacsim calibrate``: fit free parameters to reported figures."""

from __future__ import annotations

import argparse
import sys
import time

from sim.cli.folders import RESULTS, check_out, moved


def handle(args: argparse.Namespace) -> int:
    from sim.studies.calibration import calibrate, load_targets
    from sim.studies.calibration.report import calibration_table
    from sim.studies.calibration.summary import thin_posterior
    from sim.studies.sweeps.executors import executor_for

    targets = load_targets(args.targets)
    check_out(args.out, RESULTS / "calibration")
    began = time.perf_counter()
    with executor_for(args.scheduler, args.workers) as executor:
        calibration = calibrate(
            targets,
            args.draws,
            args.seed,
            workers=args.workers,
            executor=executor,
            progress=not args.quiet,
        )
    folder = calibration.save(args.out)
    moved(args.out, folder)
    print(calibration_table(calibration))
    thin = thin_posterior(calibration)
    if thin is not None and not args.quiet:
        print(f"evacsim: warning: {thin}", file=sys.stderr)
    print(f"\nCalibration took {time.perf_counter() - began:.0f} s. Folder: {folder}")
    return 0
