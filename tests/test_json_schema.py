"""The JSON Schema of scenario files: built from the loader, complete, shipped, and it
accepts every bundled file and refuses the hostile ones wherever JSON Schema can say why."""

from __future__ import annotations

import ast
import datetime
import errno
import importlib
import inspect
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import ROOT, evacsim

from sim.errors import ScenarioError
from sim.inputs import loader, sections
from sim.inputs.json_schema import read_files, scenario_schema, schema_text
from sim.inputs.library import entries
from sim.inputs.loader import load_scenario

SHIPPED = ROOT / "scenarios" / "schemas" / "scenario.json"
MALFORMED = Path(__file__).parent / "malformed"
#: The loader and its sections' readers: every module that asks a Table for a key.
READERS = [
    loader,
    *(
        importlib.import_module(f"sim.inputs.sections.{path.stem}")
        for path in sorted(Path(sections.__file__).parent.glob("[!_]*.py"))
    ),
]
#: The Table accessors: every call of one in the loader is a statement of the schema.
ACCESSORS = {"number", "text", "flag", "time", "duration", "table", "tables", "named_tables"}
ACCESSORS |= {"numbers", "raw"}

#: Hostile files the loader refuses for a reason a schema of one file cannot state, and why.
BEYOND_SCHEMA = {
    "_lognormal_base": "not hostile: the parent of nested_cv_override",
    "arrivals_count_and_total": "exactly one of two keys",
    "arrivals_end_before_start": "one key against another",
    "convoy_larger_than_fleet": "one key against the sum of others",
    "convoy_larger_than_per_convoy": "one key against the sum of others",
    "crossing_throughput_without_lanes": "a key needs another",
    "cycle_a": "the chain of extends",
    "cycle_b": "the chain of extends",
    "datetime_before_start": "a moment against start",
    "datetime_with_offset": "Taplo writes local date-times with a Z: offsets pass the schema",
    "departure_hours_same": "two items of a list that must differ",
    "duplicate_milestone": "names unique across an array",
    "extends_missing_file": "the file system",
    "fleet_change_enter_and_leave": "exactly one of two keys",
    "fleet_change_loses_more_than_entered": "a sum over an array",
    "inherits_a_mistake": "the parent file's mistake",
    "linkage_missing_trip": "extends: the parent might set it",
    "loading_place_not_a_name": "a name rule the text accessor states only in words",
    "milestone_at_and_after_convoys": "exactly one of two keys",
    "missing_distribution_parameter": "extends: the parent's table might hold it",
    "period_changes_nothing": "at least one of many keys",
    "period_crossing_without_lanes": "a key needs another table's key",
    "period_send_home_unknown_group": "names of another table",
    "period_unknown_pool": "names of another table",
    "private_unknown_group": "names of another table",
    "reported_low_above_value": "one key against another",
    "self_extends": "the chain of extends",
    "set_and_the_list": "a key path of set against the file's own keys",
    "set_bad_index": "set: an index into the parent's list",
    "set_not_in_parent": "set: a key of the parent",
    "set_type_mismatch": "a value inside a KEY=VALUE text",
    "unknown_vehicle_pool": "names of another table",
    "weather_hours_not_increasing": "order within a list",
    "window_ends_before_start": "one key against another",
    "zero_capacity_fleet": "a group against the pools it may ride",
}


def as_json(value: Any) -> Any:
    """A TOML document as JSON tools (Taplo, VS Code) see it: date-times as ISO text."""
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return value


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    schema = scenario_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def refusals(validator: jsonschema.Draft7Validator, path: Path) -> list[str]:
    document = as_json(tomllib.loads(path.read_text(encoding="utf-8")))
    return [e.message for e in validator.iter_errors(document)]


def test_the_shipped_schema_is_the_one_the_loader_gives():
    assert SHIPPED.read_text(encoding="utf-8") == schema_text(scenario_schema()), (
        "scenarios/schemas/scenario.json is stale: run `make schema`"
    )


def test_every_key_the_loader_reads_is_in_the_schema():
    sites = read_files().sites
    missed = []
    for module in READERS:
        calls = {
            (node.lineno, node.col_offset)
            for node in ast.walk(ast.parse(inspect.getsource(module)))
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ACCESSORS
        }
        reached = {(line, col) for file, line, col in sites if file == module.__file__}
        lines = inspect.getsource(module).splitlines()
        name = Path(module.__file__).name
        missed += [f"{name}:{n}: {lines[n - 1].strip()}" for n, _ in sorted(calls - reached)]
    assert len(READERS) > 1 and not missed, (
        "no bundled scenario or probe reads these keys, so the schema lacks them: add a "
        "probe to sim/inputs/probes/ that does\n" + "\n".join(missed)
    )


def test_every_bundled_scenario_names_the_schema_and_validates(validator):
    scenarios = [e for e in entries() if e.kind == "scenario"]
    assert len(scenarios) >= 20
    for entry in scenarios:
        first = entry.path.read_text(encoding="utf-8").splitlines()[0]
        relative = os.path.relpath(SHIPPED, entry.path.parent)
        assert first.startswith("#:schema "), f"{entry.name}: first line #:schema {relative}"
        named = (entry.path.parent / first.removeprefix("#:schema ")).resolve()
        assert named == SHIPPED.resolve(), entry.name
        assert refusals(validator, entry.path) == [], entry.name


@pytest.mark.parametrize("path", sorted(MALFORMED.glob("*.toml")), ids=lambda p: p.stem)
def test_hostile_files_are_refused_by_the_schema_where_it_can_say_why(validator, path):
    try:
        tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError:
        pytest.skip("not TOML: no schema is asked")
    if path.stem != "_lognormal_base":
        with pytest.raises(ScenarioError):
            load_scenario(path)
    refused = refusals(validator, path)
    if path.stem in BEYOND_SCHEMA:
        assert refused == [], f"the schema refuses it now: drop {path.stem} from BEYOND_SCHEMA"
    else:
        assert refused, f"{path.stem}: the loader refuses it, the schema accepts it"


def test_the_schema_refuses_a_typo_deep_in_a_named_table(validator, tmp_path):
    text = (ROOT / "scenarios" / "workshop" / "deterministic.toml").read_text(encoding="utf-8")
    typo = tmp_path / "typo.toml"
    typo.write_text(text.replace("unload_time =", "unlaod_time ="), encoding="utf-8")
    assert any("'unlaod_time' was unexpected" in m for m in refusals(validator, typo))


def test_taplo_checks_files_against_it_as_editors_do(tmp_path):
    """Taplo is the engine of VS Code's Even Better TOML: it follows each file's
    ``#:schema`` line, accepts the library and points at a typo and a negative count."""
    taplo = Path(sys.executable).parent / "taplo"
    files = [str(e.path) for e in entries() if e.kind == "scenario"]
    checked = subprocess.run([taplo, "check", *files], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    workshop = ROOT / "scenarios" / "workshop"
    text = (workshop / "deterministic.toml").read_text(encoding="utf-8")
    text = text.replace("../schemas/", f"{SHIPPED.parent.as_posix()}/")
    mistaken = tmp_path / "mistaken.toml"
    text = text.replace("unload_time =", "unlaod_time =").replace(
        "\ncount = 10\n", "\ncount = -3\n"
    )
    mistaken.write_text(text, encoding="utf-8")
    refused = subprocess.run([taplo, "check", str(mistaken)], capture_output=True, text=True)
    assert refused.returncode != 0
    assert "'unlaod_time' was unexpected" in refused.stderr
    assert "-3 is less than the minimum of 0" in refused.stderr


def test_evacsim_schema_prints_and_writes_it(tmp_path):
    printed = evacsim("schema")
    assert printed.returncode == 0, printed.stderr
    assert json.loads(printed.stdout)["title"] == "evacsim scenario file"
    written = evacsim("schema", "--out", str(tmp_path / "schemas"))
    assert written.returncode == 0, written.stderr
    assert (tmp_path / "schemas" / "scenario.json").read_text() == SHIPPED.read_text()


def test_a_full_disk_leaves_no_cut_short_schema(tmp_path, monkeypatch, capsys):
    from sim.cli import main

    written = Path.write_text

    def full_at_the_second(path: Path, text: str, **kwargs: Any) -> int:
        if (tmp_path / "scenario.json").exists():  # the first schema fits, then the disk is full
            written(path, text[:100], **kwargs)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return written(path, text, **kwargs)

    monkeypatch.setattr(Path, "write_text", full_at_the_second)
    status = main(["schema", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert status == 2
    assert err == (
        f"evacsim: error: {tmp_path / 'targets.json'}: cannot be written: "
        "No space left on device; nothing was left behind\n"
    )
    assert os.listdir(tmp_path) == ["scenario.json"]  # whole, and no temporary file
    assert (tmp_path / "scenario.json").read_text() == SHIPPED.read_text()
