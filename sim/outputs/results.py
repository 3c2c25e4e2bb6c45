"""Run folders: the files a run leaves behind, written atomically.

A run folder holds ``manifest.json`` (what produced it), ``replications.csv`` (one row per
replication), ``summary.csv`` (one row per metric), ``timeseries.csv`` (hourly quantiles),
``trace.csv`` (every event of the traced replications) and the figures. It is written to a
temporary folder beside its destination and renamed into place, so a failed or interrupted
run leaves no half-written folder.
"""

from __future__ import annotations

import csv
import io
import json
import os
import platform
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sim.errors import ScenarioError
from sim.inputs.record import scenario_from_record, scenario_record
from sim.outputs.metrics import Summary
from sim.outputs.records import SERIES, Replications, TraceEvent, hours_grid

if TYPE_CHECKING:
    from sim.studies.runner import RunResult

PACKAGES = ("evacsim", "simpy", "numpy", "scipy", "matplotlib")


def number(value: float) -> str:
    """A float as CSV text: integers without a decimal point, others in shortest round-trip
    form, so the same values always give the same bytes."""
    value = float(value)
    if np.isnan(value):
        return "nan"
    return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)


def csv_text(header: list[str], rows: Iterable[Iterable[object]]) -> str:
    """CSV with Unix line endings."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def replications_csv(result: RunResult) -> str:
    """One row per replication, one column per metric."""
    names = list(result.replications.metrics)
    columns = [result.replications.metrics[n] for n in names]
    rows = ([rep, *(number(c[i]) for c in columns)] for i, rep in enumerate(result.rep_ids))
    return csv_text(["rep", *names], rows)


def summary_csv(summaries: list[Summary]) -> str:
    """One row per metric: n, mean, 95% CI, median, 5th and 95th percentiles."""
    rows = ([s.metric, s.n, *(number(v) for v in s[2:])] for s in summaries)
    return csv_text(list(Summary._fields), rows)


def timeseries_csv(result: RunResult) -> str:
    """Hourly mean and quantiles of each series across replications."""
    scenario = result.scenario
    hours = hours_grid(scenario)
    header = ["hour", "clock"]
    blocks = []
    for name in SERIES:
        values = result.replications.series[name]
        header += [f"{name}_mean", f"{name}_p5", f"{name}_median", f"{name}_p95"]
        quantiles = np.percentile(values, [5, 50, 95], axis=0)
        blocks.append(np.vstack([values.mean(axis=0), quantiles]))
    table = np.vstack(blocks)
    rows = (
        [number(h), scenario.clock(h).strftime("%Y-%m-%d %H:%M"), *map(number, table[:, i])]
        for i, h in enumerate(hours)
    )
    return csv_text(header, rows)


def trace_csv(result: RunResult) -> str:
    """Every event of the traced replications."""
    scenario = result.scenario
    header = ["rep", "time_h", "clock", "event", "convoy", "people"]  # convoys from 1
    header += [g.name for g in scenario.groups] + [p.name for p in scenario.pools] + ["note"]
    rows = (
        [
            e.rep,
            number(e.time),
            scenario.clock(e.time).strftime("%Y-%m-%d %H:%M"),
            e.event,
            e.convoy + 1 if e.convoy >= 0 else "",
            e.people,
            *e.groups,
            *e.vehicles,
            e.note,
        ]
        for e in result.replications.trace
    )
    return csv_text(header, rows)


def versions(packages: Iterable[str] = PACKAGES) -> dict[str, str]:
    """Python's version and that of each package, for a manifest."""
    found = {"python": platform.python_version()}
    for package in packages:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def manifest(result: RunResult) -> dict:
    """What produced a run: scenario (resolved), seed, replications, engine, versions, and
    the precision rule when replications were added until it was met."""
    precision = {} if result.precision is None else {"precision": result.precision}
    return {
        "scenario": result.scenario.name,
        "scenario_file": result.scenario.path,
        "scenario_files": list(result.scenario.files),
        "overrides": list(result.overrides),
        "seed": result.seed,
        "reps": result.reps,
        "engine": result.engine,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "wall_time_s": round(result.wall_time, 3),
        "versions": versions(),
        "git_commit": _git_commit(),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        **precision,
        "resolved_scenario": result.scenario.document,
        "scenario_values": scenario_record(result.scenario),
    }


def _git_commit() -> str | None:
    """The commit of the evacsim checkout, with ``-dirty`` if it has local changes."""
    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5
        )
        if commit.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=5,
        )
        return commit.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def fresh_folder(parent: Path, label: str) -> Path:
    """``parent/<date>-<time>-<label>``, with ``-2``, ``-3``... if that exists already."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    base = parent / f"{stamp}-{label}"
    folder, n = base, 1
    while folder.exists():
        n += 1
        folder = base.with_name(f"{base.name}-{n}")
    return folder


def default_folder(result: RunResult, root: Path = Path("results")) -> Path:
    """``results/<scenario>/<run-id>``, the run id made of the time and the seed."""
    return fresh_folder(root / result.scenario.name, f"seed{result.seed}")


@contextmanager
def atomic_folder(folder: Path) -> Iterator[Path]:
    """A staging folder to fill, renamed to ``folder`` once the block ends without error.

    Raises
    ------
    ScenarioError
        If ``folder`` exists already (results never overwrite each other).
    """
    if folder.exists():
        raise ScenarioError(str(folder), "", "already exists; choose another --out folder")
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        yield staging
        umask = os.umask(0)
        os.umask(umask)
        staging.chmod(0o777 & ~umask)  # mkdtemp makes it private; a results folder is not
        os.rename(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def write_run_folder(result: RunResult, folder: Path) -> Path:
    """Write every file of a run folder at ``folder``, atomically; return ``folder``.

    Raises
    ------
    ScenarioError
        If ``folder`` exists already (runs never overwrite each other).
    """
    from sim.views.plots import write_figures
    from sim.views.report import report_html

    folder = Path(folder)
    with atomic_folder(folder) as staging:
        files = {
            "replications.csv": replications_csv(result),
            "summary.csv": summary_csv(list(result.summaries.values())),
            "timeseries.csv": timeseries_csv(result),
            "trace.csv": trace_csv(result),
            "manifest.json": json.dumps(manifest(result), indent=2) + "\n",
        }
        for name, text in files.items():
            (staging / name).write_text(text, encoding="utf-8")
        (staging / "series.npz").write_bytes(arrays_npz(result.replications.series))
        write_figures(result.scenario, result.replications, staging)
        page = report_html(result, staging, json.loads(files["manifest.json"]))
        (staging / "report.html").write_text(page, encoding="utf-8")
    return folder


def arrays_npz(arrays: dict[str, np.ndarray]) -> bytes:
    """Arrays as an ``.npz`` file (``numpy.load`` reads it) whose bytes depend only on the
    arrays: entries in the given order, with a fixed date."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, values in arrays.items():
            entry = io.BytesIO()
            np.lib.format.write_array(entry, np.ascontiguousarray(values), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, entry.getvalue())
    return buffer.getvalue()


def read_npz(path: Path) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` file, by name."""
    with np.load(path, allow_pickle=False) as found:
        return {name: found[name] for name in found.files}


def read_manifest(folder: Path, kind: str) -> dict:
    """A results folder's manifest.

    Raises
    ------
    ScenarioError
        If ``folder`` has no readable ``manifest.json``.
    """
    path = Path(folder) / "manifest.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ScenarioError(str(folder), "", f"not a {kind} folder: {error}") from None


def read_run_folder(folder: str | Path) -> RunResult:
    """The :class:`~sim.studies.runner.RunResult` whose :meth:`save` wrote ``folder``:
    the same scenario values, metrics per replication, hourly series and trace.

    Raises
    ------
    ScenarioError
        If ``folder`` is not a run folder this version can read.
    """
    from sim.studies.runner import RunResult

    folder = Path(folder)
    info = read_manifest(folder, "run")
    if "scenario_values" not in info or not (folder / "series.npz").is_file():
        raise ScenarioError(
            str(folder), "", "not a run folder, or one written before evacsim could read them back"
        )
    scenario = scenario_from_record(info["scenario_values"], info.get("resolved_scenario", {}))
    with (folder / "replications.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    names, table = rows[0][1:], np.array([row[1:] for row in rows[1:]], dtype=float)
    metrics = {name: table[:, i].copy() for i, name in enumerate(names)}
    series = read_npz(folder / "series.npz")
    trace = read_trace(folder / "trace.csv", len(scenario.groups), len(scenario.pools))
    return RunResult(
        scenario,
        Replications(metrics, series, trace),
        int(info["seed"]),
        int(info["reps"]),
        str(info["engine"]),
        float(info.get("wall_time_s", 0.0)),
        list(info.get("overrides", [])),
        info.get("precision"),
    )


def read_trace(path: Path, groups: int, pools: int) -> list[TraceEvent]:
    """The events of ``trace.csv`` (see :func:`trace_csv`)."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    return [
        TraceEvent(
            int(row[0]),
            float(row[1]),
            row[3],
            int(row[4]) - 1 if row[4] else -1,
            int(row[5]),
            tuple(int(x) for x in row[6 : 6 + groups]),
            tuple(int(x) for x in row[6 + groups : 6 + groups + pools]),
            row[6 + groups + pools],
        )
        for row in rows
    ]
