"""Reading a compare folder back: the :class:`~sim.studies.compare.Comparison` that
``Comparison.save`` wrote, its scenarios, differences and paired replications."""

from __future__ import annotations

import csv
from pathlib import Path

from sim.inputs.record import scenario_from_record
from sim.outputs.reading import read_npz, read_study_manifest
from sim.outputs.records import Replications
from sim.studies.compare import Comparison
from sim.studies.paired import Difference


def read_compare_folder(folder: str | Path) -> Comparison:
    """The :class:`Comparison` whose :meth:`~Comparison.save` wrote ``folder``.

    Raises
    ------
    ScenarioError
        If ``folder`` is not a compare folder this version can read.
    """
    folder = Path(folder)
    info = read_study_manifest(folder, "compare", "base_values", "paired.npz")
    base = scenario_from_record(info["base_values"], info["resolved_base"])
    whatifs = [
        scenario_from_record(values, document)
        for values, document in zip(info["whatif_values"], info["resolved_whatifs"], strict=True)
    ]
    with (folder / "differences.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    differences = [Difference(r[0], r[1], int(r[2]), *map(float, r[3:])) for r in rows]
    arrays = read_npz(folder / "paired.npz")
    paired = {label: Replications.from_arrays(arrays, label) for label in info["labels"]}
    return Comparison(
        base, whatifs, int(info["reps"]), int(info["seed"]), differences, paired,
        float(info.get("wall_time_s", 0.0)), info.get("precision"),
    )  # fmt: skip
