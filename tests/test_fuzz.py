"""A structure-aware fuzzer of scenario files.

Each case takes a real scenario (every ``extends`` resolved), mutates one to three of its
values by type (NaN, infinities, -0.0, huge and tiny numbers, wrong types, empty and
hostile strings, far-away date-times, deleted, duplicated or reordered tables and windows,
extreme rates), writes it as TOML and runs ``evacsim validate`` and, if it is valid,
``run --reps 2`` on both engines. A case fails on a traceback, an exit status other than 0
or 2, a hang, an error that is not one line or names no key, a run folder written for a
rejected file, or engines whose tables differ.

CI runs ``FUZZ_CASES`` cases (150 by default, a few CPU seconds); ``FUZZ_CASES=10000
pytest tests/test_fuzz.py`` runs more, and ``FUZZ_SEED`` picks another sequence. A failing
case is written to ``FUZZ_KEEP`` (default: the test's temporary folder) to replay by hand.
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import os
import random
import signal
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import BASELINE, SCENARIOS

from sim.cli import main
from sim.errors import ScenarioError
from sim.inputs.loader import load_scenario
from sim.inputs.sources import read_scenario_file
from sim.outputs.results import replications_csv, timeseries_csv, trace_csv
from sim.studies.runner import run

CASES = int(os.environ.get("FUZZ_CASES", "150"))
SEED = int(os.environ.get("FUZZ_SEED", "0"))
#: CPU seconds a case may take before it counts as a hang (the slowest valid ones take 4).
HANG_SECONDS = 30
#: Every how many valid cases the whole CLI run (folder, figures, report) is exercised.
FULL_RUN_EVERY = 50

SEEDS = [
    SCENARIOS / "workshop" / "deterministic.toml",
    SCENARIOS / "workshop" / "ceasefire.toml",
    SCENARIOS / "workshop" / "linked.toml",
    SCENARIOS / "what-if" / "linked_foua_kefraya.toml",
    BASELINE,
]


# -- TOML out --------------------------------------------------------------------------------


def toml_value(value: Any) -> str:
    """``value`` as a TOML value on one line (tables inline)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(type(value))


def toml_key(key: str) -> str:
    return json.dumps(key, ensure_ascii=False)


def toml_document(document: dict) -> str:
    return "".join(f"{toml_key(k)} = {toml_value(v)}\n" for k, v in document.items())


# -- mutations -------------------------------------------------------------------------------

HOSTILE_TEXT = [
    "",
    " ",
    "حلب\u200f",
    "../../x",
    "/etc",
    ".",
    "a\nb",
    "$x^2$ \\frac{1}{0}",
    "x" * 3000,
    "\0",
    "<script>",
    "名前",
    "-rf",
]
HUGE = [1e308, -1e308, 2**63 - 1, -(2**63), 10**9, 10**7 + 1, 3.4e38, 2**31, 2**53 + 1]
TINY = [5e-324, 1e-12, -1e-12, 1e-300, 0.1]
FAR = [
    datetime(9999, 12, 31, 23, 59, 59),
    datetime(1, 1, 1),
    datetime(1900, 1, 1),
    datetime(2016, 12, 15, 5, 0, 1),
    datetime(2017, 12, 15),
]


def mutate_number(rng: random.Random, value: float) -> Any:
    choice = rng.randrange(10)
    if choice == 0:
        return rng.choice([math.nan, math.inf, -math.inf, -0.0])
    if choice == 1:
        return rng.choice(HUGE)
    if choice == 2:
        return rng.choice(TINY)
    if choice == 3:
        return rng.choice(["3", True, [], {}, "", [value]])
    if choice == 4:
        return -value
    if choice == 5:
        return 0 if isinstance(value, int) else 0.0
    if choice == 6:
        return value * rng.choice([1000, 1e6]) if isinstance(value, float) else value * 1000
    if choice == 7:
        return value / rng.choice([1000, 1e6])
    if choice == 8:
        return float(value) if isinstance(value, int) else int(value)
    return value + rng.choice([1, -1])


def mutate_value(rng: random.Random, value: Any) -> Any:
    if isinstance(value, bool):
        return rng.choice([not value, 1, "true"])
    if isinstance(value, int | float):
        return mutate_number(rng, value)
    if isinstance(value, str):
        return rng.choice([*HOSTILE_TEXT, 1.5, value + value])
    if isinstance(value, datetime):
        return rng.choice([*FAR, "tomorrow", 1e9, value.isoformat() + "+02:00"])
    if isinstance(value, list):
        return mutate_list(rng, value)
    if isinstance(value, dict):
        return mutate_table(rng, value)
    return value


def mutate_list(rng: random.Random, items: list) -> Any:
    choice = rng.randrange(6)
    if choice == 0 or not items:
        return []
    if choice == 1:
        return [*items, copy.deepcopy(rng.choice(items))]  # a duplicate (overlapping window)
    if choice == 2:
        return list(reversed(items))  # out of order
    if choice == 3:
        return items[1:]
    if choice == 4:
        return [items]  # nested deeper
    i = rng.randrange(len(items))
    return [*items[:i], mutate_value(rng, items[i]), *items[i + 1 :]]


def mutate_table(rng: random.Random, table: dict) -> Any:
    choice = rng.randrange(5)
    if choice == 0 or not table:
        return rng.choice([{}, 1, "table"])
    keys = list(table)
    if choice == 1:
        return {k: v for k, v in table.items() if k != rng.choice(keys)}  # a key deleted
    if choice == 2:
        name = rng.choice(keys)  # a table duplicated under a new name
        return {**table, f"{name}_copy": copy.deepcopy(table[name])}
    if choice == 3:
        return {**table, rng.choice(["extra", "Count", "séats", "a b"]): 1}
    return table


def paths(node: Any, here: tuple = ()) -> list[tuple]:
    """Every key path in a document (list items by index)."""
    found = [here] if here else []
    if isinstance(node, dict):
        for k, v in node.items():
            found += paths(v, (*here, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            found += paths(v, (*here, i))
    return found


def mutated(rng: random.Random, document: dict) -> tuple[dict, list[str]]:
    """A copy of ``document`` with one to three values mutated, and what was done."""
    document = copy.deepcopy(document)
    done = []
    for _ in range(rng.choice([1, 1, 2, 3])):
        path = rng.choice(paths(document))
        parent = document
        for part in path[:-1]:
            parent = parent[part]
        old = parent[path[-1]]
        if rng.random() < 0.1 and isinstance(parent, dict):
            del parent[path[-1]]
            done.append(f"del {path}")
        else:
            parent[path[-1]] = mutate_value(rng, old)
            done.append(f"{path}: {str(old)[:40]!r} -> {str(parent[path[-1]])[:40]!r}")
    return document, done


# -- running a case --------------------------------------------------------------------------


@contextlib.contextmanager
def deadline(seconds: int):
    """Fail a case that takes more than ``seconds`` of CPU time (a hang); CPU time, not wall
    time, so a loaded machine does not make a slow case look like a hang."""

    def expired(signum, frame):
        raise TimeoutError(f"hang: more than {seconds} CPU seconds")

    previous = signal.signal(signal.SIGPROF, expired)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


@pytest.fixture(scope="module")
def documents() -> list[dict]:
    return [read_scenario_file(p).data for p in SEEDS]


def one_case(number: int, documents: list[dict], folder: Path, capsys) -> str:
    """Run case ``number``; return ``"valid"`` or ``"rejected"``, or fail."""
    rng = random.Random(f"{SEED}-{number}")
    document, done = mutated(rng, rng.choice(documents))
    path = folder / f"case{number}.toml"
    path.write_text(toml_document(document), encoding="utf-8")
    what = f"case {number} ({'; '.join(done)}), kept in {path}"
    capsys.readouterr()  # drop what earlier cases printed (plausibility warnings)
    with deadline(HANG_SECONDS):
        status = main(["validate", str(path)])
        err = capsys.readouterr().err
        assert status in (0, 2), what
        if status == 2:
            lines = err.splitlines()
            assert len(lines) == 1 and lines[0].startswith("evacsim: error: "), (what, err)
            with pytest.raises(ScenarioError) as info:
                load_scenario(path)
            assert info.value.key, (what, "names no key", err)
            out = folder / f"run{number}"
            assert main(["run", str(path), "--reps", "2", "--out", str(out)]) == 2, what
            capsys.readouterr()
            assert not out.exists(), (what, "a folder written for a rejected file")
            path.unlink()
            return "rejected"
        scenario = load_scenario(path)
        a = run(scenario, 2, engine="vector")
        b = run(scenario, 2, engine="des")
        for table in (replications_csv, timeseries_csv, trace_csv):
            assert table(a) == table(b), (what, f"engines differ in {table.__name__}")
        if number % FULL_RUN_EVERY == 0:
            out = folder / f"run{number}"
            assert main(["run", str(path), "--reps", "2", "--out", str(out)]) == 0, what
            capsys.readouterr()
            assert (out / "report.html").is_file(), what
    path.unlink()
    return "valid"


def test_fuzz_scenarios(documents, tmp_path: Path, capsys):
    keep = Path(os.environ.get("FUZZ_KEEP", tmp_path))
    keep.mkdir(parents=True, exist_ok=True)
    outcomes, failures = [], []
    for n in range(CASES):
        try:
            outcomes.append(one_case(n, documents, keep, capsys))
        except Exception as error:  # a traceback or a broken promise: keep going, report all
            failures.append(f"{type(error).__name__}: {str(error)[:300]}")
    valid = outcomes.count("valid")
    with capsys.disabled():
        print(f"\nfuzz: {CASES} cases, {valid} valid, {len(outcomes) - valid} rejected with one")
        print(f"line, {len(failures)} failed", *failures[:20], sep="\n")
    assert not failures
    # the mutations must reach both outcomes, or the fuzzer tests nothing
    assert 0.05 * CASES < valid < 0.95 * CASES
