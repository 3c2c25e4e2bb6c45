"""The page's answer to a what-if: fan charts, paired differences and a line in words.

Everything here is computed from the replications of the base and the what-if, 0 .. n-1 of
each on the same seed (common random numbers); the differences are those of ``evacsim
compare`` (:func:`sim.studies.paired.paired_difference`), so the page and the command give
the same numbers for the same settings, seed and replications.
"""

from __future__ import annotations

import math
from datetime import UTC
from typing import Any

import numpy as np

from sim.inputs.scenario import Scenario
from sim.outputs.metrics import percentiles
from sim.outputs.records import Replications, hours_grid
from sim.studies.paired import HEADLINE, paired_difference
from sim.studies.precision import within
from sim.views.wording import CLOCK

#: Percentiles of the fan chart: the 90% and 50% bands and the median.
FAN = (5, 25, 50, 75, 95)


def default_metrics(scenario: Scenario) -> list[str]:
    """The table's metrics unless the URL names others: people by each dated milestone,
    latest first (the line in words leads with it), then the comparison's headline metrics."""
    dated = [(m.at, m.name) for m in scenario.milestones if m.at is not None]
    dated.sort(key=lambda d: -d[0])
    return [*(f"evacuated_by_{name}" for _, name in dated), *HEADLINE]


def metric_label(scenario: Scenario, metric: str) -> tuple[str, str]:
    """What a metric is called on the page, and its unit."""
    when = {m.name: m for m in scenario.milestones}
    groups = [g.name for g in scenario.groups]
    rest = metric.removeprefix("evacuated_")
    if metric.startswith("evacuated_") and (rest.startswith("by_") or "_by_" in rest):
        who, _, name = ("", "", rest[3:]) if rest.startswith("by_") else rest.partition("_by_")
        m = when.get(name)
        moment = f" ({scenario.shown(m.at).strftime(CLOCK)})" if m and m.at is not None else ""
        return f"{who or 'people'} evacuated by {name.replace('_', ' ')}{moment}", "people"
    if metric.startswith("convoys_by_"):
        return f"convoys by {metric.removeprefix('convoys_by_').replace('_', ' ')}", "convoys"
    if metric.startswith("time_of_"):
        return f"time of {metric.removeprefix('time_of_').replace('_', ' ')}", "hours"
    if metric.startswith(("wait_mean_", "wait_p95_")):
        stat, group = metric.split("_", 2)[1:]
        return f"{group}: {'mean' if stat == 'mean' else '95th percentile'} wait", "hours"
    if metric.startswith("evacuated_") and metric.removeprefix("evacuated_") in groups:
        return f"{metric.removeprefix('evacuated_')} evacuated", "people"
    return LABELS.get(metric, (metric.replace("_", " "), ""))


LABELS = {
    "evacuated": ("people evacuated by the horizon", "people"),
    "arrived": ("people who reached the pickup", "people"),
    "waiting_at_end": ("people still waiting at the end", "people"),
    "aboard_at_end": ("people still aboard at the end", "people"),
    "convoys": ("convoys reaching reception", "convoys"),
    "convoys_departed": ("convoys departed", "convoys"),
    "turned_back": ("convoys turned back", "convoys"),
    "first_departure": ("first departure", "hours"),
    "last_departure": ("last departure", "hours"),
    "first_convoy_people": ("people in the first convoy", "people"),
    "clearance_time": ("time to clear the enclave", "hours"),
    "suspensions": ("suspensions", "suspensions"),
    "suspended_hours": ("hours suspended", "hours"),
    "breaches": ("breaches", "breaches"),
    "incidents": ("incidents", "incidents"),
    "wait_person_hours": ("waiting at the pickup", "person-hours"),
    "held_person_hours": ("waiting aboard held convoys", "person-hours"),
    "cold_person_hours": ("cold exposure", "person-hours"),
    "cold_harm": ("harm from cold (the scenario's assumed rate)", "people"),
    "utilisation": ("vehicle utilisation", "share"),
    "peak_queue": ("largest queue at the pickup", "people"),
    "linked_evacuated": ("people evacuated from the linked site", "people"),
    "linked_convoys": ("linked site's convoys", "convoys"),
    "linkage_paused_hours": ("hours paused by the linkage", "hours"),
    "linked_departed": ("people who left the linked site", "people"),
    "exchange_batches": ("batches exchanged at the meeting point", "batches"),
    "bridge_waits": ("convoys that waited at the meeting point", "convoys"),
    "bridge_wait_hours": ("hours convoys waited at the meeting point", "convoy-hours"),
    "linked_bridge_waits": ("linked convoys that waited at the meeting point", "convoys"),
    "linked_bridge_wait_hours": ("hours linked convoys waited there", "convoy-hours"),
}


def answer(
    base: Scenario,
    whatif: Scenario,
    before: Replications,
    after: Replications,
    metrics: list[str],
) -> dict[str, Any]:
    """The page's answer as JSON-ready data.

    Parameters
    ----------
    base, whatif : Scenario
    before, after : Replications
        Replications 0 .. n-1 of each, on the same seed. Each row of the table also has
        the 5th and 95th percentiles of the what-if's replications (the teaching view sets
        one replication against them).
    metrics : list of str
        The table's metrics; those a scenario lacks are left out.
    """
    rows = []
    for metric in metrics:
        if metric not in before.metrics or metric not in after.metrics:
            continue
        p = paired_difference(before.metrics[metric], after.metrics[metric])
        label, unit = metric_label(base, metric)
        values = after.metrics[metric]
        defined = values[~np.isnan(values)]
        spread = percentiles(defined, [5, 95]) if len(defined) else [math.nan, math.nan]
        rows.append(
            {"metric": metric, "label": label, "unit": unit}
            | _plain(p._asdict())
            | _plain({"whatif_p5": float(spread[0]), "whatif_p95": float(spread[1])})
        )
    hours = hours_grid(base)
    epoch = base.start.replace(tzinfo=UTC).timestamp()  # local clock shown as UTC
    return {
        "reps": before.reps,
        "x": [epoch + 3600 * h for h in hours],
        "people": base.people,
        "base": _fan(before),
        "whatif": _fan(after),
        "reported": [
            {
                "x": epoch + 3600 * r.at,
                "evacuated": r.evacuated,
                "low": r.low,
                "high": r.high,
                "source": r.source,
            }
            for r in base.reported
        ],
        "differences": rows,
        "words": words(base, rows),
    }


def precise(rows: list[dict[str, Any]], precision: float) -> bool:
    """Whether an answer is precise enough to stop refining: ``evacsim compare``'s rule
    (:data:`sim.studies.precision.PAIRED_RULE`) on the first metric, its paired 95% CI
    half-width at most ``precision`` times its base mean (in absolute value)."""
    if not rows or rows[0]["ci_low"] is None:
        return False
    first = rows[0]
    return within((first["ci_high"] - first["ci_low"]) / 2, first["base_mean"] or 0, precision)


def _fan(result: Replications) -> dict[str, list[float]]:
    """Percentiles of cumulative evacuated per hour, and the share of runs suspended."""
    bands = percentiles(result.series["evacuated"], FAN, axis=0)
    fan = {f"p{q}": bands[i].round(1).tolist() for i, q in enumerate(FAN)}
    fan["suspended"] = result.series["suspended"].mean(axis=0).round(3).tolist()
    return fan


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """Floats for JSON: NaN and infinities become None."""
    return {
        k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in values.items()
    }


def words(scenario: Scenario, rows: list[dict[str, Any]]) -> str:
    """The answer in a sentence: the first metric's paired difference with its 95% CI,
    then the change in cold exposure as a share, e.g. ``+1,240 people evacuated by halt
    (Fri 16 Dec 11:00) (95% CI +1,180 to +1,300); 38% less cold exposure``."""
    if not rows:
        return "No metric to compare."
    first = rows[0]
    parts = [_difference_phrase(first)]
    cold = next((r for r in rows if r["metric"] == "cold_person_hours"), None)
    if cold is not None and cold is not first:
        parts.append(_share_phrase(cold, "cold exposure"))
    return "; ".join(parts) + "."


def _difference_phrase(row: dict[str, Any]) -> str:
    d, low, high = row["difference"], row["ci_low"], row["ci_high"]
    unit = row["unit"]
    if d is None:
        return f"{row['label']}: undefined in every replication"
    what = row["label"].removeprefix("people ") if unit == "people" else row["label"]
    amount = f"{_signed(d, unit)} {unit}" if unit in ("people", "convoys") else _signed(d, unit)
    if low is None:
        return f"{amount} {what}" if unit in ("people", "convoys") else f"{what} {amount}"
    ci = f"95% CI {_signed(low, unit)} to {_signed(high, unit)}"
    if low <= 0 <= high:
        return f"no clear change in {row['label']} ({_signed(d, unit)}, {ci})"
    if unit in ("people", "convoys"):
        return f"{amount} {what} ({ci})"
    return f"{what} {amount} ({ci})"


def _share_phrase(row: dict[str, Any], name: str) -> str:
    d, base, low, high = row["difference"], row["base_mean"], row["ci_low"], row["ci_high"]
    if d is None or not base:
        return f"{name} unchanged" if d == 0 else f"{name}: no base value to compare"
    if low is not None and low <= 0 <= high:
        return f"{name} about the same"
    share = abs(d) / abs(base)
    return f"{share:.0%} {'less' if d < 0 else 'more'} {name}"


def _signed(value: float, unit: str) -> str:
    """``+1,240``, ``−3.5 h``: a difference with its sign (a true minus sign)."""
    if unit in ("people", "convoys", "person-hours", "suspensions", "breaches", "incidents"):
        text = f"{abs(value):,.0f}"
    elif unit == "hours":
        text = f"{abs(value):,.1f} h"
    else:
        text = f"{abs(value):.3g}"
    if text.strip("0.,h ") == "":
        return text
    return ("+" if value > 0 else "\u2212") + text
