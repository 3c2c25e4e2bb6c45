"""How a worker process starts: the parent's objects frozen out of its garbage collections
while the pool lives (and collected again by the parent after), and large freed blocks
kept by the worker's allocator for the next chunk (``sim.studies.processes``)."""

from __future__ import annotations

import gc
import subprocess
import sys

import pytest

from sim.studies.processes import worker_pool


def frozen_in_worker(_: int) -> int:
    return gc.get_freeze_count()


def test_the_parents_objects_are_frozen_in_its_workers_and_thawed_after():
    assert gc.get_freeze_count() == 0
    with worker_pool(2) as pool:
        counts = list(pool.map(frozen_in_worker, range(4)))
    assert min(counts) > 1000  # the modules, their functions: everything imported
    assert gc.get_freeze_count() == 0


#: Page faults of allocating, filling and freeing 64 MiB (above glibc's own largest
#: threshold, 32 MiB) three times, then three times more after ``keep_freed_memory``: run in
#: a process of its own, so the setting stays there.
FAULTS = """
import ctypes, resource
from sim.studies.processes import keep_freed_memory
libc = ctypes.CDLL(None)
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
def faults(times, size=64 * 2**20):
    start = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(times):
        block = libc.malloc(size)
        ctypes.memset(block, 1, size)
        libc.free(block)
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - start
before = faults(3)
keep_freed_memory()
faults(1)  # the heap grows once
print(before, faults(3))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_a_large_freed_block_is_reused_not_given_back_to_the_kernel():
    done = subprocess.run([sys.executable, "-c", FAULTS], capture_output=True, text=True)
    before, after = map(int, done.stdout.split())
    pages = 64 * 2**20 // 4096
    if before < 3 * pages * 0.9:
        pytest.skip("this allocator reuses large blocks by itself")
    assert after < pages * 0.01
