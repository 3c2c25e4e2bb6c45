"""The narration: days, clock times, who boarded, why a convoy waited, why the ceasefire broke."""

from __future__ import annotations

import re

import pytest
from conftest import BASELINE, DETERMINISTIC, evacsim

import sim
from sim.cli import main
from sim.outputs.reading import read_trace
from sim.outputs.records import TOO_FEW, TraceEvent
from sim.views.narrate import describe, narrate


def told(*overrides: str, rep: int = 0) -> list[str]:
    """The deterministic scenario's narration, with its wrapped entries joined back."""
    scenario = sim.load_scenario(DETERMINISTIC, list(overrides))
    trace = sim.run(scenario, reps=rep + 1, seed=1, trace=[rep]).replications.trace
    lines = narrate(scenario, trace, rep)
    assert all(len(line) <= 80 for line in lines)
    return entries(lines)


def entries(lines: list[str]) -> list[str]:
    joined: list[str] = []
    for line in lines:
        if line.startswith(" "):
            joined[-1] += " " + line.strip()
        else:
            joined.append(line)
    return joined


def test_days_and_clock_times_and_who_boarded():
    lines = told("horizon=30.0", "population.families.count=3000")
    assert lines[:3] == [
        "Thursday 15 December 2016",
        "06:00  3,000 families wait at the pickup.",
        "06:00  10 buses reach the pickup.",
    ]
    assert (
        "06:00  Convoy 1 starts boarding: 600 families in 10 buses; 2,400 people still wait."
        in lines
    )
    assert "22:00  Convoy 5 starts boarding: 600 families in 10 buses; nobody is left waiting." in (
        lines
    )
    friday = lines.index("Friday 16 December 2016")
    assert lines[friday - 1] == "" and lines[friday + 1].startswith("00:00  Convoy 5 reaches")
    assert lines[-1] == "00:00  Everyone is out: 3,000 people evacuated."


def test_the_end_of_a_run_that_does_not_clear():
    lines = told("horizon=11.0")
    assert lines[-1] == (
        "17:00  The run ends at its horizon (11 h): 1,800 people evacuated, 500 waiting, "
        "0 aboard convoys."
    )


def test_what_happens_at_the_horizon_is_told():
    # the buses are back at 12 h, the horizon, and the last 500 board at that instant
    lines = told("horizon=12.0")
    assert lines[-1] == (
        "18:00  The run ends at its horizon (12 h): 1,800 people evacuated, 0 waiting, "
        "500 aboard convoys."
    )


def test_waited_for_the_ceasefire():
    lines = told('ceasefire.windows=[{start = 0.0, end = 2.0, reason = "the road is mined"}]')
    assert (
        "06:00  The ceasefire breaks: a scheduled halt (the road is mined). It resumes at 08:00."
        in lines
    )
    assert "08:00  The ceasefire resumes after 2 h; 2,300 people wait at the pickup." in lines
    assert (
        "08:00  Convoy 1 starts boarding: 600 families in 10 buses; 1,700 people still wait. "
        "It could not form while the ceasefire was suspended." in lines
    )


def test_waited_for_the_convoy_boarding_before_it():
    lines = told("fleet.buses.per_convoy=5")
    assert (
        "06:30  Convoy 2 starts boarding: 300 families in 5 buses; 1,700 people still wait. "
        "It waited for convoy 1 to leave: one convoy boards at a time." in lines
    )


def test_waited_for_room_on_the_road():
    # convoy 2 boards as convoy 1 leaves, and leaves as convoy 1 reaches reception
    lines = told("fleet.buses.per_convoy=5", "convoy.max_in_corridor=1")
    assert (
        "06:30  Convoy 2 starts boarding: 300 families in 5 buses; 1,700 people still wait. "
        "It waited for convoy 1 to leave: one convoy boards at a time." in lines
    )
    assert (
        "08:00  Convoy 2 leaves the pickup as soon as there is room on the road (at most 1 "
        "convoy between pickup and reception): 300 people in 5 buses." in lines
    )


def test_room_on_the_road_is_the_rule_in_force():
    # 20 buses: convoy 5 has loaded at 11:30 and waits for room; from 12:00 two convoys may
    # be on the road, and it leaves at once
    lines = told(
        "fleet.buses.count=20",
        "fleet.buses.per_convoy=5",
        "convoy.max_in_corridor=1",
        "periods=[{start = 6.0, name = 'a second lane', max_in_corridor = 2}]",
    )
    assert (
        "11:00  Convoy 4 leaves the pickup as soon as there is room on the road (at most 1 "
        "convoy between pickup and reception): 300 people in 5 buses." in lines
    )
    assert (
        "12:00  Convoy 5 leaves the pickup as soon as there is room on the road (at most 2 "
        "convoys between pickup and reception): 300 people in 5 buses." in lines
    )


def test_waited_to_form_for_room_on_the_road():
    lines = told(
        "fleet.buses.per_convoy=5",
        "convoy.max_in_corridor=1",
        "convoy.when_corridor_full='wait_to_form'",
    )
    assert (
        "08:00  Convoy 2 starts boarding: 300 families in 5 buses; 1,700 people still wait. "
        "It waited for room on the road: at most 1 convoy between pickup and reception." in lines
    )


def test_waited_for_a_full_convoy_then_went_with_fewer():
    lines = told("convoy.min_vehicles=15", "convoy.max_wait=1.0")
    assert (
        "07:00  Convoy 1 starts boarding: 600 families in 10 buses; 1,700 people still wait. "
        "Its vehicles waited 1 h for a convoy of 15 and now go with 10." in lines
    )


def test_waited_for_enough_vehicles():
    scenario = sim.load_scenario(
        DETERMINISTIC,
        ["convoy.min_vehicles=15", "fleet.buses.count=20", "fleet.buses.per_convoy=20"],
    )
    buses = [TraceEvent(0, t, "vehicles_arrive", -1, 0, (0,), (10,), "") for t in (0.0, 1.0)]
    forms = TraceEvent(0, 1.0, "convoy_forms", 0, 1200, (1200,), (20,), TOO_FEW)
    lines = entries(describe(scenario, [*buses, forms]))
    assert (
        "07:00  Convoy 1 starts boarding: 1,200 families in 20 buses; 1,100 people still wait. "
        "It waited until 15 vehicles could go together, the smallest convoy allowed." in lines
    )


def test_waited_for_the_headway():
    lines = told("fleet.buses.per_convoy=5", "convoy.headway=1.25")
    assert (
        "07:45  Convoy 2 leaves the pickup, 1 h 15 min after convoy 1 (the headway): 300 people "
        "in 5 buses." in lines
    )
    # loading alone set the first departure
    assert "06:30  Convoy 1 leaves the pickup: 300 people in 5 buses." in lines


def test_an_incident_breaks_the_ceasefire_and_a_held_convoy_goes_on():
    lines = told(
        "route.incident_probability=1.0", "ceasefire.negotiation=1.0", "ceasefire.guarantee=0.5"
    )
    assert "07:15  Incident at the checkpoint during convoy 1's inspection." in lines
    assert (
        "07:15  The ceasefire breaks: an incident at the checkpoint. It resumes at 08:45." in lines
    )
    assert (
        "07:15  Convoy 1 is held at the checkpoint with 600 people aboard, until the ceasefire "
        "resumes." in lines
    )
    assert "08:45  Convoy 1 passes the checkpoint after 1 h 30 min held." in lines


def test_a_breach_breaks_the_ceasefire_for_good():
    lines = told(
        "ceasefire.breach_rate=0.5", "ceasefire.negotiation=30.0", "ceasefire.guarantee=1.0"
    )
    breaks = next(line for line in lines if "The ceasefire breaks" in line)
    assert breaks.endswith(
        "a breach (at random, 0.5 an hour while it holds). It does not resume before the run ends."
    )


def test_held_at_the_checkpoint_until_max_hold_then_turned_back():
    lines = told(
        "ceasefire.windows=[{start = 0.75}]",
        "ceasefire.negotiation=10.0",
        "ceasefire.guarantee=1.0",
        "ceasefire.max_hold=2.0",
    )
    assert "06:45  The ceasefire breaks: scheduled. It resumes at 17:45." in lines
    assert (
        "07:15  Convoy 1 is held at the checkpoint with 600 people aboard, until the ceasefire "
        "resumes or it has been held 2 h in all." in lines
    )
    assert (
        "09:15  Convoy 1 turns back with 600 people aboard: after 2 h held, the longest a convoy "
        "waits." in lines
    )
    assert (
        "09:45  Convoy 1 is back at the pickup; its 600 people rejoin the queue, 2,300 people "
        "now wait." in lines
    )


def test_a_held_convoy_is_told_the_hold_limit_of_the_period_in_force():
    # as above, but from 07:00 a period allows holds of 5 h: the convoy held at 07:15 is told
    # that limit (not the ceasefire's 2 h) and turns back after 5 h, at 12:15
    lines = told(
        "ceasefire.windows=[{start = 0.75}]",
        "ceasefire.negotiation=10.0",
        "ceasefire.guarantee=1.0",
        "ceasefire.max_hold=2.0",
        "periods=[{start = 1.0, name = 'longer holds', max_hold = 5.0}]",
    )
    assert (
        "07:15  Convoy 1 is held at the checkpoint with 600 people aboard, until the ceasefire "
        "resumes or it has been held 5 h in all." in lines
    )
    assert (
        "12:15  Convoy 1 turns back with 600 people aboard: after 5 h held, the longest a convoy "
        "waits." in lines
    )


def test_turned_back_when_the_ceasefire_breaks():
    lines = told(
        "ceasefire.before_checkpoint='turn_back'",
        "ceasefire.windows=[{start = 0.75}]",
        "ceasefire.negotiation=2.0",
        "ceasefire.guarantee=1.0",
    )
    assert "06:45  The ceasefire breaks: scheduled. It resumes at 09:45." in lines
    assert (
        "06:45  Convoy 1 turns back with 600 people aboard: when the ceasefire breaks, convoys "
        "not past the checkpoint turn back." in lines
    )
    assert (
        "07:00  Convoy 1 is back at the pickup; its 600 people rejoin the queue, 2,300 people "
        "now wait." in lines
    )


def test_waited_for_the_departure_hours():
    lines = told("horizon=48.0", "convoy.departure_hours=[6, 12]")
    friday = lines.index("Friday 16 December 2016")
    assert lines[friday + 1] == (
        "06:00  Convoy 3 starts boarding: 600 families in 10 buses; 500 people still wait. "
        "Convoys form only between 06:00 and 12:00."
    )


LINKED = (
    "linkage.site='Al-Foua and Kefraya'",
    "linkage.people=1000",
    "linkage.per_convoy=500",
    "linkage.trip=5.0",
    "linkage.max_lag=0.1",
)


def test_the_linked_evacuation_pauses_this_side_and_says_why():
    lines = told(
        *LINKED,
        "linkage.lag_breach_rate=0.01",
        "ceasefire.negotiation=1.0",
        "ceasefire.guarantee=1.0",
    )
    assert "06:00  Linked convoy 1 leaves Al-Foua and Kefraya with 500 people." in lines
    assert (
        "08:00  Departures here pause: 26% out here, 0% there, further apart than the deal "
        "allows (10 points). They wait for the evacuation of Al-Foua and Kefraya to catch up; "
        "meanwhile breaches are 0.01 an hour likelier." in lines
    )
    assert (
        "11:00  Linked convoy 1 brings 500 people out of Al-Foua and Kefraya (26% out here, "
        "50% there)." in lines
    )
    assert (
        "11:00  The evacuation of Al-Foua and Kefraya has caught up (26% out here, 50% there): "
        "convoys may form here again." in lines
    )
    assert (
        "11:00  Convoy 2 starts boarding: 600 families in 10 buses; 1,100 people still wait. "
        "It waited for the evacuation of Al-Foua and Kefraya to catch up, as the deal "
        "requires." in lines
    )


def test_an_event_kind_it_does_not_know_gets_a_plain_line():
    scenario = sim.load_scenario(DETERMINISTIC)
    trace = [
        TraceEvent(0, 1.5, "road_mined", -1, 0, (0,), (0,), "north of the checkpoint"),
        TraceEvent(0, 2.0, "convoy_blessed", 2, 600, (600,), (10,), ""),
    ]
    lines = describe(scenario, trace)
    assert "07:30  Road mined: north of the checkpoint." in lines
    assert "08:00  Convoy 3: convoy blessed, 600 people." in lines


def test_the_batch_engine_trace_tells_the_same_story():
    scenario = sim.load_scenario(BASELINE)
    result = sim.run(scenario, reps=3, seed=5)
    reference = sim.run(scenario, reps=3, seed=5, engine="des")
    for rep in range(3):
        lines = describe(scenario, [e for e in result.replications.trace if e.rep == rep])
        assert lines == narrate(scenario, reference.replications.trace, rep)
        assert max(map(len, lines)) <= 80


def test_a_run_folder_is_told_from_its_trace_csv(tmp_path):
    scenario = sim.load_scenario(DETERMINISTIC, ["fleet.buses.per_convoy=5", "convoy.headway=1.25"])
    result = sim.run(scenario, reps=3, seed=1)
    folder = result.save(tmp_path / "run")
    trace = read_trace(folder, scenario)
    assert trace == result.replications.trace  # times, counts and reasons as recorded
    assert narrate(scenario, trace, 2) == narrate(scenario, result.replications.trace, 2)
    with pytest.raises(ValueError, match="replication 5 is not in the trace"):
        narrate(scenario, trace, 5)
    other = sim.load_scenario(BASELINE)
    with pytest.raises(sim.ScenarioError, match="not the trace of this scenario"):
        read_trace(folder / "trace.csv", other)


@pytest.mark.parametrize(
    ("file", "damage", "expect"),
    [
        ("trace.csv", lambda b: b[: len(b) // 2], r"trace.csv: is damaged at line \d+ \("),
        ("trace.csv", lambda b: b + b"0,abc\n", "trace.csv: is damaged at line"),
        ("trace.csv", lambda b: b[:200] + b"\xff", "trace.csv: is damaged: not UTF-8 text"),
        ("manifest.json", lambda b: b"[]", "manifest.json: is not a manifest"),
        ("manifest.json", lambda b: b"\xff", "manifest.json: is damaged: not UTF-8"),
    ],
    ids=["cut short", "a bad value", "not utf-8", "not an object", "manifest not utf-8"],
)
def test_a_damaged_run_folder_is_one_line(tmp_path, capsys, file, damage, expect):
    folder = sim.run(sim.load_scenario(DETERMINISTIC), reps=3, seed=1).save(tmp_path / "run")
    (folder / file).write_bytes(damage((folder / file).read_bytes()))
    assert main(["narrate", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("evacsim: error: ") and err.count("\n") == 1, err
    assert re.search(expect, err), err


def test_a_damaged_replications_table_is_one_error(tmp_path):
    from sim.outputs.reading import read_replications

    folder = sim.run(sim.load_scenario(DETERMINISTIC), reps=3, seed=1).save(tmp_path / "run")
    table = folder / "replications.csv"
    table.write_text(table.read_text()[:-20], encoding="utf-8")
    with pytest.raises(sim.ScenarioError, match="replications.csv: is damaged"):
        read_replications(folder)


def test_evacsim_narrate_reads_a_run_folder(tmp_path):
    folder = tmp_path / "run"
    done = evacsim("run", str(DETERMINISTIC), "--reps", "3", "--seed", "2", "--out", str(folder))
    assert done.returncode == 0, done.stderr
    told = evacsim("narrate", str(folder), "--rep", "1")
    assert told.returncode == 0, told.stderr
    fresh = evacsim("narrate", str(DETERMINISTIC), "--rep", "1", "--seed", "2")
    assert told.stdout == fresh.stdout
    missing = evacsim("narrate", str(folder), "--rep", "9")
    assert missing.returncode == 2
    assert missing.stderr.strip().endswith("has no replication 9; it traced [0, 1, 2]")
    fixed = evacsim("narrate", str(folder), "--seed", "3")
    assert fixed.returncode == 2 and "no --seed or --set" in fixed.stderr


def test_evacsim_narrate_runs_the_one_replication_it_tells(capsys):
    """``--rep k`` runs replication k alone: the telling of it inside a run of k + 1, and
    a far replication costs one (10^11 of them would not fit in memory)."""
    scenario = sim.load_scenario(BASELINE)
    assert main(["narrate", str(BASELINE), "--rep", "7", "--seed", "3"]) == 0
    trace = sim.run(scenario, reps=8, seed=3, trace=[7]).replications.trace
    assert capsys.readouterr().out == "\n".join(narrate(scenario, trace, 7)) + "\n"
    assert main(["narrate", str(BASELINE), "--rep", str(10**11)]) == 0
    assert "The run ends at its horizon" in capsys.readouterr().out


def test_the_headway_told_is_the_one_in_force(tmp_path):
    # a period's headway, not the scenario's [convoy] one, spaces the departures it governs
    path = tmp_path / "period_headway.toml"
    path.write_text(
        f'extends = "{DETERMINISTIC}"\n'
        "[fleet.buses]\nper_convoy = 5\n[convoy]\nheadway = 1.25\n"
        '[[periods]]\nstart = 2016-12-15T06:00:00\nname = "faster"\nheadway = 1.0\n'
    )
    scenario = sim.load_scenario(path)
    trace = sim.run(scenario, reps=1, seed=1, trace=[0]).replications.trace
    lines = entries(narrate(scenario, trace, 0))
    assert (
        "07:30  Convoy 2 leaves the pickup, 1 h after convoy 1 (the headway): 300 people "
        "in 5 buses." in lines
    )
