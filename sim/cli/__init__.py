"""The ``evacsim`` command: a thin shell over the Python API (tables in :mod:`sim.views.tables`).

    evacsim run SCENARIO [--reps N] [--seed S] [--engine vector|des] [--out DIR] [--set ...]
                [--precision P [--metric NAME ...] [--max-reps N]]
    evacsim validate SCENARIO...
    evacsim narrate SCENARIO|RUN_FOLDER [--rep K] [--seed S] [--set KEY=VALUE ...]
    evacsim animate SCENARIO|RUN_FOLDER --out FILE.gif|FILE.mp4 [--rep K] [--seed S] [--set ...]
    evacsim compare BASE WHATIF... [--reps N] [--seed S] [--out DIR]
                    [--precision P [--metric NAME ...] [--max-reps N]]
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
import warnings
from collections.abc import Callable, Sequence
from importlib import import_module
from typing import Any

import sim
from sim.cli.arguments import ENGINE_NAMES, assignment, fraction, positive, seed
from sim.errors import ScenarioError
from sim.inputs.plausible import ImplausibleValue
from sim.studies.processes import stop_on_signals

# Each command's module (``sim.cli.run``, ...) is imported when the command runs, and imports
# what it runs: ``evacsim --help`` loads neither numpy nor the scenario layer, ``evacsim
# validate`` (of a scenario) loads them but not the engines, scipy or matplotlib.


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


def _handled_by(module: str) -> Callable[[argparse.Namespace], int]:
    """The handler of a command: ``handle`` of ``sim.cli.<module>``, imported when it runs."""

    def handle(args: argparse.Namespace) -> int:
        status: int = import_module(f"sim.cli.{module}").handle(args)
        return status

    return handle


class _Version(argparse.Action):
    """``--version``: reads ``sim.__version__`` (importlib.metadata, ~50 ms) only when asked."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any):
        super().__init__(option_strings, dest=argparse.SUPPRESS, nargs=0, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        print(f"evacsim {sim.__version__}")
        parser.exit()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="evacsim", description="Simulate humanitarian evacuations by convoy."
    )
    parser.add_argument("--version", action=_Version, help="show the version and exit")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    def overrides(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--set",
            dest="overrides",
            action="append",
            default=[],
            type=assignment,
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
            "--workers",
            type=positive,
            help="processes (never more than chunks) or Dask workers (default: cores)",
        )

    p = commands.add_parser("run", help="run replications and write a run folder")
    p.add_argument("scenario", help="scenario file (TOML) or bundled name, e.g. aleppo_2016")
    p.add_argument("--reps", type=positive, help="replications (default: the scenario's)")
    p.add_argument("--seed", type=seed, help="seed (default: the scenario's)")
    p.add_argument(
        "--engine",
        choices=ENGINE_NAMES,
        default="vector",
        help="vector (batch, default) or des (SimPy reference); same results",
    )
    p.add_argument("--out", help="run folder to create (default: results/<scenario>/<run-id>)")
    p.add_argument(
        "--precision",
        type=fraction,
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
    p.add_argument(
        "--max-reps",
        type=positive,
        help="most replications with --precision (default: 16 x --reps)",
    )
    scheduling(p)
    overrides(p)
    p.set_defaults(command=_handled_by("run"))

    p = commands.add_parser(
        "validate", help="check scenario, sweep, targets and study files without running them"
    )
    p.add_argument(
        "scenarios", nargs="+", metavar="FILE", help="a file (TOML) or bundled name of any kind"
    )
    p.set_defaults(command=_handled_by("validate"))

    p = commands.add_parser("narrate", help="tell one replication as a timeline")
    p.add_argument("scenario", help="a scenario (run now) or a run folder (its trace.csv)")
    p.add_argument("--rep", type=seed, default=0, help="replication number (default 0)")
    p.add_argument("--seed", type=seed, help="seed (default: the scenario's)")
    overrides(p)
    p.set_defaults(command=_handled_by("narrate"))

    p = commands.add_parser("animate", help="animate one replication as a GIF or MP4")
    p.add_argument("scenario", help="a scenario (run now) or a run folder (its trace.csv)")
    p.add_argument("--out", required=True, help="file to write: .gif, or .mp4 with ffmpeg")
    p.add_argument("--rep", type=seed, default=0, help="replication number (default 0)")
    p.add_argument("--seed", type=seed, help="seed (default: the scenario's)")
    p.add_argument("--minutes-per-frame", type=float, default=10.0, help="default 10")
    overrides(p)
    p.set_defaults(command=_handled_by("animate"))

    p = commands.add_parser("calibrate", help="fit free parameters to reported figures (ABC)")
    p.add_argument(
        "targets",
        help="targets file (TOML) or bundled name, e.g. calibration/aleppo_2016_targets",
    )
    p.add_argument("--draws", type=positive, help="prior draws (default: the file's)")
    p.add_argument("--seed", type=seed, help="seed (default: the file's)")
    p.add_argument("--out", help="folder to create (default: results/calibration/<id>)")
    scheduling(p)
    p.set_defaults(command=_handled_by("calibrate"))

    p = commands.add_parser(
        "compare", help="paired differences of what-ifs against a base (common random numbers)"
    )
    p.add_argument("base", help="base scenario file (TOML) or bundled name")
    p.add_argument(
        "whatifs",
        nargs="+",
        metavar="WHATIF",
        help="what-if scenario files or bundled names, e.g. what-if/double_fleet",
    )
    p.add_argument("--reps", type=positive, help="replications (default: the base's)")
    p.add_argument("--seed", type=seed, help="seed (default: the base's)")
    p.add_argument("--out", help="folder to create (default: results/compare/<id>)")
    scheduling(p)
    p.add_argument(
        "--precision",
        type=fraction,
        help="from --reps, double the replications of the base and every what-if together "
        "until, for every what-if, each --metric's paired difference has a 95%% CI "
        "half-width within this fraction of the base's mean, e.g. 0.01 (a what-if that "
        "changes nothing meets it at once); the tables are those of --reps N at the N it "
        "stops at",
    )
    p.add_argument(
        "--metric",
        dest="metrics",
        action="append",
        metavar="NAME",
        help="a metric to show, and with --precision to judge (repeatable; default: the "
        "headline metrics and the groups whose evacuation changes most, judging evacuated); "
        "all are in differences.csv",
    )
    p.add_argument(
        "--max-reps",
        type=positive,
        help="most replications per scenario with --precision (default: 16 x --reps)",
    )
    p.set_defaults(command=_handled_by("compare"))

    p = commands.add_parser("sweep", help="run a sweep file; a rerun resumes where it stopped")
    p.add_argument("file", help="sweep file (TOML) or bundled name, e.g. sweeps/buses")
    scheduling(p)
    p.add_argument(
        "--precision",
        type=fraction,
        help="add replications until every metric's 95%% CI half-width is within this "
        "fraction of its mean, e.g. 0.02",
    )
    p.add_argument(
        "--max-reps",
        type=positive,
        help="most replications per point with --precision (default: the file's max_reps, "
        "or 16 x its reps)",
    )
    p.add_argument(
        "--out",
        help="the sweep's folder; rerun with the same --out to resume "
        "(default: results/sweeps/<name>/<id>)",
    )
    p.add_argument("--root", help="deprecated: results folder to put sweeps/<name>/<id> in")
    p.set_defaults(command=_handled_by("sweep"))

    p = commands.add_parser("serve", help="the what-if page in a browser (needs evacsim[page])")
    p.add_argument("scenario", nargs="?", help="scenario the page opens with (default: the first)")
    p.add_argument("--port", type=positive, default=8050, help="default 8050")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1, this machine only; 0.0.0.0 for a class)",
    )
    p.add_argument("--library", help="folder of scenarios offered (default: the bundled ones)")
    p.set_defaults(command=_handled_by("serve"))

    p = commands.add_parser(
        "optimise", help="search a study's plans, then certify the best feasible one"
    )
    p.add_argument("study", help="study file (TOML) or bundled name, e.g. optimise/aleppo_plan")
    p.add_argument(
        "--budget", type=positive, help="replications for the search (default: the study's)"
    )
    p.add_argument("--seed", type=seed, help="seed (default: the study's)")
    p.add_argument("--out", help="folder to create (default: results/optimise/<name>/<id>)")
    p.add_argument("--workers", type=positive, help="processes (default: cores)")
    p.set_defaults(command=_handled_by("optimise"))
    p = commands.add_parser(
        "scenarios", help="list the bundled scenarios, what-ifs, sweeps, targets and studies"
    )
    p.set_defaults(command=_handled_by("scenarios"))

    p = commands.add_parser(
        "init", help="copy the bundled scenarios and the workshop into a folder to edit"
    )
    p.add_argument("folder", metavar="DIR", help="folder to copy into (created if missing)")
    p.set_defaults(command=_handled_by("init"))

    p = commands.add_parser(
        "schema", help="JSON Schemas of scenario, targets, sweep and study files (docs/scenario.md)"
    )
    p.add_argument(
        "--out",
        metavar="DIR",
        help="write DIR/{scenario,targets,sweep,study}.json (default: print the scenario's)",
    )
    p.set_defaults(command=_handled_by("schema"))
    for command in commands.choices.values():
        talk = command.add_mutually_exclusive_group()
        talk.add_argument(
            "-q", "--quiet", action="store_true", help="no progress bar, notes or warnings"
        )
        talk.add_argument(
            "-v", "--verbose", action="store_true", help="log each stage on standard error"
        )
    return parser


__all__ = ["ENGINE_NAMES", "main"]
