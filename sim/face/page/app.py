"""The page's web app: a Starlette (ASGI) app serving one HTML page and a small JSON API.

    GET  /                        the page (its state is the query, see sim.face.page.whatif)
    GET  /api/scenarios           the library
    GET  /api/levers?base=        the controls of a base, with its values, and its metrics
    GET  /api/answer?STATE        fan charts, paired differences, the line in words
    GET  /api/answer?STATE&after=N   the same, progressively: the latest answer on more
                                  than N replications (sim.face.page.progress)
    GET  /api/whatif.toml?STATE   the what-if as a scenario file that extends the base
    POST /api/upload?name=FILE    a scenario file (the body), checked by the schema
    GET  /api/replication?STATE&rep=K     one replication's narration
    GET  /api/animation.gif?STATE&rep=K   and its animation on the corridor schematic

A mistake in the state (an unknown scenario, a value the schema refuses) is answered with
status 400 and the same one-line error as on the command line. Engine runs go to a pool of
processes, one per core, shared by every browser through the cache of
:class:`~sim.face.page.runs.Runs`; the page itself asks for its answers progressively.
"""

from __future__ import annotations

import asyncio
import functools
import math
import os
import tempfile
import time
from collections import OrderedDict
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from sim.errors import ScenarioError, readable
from sim.face.page.answer import answer, default_metrics, metric_label, precise
from sim.face.page.costs import Costs
from sim.face.page.levers import levers
from sim.face.page.progress import Progress, Progresses, checkpoints
from sim.face.page.runs import Cancelled, Runs, Tickets, digest
from sim.face.page.whatif import MAX_REPS, Library, State, WhatIf, resolve, whole
from sim.face.page.workers import Workers
from sim.inputs.scenario import Scenario
from sim.outputs.records import Replications, TraceEvent, metric_names
from sim.studies.runner import run_chunked
from sim.views.animate import animate
from sim.views.narrate import narrate

STATIC = Path(__file__).parent / "static"
#: Simulated minutes per frame of the page's animation (the GIF of ``evacsim animate``
#: uses 10; 30 draws a two-day replication in a few seconds).
MINUTES_PER_FRAME = 30.0
#: What the engine processes import before their first block (the narration and the
#: animation draw in them too).
PRELOAD = ("sim.face.page.runs", "sim.views.animate")
#: Animations kept in memory (a GIF of the baseline is ~0.5 MB).
MOST_ANIMATIONS = 32


def create_app(
    library: Library, workers: int | None = None, costs: Costs | None = None
) -> Starlette:
    """The page's app over a library of scenarios.

    Parameters
    ----------
    library : Library
    workers : int, optional
        Engine processes; one per core by default.
    costs : Costs, optional
        The measured costs of blocks that size the progressive answers (the app measures
        its own from its start).
    """
    workers = workers or os.cpu_count() or 1
    state: dict = {}
    progresses = Progresses()

    @asynccontextmanager
    async def lifespan(app: Starlette):
        pool = Workers(workers, preload=PRELOAD)
        state["runs"] = app.state.runs = Runs(pool, costs=costs)
        app.state.progresses = progresses
        state["pool"] = pool
        # the default base, so the first visitor waits only for the what-if; run as the
        # page's answers are, its blocks measure what the scenario costs (and the workers'
        # imports are paid for here)
        opening = State(library.default)
        begun = progressive(opening, resolve(opening, library), never)
        await begun.task
        yield
        pool.close()

    tickets = Tickets()
    animations: OrderedDict[tuple, bytes] = OrderedDict()

    def whatif_of(request: Request):
        q = request.query_params
        s = State.from_query(dict(q), q.getlist("metric"), library.default)
        return s, resolve(s, library)

    async def index(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    async def scenarios(request: Request) -> Response:
        return JSONResponse({"scenarios": list(library.files), "default": library.default})

    async def levers_of(request: Request) -> Response:
        base = library.scenario(request.query_params.get("base") or library.default)
        names = metric_names(base)
        return JSONResponse(
            {
                "base": request.query_params.get("base") or library.default,
                "name": base.name,
                "description": base.description,
                "seed": base.seed,
                "levers": [lever.as_json() for lever in levers(base)],
                "metrics": [{"metric": m, "label": metric_label(base, m)[0]} for m in names],
                "default_metrics": [m for m in default_metrics(base) if m in names],
                "max_reps": MAX_REPS,
            }
        )

    def respond(s: State, w: WhatIf, before: Replications, after: Replications) -> dict:
        """The answer's JSON data on the replications 0 .. n-1 of both arms."""
        metrics = list(s.metrics) or default_metrics(w.base)
        body = answer(w.base, w.whatif, before, after, metrics)
        body.update(
            seed=w.seed,
            changes=w.changes,
            overrides=w.overrides,
            command=w.command(before.reps),
            file_name=w.file_name,
            same=digest(w.base) == digest(w.whatif),
        )
        return body

    def progressive(s: State, w: WhatIf, wanted) -> Progress:
        """The progress of a state's answers, joined or started."""
        key = (digest(w.base), digest(w.whatif), w.seed, s.reps, s.precision, s.metrics)
        share = s.precision
        rule = None if share is None else functools.partial(_precise_enough, share=share)

        def start() -> Progress:
            goals = checkpoints(s.reps, s.precision)
            reply = functools.partial(respond, s, w)
            arms = (w.base, w.whatif)
            return Progress(
                state["runs"], s.base, *arms, w.seed, goals, rule, reply, wanted, workers
            )

        return progresses.join(key, start, wanted)

    async def answer_of(request: Request) -> Response:
        began, cpu = time.perf_counter(), time.process_time()
        s, w = whatif_of(request)
        q = request.query_params
        seq = q.get("seq", "0")
        cancelled = tickets.take(q.get("client", "")[:64], int(seq) if seq.isdigit() else 0)
        runs: Runs = state["runs"]
        progresses.prune()  # this browser's older requests: their progress stops now
        stopped = runs.prune()  # and their blocks
        if q.get("after"):  # the page: the next answer, as it comes
            after = whole(q["after"], "after", 0, MAX_REPS)
            try:
                body = await progressive(s, w, cancelled).after(after, cancelled)
            except Cancelled:
                return JSONResponse({"cancelled": True}, status_code=409)
            return JSONResponse(body)
        try:  # a script: the answer on exactly the state's replications
            plans = [runs.plan(arm, w.seed, s.reps, cancelled, family=s.base) for arm in arms_of(w)]
            got = await asyncio.gather(*(runs.gather(plan) for plan in plans))
            if cancelled():
                raise Cancelled
        except Cancelled:
            return JSONResponse({"cancelled": True}, status_code=409)
        body = respond(s, w, got[0][0], got[-1][0])
        if s.precision is not None:
            body["precise"] = precise(body["differences"], s.precision)
        body["timing"] = {
            "wall_s": round(time.perf_counter() - began, 4),
            "server_cpu_s": round(time.process_time() - cpu, 4),
            "replications_run": sum(g[1] for g in got),
            "engine_cpu_s": round(sum(g[2] for g in got), 4),
            "blocks_stopped": stopped,
        }
        return JSONResponse(body)

    async def download(request: Request) -> Response:
        s, w = whatif_of(request)
        disposition = f'attachment; filename="{w.file_name}"'
        return Response(
            w.scenario_file(s.reps),
            media_type="application/toml",
            headers={"Content-Disposition": disposition},
        )

    async def upload(request: Request) -> Response:
        content = await request.body()
        name = library.upload(request.query_params.get("name", ""), content)
        return JSONResponse({"base": name})

    def rep_of(request: Request, s: State) -> int:
        text = request.query_params.get("rep", "0")
        if not text.isdigit() or int(text) >= MAX_REPS:
            raise ScenarioError("page", "rep", f"must be a replication 0..{readable(MAX_REPS - 1)}")
        return int(text)

    async def replication(request: Request) -> Response:
        s, w = whatif_of(request)
        rep = rep_of(request, s)
        pool: Workers = state["pool"]
        one, *_ = await pool.submit(replicate, w.whatif, rep, w.seed).future
        metrics = [m for m in (s.metrics or default_metrics(w.base)) if m in one.metrics]
        values = [
            {"metric": m, "label": metric_label(w.base, m)[0], "unit": metric_label(w.base, m)[1]}
            | {"value": _number(float(one.metrics[m][0]))}
            for m in metrics
        ]
        lines = narrate(w.whatif, one.trace, rep)
        return JSONResponse({"rep": rep, "seed": w.seed, "narration": lines, "metrics": values})

    async def animation(request: Request) -> Response:
        s, w = whatif_of(request)
        rep = rep_of(request, s)
        key = (digest(w.whatif), w.seed, rep)
        if key not in animations:
            pool: Workers = state["pool"]
            one, *_ = await pool.submit(replicate, w.whatif, rep, w.seed).future
            gif, *_ = await pool.submit(animation_bytes, w.whatif, one.trace, rep, w.seed).future
            animations[key] = gif
            while len(animations) > MOST_ANIMATIONS:
                animations.popitem(last=False)
        animations.move_to_end(key)
        return Response(animations[key], media_type="image/gif")

    async def user_error(request: Request, error: Exception) -> Response:
        return JSONResponse({"error": str(error)}, status_code=400)

    return Starlette(
        routes=[
            Route("/", index),
            Route("/api/scenarios", scenarios),
            Route("/api/levers", levers_of),
            Route("/api/answer", answer_of),
            Route("/api/whatif.toml", download),
            Route("/api/upload", upload, methods=["POST"]),
            Route("/api/replication", replication),
            Route("/api/animation.gif", animation),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ],
        exception_handlers={ScenarioError: user_error},
        lifespan=lifespan,
    )


def arms_of(w: WhatIf) -> list[Scenario]:
    """The scenarios to run for a what-if: the base and the what-if, or the base alone
    when they are the same."""
    return [w.base] if digest(w.base) == digest(w.whatif) else [w.base, w.whatif]


def _precise_enough(answer: dict, share: float) -> bool:
    return precise(answer["differences"], share)


def never() -> bool:
    """The cancellation test of a request no browser can overtake."""
    return False


def replicate(scenario: Scenario, rep: int, seed: int) -> Replications:
    """Replication ``rep`` alone, traced: the same replication as inside any run."""
    return run_chunked(scenario, 1, seed, 1, first_rep=rep, traced=[rep])


def _number(value: float) -> float | None:
    """A float for JSON (None for NaN)."""
    return value if math.isfinite(value) else None


def animation_bytes(scenario: Scenario, trace: list[TraceEvent], rep: int, seed: int) -> bytes:
    """The GIF of ``evacsim animate`` for one replication, as bytes (run in a worker)."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "replication.gif"
        label = f"replication {rep}, seed {seed}"
        animate(
            scenario, trace, out, rep=rep, label=label, fps=8, minutes_per_frame=MINUTES_PER_FRAME
        )
        return out.read_bytes()
