"""A run folder's ``report.html``: one self-contained page (figures as data URIs, inline CSS)
that opens from disk with no server and no network. All text from a scenario or run is
escaped, and the same inputs always give the same page."""

from __future__ import annotations

import base64
import math
import shlex
from collections.abc import Callable
from datetime import datetime
from html import escape
from pathlib import Path

from sim.inputs.sources import toml_text
from sim.outputs.metrics import Summary
from sim.outputs.results import manifest as make_manifest
from sim.outputs.run import RunRecord
from sim.views.narrate import describe
from sim.views.wording import CLOCK

#: Headline metrics and their labels; ``evacuated_by_<milestone>`` rows follow them.
KEY = {
    "evacuated": "people evacuated",
    "convoys": "convoys formed",
    "first_departure": "first departure",
    "clearance_time": "everyone out (clearance)",
    "suspensions": "ceasefire suspensions",
    "suspended_hours": "hours suspended",
    "wait_person_hours": "person-hours waiting at the pickup",
    "held_person_hours": "person-hours held aboard",
    "cold_person_hours": "person-hours in the cold",
}
TIMES = ("first_departure", "last_departure", "clearance_time")
#: Captions of the figures of a run folder, in page order (from results/README.md).
FIGURES = {
    "evacuated": "Fan chart of cumulative people evacuated against clock time: the median and "
    "the bands holding 50% and 90% of runs. Hours are shaded by the share of runs in which "
    "the ceasefire was suspended; reported figures are marked with their ranges and sources.",
    "convoys": "Convoy timeline of replication 0: one row per convoy, one bar per leg "
    "(loading, held, to checkpoint, queue at the crossing, inspection, to reception, unloading, "
    "return). The "
    "suspensions of that replication are shaded and its incidents marked.",
    "queue": "People waiting at the pickup over time: the median and the band holding 90% "
    "of runs, and replication 0. Suspensions are shaded as in the fan chart.",
    "crossing": "The crossing: vehicles through the checkpoint each hour by pool and private "
    "stream (mean of runs, stacked) and, with a limited crossing, the vehicles queueing for a "
    "lane (median and 90% of runs).",
    "groups": "People evacuated by group and people who left the queue for home, cumulative "
    "(median of runs).",
}
UNITS = (
    "Units: people for counts; hours from the start for moments (first_departure, "
    "clearance_time, time_of_*); hours for durations and waits; person-hours for *_person_hours; "
    "a fraction for utilisation. n: replications where the metric is defined."
)
CSS = """
body { font: 15px/1.45 system-ui, sans-serif; color: #222; max-width: 64rem; margin: 2rem auto;
  padding: 0 1rem; } h2 { border-bottom: 1px solid #ccc; } .note, figcaption { color: #555; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; } th { background: #eee; }
th, td { padding: .2rem .6rem; border-bottom: 1px solid #ddd; text-align: left; } dd { margin: 0; }
.num { text-align: right; } dl { display: grid; grid-template-columns: auto 1fr; gap: 0 1em; }
dt { font-weight: 600; } img { max-width: 100%; height: auto; } footer { border-top: 1px solid; }
pre { background: #f7f7f7; padding: .7rem; overflow-x: auto; font-size: 85%; }
@media print { body { margin: 0; max-width: none; } figure, tr { break-inside: avoid; }
  pre { white-space: pre-wrap; } h2 { break-after: avoid; } }
"""
NUM = ' class="num"'


def report_html(result: RunRecord, folder: Path, manifest: dict | None = None) -> str:
    """A single self-contained HTML page for a run folder.

    Parameters
    ----------
    result : RunRecord
        The run the folder holds.
    folder : Path
        The run folder (or its staging folder); every ``*.png`` in it is embedded, in the
        order evacuated, convoys, queue, then any others alphabetically.
    manifest : dict, optional
        The manifest written to the folder; ``sim.outputs.results.manifest(result)`` by default.
        The page shows its versions, git commit and creation time.

    Returns
    -------
    str
        The page: header, key results, figures, all metrics, narration of replication 0,
        the resolved scenario, and how to reproduce the run.
    """
    if manifest is None:
        manifest = make_manifest(result)
    body = [
        _header(result, manifest),
        _section("Key results", _key_results(result)),
        _section("Figures", _figures(Path(folder))),
        _section("All metrics", _all_metrics(list(result.summaries.values()))),
        _section("Narration of replication 0", _narration(result)),
        _section("Scenario", _scenario(result)),
        f"<footer>{_reproduce(result)}</footer>",
    ]
    head = (
        '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>evacsim '
        f"report: {escape(result.scenario.name)}</title>\n<style>{CSS}</style></head>\n<body>"
    )
    return "\n".join([head, *body, "</body>\n</html>\n"])


def _section(title: str, content: str) -> str:
    """A titled section; ``content`` is HTML already."""
    return f"<section>\n<h2>{escape(title)}</h2>\n{content}\n</section>"


def _table(header: list[str], rows: list[list[str]], numeric: set[int]) -> str:
    """A table of HTML cells; the columns in ``numeric`` are right-aligned."""

    def tr(tag: str, row: list[str]) -> str:
        cells = (f"<{tag}{NUM * (i in numeric)}>{c}</{tag}>" for i, c in enumerate(row))
        return f"<tr>{''.join(cells)}</tr>"

    body = "\n".join(tr("td", row) for row in rows)
    return f"<table>\n<thead>{tr('th', header)}</thead>\n<tbody>\n{body}\n</tbody>\n</table>"


def _num(value: float, clock: Callable[[float], datetime] | None = None) -> str:
    """A number for a table (two decimals below 100), or a moment as local clock time."""
    if math.isnan(value):
        return "–"
    if clock is not None:
        return clock(value).strftime(CLOCK)
    return f"{value:,.0f}" if value.is_integer() or abs(value) >= 100 else f"{value:.2f}"


def _header(result: RunRecord, manifest: dict) -> str:
    s = result.scenario
    facts = {
        "replications": f"{result.reps:,}",
        "seed": str(result.seed),
        "engine": result.engine,
        "wall time": f"{manifest.get('wall_time_s', result.wall_time):.2f} s",
        "evacsim version": manifest.get("versions", {}).get("evacsim", "unknown"),
        "git commit": manifest.get("git_commit") or "unknown",
        "created": manifest.get("created", "unknown"),
        "start": f"{s.clock(0):%Y-%m-%d %H:%M} local, horizon {s.horizon:g} h",
    }
    items = "".join(f"<dt>{k}</dt><dd>{escape(str(v))}</dd>" for k, v in facts.items())
    return (
        f"<header>\n<h1>{escape(s.name)}</h1>\n"
        f"<p>{escape(s.description)}</p>\n<dl>{items}</dl>\n</header>"
    )


def _key_results(result: RunRecord) -> str:
    s, by_name = result.scenario, result.summaries
    names = [n for n in KEY if n in by_name]
    names += [n for n in by_name if n.startswith("evacuated_by_")]
    rows = []
    for name in names:
        x = by_name[name]
        label = KEY.get(name, f"evacuated by milestone {name.removeprefix('evacuated_by_')}")
        show = _num if name not in TIMES else lambda v: _num(v, s.shown)
        ci = f"{show(x.ci_low)} – {show(x.ci_high)}" if x.n > 1 else "–"
        spread = f"{show(x.p5)} – {show(x.p95)}" if x.n else "–"
        mean = show(x.mean) if x.n else "undefined in every replication"
        row = [f"{escape(label)} <code>{escape(name)}</code>", f"{x.n} / {result.reps}"]
        rows.append([*row, mean, ci, spread])
    note = "runs: replications where the metric is defined; p5 – p95: percentiles of runs"
    table = _table(["metric", "runs", "mean", "95% CI", "p5 – p95"], rows, {1, 2, 3, 4})
    return f'{table}\n<p class="note">{note}; moments as local clock times.</p>'


def _figures(folder: Path) -> str:
    order = {stem: i for i, stem in enumerate(FIGURES)}
    pngs = sorted(folder.glob("*.png"), key=lambda p: (order.get(p.stem, len(order)), p.name))
    parts = []
    for path in pngs:
        data, name = base64.b64encode(path.read_bytes()).decode("ascii"), escape(path.name)
        parts.append(
            f'<figure><img src="data:image/png;base64,{data}" alt="{name}"><figcaption>'
            f"<code>{name}</code> {FIGURES.get(path.stem, '')}</figcaption></figure>"
        )
    return "\n".join(parts) or '<p class="note">No figures in this run folder.</p>'


def _all_metrics(summaries: list[Summary]) -> str:
    rows = [[f"<code>{escape(x.metric)}</code>", str(x.n), *map(_num, x[2:])] for x in summaries]
    return f'<p class="note">{UNITS}</p>\n' + _table(list(Summary._fields), rows, set(range(1, 8)))


def _narration(result: RunRecord) -> str:
    trace = [e for e in result.replications.trace if e.rep == 0]
    if not trace:
        return '<p class="note">No event trace for replication 0 (run.trace_reps = 0).</p>'
    return "<pre>" + escape("\n".join(describe(result.scenario, trace))) + "</pre>"


def _scenario(result: RunRecord) -> str:
    def items(texts: list[str] | tuple[str, ...]) -> str:
        return "".join(f"<li><code>{escape(x)}</code></li>" for x in texts) or "<li>none</li>"

    toml = escape(toml_text(result.scenario.document).rstrip("\n"))
    return (
        '<p class="note">The resolved scenario (after <code>extends</code> and <code>--set'
        f"</code>), as TOML.</p>\n<pre>{toml}</pre>\n<p>Read from:</p><ul>"
        f"{items(result.scenario.files)}</ul>\n<p>Overrides (<code>--set</code>):</p><ul>"
        f"{items(result.overrides)}</ul>"
    )


def _reproduce(result: RunRecord) -> str:
    """The command that reproduces the run."""
    words = ["evacsim", "run", result.scenario.path or "SCENARIO.toml", "--reps", str(result.reps)]
    words += ["--seed", str(result.seed), *(w for o in result.overrides for w in ("--set", o))]
    command = " ".join(map(shlex.quote, words))
    return f"<p>To reproduce this run:</p>\n<pre>{escape(command)}</pre>"
