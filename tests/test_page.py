"""The what-if page's server: its answers are `evacsim compare`'s, its errors the schema's.

The app runs in-process (Starlette's TestClient) with one engine process; the browser tests
are in test_page_browser.py.
"""

from __future__ import annotations

import asyncio
import functools
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
from sim.face.page.costs import PROBE, Costs  # noqa: E402
from sim.face.page.levers import changed, levers  # noqa: E402
from sim.face.page.progress import (  # noqa: E402
    FINISH,
    FIRST_S,
    Progress,
    Progresses,
    budget,
    checkpoints,
    next_round,
)
from sim.face.page.runs import Cancelled, Runs, Tickets, digest, run_block  # noqa: E402
from sim.face.page.whatif import Library  # noqa: E402
from sim.face.page.workers import NOW, Workers  # noqa: E402
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
            "page: fleet.buses.count: must be an integer >= 0 and <= 4,096 vehicles, got -3",
        ),
        ({"fleet.buses.count": "[" * 40}, "page: fleet.buses.count: "),  # nested too deep
        ({"fleet.buses.count": "0"}, "page: fleet.buses.count: population.wounded (300 people)"),
        ({"fleet.buses.seats": "60"}, "page: fleet.buses.seats: not a control of this page"),
        ({"base": "../../etc/passwd"}, "page: base: no scenario '../../etc/passwd'"),
        ({"reps": "100000"}, "page: reps: must be a whole number 10..5,000, got '100000'"),
        ({"ceasefire.before_checkpoint": "wait"}, "page: ceasefire.before_checkpoint: must be"),
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


def test_an_upload_cannot_extend_a_file_on_the_server(client):
    for parent in ("/etc/passwd", str(Path("scenarios/aleppo_2016.toml").resolve())):
        text = f'extends = "{parent}"\nname = "peek"\n'.encode()
        refused = client.post("/api/upload", params={"name": "peek.toml"}, content=text)
        assert refused.status_code == 400
        assert refused.json()["error"] == (
            "peek.toml: extends: an upload must be a whole scenario: it cannot extend a file "
            "on the server (the page's own scenarios are in its list)"
        )


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
            block, *_ = await workers.submit(run_block, small, 5, 1, 0).future
            return block.reps, workers.workers[0].process is not dead, workers.done
        finally:
            workers.close()

    assert asyncio.run(kill()) == (5, True, 1)


def test_blocks_go_by_rank_whichever_browser_asked_first():
    scenario = sim.load_scenario("scenarios/workshop/random.toml")
    order = []

    async def queue():
        workers = Workers(1)  # not ready yet: every block below is queued first
        try:
            tasks = {
                name: workers.submit(run_block, scenario, 5, 1, first, priority=priority)
                for name, first, priority in (("a", 0, 1), ("b", 5, NOW), ("c", 10, 2))
            }
            for name, task in tasks.items():
                task.future.add_done_callback(lambda _, name=name: order.append(name))
            workers.hurry(tasks["c"])  # a browser now waits for c
            await asyncio.gather(*(task.future for task in tasks.values()))
        finally:
            workers.close()

    asyncio.run(queue())
    assert order == ["b", "c", "a"]


class Measured(Costs):
    """Costs as measured once (a hand-made power law), not updated by the blocks run: the
    rounds' sizes below are worked out by hand."""

    def __init__(self, family: str, points: list[tuple[int, float]]):
        super().__init__()
        for reps, seconds in points:
            super().add(family, reps, seconds)

    def add(self, family: str, reps: int, seconds: float) -> None:
        pass


def test_rounds_are_sized_by_what_blocks_cost():
    costs = Costs()
    assert costs.most("new", 1.0) == PROBE  # nothing measured: a probe
    costs.add("t", 4, 0.1)
    assert costs.law("t") == pytest.approx((0.1 / 4**0.4, 0.4))  # one size: the usual exponent
    costs.add("t", 100, 0.5)  # seconds = 0.05 * sqrt(reps)
    a, p = costs.law("t")
    assert (a, p) == (pytest.approx(0.05), pytest.approx(0.5))
    assert costs.most("t", 0.22) == 19  # (0.22 / 0.05) ** 2 = 19.4
    assert costs.seconds("t", 400) == pytest.approx(1.0)
    noisy = Costs()
    noisy.add("n", 10, 0.5)
    noisy.add("n", 20, 0.4)  # dearer for fewer: held to the least exponent
    assert noisy.law("n")[1] == 0.15

    def most(seconds):
        return costs.most("t", seconds)

    # two workers, the what-if alone: two blocks of 19 side by side
    assert next_round(0, 1000, 0.22, most, arms=1, workers=2) == (38, 2)
    # the base too (a new seed): one block each
    assert next_round(0, 1000, 0.22, most, arms=2, workers=2) == (19, 1)
    # one worker, two arms: two blocks in turn, each in half the time: 4.84 -> 4
    assert next_round(0, 1000, 0.22, most, arms=2, workers=1) == (4, 1)
    # 800 left: 1.5 x 0.5 s allow 2 x 225, not enough; 4 x 0.5 s allow 2 x 1,600
    assert next_round(200, 1000, 0.5, most, arms=1, workers=2) == (400, 2)
    assert next_round(200, 1000, 0.5, most, arms=1, workers=2, slack=FINISH) == (1000, 2)
    assert checkpoints(1000, None) == [1000]
    assert checkpoints(1000, 0.01) == [300, 600, 1200, 2400, 4800, 5000]
    assert budget(0, 5.0) == FIRST_S == 0.22
    assert budget(1, 0.2) == pytest.approx(0.63)  # the second answer by 0.85 s
    assert budget(1, 1.4) == 1.4  # late (a loaded machine): as long as it took so far
    assert (budget(2, 0.85), budget(3, 1.0)) == (0.85, 1.7)


def test_answers_come_progressively_and_each_is_compares(client):
    """The page's way: ``after=N`` until the final answer. Each answer rests on more
    replications than the one before, each is `evacsim compare`'s for its replications,
    and each replication of each arm was run once."""
    settings = {"convoy.headway": "1.5", "client": "p", "seq": 1, "reps": 90, "seed": 13}
    got, after = [], 0
    while not got or not got[-1]["final"]:
        got.append(ask(client, after=after, **settings))
        after = got[-1]["reps"]
    reps = [a["reps"] for a in got]
    assert reps == sorted(set(reps)) and reps[-1] == 90 and reps[0] >= 4
    assert [a["next"] for a in got] == [*reps[1:], None]
    assert [a["final"] for a in got] == [False] * (len(got) - 1) + [True]
    # a new seed: the base and the what-if each ran replications 0-89 once, in all
    assert sum(a["progress"]["replications_run"] for a in got) == 180
    base = sim.load_scenario(BASE)
    whatif = sim.load_scenario(BASE, ["convoy.headway=1.5", "name=w"])
    for answer in (got[0], got[-1]):
        n = answer["reps"]
        expected = {d.metric: d for d in sim.compare(base, [whatif], reps=n, seed=13).differences}
        for row in answer["differences"]:
            for field in ("difference", "ci_low", "ci_high"):
                assert same(row[field], getattr(expected[row["metric"]], field)), (n, field)
    again = ask(client, after=0, **{**settings, "client": "q"})  # another browser: cached
    assert again["final"] and again["reps"] == 90 and again["differences"] == got[-1]["differences"]
    assert again["progress"]["replications_run"] == 0


def test_a_newer_move_stops_the_progress_but_not_the_bases_first_replications():
    """The whole operation on one worker, the base not cached (a new seed): the first
    answer's size is worked out from the measured costs; then the browser moves. The next
    round's block of the what-if (queued behind the base's) is dropped; the base's, which
    every what-if of it needs, is kept running."""
    full = sim.load_scenario(FULL)
    whatif = sim.load_scenario(FULL, ["fleet.buses.count=70"])
    costs = Measured("full", [(1, 0.05), (100, 5.0)])  # 0.05 s a replication
    tickets = Tickets()

    async def move():
        workers = Workers(1)
        try:
            runs = Runs(workers, costs=costs)
            progresses = Progresses()
            old = tickets.take("browser", 1)

            def start():
                def respond(before, after):
                    return {"reps": before.reps, "same": before.reps == after.reps}

                return Progress(runs, "full", full, whatif, 8, [1000], None, respond, old, 1)

            progress = progresses.join("state", start, old)
            first = await progress.after(0, old)
            queued = {k[0] == digest(whatif): r for k, r in runs.running.items()}
            tickets.take("browser", 2)
            progresses.prune()
            stopped = runs.prune()
            with pytest.raises(Cancelled):
                await progress.after(first["reps"], old)
            base_block = queued[False]
            kept = runs.covered(full, 8)  # cached or still running: not stopped
            mine = [k[2:] for k in runs.blocks if k[0] == digest(whatif)]
            return first, stopped, workers.dropped, kept, mine, base_block.key
        finally:
            workers.close()

    first, stopped, dropped, kept, mine, base_key = asyncio.run(move())
    # one worker, two arms: a block each in turn, each in half of FIRST_S: 2.2 -> FEWEST
    assert first["reps"] == 4 and first["next"] > 4 and not first["final"]
    assert (stopped, dropped) == (1, 1)  # the what-if's next block, before it began
    assert kept == 4 + base_key[3] and mine == [(0, 4)]


def test_a_precise_answer_is_final_and_stops_the_next_round(client):
    """With a precision the answers are judged at 300, 600, 1,200, ...; the first that
    meets it is final (the same whatever the machine's speed), and the round started
    beside it is stopped."""
    settings = {"fleet.buses.count": "64", "client": "d", "seq": 1, "precision": 0.5}
    got, after = [], 0
    while not got or not got[-1]["final"]:
        got.append(ask(client, after=after, **settings))
        after = got[-1]["reps"]
    last = got[-1]
    assert last["reps"] == 300 and last["precise"] and last["goal"] == 300
    assert all(not a["precise"] for a in got[:-1])
    # the base is cached (the page ran it at start): the next round was the what-if's one
    # block towards 600, stopped
    assert last["progress"]["blocks_stopped"] == 1
    runs = client.app.state.runs
    whatif = sim.load_scenario(BASE, ["fleet.buses.count=64"])
    assert max(k[2] + k[3] for k in runs.blocks if k[0] == digest(whatif)) == 300


def test_a_block_done_before_its_request_awaits_it_is_counted_there():
    """Two blocks finishing in the same turn of the event loop: the request gathering them
    finds the second done before the future's own callback has booked it. It must still
    count its replications as its own (the page's figures of what each answer ran)."""
    scenario = sim.load_scenario("scenarios/workshop/random.toml")

    async def race():
        workers = Workers(1)  # not ready yet: the blocks stay queued, finished by hand
        try:
            runs = Runs(workers)
            runs.plan(scenario, 2, 10, never)
            runs.plan(scenario, 2, 20, never, 1)
            for running in list(runs.running.values()):
                first, n = running.key[2:]
                workers.stop(running.task)  # out of the queue, then done as if it ran
                running.task.future = asyncio.get_running_loop().create_future()
                running.task.future.add_done_callback(functools.partial(runs._finished, running))
                running.task.future.set_result((run_block(scenario, n, 2, first), 0.5, 0.5))
            whole = runs.plan(scenario, 2, 20, never)  # both done, neither booked yet
            got, ran, cpu = await runs.gather(whole)
            return got.reps, ran, cpu, runs.unclaimed
        finally:
            workers.close()

    reps, ran, cpu, unclaimed = asyncio.run(race())
    assert (reps, ran, cpu, unclaimed) == (20, 20, 1.0, {})


def test_blocks_from_the_cache_equal_one_run():
    scenario = sim.load_scenario("scenarios/workshop/random.toml")

    async def join():
        workers = Workers(2)
        try:
            runs = Runs(workers)
            first = runs.plan(scenario, 4, 30, never)
            runs.plan(scenario, 4, 155, never, 1)  # a progress's next rounds, beside it
            runs.plan(scenario, 4, 280, never, 2)
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


def test_the_address_is_given_once_the_page_answers(tmp_path):
    """A class opens the link the moment it appears: it must not be refused while the page
    warms up (the workers' imports, the default base)."""
    import socket
    import subprocess
    import sys
    import urllib.request

    from conftest import ROOT

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "sim.cli", "serve", str(BASE), "--port", str(port)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        assert banner == f"evacsim page: http://127.0.0.1:{port}/  (Ctrl-C stops it)\n"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/scenarios", timeout=60) as r:
            assert r.status == 200
    finally:
        process.terminate()
        process.wait(30)
