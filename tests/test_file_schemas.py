"""The JSON Schemas of targets, sweep and study files: recorded from their readers, complete,
shipped, named by every bundled file of the kind, and refusing the mistakes JSON Schema can
state, in Python's jsonschema and in Taplo."""

from __future__ import annotations

import ast
import functools
import inspect
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import BASELINE, ROOT, evacsim
from test_calibrate import SMALL
from test_json_schema import as_json
from test_optimise_spec import GOOD as STUDY
from test_optimise_spec import MISTAKES as STUDY_MISTAKES

from sim.errors import ScenarioError
from sim.inputs.json_schema import schema_text
from sim.inputs.library import entries
from sim.inputs.recording import Recording
from sim.studies import study_file
from sim.studies.calibration import load_targets, targets
from sim.studies.optimise import spec as study_spec
from sim.studies.schemas import file_schema, read_files
from sim.studies.sweeps import load_sweep, spec

SHIPPED = ROOT / "scenarios" / "schemas"
#: The modules that read each kind of file.
READERS = {
    "targets": (targets,),
    "sweep": (study_file, spec),
    "study": (study_file, study_spec),
}
SWEEP = f"""
base = "{BASELINE}"
reps = 5
metrics = ["evacuated"]

[design]
method = "grid"

[axes]
"fleet.buses.count" = [20, 40]
"""
ACCESSORS = {"number", "text", "flag", "time", "duration", "table", "tables", "named_tables"}
ACCESSORS |= {"numbers", "raw"}


@functools.cache
def schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of ``kind`` (built once a session: it reads the library)."""
    return file_schema(kind)


@functools.cache
def recorded(kind: str) -> Recording:
    """What the reader of ``kind`` asked of the library's files (read once a session)."""
    return read_files(kind)


def refusals(kind: str, text: str) -> list[str]:
    validator = jsonschema.Draft7Validator(schema(kind))
    return [e.message for e in validator.iter_errors(as_json(tomllib.loads(text)))]


@pytest.mark.parametrize("kind", READERS)
def test_shipped_schemas_are_the_ones_the_readers_give(kind):
    jsonschema.Draft7Validator.check_schema(schema(kind))
    shipped = (SHIPPED / f"{kind}.json").read_text(encoding="utf-8")
    assert shipped == schema_text(schema(kind)), f"{kind}.json is stale: run `make schema`"


@pytest.mark.parametrize("kind", READERS)
def test_every_key_the_reader_reads_is_in_the_schema(kind):
    for module in READERS[kind]:
        # a module shared by several kinds (study_file) is reached by the files of any
        users = [k for k, modules in READERS.items() if module in modules]
        sites = set().union(*(recorded(k).sites for k in users))
        source = inspect.getsource(module)
        calls = {
            (node.lineno, node.col_offset)
            for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ACCESSORS
        }
        reached = {(line, col) for file, line, col in sites if file == module.__file__}
        lines = source.splitlines()
        missed = [f"{n}: {lines[n - 1].strip()}" for n, _ in sorted(calls - reached)]
        reads = "\n".join(missed)
        where = module.__name__
        assert calls and not missed, f"no bundled {kind} file reaches in {where}:\n{reads}"


@pytest.mark.parametrize("kind", READERS)
def test_every_bundled_file_names_its_schema_and_validates(kind):
    validator = jsonschema.Draft7Validator(schema(kind))
    files = [e for e in entries() if e.kind == kind]
    assert files
    for entry in files:
        text = entry.path.read_text(encoding="utf-8")
        named = (entry.path.parent / text.splitlines()[0].removeprefix("#:schema ")).resolve()
        assert named == (SHIPPED / f"{kind}.json").resolve(), entry.name
        errors = list(validator.iter_errors(as_json(tomllib.loads(text))))
        assert errors == [], (entry.name, errors[0].message if errors else "")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("refine_reps = 8", "refine_reps = 8\nsamples = 3"),
        ('prior = "uniform"\nlow = 20', 'prior = "normal"\nlow = 20'),
        ("sigma = 100", "sigma = 0"),
        ("sigma = 100", "sigma = 100\nweight = 2"),
        ("accept = 0.05", "accept = 1.5"),
        ("draws = 1024", "draws = 10.5"),
        ("sensitivity = [8000]", 'sensitivity = ["8000"]'),
    ],
)
def test_targets_mistakes_the_schema_can_state(tmp_path, old, new):
    text = SMALL.replace(old, new, 1)
    path = tmp_path / "targets.toml"
    path.write_text(text)
    with pytest.raises(ScenarioError):
        load_targets(path)
    assert refusals("targets", text)
    assert refusals("targets", SMALL) == []


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("reps = 5", "reps = 5\nrepetitions = 3"),
        ("reps = 5", "reps = 1"),
        ("reps = 5", "reps = 5.5"),
        ('metrics = ["evacuated"]', "metrics = []"),
        ('method = "grid"', 'method = "random"'),
        ('method = "grid"', 'method = "grid"\nsamples = 4'),
        ("[axes]", "precision = 1.5\n[axes]"),
        ("[axes]", "chunk = 0\n[axes]"),
    ],
)
def test_sweep_mistakes_the_schema_can_state(tmp_path, old, new):
    assert old in SWEEP, old
    bad = tmp_path / "bad.toml"
    bad.write_text(SWEEP.replace(old, new, 1))
    with pytest.raises(ScenarioError):
        load_sweep(bad)
    assert refusals("sweep", bad.read_text())
    assert refusals("sweep", SWEEP) == []


#: The study file mistakes of test_optimise_spec that no schema of one file can state, by
#: the key the reader names and why.
STUDY_BEYOND = {
    ("name", "letters, digits"): "letters and digits of any script: JSON regexes cannot say it",
    ("base", "no such scenario file"): "whether the base scenario file exists",
    ("budget", "replications for the search"): "the command line may give it (--budget)",
    ("objectives.0.minimise", "'speed' is not a metric"): "the metrics are the base's",
    ("decisions.fleet.buses.count", "low must be below high"): "one key against another",
    ("decisions.fleet.buses.count", "whole numbers"): "which inputs count things is the base's",
    ("decisions.fleet.buses.count", "fleet.buses.count=0"): "values the base scenario takes",
    ("decisions.fleet.busses.count", "not a numeric batch-engine input"): "the base's inputs",
    ("decisions.ceasefire.before_checkpoint", 'before_checkpoint="wait"'): "the base's values",
    ("uncertainties.route.to_reception.value.mode", "between low and high"): "low <= mode <= high",
    (
        "uncertainties.fleet.buses.count",
        "decided or uncertain, not both",
    ): "one key against another",
    ("certify.objective", "0"): "an index below the number of objectives",
}


@pytest.mark.parametrize(("old", "new", "key", "words"), STUDY_MISTAKES)
def test_study_mistakes_the_schema_refuses_or_leaves_to_the_reader(old, new, key, words):
    """Each mistake of a study file that the reader refuses is refused by the schema too,
    or listed above with the reason it cannot be (and then the schema lets it pass)."""
    assert refusals("study", STUDY) == []
    refused = refusals("study", STUDY.replace(old, new, 1))
    if (key, words) in STUDY_BEYOND:
        assert refused == [], (key, refused)
    else:
        assert refused, key


def test_taplo_checks_the_files_as_editors_do(tmp_path):
    """Taplo (the engine of VS Code's Even Better TOML) follows each bundled targets, sweep
    and study file's ``#:schema`` line and accepts it, and points at a mistake in a sweep
    file and in a study file."""
    taplo = Path(sys.executable).parent / "taplo"
    files = [str(e.path) for e in entries() if e.kind in READERS]
    checked = subprocess.run([taplo, "check", *files], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    text = (ROOT / "scenarios" / "sweeps" / "buses.toml").read_text(encoding="utf-8")
    text = text.replace("../schemas/", f"{SHIPPED.as_posix()}/").replace("reps =", "repz =")
    mistaken = tmp_path / "mistaken.toml"
    mistaken.write_text(text, encoding="utf-8")
    refused = subprocess.run([taplo, "check", str(mistaken)], capture_output=True, text=True)
    assert refused.returncode != 0
    assert "'repz' was unexpected" in refused.stderr
    study = tmp_path / "study.toml"
    schema = f"#:schema {(SHIPPED / 'study.json').as_posix()}\n"
    study.write_text(schema + STUDY.replace("probability_at_most = 0.05", "tolerance = 0"))
    refused = subprocess.run([taplo, "check", str(study)], capture_output=True, text=True)
    assert refused.returncode != 0
    assert '"probability_at_most" is a required property' in refused.stderr, refused.stderr


def test_evacsim_schema_writes_them_all(tmp_path):
    done = evacsim("schema", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    names = ["scenario.json", "study.json", "sweep.json", "targets.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == names
    for name in names:
        assert (tmp_path / name).read_text() == (SHIPPED / name).read_text(), name


def test_schemas_are_written_whole_or_not_at_all(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("")
    done = evacsim("schema", "--out", str(blocked / "schemas"))
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1, done.stderr
    assert not Path(blocked).is_dir()
