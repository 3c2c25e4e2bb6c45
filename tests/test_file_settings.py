"""A scenario file's ``set``: one item of a parent's list changed by key path, as ``--set``.

Hand-worked: a child that sets one period's headway and adds a rule to another gives the
scenario of the child that copies the whole list with those two changes; the paths are
walked as ``--set`` walks them; every mistake is one line naming the file and the key.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from sim.errors import ScenarioError
from sim.inputs.loader import load_scenario
from sim.inputs.sources import read_scenario_file

PARENT = """\
start = 2016-12-15T05:00:00
horizon = 24.0

[population.families]
count = 100
priority = 1
vehicles = ["buses"]

[fleet.buses]
count = 4
seats = 40
per_convoy = 2
load_time = 0.5
unload_time = 0.25

[convoy]
min_vehicles = 1
headway = 1.0

[route]
to_checkpoint = 1.0
inspection = 0.25
to_reception = 1.0
return_trip = 2.0

[[ceasefire.windows]]
start = 2016-12-15T09:00:00
end = 2016-12-15T10:00:00
reason = "a first stop"

[[periods]]
start = 2.0
name = "morning"
headway = 0.5

[[periods]]
start = 8.0
name = "evening"
per_convoy = { buses = 1 }
"""

#: The child's question, stated by ``set``: the evening's headway, the morning's convoy.
BY_SET = """\
extends = "parent.toml"
set = [
    "periods.1.headway=2.0",            # a rule the evening did not set
    "periods.0.per_convoy={buses = 1}",  # a rule the morning did not set, a table
    "ceasefire.windows.0.end=2016-12-15T11:00:00",
]
"""

#: The same question with the lists copied, as a child had to state it before ``set``.
BY_COPY = """\
extends = "parent.toml"

[[ceasefire.windows]]
start = 2016-12-15T09:00:00
end = 2016-12-15T11:00:00
reason = "a first stop"

[[periods]]
start = 2.0
name = "morning"
headway = 0.5
per_convoy = { buses = 1 }

[[periods]]
start = 8.0
name = "evening"
per_convoy = { buses = 1 }
headway = 2.0
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write(tmp_path, "parent.toml", PARENT)
    return tmp_path


def test_set_gives_the_scenario_of_the_copied_list(folder: Path) -> None:
    by_set = load_scenario(write(folder, "child.toml", BY_SET))
    by_copy = load_scenario(write(folder, "copy.toml", BY_COPY))
    assert by_set.periods[0].per_convoy == (("buses", 1),)
    assert by_set.periods[0].headway == 0.5  # kept from the parent
    assert by_set.periods[1].headway == 2.0
    assert by_set.ceasefire.windows[0].end == 6.0  # 11:00, hours from 05:00
    same = dict(name=by_copy.name, path=by_copy.path, files=by_copy.files)
    assert replace(by_set, **same) == by_copy


def test_the_file_is_the_origin_of_what_it_sets(folder: Path) -> None:
    sources = read_scenario_file(write(folder, "child.toml", BY_SET))
    child = str(folder / "child.toml")
    assert sources.origin(("periods", "1", "headway")) == child
    assert sources.origin(("periods", "1", "per_convoy", "buses")) == str(folder / "parent.toml")
    with pytest.raises(ScenarioError) as info:
        load_scenario(folder / "child.toml", ["periods.1.headway=-1"])
    assert (info.value.source, info.value.key) == ("--set", "periods.1.headway")


def test_a_child_of_a_child_sets_what_its_parent_set(folder: Path) -> None:
    write(folder, "child.toml", BY_SET)
    grandchild = write(
        folder, "grandchild.toml", 'extends = "child.toml"\nset = ["periods.1.headway=3.0"]\n'
    )
    scenario = load_scenario(grandchild)
    assert scenario.periods[1].headway == 3.0
    assert scenario.periods[0].per_convoy == (("buses", 1),)  # the child's


@pytest.mark.parametrize(
    ("settings", "expect"),
    [
        (["periods.2.headway=1.0"], "set: periods.2: list index must be 0..1"),
        (["periods.first.headway=1.0"], "set: periods.first: list index must be 0..1"),
        (
            ["periods.0.crossing.lanes=2"],
            "set: periods.0.crossing: not in the scenario this file extends; "
            "periods.0 has start, name, headway",
        ),
        (["periods.0.headway.hours=1.0"], "set: periods.0.headway: is a value, not a table"),
        (["fleet.buses.count=5"], "set: fleet.buses.count: is in no list"),
        (["horizon=5"], "set: horizon: is in no list: set it as a key of the file (horizon = ...)"),
        (["periods.0.headway=1", "periods.0={start = 1.0}"], "set: periods.0: set twice"),
        (["periods.0.headway"], "set: periods.0.headway: expected KEY=VALUE"),
        ([".headway=1"], "set: .headway: KEY must be 1 to 32 non-empty parts"),
        ("periods.0.headway=1", 'set: must be a list of "KEY=VALUE" texts'),
        (["periods.0.headway='soon'"], "periods.0.headway: must be a number"),
    ],
)
def test_a_mistake_is_one_line_naming_the_file_and_the_key(
    folder: Path, settings: list[str] | str, expect: str
) -> None:
    listed = repr(settings).replace("'", '"') if isinstance(settings, list) else f'"{settings}"'
    listed = listed.replace('"soon"', "'soon'")
    child = write(folder, "child.toml", f'extends = "parent.toml"\nset = {listed}\n')
    with pytest.raises(ScenarioError) as info:
        load_scenario(child)
    assert str(info.value).startswith(f"{child}: {expect}"), str(info.value)
    assert "\n" not in str(info.value)


def test_a_file_that_sets_the_list_itself_cannot_set_an_item_of_it(folder: Path) -> None:
    text = BY_COPY.replace(
        'extends = "parent.toml"\n', 'extends = "parent.toml"\nset = ["periods.0.headway=1.0"]\n'
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(write(folder, "child.toml", text))
    assert "set: periods.0.headway: this file sets periods itself" in str(info.value)


def test_a_file_without_extends_has_no_set(folder: Path) -> None:
    path = write(folder, "alone.toml", 'set = ["periods.0.headway=1.0"]\n' + PARENT)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert (info.value.source, info.value.key) == (str(path), "set")
    assert "it extends none" in info.value.message


def test_the_command_line_still_adds_a_key_and_a_table(folder: Path) -> None:
    scenario = load_scenario(folder / "parent.toml", ["periods.1.headway=2.0", "crossing.lanes=2"])
    assert scenario.periods[1].headway == 2.0
    assert scenario.crossing is not None and scenario.crossing.lanes == 2
