"""The JSON Schema of targets files: recorded from their reader, complete, shipped, named
by every bundled targets file, and refusing the mistakes JSON Schema can state."""

from __future__ import annotations

import ast
import datetime
import inspect
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import ROOT, evacsim
from test_calibrate import SMALL

from sim.errors import ScenarioError
from sim.inputs.library import entries
from sim.studies.calibration import load_targets, targets
from sim.studies.schemas import file_schema, read_files, schemas

SHIPPED = ROOT / "scenarios" / "schemas"
READERS = {"targets": targets}
ACCESSORS = {"number", "text", "flag", "time", "duration", "table", "tables", "named_tables"}
ACCESSORS |= {"numbers", "raw"}


def as_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return value


def refusals(kind: str, text: str) -> list[str]:
    validator = jsonschema.Draft7Validator(file_schema(kind))
    return [e.message for e in validator.iter_errors(as_json(tomllib.loads(text)))]


@pytest.mark.parametrize("kind", READERS)
def test_shipped_schemas_are_the_ones_the_readers_give(kind):
    jsonschema.Draft7Validator.check_schema(file_schema(kind))
    shipped = (SHIPPED / f"{kind}.json").read_text(encoding="utf-8")
    assert shipped == schemas()[f"{kind}.json"], f"{kind}.json is stale: run `make schema`"


@pytest.mark.parametrize("kind", READERS)
def test_every_key_the_reader_reads_is_in_the_schema(kind):
    module = READERS[kind]
    source = inspect.getsource(module)
    calls = {
        (node.lineno, node.col_offset)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ACCESSORS
    }
    reached = {(line, col) for file, line, col in read_files(kind).sites if file == module.__file__}
    lines = source.splitlines()
    missed = [f"{n}: {lines[n - 1].strip()}" for n, _ in sorted(calls - reached)]
    reads = "\n".join(missed)
    assert calls and not missed, f"no bundled {kind} file reaches these reads:\n{reads}"


@pytest.mark.parametrize("kind", READERS)
def test_every_bundled_file_names_its_schema_and_validates(kind):
    validator = jsonschema.Draft7Validator(file_schema(kind))
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


def test_evacsim_schema_writes_both(tmp_path):
    done = evacsim("schema", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scenario.json", "targets.json"]
    for name in ("scenario.json", "targets.json"):
        assert (tmp_path / name).read_text() == (SHIPPED / name).read_text(), name


def test_schemas_are_written_whole_or_not_at_all(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("")
    done = evacsim("schema", "--out", str(blocked / "schemas"))
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1, done.stderr
    assert not Path(blocked).is_dir()
