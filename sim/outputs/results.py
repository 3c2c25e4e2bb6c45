"""Run folders: the files a run leaves behind, written atomically.

A run folder holds ``manifest.json`` (what produced it), ``replications.csv`` (one row per
replication; ``replications.parquet`` above ``CSV_UP_TO`` replications), ``summary.csv``
(one row per metric), ``timeseries.csv`` (hourly quantiles), ``trace.csv`` (every event of
the traced replications) and the figures. It is written to a
temporary folder beside its destination and renamed into place, so a failed or interrupted
run leaves no half-written folder.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import platform
import subprocess
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

import sim.version  # the one version lookup, read at each call
from sim.inputs.record import scenario_record
from sim.inputs.scenario import Scenario
from sim.outputs.metrics import Summary
from sim.outputs.npz import write_npz
from sim.outputs.packed import Packed
from sim.outputs.records import (
    count_metrics,
    hours_grid,
    series_types,
)
from sim.outputs.run import RunRecord

PACKAGES = ("evacsim", "simpy", "numpy", "scipy", "matplotlib", "pyarrow")

#: Most replications whose table is ``replications.csv``, for spreadsheets (about 400 bytes
#: and 60 µs of CPU a replication to write); larger runs write ``replications.parquet``,
#: which pandas, polars and DuckDB read in one line, at about 1.5 µs a replication.
CSV_UP_TO = 10_000

#: Parquet writer settings, fixed so that the same table always gives the same bytes.
#: Snappy, Parquet's default codec, which every reader has. Writing this table is the longest
#: step after a large run's last chunk: for 10**6 replications of the baseline, ~1.5 s of
#: CPU in Snappy against ~2.3 s in Zstandard (level 3), for 208 MB of file instead of 158.
PARQUET = {
    "compression": "snappy",
    "use_dictionary": False,
    "write_statistics": True,
    "data_page_size": 1_048_576,
    "version": "2.6",
}
#: Rows of a Parquet row group: a group is built whole in memory (about 40 MB for the
#: baseline's 73 metrics), so a million replications never take a second copy of the table.
ROW_GROUP = 65_536


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


def replications_csv(result: RunRecord) -> str:
    """One row per replication, one column per metric."""
    names = list(result.replications.metrics)
    columns = [result.replications.metrics[n] for n in names]
    rows = ([rep, *(number(c[i]) for c in columns)] for i, rep in enumerate(result.rep_ids))
    return csv_text(["rep", *names], rows)


def write_replications(result: RunRecord, folder: Path) -> str:
    """Write the per-replication table into ``folder``; return its file name:
    ``replications.csv`` up to ``CSV_UP_TO`` replications, ``replications.parquet`` above
    (column ``rep``, then one per metric)."""
    if result.reps <= CSV_UP_TO:
        (folder / "replications.csv").write_text(replications_csv(result), encoding="utf-8")
        return "replications.csv"
    with open(folder / "replications.parquet", "wb") as file:
        write_parquet(result, file)
    return "replications.parquet"


def write_parquet(result: RunRecord, file: BinaryIO) -> None:
    """One row per replication as Parquet, written to ``file`` row group by row group:
    ``rep``, then each metric, those that count people, convoys or events as 64-bit
    integers and the others as 64-bit floats; a metric undefined in a replication (``nan``
    in memory and in the CSV) is null. Row groups of ``ROW_GROUP`` rows; no timestamp is
    stored: the same run gives the same bytes."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    counts = count_metrics(result.scenario)
    metrics = result.replications.metrics
    names = list(metrics)
    schema = pa.schema(
        [("rep", pa.int64())] + [(n, pa.int64() if n in counts else pa.float64()) for n in names]
    )
    with pq.ParquetWriter(file, schema, **PARQUET) as writer:
        for start in range(0, result.reps, ROW_GROUP):
            stop = min(start + ROW_GROUP, result.reps)
            columns = [_arrow(pa, np.arange(start, stop, dtype=np.int64))]
            for name in names:
                values = _rows(metrics, name, start, stop)
                columns.append(_parquet_column(pa, name, values, name in counts))
            writer.write_table(pa.Table.from_arrays(columns, schema=schema), ROW_GROUP)


def _rows(metrics: Mapping[str, np.ndarray], name: str, start: int, stop: int) -> np.ndarray:
    """Rows ``start .. stop - 1`` of a metric, as held (a packed count: its integers)."""
    if isinstance(metrics, Packed):
        return metrics.rows(name, start, stop)
    return metrics[name][start:stop]


def _parquet_column(pa: Any, name: str, values: np.ndarray, count: bool) -> Any:
    """A metric's Parquet column: a count as 64-bit integers, else floats; nan is null."""
    if values.dtype.kind == "i":  # held as integers: whole, defined throughout
        return _arrow(pa, values.astype(np.int64))
    undefined = np.isnan(values)
    if count:
        whole = np.where(undefined, 0, values).astype(np.int64)
        if not np.array_equal(whole[~undefined], values[~undefined]):
            raise ValueError(f"metric {name} counts but is not a whole number")
        values = whole
    return _arrow(pa, values, undefined if undefined.any() else None)


def _arrow(pa: Any, values: np.ndarray, undefined: np.ndarray | None = None) -> Any:
    """An Arrow array over the memory of ``values`` (1-d int64 or float64), null where
    ``undefined``: from its buffers, the array ``pa.array(values, mask=undefined)`` gives,
    without ``pa.array``'s check for pandas objects, which imports pandas (0.5 s of CPU)
    wherever it is installed."""
    values = np.ascontiguousarray(values)
    kind = pa.int64() if values.dtype == np.int64 else pa.float64()
    if undefined is None:
        return pa.Array.from_buffers(kind, len(values), [None, pa.py_buffer(values)], 0)
    valid = pa.py_buffer(np.packbits(~undefined, bitorder="little"))  # Arrow's bit order
    nulls = int(np.count_nonzero(undefined))
    return pa.Array.from_buffers(kind, len(values), [valid, pa.py_buffer(values)], nulls)


def summary_csv(summaries: list[Summary]) -> str:
    """One row per metric: n, mean, 95% CI, median, 5th and 95th percentiles."""
    rows = ([s.metric, s.n, *(number(v) for v in s[2:])] for s in summaries)
    return csv_text(list(Summary._fields), rows)


def timeseries_csv(result: RunRecord) -> str:
    """Hourly mean and quantiles of each series across replications."""
    scenario = result.scenario
    hours = hours_grid(scenario)
    header = ["hour", "clock"]
    blocks = []
    hourly = result.replications.hourly
    for name in series_types(scenario):
        header += [f"{name}_mean", f"{name}_p5", f"{name}_median", f"{name}_p95"]
        blocks.append(np.vstack([hourly.mean(name), hourly.percentiles(name, [5, 50, 95])]))
    table = np.vstack(blocks)
    rows = (
        [number(h), scenario.clock(h).strftime("%Y-%m-%d %H:%M"), *map(number, table[:, i])]
        for i, h in enumerate(hours)
    )
    return csv_text(header, rows)


def trace_csv(result: RunRecord) -> str:
    """Every event of the traced replications."""
    scenario = result.scenario
    rows = (
        [
            e.rep,
            number(e.time),
            scenario.shown(e.time).strftime("%Y-%m-%d %H:%M"),
            e.event,
            e.convoy + 1 if e.convoy >= 0 else "",
            e.people,
            *e.groups,
            *e.vehicles,
            e.note,
        ]
        for e in result.replications.trace
    )
    return csv_text(trace_csv_header(scenario), rows)


def trace_csv_header(scenario: Scenario) -> list[str]:
    """The columns of ``trace.csv``: convoys are numbered from 1 there, people and vehicles
    are given by group and by pool."""
    header = ["rep", "time_h", "clock", "event", "convoy", "people"]
    return header + [g.name for g in scenario.groups] + [p.name for p in scenario.pools] + ["note"]


def versions(packages: Iterable[str] = PACKAGES) -> dict[str, str]:
    """Python's version and that of each package, for a manifest."""
    found = {"python": platform.python_version()}
    for package in packages:
        if package == "evacsim":  # as `evacsim --version` and sweep and study ids read it
            found[package] = sim.version.__version__
            continue
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def manifest(result: RunRecord) -> dict:
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
        "git_commit": checkout_commit(),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        **precision,
        "resolved_scenario": result.scenario.document,
        "scenario_values": scenario_record(result.scenario),
    }


@functools.cache
def checkout_commit() -> str | None:
    """The commit of the evacsim checkout, with ``-dirty`` if it has local changes: looked
    up once a process, as the code a process runs is the code it imported.

    A run calls it before its replications (:func:`sim.studies.runner.run`): ``git`` starts
    from a fork of this process, which shares every page of the run until ``git`` replaces
    it, so a fork made while a run holds its million replications counts them twice in the
    resident memory of the process tree (0.57 GB more at 10**6 on the baseline, the run's
    peak by that measure, for a manifest line)."""
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


def write_tables(result: RunRecord, folder: Path) -> dict:
    """Write the tables and ``manifest.json`` of a run folder into ``folder`` (a staging
    folder of :class:`~sim.outputs.folders.atomic_folder`); return the manifest as written.

    The figures and ``report.html`` are views of the same run, drawn beside these by
    :meth:`sim.studies.runner.RunResult.save`, which writes the two large files
    (:func:`large_tables`) on threads meanwhile.
    """
    for write in large_tables(result, folder):
        write()
    return small_tables(result, folder)


def large_tables(result: RunRecord, folder: Path) -> list[Callable[[], object]]:
    """The writers of a run folder's two large files, the replications table and
    ``series.npz``, each independent of the other and of the rest of the folder. Their
    work is mostly compression (Snappy in pyarrow's Parquet writer, zlib for the
    ``.npz``), which lets go of the interpreter: they may run on threads of their own."""
    return [
        functools.partial(write_replications, result, folder),
        functools.partial(_write_series, result, folder),
    ]


def small_tables(result: RunRecord, folder: Path) -> dict:
    """Write ``summary.csv``, ``timeseries.csv``, ``trace.csv`` and ``manifest.json`` into
    ``folder``; return the manifest as written."""
    files = {
        "summary.csv": summary_csv(list(result.summaries.values())),
        "timeseries.csv": timeseries_csv(result),
        "trace.csv": trace_csv(result),
        "manifest.json": json.dumps(manifest(result), indent=2) + "\n",
    }
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return json.loads(files["manifest.json"])


def _write_series(result: RunRecord, folder: Path) -> None:
    """``series.npz``: every replication's hourly series."""
    with open(folder / "series.npz", "wb") as file:
        write_npz(file, result.replications.series)
