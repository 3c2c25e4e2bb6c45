"""The what-if page's server: its answers are `evacsim compare`'s, its errors the schema's.

The app runs in-process (Starlette's TestClient) with one engine process; the browser tests
are in test_page_browser.py.
"""

from __future__ import annotations

import asyncio
import math
import os
import shutil
import signal
import tomllib
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("starlette", reason="the page extra: pip install -e '.[page]'")

from starlette.testclient import TestClient  # noqa: E402

import sim  # noqa: E402
from sim.cli import main  # noqa: E402
from sim.face.page.answer import words  # noqa: E402
from sim.face.page.app import create_app  # noqa: E402
from sim.face.page.levers import changed, levers  # noqa: E402
from sim.face.page.runs import Cancelled, Runs, Tickets, run_block  # noqa: E402
from sim.face.page.whatif import Library  # noqa: E402
from sim.face.page.workers import AHEAD, NOW, Workers  # noqa: E402
from sim.studies.runner import run_chunked  # noqa: E402

BASE = Path("scenarios/aleppo_2016.toml")
FULL = Path("scenarios/aleppo_2016_full.toml")
SETTINGS = {"fleet.buses.count": "50", "convoy.headway": "1.0"}


@pytest.fixture(scope="module")
def client():
    app = create_app(Library(first=BASE), workers=1)
    with TestClient(app) as c:
        yield c


def same(shown, value: float) -> bool:
    """A number of the page's JSON equals a float (JSON has no NaN: the page sends null)."""
    return shown is None and math.isnan(value) or shown == value


def ask(http, reps=120, seed=7, **settings) -> dict:
    response = http.get("/api/answer", params={"reps": reps, "seed": seed, **settings})
    assert response.status_code == 200, response.text
    return response.json()


def test_paired_differences_are_those_of_compare(client):
    got = ask(client, **SETTINGS)
    base = sim.load_scenario(BASE)
    whatif = sim.load_scenario(BASE, [*(f"{k}={v}" for k, v in SETTINGS.items()), "name=w"])
    expected = {d.metric: d for d in sim.compare(base, [whatif], reps=120, seed=7).differences}
    assert got["reps"] == 120 and got["seed"] == 7
    assert [r["metric"] for r in got["differences"]][:3] == [
        "evacuated_by_halt",
        "evacuated_by_fri_0700",
        "evacuated",
    ]
    for row in got["differences"]:
        d = expected[row["metric"]]
        for field in ("difference", "ci_low", "ci_high", "base_mean", "whatif_mean"):
            assert same(row[field], getattr(d, field)), field
        assert row["pairs"] == d.pairs
    assert got["changes"] == {"fleet.buses.count": 50, "convoy.headway": 1.0}
    assert got["words"].startswith(("+", "\u2212", "no clear change"))


def test_refined_answer_reuses_the_first_and_equals_one_run(client):
    settings = {"fleet.ambulances.count": "30"}
    first = ask(client, reps=60, seed=11, **settings)
    refined = ask(client, reps=150, seed=11, **settings)
    # the base and the what-if each ran 90 more replications, not 150
    assert first["timing"]["replications_run"] == 120
    assert refined["timing"]["replications_run"] == 180
    again = ask(client, reps=150, seed=11, **settings)
    assert again["timing"]["replications_run"] == 0  # a second browser: all from the cache
    assert again["differences"] == refined["differences"]
    base = sim.load_scenario(BASE)
    whatif = sim.load_scenario(BASE, ["fleet.ambulances.count=30", "name=w"])
    expected = {d.metric: d for d in sim.compare(base, [whatif], reps=150, seed=11).differences}
    for row in refined["differences"]:
        assert same(row["difference"], expected[row["metric"]].difference)


def test_fan_chart_data_cover_every_hour(client):
    got = ask(client, **SETTINGS)
    hours = int(sim.load_scenario(BASE).horizon) + 1
    assert len(got["x"]) == hours and got["x"][1] - got["x"][0] == 3600
    for who in ("base", "whatif"):
        fan = got[who]
        assert all(len(fan[k]) == hours for k in ("p5", "p25", "p50", "p75", "p95", "suspended"))
        assert np.all(
            np.diff(np.array([fan[k] for k in ("p5", "p25", "p50", "p75", "p95")]), axis=0) >= 0
        )
        # the Friday halt (a scheduled window from hour 30) is suspended in every run
        assert fan["suspended"][31] == 1.0
    assert [r["evacuated"] for r in got["reported"]] == [3000, 6462, 9000]


@pytest.mark.parametrize(
    ("params", "error"),
    [
        (
            {"fleet.buses.count": "-3"},
            "--set: fleet.buses.count: must be an integer >= 0 and <= 4096 vehicles, got -3",
        ),
        ({"fleet.buses.seats": "60"}, "--set: fleet.buses.seats: not a control of this page"),
        ({"base": "../../etc/passwd"}, "page: base: no scenario '../../etc/passwd'"),
        ({"reps": "100000"}, "page: reps: must be a whole number 10..5,000, got '100000'"),
        ({"ceasefire.before_checkpoint": "wait"}, "--set: ceasefire.before_checkpoint: must be"),
        ({"evil": "1"}, "page: evil: unknown field"),
    ],
)
def test_a_bad_state_gets_the_schemas_one_line_error(client, params, error):
    response = client.get("/api/answer", params={"reps": 20, **params})
    assert response.status_code == 400
    message = response.json()["error"]
    assert message.startswith(error) and "\n" not in message


def test_the_download_extends_the_base_with_only_the_changed_keys(client, tmp_path):
    params = {"reps": 200, "seed": 3, **SETTINGS, "convoy.max_in_corridor": "2"}  # 2: the base's
    response = client.get("/api/whatif.toml", params=params)
    assert response.status_code == 200
    name = response.headers["content-disposition"].split('filename="')[1].rstrip('"')
    shutil.copy(BASE, tmp_path / BASE.name)
    (tmp_path / name).write_text(response.text)
    document = tomllib.loads(response.text)
    assert document["extends"] == "aleppo_2016.toml"
    assert document["fleet"] == {"buses": {"count": 50}}
    assert document["convoy"] == {"headway": 1.0}
    assert set(document) == {"extends", "name", "description", "fleet", "convoy"}
    saved = sim.load_scenario(tmp_path / name)
    direct = sim.load_scenario(BASE, [f"{k}={v}" for k, v in SETTINGS.items()])
    assert {**saved.document, "name": "", "description": ""} == {
        **direct.document,
        "name": "",
        "description": "",
    }
    assert "evacsim compare scenarios/aleppo_2016.toml scenarios/" in response.text


def test_the_command_gives_the_pages_numbers(client, tmp_path, capsys):
    got = ask(client, reps=40, seed=5, **SETTINGS)
    text = client.get("/api/whatif.toml", params={"reps": 40, "seed": 5, **SETTINGS}).text
    shutil.copy(BASE, tmp_path / BASE.name)
    (tmp_path / got["file_name"]).write_text(text)
    words = got["command"].split()
    assert words[:2] == ["evacsim", "compare"] and words[4:] == ["--reps", "40", "--seed", "5"]
    files = [str(tmp_path / Path(w).name) for w in words[2:4]]
    assert main(["compare", *files, *words[4:], "--out", str(tmp_path / "out")]) == 0
    rows = (tmp_path / "out" / "differences.csv").read_text().splitlines()
    header = rows[0].split(",")
    table = {r.split(",")[1]: dict(zip(header, r.split(","), strict=True)) for r in rows[1:]}
    for row in got["differences"]:
        if row["difference"] is None:
            continue
        assert float(table[row["metric"]]["difference"]) == pytest.approx(
            row["difference"], rel=1e-6, abs=1e-9
        )


def test_the_teaching_view_tells_and_animates_one_replication(client, capsys):
    params = {"base": "workshop/deterministic", "rep": 1, "seed": 4}
    told = client.get("/api/replication", params=params).json()
    assert main(["narrate", "workshop/deterministic", "--rep", "1", "--seed", "4"]) == 0
    assert told["narration"] == capsys.readouterr().out.splitlines()
    alone = sim.run(sim.load_scenario("workshop/deterministic"), reps=2, seed=4)
    first = told["metrics"][0]
    assert first["value"] == alone.metrics[first["metric"]][1]
    gif = client.get("/api/animation.gif", params=params)
    assert gif.status_code == 200 and gif.content.startswith(b"GIF89a")
    bad = client.get("/api/replication", params={**params, "rep": "-1"})
    assert bad.status_code == 400 and bad.json()["error"].startswith("page: rep: ")


def test_levers_mark_the_bases_values_and_only_changes_count():
    base = sim.load_scenario(BASE)
    by_key = {lever.key: lever for lever in levers(base)}
    assert by_key["fleet.buses.count"].base == base.pools[0].count
    headway = by_key["convoy.headway"]
    assert headway.base == base.convoy.headway and headway.unit == "hours"
    assert by_key["ceasefire.negotiation.mean"].base == 1.5
    assert by_key["ceasefire.before_checkpoint"].choices == ("hold", "turn_back")
    assert by_key["convoy.departure_hours"].base is None
    assert by_key["crossing.lanes"].base == math.inf  # no [crossing]: unlimited
    assert by_key["fleet.buses.crowding"].base == base.pools[0].crowding
    assert by_key["ceasefire.board_while_suspended"].base is False
    assert "linkage.max_lag" not in by_key
    linked = {lever.key for lever in levers(sim.load_scenario("what-if/linked_foua_kefraya"))}
    assert {"linkage.max_lag", "linkage.lag_breach_rate"} <= linked
    assert changed(base, {"ceasefire.board_while_suspended": "true"}) == {
        "ceasefire.board_while_suspended": True
    }
    assert changed(
        base, {"fleet.buses.count": str(base.pools[0].count), "convoy.headway": "2"}
    ) == {"convoy.headway": 2}
    with pytest.raises(sim.ScenarioError, match="not a control of this page"):
        changed(base, {"run.seed": "3"})


def test_uploads_are_validated_and_kept_once(client):
    text = Path("scenarios/workshop/deterministic.toml").read_bytes()
    first = client.post("/api/upload", params={"name": "mine.toml"}, content=text).json()
    again = client.post("/api/upload", params={"name": "mine.toml"}, content=text).json()
    assert first == again and first["base"].startswith("upload/")
    levers = client.get("/api/levers", params={"base": first["base"]}).json()
    assert levers["name"] == "deterministic"
    bad = client.post("/api/upload", params={"name": "bad.toml"}, content=b"horizon = -1\n")
    assert bad.status_code == 400 and bad.json()["error"].startswith("bad.toml: ")


def test_request_numbers_that_are_not_numbers_are_ignored(client):
    params = {"reps": 20, "client": "x" * 500, "seq": "not a number"}
    assert client.get("/api/answer", params=params).status_code == 200


def never() -> bool:
    return False


def test_a_request_overtaken_by_a_newer_one_is_cancelled():
    tickets = Tickets()
    old = tickets.take("browser", 1)
    assert not old()
    new = tickets.take("browser", 2)
    assert old() and not new()
    scenario = sim.load_scenario("scenarios/workshop/random.toml")

    async def ask():
        workers = Workers(1)
        try:
            runs = Runs(workers)
            with pytest.raises(Cancelled):
                await runs.replications(scenario, 1, 50, old)
            return runs.ran, workers.done
        finally:
            workers.close()

    assert asyncio.run(ask()) == (0, 0)  # nothing was started for the overtaken request


def test_a_superseded_block_stops_halfway_and_its_worker_goes_on():
    """5,000 replications of the whole operation (about 15 s of CPU) in one block, then the
    browser moves again: the block is interrupted in its worker, none of its replications
    is computed or kept, and the same (warm) process runs the newer request's block."""
    full = sim.load_scenario(FULL)
    small = sim.load_scenario("scenarios/workshop/random.toml")
    tickets = Tickets()

    async def move_twice():
        workers = Workers(1)
        try:
            runs = Runs(workers)
            old = tickets.take("browser", 1)
            plan = runs.plan(full, 1, 5000, old)
            waiting = asyncio.ensure_future(runs.gather(plan))
            while workers.workers[0].task is None:  # until the worker has taken the block
                await asyncio.sleep(0.01)
            process = workers.workers[0].process.pid
            new = tickets.take("browser", 2)
            stopped = runs.prune()
            with pytest.raises(Cancelled):
                await waiting
            after, ran, _ = await runs.replications(small, 1, 20, new)
            same = workers.workers[0].process.pid == process
            return stopped, workers.stopped, workers.done, runs.ran, list(runs.blocks), ran, same
        finally:
            workers.close()

    stopped, interrupted, done, ran_in_all, blocks, ran, same = asyncio.run(move_twice())
    assert (stopped, interrupted) == (1, 1)  # stopped while it ran, not dropped from a queue
    assert (done, ran_in_all, ran) == (1, 20, 20)  # only the newer block was computed
    assert [k[2:] for k in blocks] == [(0, 20)] and same


def test_a_worker_that_dies_fails_its_block_and_is_replaced():
    """An engine process killed from outside (out of memory, an operator): the request
    waiting for its block gets an error instead of waiting for ever, and a new process
    takes the next block."""
    full = sim.load_scenario(FULL)
    small = sim.load_scenario("scenarios/workshop/random.toml")

    async def kill():
        workers = Workers(1)
        try:
            task = workers.submit(run_block, full, 5000, 1, 0)
            while workers.workers[0].task is None:
                await asyncio.sleep(0.01)
            dead = workers.workers[0].process
            os.kill(dead.pid, signal.SIGKILL)
            with pytest.raises(RuntimeError, match="engine process died"):
                await task.future
            block, _ = await workers.submit(run_block, small, 5, 1, 0).future
            return block.reps, workers.workers[0].process is not dead, workers.done
        finally:
            workers.close()

    assert asyncio.run(kill()) == (5, True, 1)


def test_a_block_a_browser_waits_for_goes_before_one_run_ahead():
    scenario = sim.load_scenario("scenarios/workshop/random.toml")
    order = []

    async def queue():
        workers = Workers(1)  # not ready yet: every block below is queued first
        try:
            tasks = {
                name: workers.submit(run_block, scenario, 5, 1, first, priority=priority)
                for name, first, priority in (("a", 0, AHEAD), ("b", 5, NOW), ("c", 10, AHEAD))
            }
            for name, task in tasks.items():
                task.future.add_done_callback(lambda _, name=name: order.append(name))
            workers.hurry(tasks["c"])  # a browser now waits for c
            await asyncio.gather(*(task.future for task in tasks.values()))
        finally:
            workers.close()

    asyncio.run(queue())
    assert order == ["b", "c", "a"]


def test_the_refined_answer_runs_beside_the_first_and_a_newer_move_stops_it(client):
    """The first answer's request names the refined answer's replications (``ahead``):
    their blocks start at once, so the refined request only waits for them; a newer move
    of the same browser stops them."""
    first = ask(client, reps=30, seed=3, client="b", seq=1, ahead=90, **{"convoy.headway": "2"})
    refined = ask(client, reps=90, seed=3, client="b", seq=2, **{"convoy.headway": "2"})
    assert first["timing"]["replications_run"] == 60  # base and what-if, 0-29
    assert refined["timing"]["replications_run"] == 120  # 30-89 of both, started ahead
    base = sim.load_scenario(BASE)
    whatif = sim.load_scenario(BASE, ["convoy.headway=2", "name=w"])
    expected = {d.metric: d for d in sim.compare(base, [whatif], reps=90, seed=3).differences}
    for row in refined["differences"]:
        assert same(row["difference"], expected[row["metric"]].difference)
    # the whole operation, refined ahead to 5,000 (two blocks of 4,990 replications, about
    # 15 s of CPU each), then a newer move: the block running ahead is interrupted and the
    # one queued behind it dropped, before either is done
    full = {"base": "aleppo_2016_full", "client": "c"}
    ask(client, reps=10, seed=3, seq=1, ahead=5000, **full, **{"fleet.buses.count": "61"})
    newer = ask(client, reps=10, seed=3, seq=2, **full, **{"fleet.buses.count": "62"})
    assert newer["timing"]["blocks_stopped"] == 2


def test_a_precise_answer_stops_the_doubling_run_ahead(client):
    """With a precision the page runs the next doubling ahead; an answer already precise
    enough says so (the page stops there), and the doubling's blocks are stopped: the one
    running interrupted, the one queued dropped."""
    settings = {"base": "aleppo_2016_full", "client": "d", "fleet.buses.count": "63"}
    got = ask(client, reps=10, seed=3, seq=1, precision=0.5, ahead=5000, **settings)
    assert got["precise"] and got["timing"]["blocks_stopped"] == 2
    assert "precise" not in ask(client, reps=10, seed=3, seq=2, **settings)  # none asked


def test_blocks_from_the_cache_equal_one_run():
    scenario = sim.load_scenario("scenarios/workshop/random.toml")

    async def join():
        workers = Workers(2)
        try:
            runs = Runs(workers)
            first = runs.plan(scenario, 4, 30, never)
            runs.plan(scenario, 4, 155, never, AHEAD)  # run ahead, beside the first
            runs.plan(scenario, 4, 280, never, AHEAD)
            await runs.gather(first)
            whole, ran, _ = await runs.replications(scenario, 4, 280, never)
            part, ran_again, _ = await runs.replications(scenario, 4, 150, never)
            return runs, whole, part, ran, ran_again
        finally:
            workers.close()

    runs, whole, part, ran, ran_again = asyncio.run(join())
    assert (ran, ran_again) == (250, 0)
    assert sorted(k[2:] for k in runs.blocks) == [(0, 30), (30, 125), (155, 125)]
    one = run_chunked(scenario, 280, 4, 1, traced=())
    for k, v in one.metrics.items():
        np.testing.assert_array_equal(whole.metrics[k], v)
        np.testing.assert_array_equal(part.metrics[k], v[:150])
    np.testing.assert_array_equal(whole.series["evacuated"], one.series["evacuated"])
    assert whole.trace == one.trace == []


def test_the_line_in_words():
    scenario = sim.load_scenario(BASE)
    rows = [
        {
            "metric": "evacuated_by_halt",
            "label": "people evacuated by halt (Fri 16 Dec 11:00)",
            "unit": "people",
            "difference": 1240.4,
            "ci_low": 1180.0,
            "ci_high": 1300.2,
            "base_mean": 9000.0,
        },
        {
            "metric": "cold_person_hours",
            "label": "cold exposure",
            "unit": "person-hours",
            "difference": -3800.0,
            "ci_low": -3900.0,
            "ci_high": -3700.0,
            "base_mean": 10000.0,
        },
    ]
    assert words(scenario, rows) == (
        "+1,240 people evacuated by halt (Fri 16 Dec 11:00) (95% CI +1,180 to +1,300); "
        "38% less cold exposure."
    )
    rows[0].update(ci_low=-20.0, ci_high=35.0, difference=7.0)
    assert words(scenario, rows).startswith("no clear change in people evacuated by halt")


def test_serve_without_the_extra_says_what_to_install(monkeypatch, capsys):
    import sim.face.page as page

    monkeypatch.setattr(page, "_importable", lambda name: name != "uvicorn")
    assert main(["serve", str(BASE)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        "evacsim: error: evacsim serve: needs uvicorn: pip install 'evacsim[page]'"
    )
    assert err.count("\n") == 1
