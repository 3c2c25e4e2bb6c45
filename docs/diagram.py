"""Draw the process-flow diagram of docs/model.md: the convoy cycle and the ceasefire.

Run ``python docs/diagram.py`` from the repository root (or anywhere) to rewrite
``docs/figures/process_flow.png``. The figure is a plain matplotlib ``Figure`` on the Agg
canvas; no pyplot state is used. Coordinates are inches from the bottom-left corner.
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Polygon

OUT = Path(__file__).resolve().parent / "figures" / "process_flow.png"
WIDTH, HEIGHT, DPI = 14.6, 11.0, 150  # inches, inches, dots per inch
FONT = 15  # points: box text; notes and arrow labels are a little smaller
BOX_W, BOX_H = 2.0, 1.0  # inches

# Fill colours by role (text is always black).
PEOPLE, CONVOY, ROAD, VEHICLES = "#c6dbef", "#c7e9c0", "#e5e5e5", "#fdd0a2"
DECIDE, STOP, NOTE = "#fff3b0", "#fcbba1", "#f7f7f7"
ACTIVE, SUSPENDED = "#a1d99b", "#fc9272"

# Column and row centres of the convoy cycle (inches).
C1, C2, C3, C4, C5, C6 = 1.1, 3.45, 5.75, 8.05, 10.35, 13.1
R0, R1, R2, R3, R4 = 9.95, 8.4, 6.95, 5.5, 4.0
SIDE_W = 1.85  # width of the hold and turn-back boxes
BELOW = 3.05  # the lane under the bottom row, for vehicles coming back from a turn-back
RIGHT = 14.35  # the lane right of the hold and turn-back boxes


def box(ax, x, y, text, color, w=BOX_W, h=BOX_H, size=FONT, weight="normal", align="center"):
    """A rounded box centred at (x, y) with its text; returns its edges for arrows."""
    ax.add_patch(
        FancyBboxPatch(
            (x - w / 2, y - h / 2),
            w,
            h,
            boxstyle="round,pad=0.02,rounding_size=0.12",
            facecolor=color,
            edgecolor="#333333",
            linewidth=1.6,
        )
    )
    tx = x if align == "center" else x - w / 2 + 0.15
    ax.text(tx, y, text, ha=align, va="center", fontsize=size, weight=weight, linespacing=1.2)
    return {"l": (x - w / 2, y), "r": (x + w / 2, y), "t": (x, y + h / 2), "b": (x, y - h / 2)}


def diamond(ax, x, y, text, w=2.3, h=1.35):
    """A decision diamond centred at (x, y); returns its four corners."""
    corners = [(x - w / 2, y), (x, y + h / 2), (x + w / 2, y), (x, y - h / 2)]
    ax.add_patch(
        Polygon(corners, closed=True, facecolor=DECIDE, edgecolor="#333333", linewidth=1.6)
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=FONT - 1, linespacing=1.15)
    return {"l": corners[0], "t": corners[1], "r": corners[2], "b": corners[3]}


def arrow(ax, *points, label="", at=0, offset=(0.0, 0.0), dashed=False, color="#222222"):
    """An arrow along straight segments through ``points``; ``label`` beside segment ``at``."""
    style = (0, (5, 3)) if dashed else "solid"
    for a, b in zip(points[:-2], points[1:-1], strict=False):
        ax.plot(
            [a[0], b[0]],
            [a[1], b[1]],
            color=color,
            linewidth=2,
            linestyle=style,
            solid_capstyle="butt",
        )
    ax.add_patch(
        FancyArrowPatch(
            points[-2],
            points[-1],
            arrowstyle="-|>",
            mutation_scale=22,
            color=color,
            linewidth=2,
            linestyle=style,
            shrinkA=0,
            shrinkB=1,
        )
    )
    if label:
        (x0, y0), (x1, y1) = points[at], points[at + 1]
        ax.text(
            (x0 + x1) / 2 + offset[0],
            (y0 + y1) / 2 + offset[1],
            label,
            ha="center",
            va="center",
            fontsize=FONT - 2,
            style="italic",
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.5},
        )


def convoy_cycle(ax) -> None:
    """People and vehicles meet at the pickup; convoys go round the loop."""
    ax.text(0.2, 10.75, "Convoy cycle", fontsize=FONT + 5, weight="bold", va="center")
    ax.text(
        2.95,
        10.75,
        "(one convoy loads at a time; its vehicles move together)",
        fontsize=FONT - 1,
        va="center",
        color="#444444",
    )

    arrive = box(ax, C1, R0, "People arrive\nat the pickup", PEOPLE, w=1.8)
    queue = box(
        ax,
        C2,
        R0,
        "Queue at the pickup:\nby priority, then first\ncome, first served",
        PEOPLE,
        w=2.15,
        h=1.05,
        size=FONT - 1.5,
    )
    forms = box(ax, C2, R1, "Convoy forms:\npeople board\nidle vehicles", CONVOY)
    loading = box(ax, C3, R1, "Loading\n(slowest vehicle)", CONVOY)
    wait = box(
        ax, C4, R1, "Wait for headway\nand ceasefire;\nheld if suspended", CONVOY, size=FONT - 0.5
    )
    to_cp = box(ax, C5, R1, "To checkpoint", ROAD)
    inspect = box(ax, C5, R2, "Inspection\n(incident →\nsuspension)", ROAD)
    suspended = diamond(ax, C5, R3, "Ceasefire\nsuspended?", w=2.0)
    reception = box(ax, C5, R4, "To reception:\nevacuated", ROAD, weight="bold")
    unloading = box(ax, C4, R4, "Unloading\n(slowest vehicle)", CONVOY)
    back = box(ax, C3, R4, "Return trip", ROAD)
    idle = box(ax, C2, R4, "Vehicles idle\nat the pickup", VEHICLES)
    fleet = box(
        ax, C1, R4, "Vehicles\narrive\n(available_at)", VEHICLES, w=1.8, h=1.1, size=FONT - 1
    )
    turn = box(ax, C6, R2, "Turn back:\ndrive back as\nfar as it came", STOP, w=SIDE_W, h=1.1)
    hold = box(ax, C6, R4, "Held aboard\nat the\ncheckpoint", STOP, w=SIDE_W, h=1.1)

    box(
        ax,
        1.2,
        6.95,
        "Convoy forms only if\n• ceasefire active\n• no convoy loading\n• fewer than\n"
        "  max_in_corridor\n  on the road\n• ≥ min_vehicles, or\n"
        "  it takes everyone\n  waiting, or idle\n  ≥ max_wait hours",
        NOTE,
        w=2.1,
        h=3.4,
        size=FONT - 2,
        align="left",
    )
    box(
        ax,
        (C2 + C5) / 2,
        (R2 + R3) / 2 + 0.05,
        "While the ceasefire is suspended\n"
        "• no convoy forms or departs\n"
        "• convoys past the checkpoint go on\n"
        "• hold (default): a convoy is held aboard\n"
        "   when ready to leave, or after inspection\n"
        "• turn_back: every convoy not yet past\n"
        "   the checkpoint turns back at once",
        NOTE,
        w=4.65,
        h=2.1,
        size=FONT - 1.5,
        align="left",
    )

    arrow(ax, arrive["r"], queue["l"])
    arrow(ax, queue["b"], forms["t"], label="people", offset=(0.0, 0.02))
    arrow(ax, forms["r"], loading["l"])
    arrow(ax, loading["r"], wait["l"])
    arrow(ax, wait["r"], to_cp["l"])
    arrow(ax, to_cp["b"], inspect["t"])
    arrow(ax, inspect["b"], suspended["t"])
    arrow(ax, suspended["b"], reception["t"], label="no", offset=(-0.3, 0))
    arrow(ax, reception["l"], unloading["r"])
    arrow(ax, unloading["l"], back["r"])
    arrow(ax, back["l"], idle["r"])
    arrow(ax, fleet["r"], idle["l"])
    arrow(ax, idle["t"], forms["b"], label="vehicles", offset=(0.0, 0.4))

    # A suspension: hold at the checkpoint, or turn back.
    split = C6 - 0.45
    ax.plot([suspended["r"][0], split], [R3, R3], color="#222222", linewidth=2)
    ax.text(
        suspended["r"][0] + 0.3,
        R3 + 0.22,
        "yes",
        ha="center",
        va="center",
        fontsize=FONT - 2,
        style="italic",
    )
    arrow(ax, (split, R3), (split, turn["b"][1]))
    arrow(ax, (split, R3), (split, hold["t"][1]))
    ax.text(
        split - 0.12,
        R3 + 0.62,
        "turn_back",
        ha="right",
        va="center",
        fontsize=FONT - 2,
        style="italic",
    )
    ax.text(
        split - 0.12, R3 - 0.45, "hold", ha="right", va="center", fontsize=FONT - 2, style="italic"
    )
    arrow(ax, (C6 + 0.45, hold["t"][1]), (C6 + 0.45, turn["b"][1]), label="max_hold")
    arrow(ax, hold["l"], reception["r"])
    ax.text(
        (hold["l"][0] + reception["r"][0]) / 2,
        R4 + 0.25,
        "resumed",
        ha="center",
        va="center",
        fontsize=FONT - 3,
        style="italic",
    )
    arrow(
        ax,
        wait["t"],
        (C4, R1 + 0.85),
        (split, R1 + 0.85),
        (split, turn["t"][1]),
        label="held at the pickup longer than max_hold",
        at=1,
        dashed=True,
    )
    # People go back to the queue; vehicles go back to idle.
    arrow(
        ax,
        (C6 + 0.45, turn["t"][1]),
        (C6 + 0.45, R0),
        queue["r"],
        label="people rejoin the queue",
        at=1,
        offset=(0.9, 0),
    )
    arrow(
        ax,
        turn["r"],
        (RIGHT, R2),
        (RIGHT, BELOW),
        (C2, BELOW),
        idle["b"],
        label="vehicles back at the pickup",
        at=2,
        offset=(0.9, 0),
    )


def ceasefire(ax) -> None:
    """The ceasefire state machine: active and suspended."""
    ax.plot([0.2, WIDTH - 0.2], [2.6, 2.6], color="#999999", linewidth=1)
    ax.text(0.2, 2.2, "Ceasefire", fontsize=FONT + 5, weight="bold", va="center")
    ax.text(
        2.35,
        2.2,
        "(starts active at hour 0; the convoy rules above read its state)",
        fontsize=FONT - 1,
        va="center",
        color="#444444",
    )
    active = box(ax, 1.1, 1.0, "ACTIVE", ACTIVE, w=1.8, h=0.9, size=FONT + 2, weight="bold")
    stopped = box(
        ax, WIDTH - 1.4, 1.0, "SUSPENDED", SUSPENDED, w=2.2, h=0.9, size=FONT + 2, weight="bold"
    )
    arrow(
        ax,
        (active["r"][0], 1.22),
        (stopped["l"][0], 1.22),
        label="breach (breach_rate per hour while active) · incident at inspection · "
        "a scheduled window starts",
        offset=(0, 0.3),
    )
    arrow(
        ax,
        (stopped["l"][0], 0.78),
        (active["r"][0], 0.78),
        label="the window ends, or negotiation + guarantee have passed "
        "(a window starting meanwhile may extend it)",
        offset=(0, -0.3),
    )


def draw() -> Figure:
    """The whole diagram as a Figure."""
    fig = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, WIDTH)
    ax.set_ylim(0, HEIGHT)
    ax.set_axis_off()
    convoy_cycle(ax)
    ceasefire(ax)
    return fig


def main() -> Path:
    """Write the PNG and return its path."""
    OUT.parent.mkdir(parents=True, exist_ok=True)
    draw().savefig(OUT, dpi=DPI, facecolor="white", metadata={"Software": None})
    return OUT


if __name__ == "__main__":
    print(main())
