"""Hostile input files: every one is a one-line scenario error, never a traceback.

Each case is a file (or a ``--set``) a careless or malicious user could hand the loader:
names that are paths, bytes that are not UTF-8, nesting that would exhaust the TOML
reader, ``extends`` paths that cannot be followed. See ``docs/guarantees.md``.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest
from conftest import BASELINE, DETERMINISTIC
from test_validation import evacsim, one_error_line

from sim.errors import ScenarioError, readable
from sim.inputs.loader import load_scenario
from sim.inputs.names import MAX_NAME, folder_name, is_folder_name
from sim.inputs.sources import MAX_FILE_BYTES, MAX_KEY_PARTS, MAX_NESTING


def child(tmp_path: Path, text: str, name: str = "child.toml") -> Path:
    path = tmp_path / name
    path.write_text(f'extends = "{DETERMINISTIC.as_posix()}"\n{text}\n', encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "name",
    [
        "../../x",
        "/tmp/evil",
        "",
        ".",
        "..",
        ".hidden",
        "a\nb",
        "a\0b",
        "x" * (MAX_NAME + 1),
        "a/b",
        "a\\b",
        "-rf",
        "a b",
    ],
)
def test_a_name_that_is_not_a_folder_name_is_refused(tmp_path: Path, name: str):
    escaped = name.replace("\\", "\\\\").replace("\n", "\\n").replace("\0", "\\u0000")
    path = child(tmp_path, f'name = "{escaped}"')
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.key == "name"
    assert "\n" not in str(info.value)


def test_a_name_in_any_script_is_a_folder_name(tmp_path: Path):
    assert load_scenario(child(tmp_path, 'name = "حلب_2016"')).name == "حلب_2016"


def test_a_file_name_that_is_not_a_folder_name_gives_a_safe_default(tmp_path: Path):
    text = DETERMINISTIC.read_text(encoding="utf-8")
    path = tmp_path / ".my scenario (copy).toml"
    path.write_text(text.replace('name = "deterministic"', ""), encoding="utf-8")
    assert load_scenario(path).name == "my_scenario__copy_"
    assert folder_name("...") == "scenario"
    assert is_folder_name(folder_name("x" * 500 + "/..")) and len(folder_name("x" * 500)) == 60


def test_run_with_a_path_as_name_writes_nothing_anywhere(tmp_path: Path):
    path = child(tmp_path, 'name = "../../escaped"')
    result = evacsim("run", path, "--reps", "2", cwd=tmp_path)
    assert one_error_line(result).endswith("got '../../escaped'")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["child.toml"]
    assert not (tmp_path.parent.parent / "escaped").exists()


@pytest.mark.parametrize(
    ("content", "expect"),
    [
        (bytes(range(256)) * 4, "not UTF-8 text (byte 129, line 2)"),
        ('name = "café"\n'.encode("latin-1"), "not UTF-8 text (byte 12, line 1)"),
        (b"a = " + b"[" * 3000 + b"]" * 3000, f"nested more than {MAX_NESTING} deep"),
        (b"a = " + b"{b = " * 3000 + b"1" + b"}" * 3000, f"nested more than {MAX_NESTING} deep"),
        (b".".join([b"a"] * 50_000) + b" = 1", f"a dotted key of more than {MAX_KEY_PARTS}"),
        (b"[" + b".".join([b"a"] * 50) + b"]", f"a dotted key of more than {MAX_KEY_PARTS}"),
        (b"# " + b"x" * MAX_FILE_BYTES, f"larger than {MAX_FILE_BYTES:,} bytes"),
    ],
    ids=["binary", "latin-1", "deep-arrays", "deep-tables", "dotted-key", "dotted-table", "big"],
)
def test_a_file_the_reader_cannot_take_is_one_error_line(tmp_path, content, expect):
    path = tmp_path / "hostile.toml"
    path.write_bytes(content)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert (info.value.source, info.value.key) == (str(path), "")
    assert expect in info.value.message


def test_brackets_and_dots_inside_strings_and_comments_are_not_counted(tmp_path: Path):
    deep = "[" * 100 + "." * 100
    text = f'description = "{deep}"\n# {deep}\n[run]\nreps = 3 # {deep}\n'
    text += f"[[milestones]]\nname = 'x'\nat = 1.5\n# '''{deep}'''\n"
    assert load_scenario(child(tmp_path, text)).reps == 3


def test_line_numbers_count_lines_inside_multiline_strings(tmp_path: Path):
    path = tmp_path / "deep.toml"
    path.write_text('d = """\n\n\n"""\na = ' + "[" * 40 + "]" * 40 + "\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="line 5: "):
        load_scenario(path)


def cli_error(capsys, *args: object) -> str:
    """The one error line of ``evacsim ARGS`` run in this process (status 2)."""
    from sim.cli import main

    assert main([str(a) for a in args]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("evacsim: error: "), lines
    return lines[0]


def test_the_cli_reports_a_binary_file_in_one_line(tmp_path: Path, capsys):
    path = tmp_path / "garbage.toml"
    path.write_bytes(b"\xff\xfe\x00\x01" * 500)
    line = cli_error(capsys, "validate", path)
    assert line == f"evacsim: error: {path}: not UTF-8 text (byte 1, line 1); save it as UTF-8"


def test_extends_through_a_symlink_loop(tmp_path: Path):
    (tmp_path / "a.toml").symlink_to(tmp_path / "b.toml")
    (tmp_path / "b.toml").symlink_to(tmp_path / "a.toml")
    path = tmp_path / "child.toml"
    path.write_text('extends = "a.toml"\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.key == "extends" and "cannot follow 'a.toml'" in info.value.message


@pytest.mark.parametrize(
    ("parent", "expect"),
    [
        ("a\\u0000b", "without NUL"),
        ("x" * 5000, "at most 1,024 characters"),
        ("x" * 300 + ".toml", "File name too long"),
    ],
    ids=["nul", "very-long", "component-too-long"],
)
def test_extends_that_cannot_be_a_path(tmp_path: Path, parent: str, expect: str):
    path = tmp_path / "child.toml"
    path.write_text(f'extends = "{parent}"\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.key == "extends" and expect in info.value.message


def test_a_scenario_path_that_cannot_be_a_path(tmp_path: Path):
    for path in ["a\0b.toml", "x" * 300 + ".toml", "x" * 300]:
        with pytest.raises(ScenarioError, match="no such scenario file"):
            load_scenario(tmp_path / path)


@pytest.mark.parametrize(
    ("override", "key", "expect"),
    [
        ("ceasefire.windows.².start=1", "ceasefire.windows.²", "list index must be 0..1"),
        ("ceasefire.windows.٣.start=1", "ceasefire.windows.٣", "list index must be 0..1"),
        ("a..b=1", "a..b", "non-empty parts"),
        (".".join(["a"] * 40) + "=1", ".".join(["a"] * 40), "1 to 32 non-empty parts"),
        ("run.reps=" + "[" * 500 + "]" * 500, "run.reps", "nested more than 32 deep"),
    ],
)
def test_set_mistakes_that_used_to_be_tracebacks(override: str, key: str, expect: str):
    with pytest.raises(ScenarioError) as info:
        load_scenario(BASELINE, [override])
    assert (info.value.source, info.value.key) == ("--set", key)
    assert expect in info.value.message


def test_a_key_with_a_newline_stays_on_one_line(tmp_path: Path, capsys):
    path = child(tmp_path, '[fleet.buses]\n"seats\\nx" = 3')
    line = cli_error(capsys, "validate", path)
    assert "seats\\nx" in line


def test_a_description_is_bounded(tmp_path: Path):
    with pytest.raises(ScenarioError) as info:
        load_scenario(child(tmp_path, f'description = "{"x" * 2001}"'))
    assert info.value.key == "description"


@pytest.mark.parametrize(
    ("override", "key", "expect"),
    [
        ("population.families.count=3000000000", "population.families.count", "<= 10,000,000"),
        ("fleet.buses.seats=9223372036854775807", "fleet.buses.seats", "<= 1,000"),
        ("fleet.buses.per_convoy=9223372036854775807", "fleet.buses.per_convoy", "<= 4,096"),
        (
            "fleet.buses.load_time={dist='lognormal', mean=1.0, cv=1e308}",
            "fleet.buses.load_time.cv",
            "must be 0 to 10, got 1e+308",
        ),
        ("route.inspection=1e300", "route.inspection", "0 to 8,784 hours"),
        ("ceasefire.breach_rate=1e300", "ceasefire.breach_rate", "<= 3,600"),
        ("fleet.buses.available_at=1e300", "fleet.buses.available_at", "at most 8,784 hours"),
        ("run.trace_reps=100000", "run.trace_reps", "<= 1,000"),
        ("run.seed=-1", "run.seed", ">= 0 and <= 9,223,372,036,854,775,807"),  # 2**63 - 1
        ("[[milestones]]", "--set", ""),  # not KEY=VALUE: still one line
    ],
)
def test_every_numeric_key_has_an_upper_bound(override: str, key: str, expect: str):
    with pytest.raises(ScenarioError) as info:
        load_scenario(BASELINE, [override])
    if key != "--set":
        assert info.value.key == key
        assert expect in info.value.message


def test_limits_are_written_as_a_user_reads_them():
    limits = (10_000_000, 1e9, 3600.0, 2**63 - 1, 0.5, -1e7, math.inf)
    assert [readable(x) for x in limits] == [
        "10,000,000", "1,000,000,000", "3,600", "9,223,372,036,854,775,807", "0.5",
        "-10,000,000", "inf",
    ]  # fmt: skip


def test_a_key_without_its_own_bound_has_the_general_one(tmp_path: Path):
    path = child(tmp_path, "[[milestones]]\nname = 'far'\nafter_convoys = 4611686018427387904")
    with pytest.raises(ScenarioError, match="<= 1,000,000,000,"):
        load_scenario(path)


def test_people_in_all_are_bounded():
    overrides = [f"population.{g}.count=4000000" for g in ("families", "fighters", "wounded")]
    with pytest.raises(ScenarioError) as info:
        load_scenario(BASELINE, overrides)
    assert info.value.key == "population"
    assert "12,00" in info.value.message and "at most 10,000,000" in info.value.message


def test_a_scenario_needing_too_many_convoys_names_the_number():
    overrides = ["fleet.ambulances.count=0", "fleet.buses.count=1", "fleet.buses.seats=1"]
    overrides += ["population.families.count=5000000", "population.patients.vehicles=['buses']"]
    with pytest.raises(ScenarioError) as info:
        load_scenario(BASELINE, overrides)
    assert info.value.key == "fleet"
    assert "at least 5,0" in info.value.message and "at most 10,000" in info.value.message


def test_a_linked_site_needing_too_many_convoys_names_the_number():
    linked = BASELINE.parent / "what-if" / "linked_foua_kefraya.toml"
    overrides = ["linkage.people=1000000", "linkage.per_convoy=1", "linkage.trip=0"]
    with pytest.raises(ScenarioError) as info:
        load_scenario(linked, overrides)
    assert info.value.key == "linkage.per_convoy"
    assert "1,000,000 linked convoys" in info.value.message


def test_arrival_batches_are_counted_before_they_are_expanded():
    arrivals = "population.families.arrivals=[{start = 0, end = 8000, every = 1e-9, count = 1}]"
    with pytest.raises(ScenarioError) as info:
        load_scenario(BASELINE, [arrivals])
    assert info.value.key == "population.families.arrivals.0.every"
    assert "8,000,000,000,000 arrival batches" in info.value.message


def test_the_most_people_fit_the_hourly_series_in_both_engines():
    """Ten million people (the bound) on the largest fleet: both engines count them all,
    with the same hourly series (32-bit counts do not wrap)."""
    import numpy as np

    from sim.studies.runner import run

    overrides = [
        "population.families.count=9990000",
        "fleet.buses.count=4096",
        "fleet.buses.seats=1000",
        "fleet.buses.crowding=5.0",
        "horizon=200",
        "run.trace_reps=0",
    ]
    scenario = load_scenario(BASELINE, overrides)
    assert 9_990_000 < scenario.people <= 10_000_000
    a, b = run(scenario, 2, 1, "vector"), run(scenario, 2, 1, "des")
    for name in a.replications.series:
        assert np.array_equal(a.replications.series[name], b.replications.series[name]), name
        assert a.replications.series[name].min() >= 0
    assert np.array_equal(a.metrics["evacuated"], b.metrics["evacuated"])
    assert a.metrics["evacuated"].min() > 5_000_000  # millions flow through every count


def test_breaches_that_would_never_end_name_the_number():
    overrides = ["ceasefire.breach_rate=3600", "horizon=100"]
    overrides += ["ceasefire.negotiation=0", "ceasefire.guarantee=0"]
    with pytest.raises(ScenarioError) as info:
        load_scenario(BASELINE, overrides)
    assert (info.value.source, info.value.key) == ("--set", "ceasefire.breach_rate")
    assert "about 360,000 suspensions" in info.value.message
    load_scenario(BASELINE, ["ceasefire.breach_rate=3600"])  # negotiation takes hours: fine


def test_an_every_so_small_the_batches_cannot_be_counted():
    arrivals = "population.families.arrivals=[{start = 0, end = 10, every = 5e-324, count = 1}]"
    with pytest.raises(ScenarioError) as info:
        load_scenario(BASELINE, [arrivals])
    assert info.value.key == "population.families.arrivals.0.every"
    assert "inf arrival batches" in info.value.message


def test_a_file_name_with_a_newline_is_one_line_when_valid(tmp_path: Path, capsys):
    from sim.cli import main

    path = tmp_path / "two\nlines.toml"
    path.write_text(f'extends = "{DETERMINISTIC.as_posix()}"\n', encoding="utf-8")
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert len(out.splitlines()) == 1 and "two\\nlines.toml: ok" in out


@pytest.mark.parametrize(
    ("args", "file", "expect"),
    [
        (["sweep"], "aleppo_2016.toml", "is a scenario file, not a sweep file: evacsim run"),
        (["calibrate"], "aleppo_2016.toml", "is a scenario file, not a targets file"),
        (["optimise"], "aleppo_2016.toml", "is a scenario file, not a study file"),
        (["run"], "sweeps/buses_crowding.toml", "a sweep file, not a scenario file: evacsim sweep"),
        (["narrate"], "calibration/aleppo_2016_targets.toml", "not a scenario file: evacsim cal"),
        (
            ["sweep"],
            "optimise/aleppo_plan.toml",
            "a study file, not a sweep file: evacsim optimise",
        ),
    ],
)
def test_a_file_of_another_kind_says_which_command_reads_it(
    tmp_path: Path, monkeypatch, capsys, args: list[str], file: str, expect: str
):
    """A scenario given to ``evacsim sweep`` used to be told "ceasefire: unknown key"."""
    from sim.cli import main

    monkeypatch.chdir(tmp_path)
    path = BASELINE.parent / file
    assert main([*args, str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"evacsim: error: {path}: is a ") and err.count("\n") == 1
    assert expect in err
    assert not list(tmp_path.iterdir())


def test_a_file_of_its_kind_with_a_mistake_is_told_the_mistake(tmp_path: Path):
    """A sweep file without ``axes`` is a sweep file with a key missing, not a scenario."""
    path = tmp_path / "sweep.toml"
    path.write_text(f'base = "{BASELINE.as_posix()}"\nreps = 10\nmetrics = ["evacuated"]\n')
    from sim.studies.sweeps import load_sweep

    with pytest.raises(ScenarioError) as info:
        load_sweep(path)
    assert "not a sweep file" not in str(info.value) and "axes" in str(info.value)


def test_a_folder_given_for_a_scenario_is_told_a_folder(tmp_path: Path, capsys):
    """A run folder given to ``compare`` used to be "no such file nor bundled scenario"."""
    from sim.cli import main

    folder = tmp_path / "run"
    folder.mkdir()
    assert main(["compare", str(BASELINE), str(folder), "--reps", "2"]) == 2
    err = capsys.readouterr().err
    assert err == f"evacsim: error: {folder}: is a folder, not a scenario file\n"


@pytest.mark.parametrize("kind", ["fifo", "device", "folder.toml"])
def test_a_path_that_is_no_regular_file_is_told_so(tmp_path: Path, capsys, kind: str):
    """A named pipe and /dev/null were "no such file" (nor bundled scenario): they exist."""
    from sim.cli import main

    path = tmp_path / kind
    if kind == "fifo":
        os.mkfifo(path)  # reading it would wait for a writer for ever
    elif kind == "device":
        path = Path(os.devnull)
    else:
        path.mkdir()
    assert main(["validate", str(path)]) == 2
    what = "a folder" if kind == "folder.toml" else "not a regular file (a device or a pipe)"
    assert capsys.readouterr().err == f"evacsim: error: {path}: is {what}, not a scenario file\n"
