"""The whole-operation what-ifs follow the scenario they extend.

A what-if changes one item of a list (a period, a fleet's batch, a halt) with ``set``, by the
item's index (docs/scenario.md), and inherits the rest, so a refit of
``aleppo_2016_full.toml`` carries into every what-if. What can still go stale is what a
what-if states of the base's values: an index that no longer names the period it means (a
period added before it), a doubled rate that is no longer twice the base's, a what-if that
sets a whole list again. Each test compares the merged what-if with the base, item by item
(periods by name), and allows only what the what-if's question changes. Loading only: no
replication is run.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Any

import pytest
from conftest import SCENARIOS

from sim.inputs.loader import load_scenario
from sim.inputs.sources import read_scenario_file
from sim.model.clause import needed

FULL = SCENARIOS / "aleppo_2016_full.toml"
WHAT_IFS = SCENARIOS / "what-if" / "full"


def document(path: Path) -> dict[str, Any]:
    """The merged scenario document of ``path`` (its ``extends`` chain applied)."""
    return read_scenario_file(path).data


def periods_by_name(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    periods = doc.get("periods", [])
    by_name = {period["name"]: period for period in periods}
    assert len(by_name) == len(periods), "period names must be unique to be matched"
    return by_name


def without(table: dict[str, Any], keys: set[str]) -> dict[str, Any]:
    return {key: value for key, value in table.items() if key not in keys}


#: what-if file -> the period keys its question changes
CHANGES_PERIODS = {
    "bigger_convoys.toml": {"per_convoy", "min_vehicles"},
    "faster_screening.toml": {"crossing"},
    "ceasefire_holds.toml": {"send_home"},
    "monday_convoys_of_20.toml": {"per_convoy"},
}


@pytest.mark.parametrize("name", sorted(CHANGES_PERIODS))
def test_the_periods_are_the_scenarios_but_for_the_question(name: str) -> None:
    changed = CHANGES_PERIODS[name]
    base = periods_by_name(document(FULL))
    whatif = periods_by_name(document(WHAT_IFS / name))
    assert list(whatif) == list(base)
    for period, rules in whatif.items():
        assert without(rules, changed) == without(base[period], changed), period


def test_without_the_halt_nobody_is_sent_home() -> None:
    base = periods_by_name(document(FULL))
    whatif = periods_by_name(document(WHAT_IFS / "ceasefire_holds.toml"))
    sending = [name for name, rules in base.items() if "send_home" in rules]
    assert sending == ["people sent home after 9 hours outside"]
    assert whatif[sending[0]]["send_home"] == dict.fromkeys(base[sending[0]]["send_home"], 0.0)


def own_lists(path: Path) -> dict[str, list[Any]]:
    """The lists ``path`` sets itself (not through ``set``), by key path."""
    found: dict[str, list[Any]] = {}

    def walk(node: dict[str, Any], key: str) -> None:
        for name, value in node.items():
            here = f"{key}.{name}" if key else name
            if isinstance(value, dict):
                walk(value, here)
            elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
                found[here] = value

    with path.open("rb") as handle:
        walk(tomllib.load(handle), "")
    return found


def at(doc: dict[str, Any], key: str) -> Any:
    node: Any = doc
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


@pytest.mark.parametrize("path", sorted(WHAT_IFS.glob("*.toml")), ids=lambda p: p.stem)
def test_a_what_if_sets_a_whole_list_only_to_change_its_length(path: Path) -> None:
    """A list of as many items as the parent's, set whole, copies the items it does not
    change: ``set`` changes those items alone and leaves the rest to the parent."""
    with path.open("rb") as handle:
        parent = path.parent / tomllib.load(handle)["extends"]
    inherited = document(parent)
    for key, items in own_lists(path).items():
        before = at(inherited, key)
        if isinstance(before, list):
            assert len(items) != len(before), f"{key}: change its items with set"


def test_faster_screening_doubles_every_lane_rate() -> None:
    base = periods_by_name(document(FULL))
    whatif = periods_by_name(document(WHAT_IFS / "faster_screening.toml"))
    rates = 0
    for period, rules in base.items():
        if "crossing" in rules:
            rates += 1
            got = whatif[period]["crossing"]["vehicles_per_hour"]
            assert got == pytest.approx(2 * rules["crossing"]["vehicles_per_hour"]), period
    assert rates >= 1


def test_bigger_convoys_are_half_as_large_again_but_the_60_bus_convoy() -> None:
    base = periods_by_name(document(FULL))
    whatif = periods_by_name(document(WHAT_IFS / "bigger_convoys.toml"))
    for period, rules in base.items():
        for pool, size in rules.get("per_convoy", {}).items():
            got = whatif[period]["per_convoy"][pool]
            if pool != "ambulances":
                expected = size if size == 60 else math.ceil(1.5 * size)
                assert got == expected, (period, pool)
            assert got >= size, (period, pool)
        if rules.get("per_convoy", {}).get("buses", 60) != 60:  # waits for as many more
            assert whatif[period]["min_vehicles"] == math.ceil(1.5 * rules["min_vehicles"]), period


def changes(doc: dict[str, Any], pool: str) -> list[dict[str, Any]]:
    return doc["fleet"][pool].get("changes", [])


def test_double_fleet_doubles_every_pool_and_every_batch() -> None:
    base, whatif = document(FULL), document(WHAT_IFS / "double_fleet.toml")
    assert set(whatif["fleet"]) == set(base["fleet"])
    for pool, table in base["fleet"].items():
        assert whatif["fleet"][pool]["count"] == 2 * table["count"], pool
        doubled = changes(whatif, pool)
        assert [c["at"] for c in doubled] == [c["at"] for c in changes(base, pool)], pool
        for old, new in zip(changes(base, pool), doubled, strict=True):
            kind = "enter" if "enter" in old else "leave"
            assert new[kind] == 2 * old[kind], (pool, old["at"])


@pytest.mark.parametrize("name", ["buses_stay.toml", "ceasefire_holds.toml"])
def test_the_fleet_kept_through_the_halt_has_every_later_batch(name: str) -> None:
    base, whatif = document(FULL), document(WHAT_IFS / name)
    for pool in base["fleet"]:
        later = [c for c in changes(base, pool) if c.get("reason") != "withdrawn during the halt"]
        assert changes(whatif, pool) == later, pool


def test_linked_falls_behind_from_monday_noon_until_the_scenarios_tuesday_hold_ends() -> None:
    base = document(FULL)["linkage"]["halts"]
    whatif = document(WHAT_IFS / "linked_falls_behind.toml")["linkage"]["halts"]
    assert whatif[0] == base[0] and len(whatif) == len(base) == 2
    assert base[0]["end"] < whatif[1]["start"] < base[1]["start"]
    assert whatif[1]["end"] == base[1]["end"]


def test_the_deals_2500_hold_the_fighters_until_all_of_them_are_safe() -> None:
    exchange = load_scenario(WHAT_IFS / "deal_2500.toml").exchange
    assert exchange is not None and exchange.people == 2500
    assert exchange.after_safe is not None and exchange.after_safe.groups == ("fighters",)
    safe = needed(exchange, exchange.people, exchange.convoy_people, exchange.convoys)
    assert int(safe) == 2500
    # no eastern Aleppo convoy waits at the bridge beyond the scenario's one meeting
    base = load_scenario(FULL).exchange
    assert base is not None
    assert sum(pair.here for pair in exchange.batches) == sum(pair.here for pair in base.batches)


def test_private_from_start_runs_at_the_scenarios_rate_and_load() -> None:
    base, whatif = document(FULL)["private"], document(WHAT_IFS / "private_from_start.toml")
    early = whatif["private"]["early"]
    assert early["people"] == base["wednesday"]["people"]
    # the people waiting for the buses then: the Wednesday columns' car families come later
    assert early["groups"] == ["families", "civilians", "fighters"]
    assert set(early["groups"]) <= set(document(FULL)["population"])
    rate = base["thursday"]["columns"][0]
    for column in early["columns"]:
        assert (column["every"], column["vehicles"]) == (rate["every"], rate["vehicles"])


def windows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return doc["ceasefire"]["windows"]


def test_firm_guarantees_start_two_hours_later_and_keep_every_other_stop() -> None:
    base, whatif = windows(document(FULL)), windows(document(WHAT_IFS / "firm_guarantees.toml"))
    assert [w["start"] for w in whatif] == [w["start"] for w in base]
    assert (whatif[0]["end"] - base[0]["end"]).total_seconds() == 2 * 3600
    assert [w["end"] for w in whatif[1:]] == [w["end"] for w in base[1:]]


def test_firm_tuesday_keeps_every_stop_but_the_stall_on_both_sides() -> None:
    base, whatif = document(FULL), document(WHAT_IFS / "firm_tuesday.toml")
    assert windows(whatif)[:-1] == windows(base)[:-1]
    stall, snow = windows(base)[-1], windows(whatif)[-1]
    assert stall["start"] < snow["start"] < snow["end"] == stall["end"]
    halts, kept = base["linkage"]["halts"], whatif["linkage"]["halts"]
    assert kept[:-1] == halts[:-1]
    assert (kept[-1]["start"], kept[-1]["end"]) == (snow["start"], halts[-1]["end"])


def test_a_second_place_splits_every_bus_batch_and_rule_in_half() -> None:
    base, whatif = document(FULL), document(WHAT_IFS / "second_place_from_start.toml")
    here, there = whatif["fleet"]["buses"], whatif["fleet"]["buses_amiriyah"]
    kept = {"count", "changes", "loading_place"}
    assert without(there, kept) == without(base["fleet"]["buses"], kept)
    assert there["loading_place"] != here.get("loading_place", "pickup")
    assert here["count"] + there["count"] == base["fleet"]["buses"]["count"]
    halves = zip(changes(base, "buses"), here["changes"], there["changes"], strict=True)
    for old, a, b in halves:
        kind = "enter" if "enter" in old else "leave"
        assert old["at"] == a["at"] == b["at"]
        assert a[kind] + b[kind] == old[kind] and 0 <= a[kind] - b[kind] <= 1, old["at"]
    for group, table in base["population"].items():
        if "buses" in table["vehicles"]:
            assert "buses_amiriyah" in whatif["population"][group]["vehicles"], group
    changed = {"per_convoy", "crowding", "min_vehicles"}
    periods = periods_by_name(whatif)
    for name, rules in periods_by_name(base).items():
        assert without(periods[name], changed) == without(rules, changed), name
        for key in ("per_convoy", "crowding"):
            split, scenario = periods[name].get(key, {}), rules.get(key, {})
            buses = {"buses", "buses_amiriyah"}
            assert without(split, buses) == without(scenario, buses), (name, key)
            if "buses" in scenario:
                both = (split["buses"], split["buses_amiriyah"])
                if key == "per_convoy" and scenario["buses"] == 60:
                    assert sum(both) == 60, name
                else:
                    assert both == (scenario["buses"],) * 2, (name, key)


def test_monday_convoys_of_20_change_only_mondays_bus_convoys() -> None:
    base = periods_by_name(document(FULL))
    whatif = periods_by_name(document(WHAT_IFS / "monday_convoys_of_20.toml"))
    for name, rules in base.items():
        sizes = dict(rules.get("per_convoy", {}))
        if name.startswith("Monday"):
            sizes["buses"] = 20
        assert whatif[name].get("per_convoy", {}) == sizes, name


def test_cars_on_monday_are_wednesdays_car_families_and_columns_59_hours_earlier() -> None:
    base, whatif = document(FULL), document(WHAT_IFS / "cars_on_monday.toml")
    periods = periods_by_name(base)
    shift = (
        periods["Wednesday evening: convoys of twenty"]["start"]
        - periods["Monday: renewed guarantees"]["start"]
    )
    assert shift.total_seconds() == 59 * 3600
    [came] = base["population"]["car_families"]["arrivals"]
    [comes] = whatif["population"]["car_families"]["arrivals"]
    assert (comes["start"], comes["end"]) == (came["start"] - shift, came["end"] - shift)
    assert without(comes, {"start", "end"}) == without(came, {"start", "end"})
    wednesday, monday = base["private"]["wednesday"], whatif["private"]["monday"]
    assert without(monday, {"columns"}) == without(wednesday, {"columns"})
    times = {"start", "end", "at"}
    for old, new in zip(wednesday["columns"], monday["columns"], strict=True):
        assert without(new, times) == without(old, times)
        assert {k: new[k] for k in times & set(new)} == {
            k: old[k] - shift for k in times & set(old)
        }
    assert whatif["private"]["wednesday"] == wednesday  # still there for anyone left
