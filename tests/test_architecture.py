"""The package's shape, read from its imports: the one-way flow of docs/architecture.md.

Every import counts, at the top of a module, inside a function or under TYPE_CHECKING.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

SIM = Path(__file__).resolve().parent.parent / "sim"
#: What each stage may import besides itself, sim.errors and sim.version: the stages before it. The
#: scenario holds the model's values (distributions, weather) and the model's rules read the
#: scenario, so inputs and model are one foundation (the modules still make no circle).
ALLOWED = {
    "inputs": {"model"},
    "model": {"inputs"},
    "engines": {"inputs", "model", "outputs.records"},
    "outputs": {"inputs", "model"},
}
#: The model's pieces that make decisions: a view that needs a reason reads it in the trace.
DECISIONS = {"sim.model.boarding", "sim.model.daylight", "sim.model.lane", "sim.model.periods"}
#: Views that tell one replication from its trace (and the scenario for names and numbers).
TRACE_READERS = ("sim.views.narrate", "sim.views.animate")


@cache
def graph() -> dict[str, set[str]]:
    """Module -> the sim modules it imports."""
    files = {}
    for path in SIM.rglob("*.py"):
        parts = path.relative_to(SIM.parent).with_suffix("").parts
        files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    imports: dict[str, set[str]] = {}
    for module, path in files.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*up, base] if base else up)
                found |= {base} | {f"{base}.{alias.name}" for alias in node.names}
        imports[module] = {name for name in found if name in files and name != module}
    return imports


def stage(module: str) -> str:
    """``sim.engines.des`` -> ``engines``; ``sim.cli`` -> ``cli``."""
    return module.split(".")[1] if module.count(".") else ""


def reachable(module: str) -> set[str]:
    seen, todo = set(), [module]
    while todo:
        for name in graph()[todo.pop()] - seen:
            seen.add(name)
            todo.append(name)
    return seen


def test_the_graph_sees_the_package():
    g = graph()
    assert "sim.engines.des" in g["sim.studies.runner"]
    assert "sim.outputs.records" in g["sim.views.narrate"]


@pytest.mark.parametrize("name", sorted(ALLOWED))
def test_early_stages_import_only_earlier_ones(name):
    allowed = ALLOWED[name] | {name, "errors", "version"}  # two leaves every stage may read
    for module, imported in graph().items():
        if stage(module) != name:
            continue
        for other in imported:
            ok = stage(other) in allowed or any(
                other == f"sim.{a}" or other.startswith(f"sim.{a}.") for a in allowed
            )
            assert ok, f"{module} imports {other}: {name} may import only {sorted(allowed)}"


def test_views_import_no_engine_and_no_decision():
    for module, imported in graph().items():
        if stage(module) == "views":
            bad = {m for m in imported if stage(m) == "engines" or m in DECISIONS}
            assert not bad, f"{module} imports {sorted(bad)}: views read a run's records"


@pytest.mark.parametrize("module", TRACE_READERS)
def test_narration_and_animation_read_the_trace_only(module):
    reached = reachable(module)
    bad = {m for m in reached if stage(m) in ("engines", "studies") or m in DECISIONS}
    assert not bad, f"{module} reaches {sorted(bad)}"


def test_no_import_circles():
    for module in graph():
        circle = sorted(m for m in reachable(module) if module in reachable(m))
        assert not circle, f"{module} imports itself through {circle}"
