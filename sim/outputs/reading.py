"""Reading a run folder back: its manifest, its tables and its trace, as the run recorded them.

The writers are in :mod:`sim.outputs.results`; what they write, these read into the same
values (a metric undefined in a replication comes back as ``nan``, as in memory).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np

from sim.errors import ScenarioError
from sim.inputs.record import scenario_from_record
from sim.inputs.scenario import Scenario
from sim.outputs.records import Replications, TraceEvent
from sim.outputs.results import trace_csv_header
from sim.outputs.run import RunRecord


def read_replications(folder: str | Path) -> dict[str, np.ndarray]:
    """The metrics a run folder recorded per replication, as float arrays of shape (reps,)
    (as :attr:`RunRecord.metrics` holds them), from ``replications.csv`` or
    ``replications.parquet``.

    Raises
    ------
    ScenarioError
        If the folder has neither table.
    """
    folder = Path(folder)
    parquet, text = folder / "replications.parquet", folder / "replications.csv"
    if parquet.is_file():
        import pyarrow.parquet as pq

        table = pq.read_table(parquet)
        return {  # a null (undefined) becomes nan, as in memory
            name: table.column(name).to_numpy().astype(float)
            for name in table.column_names
            if name != "rep"
        }
    rows = list(csv.reader(io.StringIO(_read_text(text), newline="")))
    try:
        table = np.array([row[1:] for row in rows[1:]], dtype=float).reshape(-1, len(rows[0]) - 1)
    except (ValueError, IndexError) as error:  # cut short, or edited by hand
        raise ScenarioError(str(text), "", f"is damaged ({error}); run it again") from None
    return {name: table[:, i].copy() for i, name in enumerate(rows[0][1:])}


def read_manifest(folder: str | Path) -> dict:
    """The ``manifest.json`` of a run folder.

    Raises
    ------
    ScenarioError
        If the folder has no readable manifest.
    """
    file = Path(folder) / "manifest.json"
    try:
        found = json.loads(_read_text(file))
    except json.JSONDecodeError as error:
        raise ScenarioError(str(file), "", f"is not JSON ({error.msg})") from None
    if not isinstance(found, dict):
        raise ScenarioError(str(file), "", "is not a manifest: a JSON object was expected")
    return found


def read_study_manifest(folder: Path, kind: str, key: str, arrays: str) -> dict:
    """The ``manifest.json`` of a study's folder, if it is a ``kind`` folder this version can
    read back: its manifest records ``key`` and it holds the ``arrays`` file.

    Raises
    ------
    ScenarioError
        If it is not, naming the folder.
    """
    info = read_manifest(folder)
    if key not in info or not (folder / arrays).is_file():
        raise ScenarioError(
            str(folder), "", f"not a {kind} folder, or one written before evacsim read them"
        )
    return info


def read_trace(path: str | Path, scenario: Scenario) -> list[TraceEvent]:
    """The trace a run folder recorded, as the engine handed it back.

    Parameters
    ----------
    path : str or Path
        A run folder, or its ``trace.csv``.
    scenario : Scenario
        The scenario of the run (its groups and pools name the columns).

    Raises
    ------
    ScenarioError
        If the file is missing or its columns are not those of ``scenario``.
    """
    path = Path(path)
    file = path / "trace.csv" if path.is_dir() else path
    text = _read_text(file)
    rows = csv.reader(io.StringIO(text))
    header = next(rows, [])
    G, P = len(scenario.groups), len(scenario.pools)
    expected = trace_csv_header(scenario)
    if header != expected:
        raise ScenarioError(
            str(file), "", f"is not the trace of this scenario: columns {', '.join(expected)}"
        )
    events = []
    for row in rows:
        try:
            if len(row) != len(expected):
                raise ValueError(f"{len(row)} columns, not {len(expected)}")
            events.append(
                TraceEvent(
                    int(row[0]),
                    float(row[1]),
                    row[3],
                    int(row[4]) - 1 if row[4] else -1,
                    int(row[5]),
                    tuple(int(x) for x in row[6 : 6 + G]),
                    tuple(int(x) for x in row[6 + G : 6 + G + P]),
                    row[6 + G + P],
                )
            )
        except ValueError as error:  # cut short, or edited by hand
            raise ScenarioError(
                str(file), "", f"is damaged at line {rows.line_num} ({error}); run it again"
            ) from None
    return events


def _read_text(file: Path) -> str:
    """The text of a file a run wrote.

    Raises
    ------
    ScenarioError
        If it cannot be read or is not UTF-8 (it was not written by evacsim as it is).
    """
    try:
        return file.read_text(encoding="utf-8")
    except OSError as error:
        raise ScenarioError(str(file), "", f"cannot be read ({error.strerror})") from None
    except UnicodeDecodeError as error:
        raise ScenarioError(
            str(file), "", f"is damaged: not UTF-8 text (byte {error.start + 1}); run it again"
        ) from None


def read_npz(path: Path) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` file, by name."""
    with np.load(path, allow_pickle=False) as found:
        return {name: found[name] for name in found.files}


def read_run_record(folder: str | Path) -> RunRecord:
    """The record a run folder was written from: the same scenario values, metrics per
    replication, hourly series and trace.

    Raises
    ------
    ScenarioError
        If ``folder`` is not a run folder this version can read.
    """
    folder = Path(folder)
    info = read_manifest(folder)
    if "scenario_values" not in info or not (folder / "series.npz").is_file():
        raise ScenarioError(
            str(folder), "", "not a run folder, or one written before evacsim could read them back"
        )
    scenario = scenario_from_record(info["scenario_values"], info.get("resolved_scenario", {}))
    metrics = read_replications(folder)
    series = read_npz(folder / "series.npz")
    return RunRecord(
        scenario,
        Replications(metrics, series, read_trace(folder, scenario)),
        int(info["seed"]),
        int(info["reps"]),
        str(info["engine"]),
        float(info.get("wall_time_s", 0.0)),
        list(info.get("overrides", [])),
        info.get("precision"),
    )
