"""The page's state: a base scenario, the levers moved, the seed and the replications.

Every state is a URL query, ``?base=aleppo_2016&seed=2016&reps=1000&fleet.buses.count=60``:
the keys with a dot are levers (:mod:`sim.face.page.levers`) and their values are TOML text,
as after ``evacsim run --set``. A state resolves to two scenarios read by the same loader and
schema as files, so a bad value gives the same one-line error. A what-if is written back as
a scenario file that ``extends`` the base and sets only the changed keys, with the
``evacsim compare`` command that gives the page's numbers.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.errors import ScenarioError
from sim.face.page.levers import changed
from sim.inputs.library import library_root, locate
from sim.inputs.loader import load_scenario
from sim.inputs.scenario import Scenario
from sim.inputs.sources import parse_toml, toml_text, toml_value

#: Most replications one request may ask for (each scenario), and the fewest.
MAX_REPS, MIN_REPS = 5_000, 10
#: Replications of the refined answer unless the URL says, and of the first checkpoint of
#: a precision (sim.face.page.progress: it doubles from there).
FIRST_REPS, DEFAULT_REPS = 300, 1000
#: Largest scenario file the page accepts, bytes.
MAX_UPLOAD = 256 * 1024
#: Keys of the query that are not levers.
FIELDS = ("base", "seed", "reps", "precision", "metric", "rep", "client", "seq", "after")
#: What-ifs kept parsed (a class moving to the same setting parses it once).
MOST_WHATIFS = 256


@dataclass(frozen=True)
class State:
    """What the page shows, as its URL says it.

    Attributes
    ----------
    base : str
        A scenario of the :class:`Library`, by its name there.
    settings : dict of str to str
        Lever key -> TOML text of the value.
    seed : int or None
        None: the base's ``run.seed``.
    reps : int
        Replications of the refined answer (the first answer uses fewer).
    metrics : tuple of str
        Metrics of the table; empty: the page's choice.
    precision : float or None
        With a precision the page doubles the replications (up to ``MAX_REPS``) until the
        first metric's paired 95% CI half-width is within this share of its base mean.
    """

    base: str
    settings: dict[str, str] = field(default_factory=dict)
    seed: int | None = None
    reps: int = DEFAULT_REPS
    metrics: tuple[str, ...] = ()
    precision: float | None = None

    @classmethod
    def from_query(cls, query: Mapping[str, str], metrics: list[str], default: str) -> State:
        """The state of a URL query (``metrics``: its repeated ``metric`` values).

        Raises
        ------
        ScenarioError
            A seed or replication count that is not a whole number in range.
        """
        settings = {k: v for k, v in query.items() if "." in k}
        unknown = [k for k in query if k not in settings and k not in FIELDS]
        if unknown:
            raise ScenarioError("page", unknown[0], f"unknown field; allowed: {', '.join(FIELDS)}")
        seed = whole(query["seed"], "seed", 0, 2**63 - 1) if query.get("seed") else None
        reps = whole(query.get("reps", str(DEFAULT_REPS)), "reps", MIN_REPS, MAX_REPS)
        precision = _share(query["precision"]) if query.get("precision") else None
        base = query.get("base") or default
        return cls(base, settings, seed, reps, tuple(metrics), precision)


def whole(text: str, key: str, least: int, most: int) -> int:
    """A whole number of the query in ``least .. most``.

    Raises
    ------
    ScenarioError
        Naming the query's key, for anything else.
    """
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or not least <= value <= most:
        raise ScenarioError("page", key, f"must be a whole number {least}..{most:,}, got {text!r}")
    return value


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value < 1:
        raise ScenarioError(
            "page", "precision", f"must be a share in (0, 1), e.g. 0.01, got {text!r}"
        )
    return value


class Library:
    """The scenario files the page offers: a folder's files that validate, and uploads.

    Names are as ``evacsim scenarios`` lists them: a file's path in the folder without
    ``.toml`` (``aleppo_2016``, ``what-if/double_fleet``).

    Parameters
    ----------
    root : Path, optional
        Searched recursively for ``*.toml`` files that load as scenarios (sweep and targets
        files do not, and are left out); the bundled library by default.
    first : Path, optional
        A scenario to offer first (``evacsim serve SCENARIO``), wherever it lives.

    The files are read once, when the library is made (a slider move parses only the
    what-if's ``--set`` values, and a what-if seen before not even those): to see an edited
    file, restart the page.
    """

    def __init__(self, root: Path | None = None, first: Path | None = None):
        root = library_root() if root is None else root
        self.files: dict[str, Path] = {}
        self.scenarios: dict[str, Scenario] = {}
        self.whatifs: OrderedDict[tuple[str, tuple[str, ...]], Scenario] = OrderedDict()
        self._uploads = Path(tempfile.mkdtemp(prefix="evacsim-page-"))
        if first is not None:
            first = locate(first)
            opening = load_scenario(first)  # a bad file given on the command line: the user's
        candidates = sorted(root.rglob("*.toml")) if root.is_dir() else []
        for path in candidates:
            try:
                scenario = load_scenario(path)
            except ScenarioError:
                continue
            name = path.relative_to(root).with_suffix("").as_posix()
            self.files[name], self.scenarios[name] = path, scenario
        if first is not None:
            known = [n for n, p in self.files.items() if p.resolve() == first.resolve()]
            name = known[0] if known else first.stem
            self.files = {name: first, **{n: p for n, p in self.files.items() if n != name}}
            self.scenarios[name] = opening
        if not self.files:
            raise ScenarioError(str(root), "", "no scenario file found for the page")
        self.default = next(iter(self.files))

    def path(self, name: str) -> Path:
        """The file of a scenario of the library.

        Raises
        ------
        ScenarioError
            For a name the library does not have (the page never opens other paths).
        """
        if name not in self.files:
            raise ScenarioError("page", "base", f"no scenario {name!r} in the page's library")
        return self.files[name]

    def scenario(self, name: str) -> Scenario:
        """A scenario of the library, as read when it was added.

        Raises
        ------
        ScenarioError
            For a name the library does not have.
        """
        self.path(name)
        return self.scenarios[name]

    def whatif(self, name: str, overrides: list[str]) -> Scenario:
        """A scenario of the library with the page's ``KEY=VALUE`` settings, parsed once per
        setting.

        Raises
        ------
        ScenarioError
            A value the schema refuses (naming ``page`` and the key, the page's field).
        """
        if not overrides:
            return self.scenario(name)
        key = (name, tuple(overrides))
        if key not in self.whatifs:
            self.whatifs[key] = load_scenario(self.path(name), overrides, "page")
            while len(self.whatifs) > MOST_WHATIFS:
                self.whatifs.popitem(last=False)
        self.whatifs.move_to_end(key)
        return self.whatifs[key]

    def upload(self, filename: str, content: bytes) -> str:
        """Keep an uploaded scenario file if it validates; return its library name.

        The name is ``upload/<digest>/<filename>``: the same file uploaded by a whole class
        is one entry. An upload must be a whole scenario: one that ``extends`` a file is
        refused, as an absolute path would let a visitor read the server's files (an error
        naming a line, a key or a value of ``/etc/...``).

        Raises
        ------
        ScenarioError
            Too large, not UTF-8, or not a valid scenario (the loader's error).
        """
        stem = Path(filename or "upload.toml").name
        if not stem.endswith(".toml") or not stem[:-5].replace("-", "_").isidentifier():
            stem = "upload.toml"
        if len(content) > MAX_UPLOAD:
            raise ScenarioError(stem, "", f"larger than {MAX_UPLOAD // 1024} KB")
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            raise ScenarioError(stem, "", "not UTF-8 text") from None
        if "extends" in parse_toml(text, stem):  # an absolute one would read the server's files
            raise ScenarioError(
                stem, "extends", "an upload must be a whole scenario: it cannot extend a file "
                "on the server (the page's own scenarios are in its list)"
            )  # fmt: skip
        digest = hashlib.sha256(content).hexdigest()[:16]
        name = f"upload/{digest}/{stem}"
        if name not in self.files:
            folder = self._uploads / digest
            folder.mkdir(exist_ok=True)
            path = folder / stem
            path.write_bytes(content)
            try:
                scenario = load_scenario(path)
            except ScenarioError as error:
                path.unlink()
                raise ScenarioError(stem, error.key, error.message) from None
            self.files[name], self.scenarios[name] = path, scenario
        return name


@dataclass(frozen=True)
class WhatIf:
    """A state resolved: the base, the what-if and what differs between them.

    Attributes
    ----------
    base, whatif : Scenario
    changes : dict of str to Any
        Lever key -> value, only where the what-if differs from the base.
    seed : int
    """

    base: Scenario
    whatif: Scenario
    changes: dict[str, Any]
    seed: int

    @property
    def overrides(self) -> list[str]:
        """The changes as ``--set`` expressions."""
        return [f"{k}={toml_value(v)}" for k, v in self.changes.items()]

    @property
    def file_name(self) -> str:
        """The what-if file's suggested name, saved beside the base's file."""
        return f"{Path(self.base.path).stem}-whatif.toml"

    def scenario_file(self, reps: int) -> str:
        """The what-if as a scenario file that ``extends`` the base, only changed keys set."""
        tree: dict[str, Any] = {}
        for key, value in self.changes.items():
            *tables, last = key.split(".")
            node = tree
            for part in tables:
                node = node.setdefault(part, {})
            node[last] = value
        said = "; ".join(f"{k} = {toml_value(v)}" for k, v in self.changes.items()) or "none"
        head = [
            f"# A what-if of {self.base.name} written by the evacsim page: only the changed keys.",
            f"# Save it beside {Path(self.base.path).name}; the page's numbers come from",
            f"#   {self.command(reps)}",
            *self._bundled_hint(),
            f'extends = "{Path(self.base.path).name}"',
            f"name = {json.dumps(f'{self.base.name}_whatif')}",
            f"description = {json.dumps(f'{self.base.name} with: {said}')}",
        ]
        body = toml_text(tree).rstrip("\n") if tree else ""
        return "\n".join(head) + ("\n\n" + body if body else "") + "\n"

    def _bundled_hint(self) -> list[str]:
        """For a base from an installed library: how to get a copy to save the file beside."""
        base = Path(self.base.path).resolve()
        root = library_root().resolve()
        if not base.is_relative_to(root) or (root.parent / "pyproject.toml").is_file():
            return []  # a checkout's scenarios/, or the user's own file
        folder = base.parent.relative_to(root).as_posix()
        where = "DIR/scenarios" + ("" if folder == "." else f"/{folder}")
        return [f"# (A bundled scenario: `evacsim init DIR` copies it; save this file in {where}.)"]

    def command(self, reps: int) -> str:
        """The ``evacsim compare`` command that gives the same paired differences, from the
        folder the page was started in."""
        base = Path(os.path.relpath(Path(self.base.path).resolve()))
        if base.parts[:1] == ("..",):
            base = Path(self.base.path).resolve()
        return (
            f"evacsim compare {base.as_posix()} {(base.parent / self.file_name).as_posix()} "
            f"--reps {reps} --seed {self.seed}"
        )


def resolve(state: State, library: Library) -> WhatIf:
    """The base and what-if scenarios of a state, validated by the scenario schema.

    Raises
    ------
    ScenarioError
        An unknown base or lever, or a value the schema refuses (naming ``--set`` and the
        key, as on the command line).
    """
    base = library.scenario(state.base)
    changes = changed(base, state.settings)
    whatif = library.whatif(state.base, [f"{k}={toml_value(v)}" for k, v in changes.items()])
    return WhatIf(base, whatif, changes, base.seed if state.seed is None else state.seed)
