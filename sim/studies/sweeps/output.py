"""The files a sweep leaves in its folder, each written atomically.

``points.csv`` has one row per point: its number, the axis values, the replications run and,
per metric, how many replications defined it (``_n``), the mean and its 95% CI. Numbers are
written in shortest round-trip form, so the same chunks always give the same bytes whichever
executor ran them and however often the sweep was interrupted. ``sobol.csv`` (Saltelli
designs) holds the Sobol indices; ``manifest.json`` says what produced the folder.
"""

from __future__ import annotations

import csv
import json
import os
import platform
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from sim.inputs.record import from_record, record
from sim.outputs.metrics import summarise
from sim.outputs.npz import arrays_npz
from sim.outputs.reading import read_npz, read_study_manifest
from sim.outputs.results import (
    PACKAGES,
    csv_text,
    number,
    versions,
)
from sim.studies.precision import RULE
from sim.studies.sweeps.figures import sweep_figures
from sim.studies.sweeps.result import SweepResult
from sim.studies.sweeps.sensitivity import SobolIndex


def points_csv(result: SweepResult) -> str:
    """One row per point: axis values, replications, and each metric's n, mean and CI."""
    keys = [a.key for a in result.spec.axes]
    header = ["point", *keys, "reps"]
    for m in result.spec.metrics:
        header += [f"{m}_n", f"{m}_mean", f"{m}_ci_low", f"{m}_ci_high"]
    rows = []
    for i, point in enumerate(result.points):
        row = [i, *(_cell(point[k]) for k in keys), int(result.reps[i])]
        for m in result.spec.metrics:
            s = result.summaries[m][i]
            row += [s.n, number(s.mean), number(s.ci_low), number(s.ci_high)]
        rows.append(row)
    return csv_text(header, rows)


def sobol_csv(indices: list[SobolIndex]) -> str:
    """One row per metric and input: first- and total-order indices with 95% intervals."""
    rows = ([i.metric, i.parameter, *map(number, i[2:])] for i in indices)
    return csv_text(list(SobolIndex._fields), rows)


def manifest(result: SweepResult, scheduler: str) -> dict:
    """What produced the sweep folder; the scheduler is recorded but changes no result."""
    spec = result.spec
    reps = result.reps
    return {
        "sweep": spec.name,
        "sweep_file": spec.path,
        "description": spec.description,
        "id": (result.folder / "sweep-id.txt").read_text(encoding="utf-8").strip(),
        "base": str(spec.base),
        "design": spec.method,
        "points": len(result.points),
        "reps_per_point": spec.reps,
        "reps_total": int(reps.sum()),
        "seed": spec.seed,
        "metrics": list(spec.metrics),
        "precision": None
        if spec.precision is None
        else {
            "target": spec.precision,
            "max_reps": spec.max_reps,
            "rule": " ".join(RULE.split()),
            "points_precise": int(result.precise.sum()),
            "reps_min": int(reps.min()),
            "reps_max": int(reps.max()),
        },
        "chunks": result.chunks,
        "chunks_reused": result.reused,
        "scheduler": scheduler,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "wall_time_s": round(result.wall_time, 3),
        "versions": versions((*PACKAGES, "SALib", "distributed")),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "resolved": spec.identity(),
        "spec_values": record(spec),
        "point_values": result.points,
    }


def write_outputs(result: SweepResult, scheduler: str) -> list[Path]:
    """Write points.csv, sobol.csv (Saltelli), the figures and manifest.json; return them."""
    folder = result.folder
    files = {"points.csv": points_csv(result).encode()}
    if result.sobol:
        files["sobol.csv"] = sobol_csv(result.sobol).encode()
    files.update(sweep_figures(result))
    files["values.npz"] = arrays_npz(
        {"reps": result.reps, **{m: np.concatenate(v) for m, v in result.values.items()}}
    )
    text = json.dumps(manifest(result, scheduler), indent=2, default=str) + "\n"
    files["manifest.json"] = text.encode()
    for name, data in files.items():
        write_atomic(folder / name, data)
    return [folder / name for name in files]


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(data)
        os.chmod(temporary, 0o644)  # mkstemp makes it private; results are not
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_sweep_folder(folder: str | Path) -> SweepResult:
    """The :class:`~sim.studies.sweeps.run.SweepResult` of the sweep that wrote ``folder``.

    Raises
    ------
    ScenarioError
        If ``folder`` is not a sweep folder this version can read.
    """
    from sim.studies.sweeps.spec import SweepSpec

    folder = Path(folder)
    info = read_study_manifest(folder, "sweep", "spec_values", "values.npz")
    spec = from_record(SweepSpec, info["spec_values"])
    arrays = read_npz(folder / "values.npz")
    cuts = np.cumsum(arrays["reps"])[:-1]
    values = {m: np.split(arrays[m], cuts) for m in spec.metrics}
    summaries = {m: [summarise(m, v) for v in values[m]] for m in spec.metrics}
    sobol = []
    if (folder / "sobol.csv").is_file():
        with (folder / "sobol.csv").open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))[1:]
        sobol = [SobolIndex(r[0], r[1], *map(float, r[2:])) for r in rows]
    return SweepResult(
        spec, folder, info["point_values"], values, summaries, sobol,
        int(info["chunks"]), int(info["chunks_reused"]), float(info["wall_time_s"]),
    )  # fmt: skip


def _cell(value: object) -> object:
    return (
        number(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
    )
