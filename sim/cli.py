"""The ``evacsim`` command: a thin shell over the Python API (tables in :mod:`sim.views.tables`).

    evacsim run SCENARIO [--reps N] [--seed S] [--engine vector|des] [--out DIR] [--set ...]
                [--precision P [--metric NAME ...] [--max-reps N]]
    evacsim validate SCENARIO...
    evacsim narrate SCENARIO|RUN_FOLDER [--rep K] [--seed S] [--set KEY=VALUE ...]
    evacsim animate SCENARIO|RUN_FOLDER --out FILE.gif|FILE.mp4 [--rep K] [--seed S] [--set ...]
    evacsim compare BASE WHATIF... [--reps N] [--seed S] [--out DIR]
    evacsim sweep FILE [--scheduler local|dask-local|tcp://HOST:PORT] [--workers N]
                  [--precision P] [--max-reps N] [--root DIR]
    evacsim calibrate TARGETS [--draws N] [--seed S] [--out DIR]
    evacsim serve [SCENARIO] [--port 8050] [--host 127.0.0.1] [--library DIR]
    evacsim optimise STUDY [--budget N] [--seed S] [--out DIR] [--workers N]
    evacsim scenarios
    evacsim init DIR
    evacsim schema [--out DIR]
    evacsim --version

SCENARIO (and a sweep or targets FILE) is a path, or the name of a bundled file such as
``aleppo_2016`` or ``what-if/double_fleet`` (``evacsim scenarios`` lists them).

A mistake in a scenario or an argument prints one line naming the file, the key and what
is allowed, and exits with status 2 without writing anything.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import sim
from sim.errors import ScenarioError, one_line
from sim.inputs.library import KINDS, copy_library, entries, file_kind, library_root, locate
from sim.inputs.loader import load_scenario
from sim.inputs.plausible import ImplausibleValue
from sim.inputs.scenario import Scenario
from sim.inputs.sources import read_toml
from sim.studies.processes import stop_on_signals
from sim.views.wording import count

if TYPE_CHECKING:
    from sim.outputs.records import TraceEvent

# Each command imports what it runs when it runs: ``evacsim --help`` and ``evacsim validate``
# (of a scenario) load numpy and the scenario layer only, not the engines, scipy or matplotlib.

#: The engines ``--engine`` accepts: the keys of :data:`sim.studies.runner.ENGINES`, named
#: here so that the parser does not import the engines (tests/test_imports.py checks both).
ENGINE_NAMES = ("vector", "des")

#: Where run, compare and calibration folders go unless ``--out`` says otherwise.
RESULTS = Path("results")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    _log(args.verbose)
    warnings.simplefilter("ignore" if args.quiet else "default", ImplausibleValue)
    warnings.showwarning = _warn
    try:
        with stop_on_signals():
            return args.command(args)
    except ScenarioError as error:
        print(f"evacsim: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as interrupt:
        print("evacsim: interrupted; nothing was written", file=sys.stderr)
        return 128 + getattr(interrupt, "signum", signal.SIGINT)
    except BrokenPipeError:  # e.g. `evacsim narrate ... | head`: the reader has gone
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _log(verbose: bool) -> None:
    """Send the library's log (the ``sim`` loggers) to standard error with ``-v``."""
    logger = logging.getLogger("sim")
    if verbose and not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("evacsim: %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO if verbose else logging.WARNING)


def _warn(message, category, *_, **__) -> None:  # the signature of warnings.showwarning
    """Print a warning about the inputs as one line, without Python's source quote."""
    print(f"evacsim: warning: {message}", file=sys.stderr)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="evacsim", description="Simulate humanitarian evacuations by convoy."
    )
    parser.add_argument("--version", action="version", version=f"evacsim {sim.__version__}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    def overrides(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--set",
            dest="overrides",
            action="append",
            default=[],
            type=_assignment,
            metavar="KEY=VALUE",
            help="override a scenario value, e.g. fleet.buses.count=40 (repeatable)",
        )

    def scheduling(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--scheduler",
            default="local",
            help="local (processes, default), dask-local, or tcp://HOST:PORT of a Dask cluster",
        )
        p.add_argument(
            "--workers", type=_positive, help="processes or Dask workers (default: cores)"
        )

    p = commands.add_parser("run", help="run replications and write a run folder")
    p.add_argument("scenario", help="scenario file (TOML)")
    p.add_argument("--reps", type=_positive, help="replications (default: the scenario's)")
    p.add_argument("--seed", type=_seed, help="seed (default: the scenario's)")
    p.add_argument(
        "--engine",
        choices=ENGINE_NAMES,
        default="vector",
        help="vector (batch, default) or des (SimPy reference); same results",
    )
    p.add_argument("--out", help="run folder to create (default: results/<scenario>/<run-id>)")
    p.add_argument(
        "--precision",
        type=_fraction,
        help="double the replications until each --metric's 95%% CI half-width is within this "
        "fraction of its mean, e.g. 0.02",
    )
    p.add_argument(
        "--metric",
        dest="metrics",
        action="append",
        metavar="NAME",
        help="a metric --precision applies to (repeatable; default: evacuated)",
    )
    p.add_argument("--max-reps", type=_positive, help="most replications with --precision")
    scheduling(p)
    overrides(p)
    p.set_defaults(command=_run)

    p = commands.add_parser("validate", help="check scenario files without running them")
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO")
    p.set_defaults(command=_validate)

    p = commands.add_parser("narrate", help="tell one replication as a timeline")
    p.add_argument("scenario", help="a scenario (run now) or a run folder (its trace.csv)")
    p.add_argument("--rep", type=_seed, default=0, help="replication number (default 0)")
    p.add_argument("--seed", type=_seed, help="seed (default: the scenario's)")
    overrides(p)
    p.set_defaults(command=_narrate)

    p = commands.add_parser("animate", help="animate one replication as a GIF or MP4")
    p.add_argument("scenario", help="a scenario (run now) or a run folder (its trace.csv)")
    p.add_argument("--out", required=True, help="file to write: .gif, or .mp4 with ffmpeg")
    p.add_argument("--rep", type=_seed, default=0, help="replication number (default 0)")
    p.add_argument("--seed", type=_seed, help="seed (default: the scenario's)")
    p.add_argument("--minutes-per-frame", type=float, default=10.0, help="default 10")
    overrides(p)
    p.set_defaults(command=_animate)

    p = commands.add_parser("calibrate", help="fit free parameters to reported figures (ABC)")
    p.add_argument("targets", help="targets file (TOML), e.g. scenarios/calibration/*.toml")
    p.add_argument("--draws", type=_positive, help="prior draws (default: the file's)")
    p.add_argument("--seed", type=_seed, help="seed (default: the file's)")
    p.add_argument("--out", help="folder to create (default: results/calibration/<id>)")
    scheduling(p)
    p.set_defaults(command=_calibrate)

    p = commands.add_parser(
        "compare", help="paired differences of what-ifs against a base (common random numbers)"
    )
    p.add_argument("base", help="base scenario file")
    p.add_argument("whatifs", nargs="+", metavar="WHATIF", help="what-if scenario files")
    p.add_argument("--reps", type=_positive, help="replications (default: the base's)")
    p.add_argument("--seed", type=_seed, help="seed (default: the base's)")
    p.add_argument("--out", help="folder to create (default: results/compare/<id>)")
    scheduling(p)
    p.add_argument(
        "--metric",
        dest="metrics",
        action="append",
        metavar="NAME",
        help="a metric to show (repeatable; default: the headline metrics and the groups "
        "whose evacuation changes most); all are in differences.csv",
    )
    p.set_defaults(command=_compare)

    p = commands.add_parser("sweep", help="run a sweep file; a rerun resumes where it stopped")
    p.add_argument("file", help="sweep file (TOML), e.g. scenarios/sweeps/buses.toml")
    scheduling(p)
    p.add_argument(
        "--precision",
        type=_fraction,
        help="add replications until every metric's 95%% CI half-width is within this "
        "fraction of its mean, e.g. 0.02",
    )
    p.add_argument("--max-reps", type=_positive, help="most replications per point (precision)")
    p.add_argument(
        "--out",
        help="the sweep's folder; rerun with the same --out to resume "
        "(default: results/sweeps/<name>/<id>)",
    )
    p.add_argument("--root", help="deprecated: results folder to put sweeps/<name>/<id> in")
    p.set_defaults(command=_sweep)

    p = commands.add_parser("serve", help="the what-if page in a browser (needs evacsim[page])")
    p.add_argument("scenario", nargs="?", help="scenario the page opens with (default: the first)")
    p.add_argument("--port", type=_positive, default=8050, help="default 8050")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1, this machine only; 0.0.0.0 for a class)",
    )
    p.add_argument("--library", help="folder of scenarios offered (default: the bundled ones)")
    p.set_defaults(command=_serve)

    p = commands.add_parser(
        "optimise", help="search a study's plans, then certify the best feasible one"
    )
    p.add_argument("study", help="study file (TOML) or bundled name, e.g. optimise/aleppo_plan")
    p.add_argument(
        "--budget", type=_positive, help="replications for the search (default: the study's)"
    )
    p.add_argument("--seed", type=_seed, help="seed (default: the study's)")
    p.add_argument("--out", help="folder to create (default: results/optimise/<name>/<id>)")
    p.add_argument("--workers", type=_positive, help="processes (default: cores)")
    p.set_defaults(command=_optimise)
    p = commands.add_parser("scenarios", help="list the bundled scenarios, what-ifs and studies")
    p.set_defaults(command=_scenarios)

    p = commands.add_parser(
        "init", help="copy the bundled scenarios and the workshop into a folder to edit"
    )
    p.add_argument("folder", metavar="DIR", help="folder to copy into (created if missing)")
    p.set_defaults(command=_init)

    p = commands.add_parser(
        "schema", help="the JSON Schema of scenario files, for editors (docs/scenario.md)"
    )
    p.add_argument("--out", metavar="DIR", help="write DIR/scenario.json (default: print it)")
    p.set_defaults(command=_schema)
    for command in commands.choices.values():
        talk = command.add_mutually_exclusive_group()
        talk.add_argument(
            "-q", "--quiet", action="store_true", help="no progress bar, notes or warnings"
        )
        talk.add_argument(
            "-v", "--verbose", action="store_true", help="log each stage on standard error"
        )
    return parser


def _assignment(text: str) -> str:
    """A ``--set`` value: KEY=VALUE in one argument."""
    if "=" not in text:
        raise argparse.ArgumentTypeError(
            f"expected KEY=VALUE in one argument, e.g. --set fleet.buses.count=40, got {text!r}"
        )
    return text


def _positive(text: str) -> int:
    value = _seed(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, e.g. 0.02, got {text}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {text}")
    return value


def _run(args: argparse.Namespace) -> int:
    from sim.studies.runner import run
    from sim.studies.sweeps.executors import executor_for
    from sim.views.tables import run_table

    scenario = load_scenario(args.scenario, args.overrides)
    _check_out(args.out, RESULTS / scenario.name)
    with executor_for(args.scheduler, args.workers) as executor:
        result = run(
            scenario,
            args.reps,
            args.seed,
            args.engine,
            overrides=args.overrides,
            workers=args.workers,
            precision=args.precision,
            metrics=args.metrics or ("evacuated",),
            max_reps=args.max_reps,
            executor=executor,
            progress=not args.quiet,
        )
    folder = result.save(args.out)
    _moved(args.out, folder)
    print(run_table(result))
    if result.precision is not None:
        p = result.precision
        outcome = "met" if p["met"] else f"not met at --max-reps {p['max_reps']:,}"
        print(
            f"\nPrecision ±{p['precision']:.1%} (95% CI half-width over mean) for "
            f"{', '.join(p['metrics'])}: {outcome} with {result.reps:,} replications"
        )
    print(f"\nRun folder: {folder}")
    return 0


def _check_out(out: str | None, default_parent: Path) -> None:
    """Refuse an ``--out`` (or a results root) that cannot be written, before computing."""
    from sim.outputs.results import check_destination

    if out is None:
        check_destination(default_parent, new=False)
    else:
        check_destination(Path(out))


def _moved(out: str | None, folder: Path) -> None:
    """Say so when ``--out`` was taken by another process while this one computed."""
    if out is not None and folder != Path(out):
        print(f"evacsim: note: {out} appeared during the run; wrote {folder}", file=sys.stderr)


def _validate(args: argparse.Namespace) -> int:
    status = 0
    for path in args.scenarios:
        try:
            print(f"{one_line(path)}: ok ({_checked(path)})")
        except ScenarioError as error:
            print(f"evacsim: error: {error}", file=sys.stderr)
            status = 2
    return status


def _checked(path: str) -> str:
    """Read a scenario, sweep or targets file, whichever it is; say what it holds."""
    kind = _kind(path)
    if kind == "study":
        from sim.studies.optimise import load_study

        study = load_study(path)
        parts = [
            count(len(study.decisions), "decisions"),
            count(len(study.uncertainties), "uncertainties"),
            count(len(study.constraints), "constraints"),
            f"{count(study.trials, 'trials')} of {count(study.reps, 'replications')}",
        ]
        return f"study: {', '.join(parts)}"
    if kind == "sweep":
        from sim.studies.sweeps import load_sweep

        spec = load_sweep(path)
        axes = "1 axis" if len(spec.axes) == 1 else f"{len(spec.axes)} axes"
        return (
            f"sweep of {Path(spec.base).name}: {axes}, {spec.method} design, "
            f"{spec.reps} replications a point"
        )
    if kind == "targets":
        from sim.studies.calibration import load_targets

        targets = load_targets(path)
        return (
            f"calibration targets for {targets.scenario.name}: {len(targets.targets)} targets, "
            f"{len(targets.priors)} free parameters"
        )
    s = load_scenario(path)
    return (
        f"{len(s.groups)} groups, {s.people:,} people, "
        f"{sum(p.count for p in s.pools)} vehicles, {s.horizon:g} h"
    )


def _kind(path: str) -> str:
    """``scenario``, ``sweep`` or ``targets``: by the keys of the file or library entry."""
    for kind in KINDS:
        try:
            located = locate(path, kind)
        except ScenarioError:
            continue
        try:
            return file_kind(read_toml(located))
        except ScenarioError:
            return "scenario"  # the scenario reader says what is wrong
    return "scenario"


def _traced(scenario: Scenario, args: argparse.Namespace) -> tuple[int, list[TraceEvent]]:
    """The seed and the trace of replication ``--rep``, run for a view.

    Replication ``k`` depends only on ``(seed, k)``: it is the same as inside any run.
    """
    from sim.studies.runner import run

    seed = scenario.seed if args.seed is None else args.seed
    result = run(scenario, reps=args.rep + 1, seed=seed, trace=[args.rep])
    return seed, result.replications.trace


def _recorded(args: argparse.Namespace) -> tuple[Scenario, int, list[TraceEvent]] | None:
    """A run folder's scenario, seed and trace, if ``SCENARIO`` names a run folder."""
    from sim.outputs.results import read_manifest, read_trace

    folder = Path(args.scenario)
    if not folder.is_dir():
        return None
    if args.seed is not None or args.overrides:
        raise ScenarioError(str(folder), "", "a run folder was run already: no --seed or --set")
    manifest = read_manifest(folder)
    scenario = load_scenario(manifest["scenario_file"], manifest["overrides"])
    trace = read_trace(folder, scenario)
    if not any(e.rep == args.rep for e in trace):
        traced = sorted({e.rep for e in trace})
        raise ScenarioError(
            str(folder / "trace.csv"), "", f"has no replication {args.rep}; it traced {traced}"
        )
    return scenario, manifest["seed"], trace


def _narrate(args: argparse.Namespace) -> int:
    from sim.views.narrate import narrate

    recorded = _recorded(args)
    if recorded is None:
        scenario = load_scenario(args.scenario, args.overrides)
        _, trace = _traced(scenario, args)
    else:
        scenario, _, trace = recorded
    print("\n".join(narrate(scenario, trace, args.rep)))
    return 0


def _animate(args: argparse.Namespace) -> int:
    from sim.outputs.results import check_destination
    from sim.views.animate import animate, check_animation

    recorded = _recorded(args)
    scenario = load_scenario(args.scenario, args.overrides) if recorded is None else recorded[0]
    check_destination(Path(args.out).parent, new=False)
    check_animation(Path(args.out), minutes_per_frame=args.minutes_per_frame)
    seed, trace = _traced(scenario, args) if recorded is None else recorded[1:]
    try:
        out = animate(
            scenario,
            trace,
            Path(args.out),
            rep=args.rep,
            label=f"replication {args.rep}, seed {seed}",
            minutes_per_frame=args.minutes_per_frame,
            progress=not args.quiet,
        )
    except ValueError as error:  # the file type or a frame setting
        raise ScenarioError(args.out, "", str(error)) from None
    print(f"Animation: {out}")
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    from sim.studies.calibration import calibrate, load_targets
    from sim.studies.calibration.report import calibration_table
    from sim.studies.sweeps.executors import executor_for

    targets = load_targets(args.targets)
    _check_out(args.out, RESULTS / "calibration")
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
    _moved(args.out, folder)
    print(calibration_table(calibration))
    print(f"\nCalibration took {time.perf_counter() - began:.0f} s. Folder: {folder}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from sim.studies.compare import compare
    from sim.studies.sweeps.executors import executor_for
    from sim.views.tables import compare_table

    base = load_scenario(args.base)
    whatifs = [load_scenario(path) for path in args.whatifs]
    _check_out(args.out, RESULTS / "compare")
    with executor_for(args.scheduler, args.workers) as executor:
        comparison = compare(
            base,
            whatifs,
            args.reps,
            args.seed,
            workers=args.workers,
            executor=executor,
            progress=not args.quiet,
        )
    known = {d.metric for d in comparison.differences}
    for name in args.metrics or ():
        if name not in known:
            raise ScenarioError("--metric", name, f"not a metric of this comparison; known: "
                                f"{', '.join(sorted(known))}")  # fmt: skip
    folder = comparison.save(args.out)
    _moved(args.out, folder)
    print(compare_table(comparison, args.metrics))
    print(f"\nCompare folder: {folder}")
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from sim.outputs.results import check_destination
    from sim.studies.sweeps import load_sweep, sweep
    from sim.views.tables import sweep_report

    spec = load_sweep(args.file, args.precision, args.max_reps)
    if args.root is not None:
        print(
            "evacsim: note: --root is deprecated; --out names the sweep's folder", file=sys.stderr
        )
    root = "results" if args.root is None else args.root
    check_destination(Path(args.out).parent if args.out else Path(root), new=False)
    try:
        result = sweep(
            spec, args.scheduler, args.workers, root, progress=not args.quiet, folder=args.out
        )
    except KeyboardInterrupt as interrupt:
        print(
            "evacsim: interrupted; finished chunks are kept: run the same command to resume",
            file=sys.stderr,
        )
        return 128 + getattr(interrupt, "signum", signal.SIGINT)
    print(sweep_report(result))
    if result.damaged:
        print(
            f"evacsim: note: {result.damaged} damaged chunk files were computed again "
            f"(the old ones are in {result.folder / 'chunks' / 'damaged'})",
            file=sys.stderr,
        )
    return 0


def _serve(args: argparse.Namespace) -> int:
    from sim.face.page import serve  # the page's libraries are an optional extra

    serve(args.scenario, args.host, args.port, args.library)  # until Ctrl-C
    return 0


def _optimise(args: argparse.Namespace) -> int:
    from sim.studies.optimise import load_study, optimise

    spec = load_study(args.study, args.budget, args.seed)
    try:
        result = optimise(spec, out=args.out, workers=args.workers, progress=not args.quiet)
    except KeyboardInterrupt as interrupt:
        print(
            "evacsim: interrupted; the search is kept: run the same command to resume",
            file=sys.stderr,
        )
        return 128 + getattr(interrupt, "signum", signal.SIGINT)
    print(result.statement)
    print(f"\nOptimise folder: {result.folder}")
    return 0


def _scenarios(args: argparse.Namespace) -> int:
    found = entries()
    width = max(len(e.name) for e in found)
    print(f"Bundled with evacsim {sim.__version__}:")
    kinds = (("scenario", "scenarios"), ("sweep", "sweeps"), ("targets", "targets"))
    for kind, title in (*kinds, ("study", "studies")):
        print(f"\n{title} (evacsim {_COMMAND[kind]} NAME)")
        for e in (e for e in found if e.kind == kind):
            line = f"  {e.name:<{width}}  {e.description}".rstrip()
            print(line if len(line) <= 100 else line[:99] + "…")
    print("\nevacsim init DIR copies them (and the workshop) into DIR to edit.")
    print(f"Library: {library_root()}")
    return 0


#: The command that reads each kind of library file.
_COMMAND = {"scenario": "run", "sweep": "sweep", "targets": "calibrate", "study": "optimise"}


def _init(args: argparse.Namespace) -> int:
    folder = copy_library(args.folder)
    n = sum(1 for _ in (folder / "scenarios").rglob("*.toml"))
    print(f"Copied {n} scenario files to {folder / 'scenarios'}", end="")
    print(" and the workshop to workshop.md" if (folder / "workshop.md").exists() else "")
    print(f"Try: cd {folder} && evacsim run scenarios/aleppo_2016.toml")
    return 0


def _schema(args: argparse.Namespace) -> int:
    from sim.inputs.json_schema import write_schemas

    if args.out is None:
        from sim.inputs.json_schema import scenario_schema, schema_text

        print(schema_text(scenario_schema()), end="")
        return 0
    for path in write_schemas(Path(args.out)):
        print(f"Schema: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
