"""Loading the compiled loop in a process: from numba's cache, or compiled anew.

numba keeps each compiled function beside its source (in ``__pycache__``, or under
``NUMBA_CACHE_DIR``), with an index of the types it was compiled for. An index left by
an earlier evacsim (pip leaves these files behind on an upgrade) can name a structure
type that is gone: numba then fails to read it (pickle's ``AttributeError``) instead of
finding it stale and compiling anew. :func:`load` runs one replication before a process's
first compiled batch; if numba fails so, the cache is removed and the loop compiled anew
(about a minute of CPU, once).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

#: Whether this process (or the one it was forked from) has loaded the compiled loop.
_loaded = False


def load(replicate: Callable[[], object]) -> None:
    """Load the compiled loop, once a process (a forked worker finds it loaded), by
    ``replicate``: a run of one replication in the compiled loop. A cache numba cannot read
    is removed and ``replicate`` run again, compiling the loop."""
    global _loaded
    if _loaded:
        return
    _loaded = True  # the replication below runs the compiled loop, which loads no further
    from sim.engines.compiled.loop import advance

    try:
        replicate()
    except (AttributeError, ImportError) as error:
        if not read_by_numba(error):
            raise
        removed = forget(advance)
        log.warning("numba's cache of an earlier evacsim removed (%d files): compiling", removed)
        replicate()


def read_by_numba(error: BaseException) -> bool:
    """Whether ``error`` was raised reading one of numba's cache indices."""
    tb = error.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_name == "_load_index" and Path(code.co_filename).match("numba/core/caching.py"):
            return True
        tb = tb.tb_next
    return False


def forget(dispatcher) -> int:
    """Remove numba's cache files in the folder of ``dispatcher``'s (one of this package's
    compiled functions: the folder holds all of theirs); how many."""
    folder = Path(dispatcher._cache._cache_path)  # numba's, no public way to it
    files = [*folder.glob("*.nbi"), *folder.glob("*.nbc")]
    for path in files:
        path.unlink(missing_ok=True)
    return len(files)
