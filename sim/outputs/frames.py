"""Results in a notebook: pandas DataFrames (an optional extra) and small HTML tables.

pandas is an optional extra (``pip install 'evacsim[frames]'``); nothing else needs it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from html import escape
from types import ModuleType

from sim.outputs.metrics import Summary

#: Rows of an HTML repr before it says how many more there are.
MOST_ROWS = 100


def pandas() -> ModuleType:
    """The pandas module.

    Raises
    ------
    ImportError
        Saying how to install it, when it is missing.
    """
    try:
        import pandas
    except ImportError:
        raise ImportError(
            "DataFrames need pandas, which evacsim does not install by default: "
            "pip install 'evacsim[frames]' (or pip install pandas)"
        ) from None
    return pandas


def html_table(
    caption: str, header: Sequence[str], rows: Iterable[Sequence[object]], units: str = ""
) -> str:
    """A small HTML table for ``_repr_html_``: numbers right-aligned and rounded."""
    body = []
    rows = list(rows)
    for row in rows[:MOST_ROWS]:
        cells = "".join(
            f'<td style="text-align:right">{_cell(c)}</td>'
            if isinstance(c, int | float)
            else f"<td>{escape(str(c))}</td>"
            for c in row
        )
        body.append(f"<tr>{cells}</tr>")
    if len(rows) > MOST_ROWS:
        body.append(f'<tr><td colspan="{len(header)}">… {len(rows) - MOST_ROWS} more</td></tr>')
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    note = f"<p><small>{escape(units)}</small></p>" if units else ""
    return (
        f"<div><p><b>{escape(caption)}</b></p><table><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>{note}</div>"
    )


def summary_rows(summaries: Iterable[Summary]) -> list[list[object]]:
    """Rows of metric, n, mean, 95% CI and p5-p95 for :func:`html_table`."""
    return [[s.metric, s.n, s.mean, s.ci_low, s.ci_high, s.p5, s.p95] for s in summaries]


SUMMARY_HEADER = ("metric", "n", "mean", "95% CI low", "95% CI high", "p5", "p95")
UNITS = (
    "Units: people for counts, hours from the start for moments, hours for durations, "
    "person-hours for waiting and exposure."
)


def _cell(value: float) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "–"
    if isinstance(value, int) or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
