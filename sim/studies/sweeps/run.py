"""Running a sweep: points, scenario variants, chunks on an executor, resume, precision.

``sweep`` is what ``evacsim sweep`` calls; a notebook calls it directly::

    import sim
    result = sim.sweep("scenarios/sweeps/buses.toml")
    result.folder          # results/sweeps/buses/<id>/ with points.csv and figures

The sweep's folder is named by a hash of everything the results depend on (the resolved
sweep file and base scenario, the package version), so rerunning the same file finds the
chunks it finished before and computes only the rest, while a changed file gets a new
folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import math
import os
import time
from pathlib import Path

import numpy as np

import sim.version  # the one version lookup, read at each call
from sim.errors import ScenarioError
from sim.inputs.loader import load_scenario
from sim.inputs.scenario import Scenario
from sim.outputs.metrics import summarise
from sim.studies.budget import check_memory, sweep_bytes
from sim.studies.precision import next_round
from sim.studies.sweeps.chunks import Chunk, ChunkStore, layout
from sim.studies.sweeps.design import design_points
from sim.studies.sweeps.executors import Task, open_executor
from sim.studies.sweeps.output import write_atomic, write_outputs
from sim.studies.sweeps.result import SweepResult
from sim.studies.sweeps.sensitivity import sobol_indices
from sim.studies.sweeps.spec import SweepSpec, load_sweep, override
from sim.views.progress import progress_bar


def sweep(
    spec: SweepSpec | str | Path,
    scheduler: str = "local",
    workers: int | None = None,
    root: str | Path = "results",
    progress: bool = False,
    folder: str | Path | None = None,
) -> SweepResult:
    """Run a sweep, reusing any chunks a previous run of the same sweep finished.

    Parameters
    ----------
    spec : SweepSpec, str or Path
        A sweep file or its loaded spec (see :func:`sim.studies.sweeps.spec.load_sweep`).
    scheduler : str
        ``local`` (processes on this machine), ``dask-local`` or ``tcp://HOST:PORT`` (Dask).
        Results do not depend on it.
    workers : int, optional
        Processes (``local``) or Dask workers (``dask-local``); every core by default.
    root : str or Path
        The results folder; the sweep writes ``<root>/sweeps/<name>/<id>/``.
    folder : str or Path, optional
        The sweep's own folder instead (``evacsim sweep --out``): a rerun with the same
        folder resumes; a folder holding another sweep or other files is refused.
    progress : bool
        Show a progress bar with ETA on standard error.

    Raises
    ------
    ScenarioError
        A bad sweep file, a point the base scenario does not accept, or a bad scheduler.
    """
    began = time.perf_counter()
    if not isinstance(spec, SweepSpec):
        spec = load_sweep(spec)
    planned = point_count(spec)
    most = spec.reps if spec.precision is None else spec.max_reps
    check_memory(
        sweep_bytes(planned * most, len(spec.metrics)) + planned * POINT_BYTES,
        f"{planned:,} points of {most:,} replications",
        spec.path,
        "reps" if planned < 1000 else "design.points" if spec.method != "grid" else "axes",
    )
    points = design_points(spec)
    variants, scenarios = scenario_variants(spec, points)
    identity = sweep_id(spec)
    folder = Path(root) / "sweeps" / spec.name / identity if folder is None else Path(folder)
    claim(folder, identity)
    store = ChunkStore(folder / "chunks")
    collected: list[tuple[Chunk, dict[str, np.ndarray]]] = []
    total = reused = 0
    requests = [(p, 0, spec.reps) for p in range(len(points))]
    with open_executor(scheduler, workers) as executor, progress_bar(progress) as bar:
        for round_ in itertools.count():
            chunks = layout(requests, variants, round_, spec.chunk)
            bar.total = (bar.total or 0) + sum(len(c.reps) for c in chunks)
            missing = []
            for chunk in chunks:
                found = store.load(chunk, spec.metrics)
                if found is None:
                    missing.append(chunk)
                else:
                    collected.append((chunk, found))
                    bar.update(len(chunk.reps))
            total += len(chunks)
            reused += len(chunks) - len(missing)
            tasks = [chunk_task(c, spec, points, scenarios) for c in missing]
            for chunk, metrics in executor.run(missing, tasks):
                _save(store, chunk, metrics, len(collected))
                collected.append((chunk, metrics))
                bar.update(len(chunk.reps))
            if spec.precision is None:
                break
            values = per_point(collected, spec.metrics, len(points))
            requests = next_round(requests, values, spec.precision, spec.max_reps)
            if not requests:
                break
    values = per_point(collected, spec.metrics, len(points))
    summaries = {m: [summarise(m, v) for v in values[m]] for m in spec.metrics}
    sobol = []
    if spec.method == "saltelli":
        means = {m: np.array([s.mean for s in summaries[m]]) for m in spec.metrics}
        sobol = sobol_indices(spec, means)
    wall = time.perf_counter() - began
    result = SweepResult(
        spec, folder, points, values, summaries, sobol, total, reused, wall, len(store.damaged)
    )
    try:
        write_outputs(result, scheduler)
    except OSError as error:
        raise ScenarioError(
            str(folder),
            "",
            f"cannot write the sweep's tables and figures: {error.strerror}; its finished "
            "chunks are kept: make room and run the same command to write them",
        ) from None
    return result


#: Bytes a sweep holds per point besides its replications: axis values, scenario variant.
POINT_BYTES = 2_000


def point_count(spec: SweepSpec) -> int:
    """The points of a sweep's design, counted without making them."""
    if spec.method == "grid":
        return math.prod(len(a.values) for a in spec.axes)
    if spec.method == "saltelli":
        return spec.points * (len(spec.axes) + 2)  # first-order and total indices
    return spec.points


def _save(store: ChunkStore, chunk: Chunk, metrics: dict[str, np.ndarray], kept: int) -> None:
    """Keep a finished chunk, or stop with one line if the disk cannot take it."""
    try:
        store.save(chunk, metrics)
    except OSError as error:
        raise ScenarioError(
            str(store.folder),
            "",
            f"cannot write chunk {chunk.name}: {error.strerror}; the {kept:,} chunks finished "
            "before are kept: make room and run the same command to resume",
        ) from None


def chunk_task(
    chunk: Chunk, spec: SweepSpec, points: list[dict[str, object]], scenarios: list[Scenario]
) -> Task:
    """The arguments of :func:`~sim.studies.sweeps.executors.simulate_chunk` for one chunk: its
    variant's scenario and each numeric axis as one value per replication."""
    keys = [a.key for a in spec.axes if a.batch]
    parameters = {k: np.array([points[p][k] for p in chunk.points], float) for k in keys}
    return scenarios[chunk.variant], spec.seed, parameters, chunk.reps, spec.metrics


def scenario_variants(
    spec: SweepSpec, points: list[dict[str, object]]
) -> tuple[list[int], list[Scenario]]:
    """Check every point against the base scenario; group points by their non-batch values.

    Returns
    -------
    variants : list of int
        The variant of each point.
    scenarios : list of Scenario
        One scenario per variant: the base with the point's non-batch axis values.

    Raises
    ------
    ScenarioError
        Naming the sweep file, the point and what the base scenario does not accept.
    """
    scenario_keys = [a.key for a in spec.axes if not a.batch]
    axis_keys = {a.key.removesuffix(".value") for a in spec.axes}
    index: dict[tuple, int] = {}
    scenarios: list[Scenario] = []
    variants = []
    checked: set[str] = set()
    for i, point in enumerate(points):
        settings = [override(k, v) for k, v in point.items()]
        signature = json.dumps(settings)
        if signature not in checked:
            try:
                load_scenario(spec.base, [*spec.overrides, *settings])
            except ScenarioError as error:
                key = f"axes.{error.key}" if error.key in axis_keys else error.key
                raise ScenarioError(
                    spec.path, key, f"point {i} ({', '.join(settings)}): {error.message}"
                ) from None
            checked.add(signature)
        variant = tuple(point[k] for k in scenario_keys)
        if variant not in index:
            index[variant] = len(scenarios)
            settings = [override(k, point[k]) for k in scenario_keys]
            scenarios.append(load_scenario(spec.base, [*spec.overrides, *settings]))
        variants.append(index[variant])
    return variants, scenarios


def per_point(
    collected: list[tuple[Chunk, dict[str, np.ndarray]]], metrics: tuple[str, ...], n: int
) -> dict[str, list[np.ndarray]]:
    """Each metric's values at each point, ordered by replication number."""
    points = np.concatenate([c.points for c, _ in collected])
    reps = np.concatenate([c.reps for c, _ in collected])
    order = np.lexsort((reps, points))
    cuts = np.searchsorted(points[order], np.arange(1, n))
    return {m: np.split(np.concatenate([v[m] for _, v in collected])[order], cuts) for m in metrics}


#: The file in a sweep folder that names the sweep its chunks belong to.
ID_FILE = "sweep-id.txt"


def claim(folder: Path, identity: str) -> None:
    """Make ``folder`` the folder of sweep ``identity``, or check that it is already.

    Raises
    ------
    ScenarioError
        If ``folder`` is not a folder, holds another sweep's chunks or files that are no
        sweep's, or cannot be written (then a folder made for it is removed).
    """
    marker = folder / ID_FILE
    if os.path.lexists(folder) and not folder.is_dir():
        raise ScenarioError(str(folder), "", "exists and is not a folder; choose another --out")
    if marker.is_file():
        found = marker.read_text(encoding="utf-8").strip()
        if found != identity:
            raise ScenarioError(
                str(folder), "", f"holds another sweep (id {found}, this one is {identity}); "
                "choose another --out folder, or remove it"
            )  # fmt: skip
        return
    if folder.exists() and any(folder.iterdir()):
        raise ScenarioError(str(folder), "", "exists and is not a sweep folder; choose another")
    made = not folder.exists()
    try:
        write_atomic(marker, f"{identity}\n".encode())
    except OSError as error:
        if made:
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise ScenarioError(
            str(folder), "", f"cannot be written: {error.strerror}; nothing was left behind"
        ) from None


def sweep_id(spec: SweepSpec) -> str:
    """Twelve hex digits of a hash of what the results depend on."""
    identity = {"sweep": spec.identity(), "evacsim": sim.version.__version__}
    text = json.dumps(identity, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]
