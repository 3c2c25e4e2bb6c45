"""An animated schematic of one replication: the corridor, its convoys and the ceasefire.

Left to right: the pickup and its queue, the checkpoint and reception, joined by an outbound
lane and a return lane; each convoy is a box placed by interpolating between the times of
its trace events. The figure is drawn once, then its artists are updated frame by frame.
It reads a run's trace only (``sim.run(..., trace=[rep])`` or a run folder's ``trace.csv``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import cycle
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from matplotlib import animation
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import MaxNLocator
from PIL import Image

from sim.errors import ScenarioError
from sim.inputs.scenario import Scenario
from sim.outputs.folders import atomic_file
from sim.outputs.records import TraceEvent
from sim.views.clock_axis import SUSPENDED, clock_axis, trace_spans
from sim.views.plots import LEGS, MEDIAN, _short
from sim.views.progress import progress_bar
from sim.views.wording import CLOCK, figure_text

WIDTH, HEIGHT, DPI = 12.8, 7.2, 80  # inches, inches, dots per inch: 1024 x 576 pixels
FONT = 16  # points; the clock and counters are larger
MAX_FRAMES = 600  # simulated frames at most; the time step grows to keep within
HOLD = 2.0  # seconds the last frame stays before the animation loops
CHECKPOINT = 0.4  # position of the checkpoint on the road: pickup 0, reception 1
OUT, BACK = 0.0, -1.0  # y of the outbound and the return lane
STACK = 0.75  # y step between convoys waiting at the same place
BASE, TALLEST = BACK - 0.4, 3.8  # y of the foot of the posts and queue bar; its tallest
QUEUE = -0.21  # x of the middle of the queue bar
ACTIVE = "#2ca25f"
#: Queue colours by population group, cycled beyond seven groups
GROUPS = ("#6a51a3", "#e7298a", "#3182bd", "#737373", "#a6761d", "#41b6c4", "#c994c7")
COLOURS = dict(LEGS.values())  # convoy state -> colour, as on the convoy timeline
INK = {s: "w" if np.dot(to_rgb(c), (0.3, 0.59, 0.11)) < 0.5 else "k" for s, c in COLOURS.items()}
BOX = {"boxstyle": "round,pad=0.3", "ec": "0.15", "lw": 1.2}  # a convoy's box
#: Events opening a moving leg -> (state, lane, x it heads to, event ending it, route leg)
MOVES = {
    "convoy_departs": ("to checkpoint", OUT, CHECKPOINT, "reaches_checkpoint", "to_checkpoint"),
    "passes_checkpoint": ("to reception", OUT, 1.0, "reaches_reception", "to_reception"),
    "unloaded": ("return", BACK, 0.0, "vehicles_return", "return_trip"),
    "turned_back": ("turned back", BACK, 0.0, "back_at_pickup", "to_checkpoint"),
}
#: Events stopping a convoy -> (state, where; None: where it already is)
STOPS = {
    "convoy_forms": ("loading", 0.0),
    "held": ("held", None),
    "reaches_checkpoint": ("inspection", CHECKPOINT),
    "reaches_reception": ("unloading", 1.0),
}
GONE = {"vehicles_return", "back_at_pickup"}  # the convoy is over: its vehicles are idle


class Place(NamedTuple):
    """Where a convoy is drawn.

    Attributes
    ----------
    x : float
        Along the road, no unit: pickup 0, checkpoint ``CHECKPOINT``, reception 1.
    lane : float
        The y of its lane: ``OUT`` (to reception) or ``BACK`` (to the pickup).
    state : str
        What it is doing: a label of ``sim.views.plots.LEGS``, e.g. "held".
    """

    x: float
    lane: float
    state: str


def convoy_position(
    events: Sequence[TraceEvent], t: float, typical: Mapping[str, float] | None = None
) -> Place | None:
    """Where a convoy is at time ``t``, interpolating between the times of its trace events.

    Parameters
    ----------
    events : sequence of TraceEvent
        The convoy's own events, in time order.
    t : float
        Hours from the start.
    typical : mapping of str to float, optional
        Hours a moving leg lasts, by the event opening it, when no event closes it (the
        replication ended, or the convoy was turned back on the way); 1 if missing.

    Returns
    -------
    Place or None
        None before the convoy forms and once its vehicles are back at the pickup.
    """
    place, x = None, 0.0
    for e, after in zip(events, [*events[1:], None], strict=True):
        if e.time > t:
            break
        if e.event in GONE:
            place = None
        elif e.event in STOPS:
            state, at = STOPS[e.event]
            x = x if at is None else at
            place = Place(x, OUT, state)
        elif e.event in MOVES:
            state, lane, target, closer, _ = MOVES[e.event]
            if after is not None and after.event == closer:
                hours = after.time - e.time
            else:
                hours = (typical or {}).get(e.event, 1.0)
            until = t if after is None else min(t, after.time)  # x must be known at `after`
            share = min(1.0, (until - e.time) / hours) if hours > 0 else 1.0
            x += share * (target - x)
            place = Place(x, lane, state)
    return place


def animate(
    scenario: Scenario,
    trace: Iterable[TraceEvent],
    out: Path,
    *,
    rep: int = 0,
    label: str | None = None,
    fps: int = 10,
    minutes_per_frame: float = 10.0,
    progress: bool = False,
) -> Path:
    """Write an animation of replication ``rep`` to ``out``: a GIF, or an MP4 with ffmpeg.

    Parameters
    ----------
    scenario : Scenario
        The scenario the run was made with.
    trace : iterable of TraceEvent
        The run's trace: ``sim.run(..., trace=[rep]).replications.trace``, or a run
        folder's ``trace.csv`` read with :func:`sim.outputs.reading.read_trace`.
    out : Path
        ``.gif`` (written with Pillow) or ``.mp4`` (needs the ``ffmpeg`` program).
    rep : int
        The replication to animate.
    label : str, optional
        What the figure names it by; ``"replication {rep}"`` by default.
    fps : int
        Frames per second of the animation.
    minutes_per_frame : float
        Simulated minutes between frames. Frames run from the start to the end of the
        replication (everyone evacuated, or the horizon); if that needs more than
        ``MAX_FRAMES`` (600) frames, the step grows so that 600 frames cover it. The last
        frame is held for ``HOLD`` (2) seconds.
    progress : bool
        Show a bar of the frames drawn (on standard error when it is a terminal, or in a
        notebook).

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    ScenarioError
        For another extension, an MP4 without ffmpeg, or a non-positive step or rate; or
        if ``out`` cannot be written (a full disk), leaving it as it was.
    ValueError
        If the trace has no event of replication ``rep`` (it was not traced).
    """
    out = Path(out)
    check_animation(out, fps, minutes_per_frame)
    events = [e for e in trace if e.rep == rep]
    if not events:
        raise ValueError(f"replication {rep} is not in the trace: run it with trace=[{rep}]")
    end = next((e.time for e in events if e.event == "cleared"), scenario.horizon)
    step = max(minutes_per_frame / 60, end / (MAX_FRAMES - 1))
    times = [*np.arange(0.0, end, step), *[end] * (round(HOLD * fps) + 1)]
    scene = _Scene(scenario, events, end, label or f"replication {rep}")
    movie = animation.FuncAnimation(scene.fig, scene.update, times, cache_frame_data=False)
    writer = _Gif(fps=fps) if out.suffix.lower() == ".gif" else animation.FFMpegWriter(fps=fps)
    bar = progress_bar(progress, total=len(times), unit="frame", desc="animate")
    with bar as frames, atomic_file(out) as staging:  # a full disk or Ctrl-C: no cut-short file
        movie.save(staging, writer=writer, dpi=DPI, progress_callback=lambda *_: frames.update())
    return out


def check_animation(out: Path, fps: int = 10, minutes_per_frame: float = 10.0) -> None:
    """Refuse, before anything is run or drawn, an animation :func:`animate` cannot write.

    Raises
    ------
    ScenarioError
        For an extension other than ``.gif`` and ``.mp4``, an MP4 without ffmpeg, or a
        non-positive step or rate.
    """
    kind = out.suffix.lower()
    if kind not in (".gif", ".mp4"):
        raise ScenarioError(
            str(out), "", f"cannot write {kind or 'no extension'}; use .gif or .mp4"
        )
    if kind == ".mp4" and not animation.writers.is_available("ffmpeg"):
        raise ScenarioError(str(out), "", "mp4 needs ffmpeg, which was not found; write a .gif")
    if fps <= 0 or not minutes_per_frame > 0:
        raise ScenarioError(str(out), "", "fps and minutes_per_frame must be positive")


class _Gif(animation.PillowWriter):
    """The Pillow GIF writer, keeping frames as palette images: a third of the memory."""

    def grab_frame(self, **savefig_kwargs) -> None:
        super().grab_frame(**savefig_kwargs)
        frames = self._frames  # type: ignore[attr-defined]  # PillowWriter's frame list
        frames[-1] = frames[-1].quantize(method=Image.Quantize.FASTOCTREE)

    def finish(self) -> None:
        frames, ms = self._frames, round(1000 / self.fps)  # type: ignore[attr-defined]
        rest = (frames.pop(1) for _ in range(len(frames) - 1))  # freed as Pillow copies them
        frames[0].save(self.outfile, save_all=True, append_images=rest, duration=ms, loop=0)


class _Scene:
    """The figure of one replication and its moving artists; ``update(t)`` draws hour t."""

    def __init__(self, scenario: Scenario, trace: list[TraceEvent], end: float, what: str):
        self.scenario, r = scenario, scenario.route
        self.fig = fig = Figure(figsize=(WIDTH, HEIGHT))
        canvas = FigureCanvasAgg(fig)
        canvas.draw_idle = lambda *_, **__: None  # type: ignore[method-assign]  # draw once, when grabbed
        numbers = sorted({e.convoy for e in trace} - {-1})
        self.convoys = {c: [e for e in trace if e.convoy == c] for c in numbers}
        self.typical = {k: getattr(r, leg[-1]).mean for k, leg in MOVES.items()}
        # people waiting by group and evacuated after each trace event (row 0: the start)
        sign = {"people_arrive": 1, "convoy_forms": -1, "back_at_pickup": 1, "people_leave": -1}
        rows = [[g.count for g in scenario.groups]]
        rows += [[sign.get(e.event, 0) * n for n in e.groups] for e in trace]
        self.times = np.array([e.time for e in trace])
        self.waiting = np.cumsum(rows, axis=0)
        got = [e.people if e.event == "reaches_reception" else 0 for e in trace]
        self.evacuated = np.cumsum([0, *got])
        cease = [e for e in trace if e.event.startswith("ceasefire_")]
        say = {"ceasefire_resumes": None}  # the banner text after each change
        self.notes = [(e.time, say.get(e.event, f"SUSPENDED: {_short(e.note, 58)}")) for e in cease]
        # the top: clock, counter and ceasefire banner
        self.clock = fig.text(0.02, 0.945, "", fontsize=FONT + 14, weight="bold", va="center")
        top: dict[str, Any] = {"ha": "right", "va": "center"}
        mid: dict[str, Any] = {"ha": "center", "va": "center"}
        title = figure_text(f"{scenario.name}, {what}")
        fig.text(0.98, 0.965, title, fontsize=FONT - 4, c="0.4", **top)
        self.count = fig.text(0.98, 0.915, "", fontsize=FONT + 6, **top)
        self.banner = Rectangle((0, 0.815), 1, 0.07, transform=fig.transFigure)
        fig.add_artist(self.banner)
        self.cause = fig.text(0.5, 0.85, "", fontsize=FONT + 4, weight="bold", c="w", **mid)
        self._corridor(fig.add_axes((0.01, 0.3, 0.98, 0.5)), max(self.waiting.sum(1).max(), 1))
        self._chart(fig.add_axes((0.09, 0.07, 0.88, 0.17)), trace, end)

    def _corridor(self, ax: Axes, most: int) -> None:
        """Road, stations, the queue bar (``most`` people at its tallest), convoy boxes."""
        ax.set(xlim=(-0.32, 1.1), ylim=(-2.5, 3.5))
        ax.set_axis_off()
        ax.hlines([OUT, BACK], 0, 1, lw=[12, 8], colors=["0.55", "0.85"], capstyle="round")
        label: dict[str, Any] = {
            "ha": "center",
            "va": "top",
            "fontsize": FONT + 2,
            "weight": "bold",
        }
        for x, name in ((0.0, "PICKUP"), (CHECKPOINT, "CHECKPOINT"), (1.0, "RECEPTION")):
            ax.add_patch(Rectangle((x - 0.012, BASE), 0.024, 1.8, fc="0.25", zorder=2))
            ax.text(x, BASE - 0.15, name, **label)
        ax.text(QUEUE, BASE - 0.15, "queue", **{**label, "fontsize": FONT - 2, "weight": None})
        self.scale = TALLEST / most  # bar height per person waiting
        groups = [Patch(fc=c, label=g.name) for c, g in zip(cycle(GROUPS), self.scenario.groups)]
        self.bars = [
            ax.add_patch(Rectangle((QUEUE - 0.06, BASE), 0.12, 0, fc=p.get_facecolor(), zorder=2))
            for p in groups
        ]
        self.queue = ax.text(QUEUE, 0, "", **{**label, "fontsize": FONT, "va": "bottom"})
        box: dict[str, Any] = {**label, "fontsize": FONT, "va": "center", "zorder": 5}
        self.boxes = {c: ax.text(0, 0, "", **box) for c in self.convoys}
        states = [Patch(fc=COLOURS[s], ec="k", label=s) for s, _ in LEGS.values()]
        legend: dict[str, Any] = {
            "fontsize": FONT - 3,
            "title_fontsize": FONT - 2,
            "ncol": 2,
            "frameon": False,
        }
        left: dict[str, Any] = {"loc": "upper left", "bbox_to_anchor": (0.16, 1.02)}
        ax.add_artist(ax.legend(handles=groups, title="waiting", **left, **legend))
        ax.legend(handles=states, title="convoys", loc="upper right", **legend)

    def _chart(self, ax: Axes, trace: list[TraceEvent], end: float) -> None:
        """The cumulative evacuated line and the suspensions, both grown frame by frame."""
        clock_axis(ax, self.scenario)
        ax.set(xlim=(0, end), xlabel="", ylim=(0, 1.12 * self.scenario.people))
        ax.tick_params(labelsize=FONT - 4)
        ax.yaxis.set_major_locator(MaxNLocator(3))
        ax.yaxis.set_major_formatter("{x:,.0f}")
        ax.set_ylabel("evacuated", fontsize=FONT - 3)
        ax.axhline(self.scenario.people, c="0.5", ls="--", lw=1)
        (self.line,) = ax.plot([], [], c=MEDIAN, lw=2.5, drawstyle="steps-post")
        shade: dict[str, Any] = {"transform": ax.get_xaxis_transform(), "fc": SUSPENDED}
        shade |= {"alpha": 0.25, "lw": 0}
        self.spans = [
            (a, min(b, end), Rectangle((a, 0), 0, 1, **shade))
            for a, b, _ in trace_spans(self.scenario, trace)
        ]
        for _, _, patch in self.spans:
            ax.add_patch(patch)

    def update(self, t: float) -> None:
        """Move every artist to ``t`` hours from the start."""
        row = int(np.searchsorted(self.times, t, side="right"))
        now = self.scenario.shown(t)
        self.clock.set_text(now.strftime(CLOCK))  # as in the narration: Thu 15 Dec 14:30
        self.count.set_text(f"evacuated {self.evacuated[row]:,} of {self.scenario.people:,}")
        cause = next((n for s, n in reversed(self.notes) if s <= t), None)
        self.banner.set_color(ACTIVE if cause is None else SUSPENDED)
        self.cause.set_text(cause or "CEASEFIRE ACTIVE")
        y = BASE
        for bar, n in zip(self.bars, self.waiting[row], strict=True):
            bar.set(y=y, height=n * self.scale)
            y += n * self.scale
        self.queue.set(position=(QUEUE, y + 0.05), text=f"{self.waiting[row].sum():,}\nwaiting")
        stacked: dict[float, int] = {}  # convoys stopped at each place so far
        for c, box in self.boxes.items():
            place = convoy_position(self.convoys[c], t, self.typical)
            box.set_visible(place is not None)
            if place is None:
                continue
            y = place.lane
            if place.state in ("loading", "held", "inspection", "unloading"):  # stack them
                stacked[place.x] = stacked.get(place.x, -1) + 1
                y += stacked[place.x] * STACK
            people = "" if place.state == "return" else f" {self.convoys[c][0].people:,}"
            extra = f" {place.state}" if place.state in ("held", "turned back") else ""
            box.set(text=f"C{c + 1}{people}{extra}", position=(place.x, y), color=INK[place.state])
            alpha = 0.75 if place.state == "return" else 1.0  # empty vehicles, lighter
            box.set_bbox({**BOX, "fc": COLOURS[place.state], "alpha": alpha})
        xs, ys = np.r_[0.0, self.times[:row], t], self.evacuated[[*range(row + 1), row]]
        self.line.set_data(xs, ys)  # drawn as steps
        for a, b, patch in self.spans:
            patch.set_width(min(max(t - a, 0.0), b - a))
