"""numba's cache of an earlier evacsim that numba cannot read (it names a structure type
that is gone) is removed and the loop compiled anew, not a traceback
(``sim.engines.compiled.cache``): reproduced with a small module and a real numba cache."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("numba")

MODULE = """
from numba import njit
from numba.core import types
from numba.experimental import structref


@structref.register
class {name}(types.StructRef):
    pass


class Box(structref.StructRefProxy):
    pass


structref.define_proxy(Box, {name}, ["x"])


@njit(cache=True)
def read(box):
    return box.x
"""

CALL = """
import sys
sys.path.insert(0, sys.argv[1])
import boxes
from sim.engines.compiled.cache import forget, read_by_numba
try:
    print(boxes.read(boxes.Box(2.5)))
except Exception as error:
    assert read_by_numba(error), error
    print("removed", forget(boxes.read))
    print(boxes.read(boxes.Box(2.5)))
"""


def test_a_cache_naming_a_type_that_is_gone_is_removed_and_compiled_anew(tmp_path):
    def call() -> list[str]:
        done = subprocess.run(
            [sys.executable, "-c", CALL, str(tmp_path)], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.split("\n")[:-1]

    (tmp_path / "boxes.py").write_text(textwrap.dedent(MODULE.format(name="OldType")))
    assert call() == ["2.5"]  # compiled, and cached
    (tmp_path / "boxes.py").write_text(textwrap.dedent(MODULE.format(name="NewType")))
    first, second = call()  # the index names OldType: numba cannot read it
    assert first.startswith("removed ") and int(first.split()[1]) >= 2
    assert second == "2.5"
    assert call() == ["2.5"]  # the new cache reads
