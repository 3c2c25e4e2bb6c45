"""Worker processes that never outlive the run that started them.

A pool's workers are stopped when the run ends by an error or an interruption (Ctrl-C,
SIGTERM, SIGHUP: see :func:`stop_on_signals`), rather than left to finish chunks nobody
will read; and each worker watches its parent, so a parent killed outright (SIGKILL, the
OOM killer) takes its workers with it within :data:`WATCH_SECONDS`. A worker holds the
stops back from its fork until its own handlers are set (:func:`stops_held`).

A worker also starts with two habits that spare it work the kernel and Python would
otherwise repeat chunk after chunk (:func:`start_worker`, :func:`worker_pool`): the
parent's objects frozen out of its garbage collections, and freed memory kept for reuse.
"""

from __future__ import annotations

import ctypes
import gc
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported with the first pool: `evacsim --help` needs only the signals
    from concurrent.futures import Future, ProcessPoolExecutor

#: How often a worker checks that its parent is alive, seconds.
WATCH_SECONDS = 1.0
#: glibc's ``mallopt`` parameters, and the size below which a worker's allocations come
#: from (and go back to) its heap, bytes: above a chunk's largest arrays.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, HEAP_ALLOCATIONS = -1, -3, 2**30


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, handled as Ctrl-C is: what was being computed is dropped.

    Attributes
    ----------
    signum : int
    """

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


#: After how long a stop that Python had to drop is sent again, seconds.
RESEND_SECONDS = 0.05


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP (``timeout``, systemd, ``docker stop``, Slurm, a
    closed terminal) raise :class:`Terminated` in the main thread, so they clean up as
    Ctrl-C does; the previous handlers come back after it. Off the main thread, a no-op.

    A signal can land while Python runs code whose exceptions it can only print, not
    raise: an object's finaliser, or a fork hook outside :func:`worker_pool` (whose forks
    hold the stops back, :func:`stops_held`). The stop would then be lost (the run went
    on, wrote its folder and exited 0, after a traceback). Within the block such a dropped
    stop, Ctrl-C's included, is sent again :data:`RESEND_SECONDS` later, until it lands in
    the run's own code.
    """

    def handler(signum, frame):
        raise Terminated(signum)

    def dropped(unraisable) -> None:  # sys.unraisablehook's signature
        stop = unraisable.exc_value
        if not isinstance(stop, KeyboardInterrupt):
            hook(unraisable)
            return
        signum = getattr(stop, "signum", signal.SIGINT)
        resend = threading.Timer(RESEND_SECONDS, os.kill, (os.getpid(), signum))
        resend.daemon = True
        resend.start()

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGHUP)}
    hook, sys.unraisablehook = sys.unraisablehook, dropped
    try:
        yield
    finally:
        sys.unraisablehook = hook
        for signum, action in previous.items():
            signal.signal(signum, action)


#: The signals that stop a run (Ctrl-C, SIGTERM, SIGHUP).
STOPS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@contextmanager
def stops_held() -> Iterator[None]:
    """Within the block, this thread holds the stop signals back: one that arrives is
    delivered as the block ends. A process forked within it starts with them held.

    A worker just forked runs with its parent's handlers until :func:`watch_parent` sets
    its own: a stop in that window (the run's own stop terminating it, or Ctrl-C, which
    reaches the whole group) raised in the worker, which printed a traceback.
    """
    held = signal.pthread_sigmask(signal.SIG_BLOCK, STOPS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def start_worker(parent: int) -> None:
    """Run in each worker as it starts: :func:`watch_parent`, then
    :func:`keep_freed_memory`."""
    watch_parent(parent)
    keep_freed_memory()


def keep_freed_memory() -> None:
    """Let this process's C allocator keep the large blocks it frees, for the next ones.

    By default glibc gives a large allocation (over 128 KiB, rising to at most 32 MiB as
    such blocks are freed) its own pages from the kernel, and gives them back when it is
    freed; so most of a batch-engine chunk's arrays are fresh pages the kernel zeroes on
    first touch: ~38,000 page faults and ~0.1 s of system time a chunk of 20,000 replications
    (~5 us a replication). Up to :data:`HEAP_ALLOCATIONS` they come from the heap instead,
    which keeps what is freed for the next chunk: 3 page faults a chunk. The worker's peak
    memory stays what it was. A no-op where the C library is not glibc.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        mallopt = ctypes.CDLL(None).mallopt  # this process's C library
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return
    mallopt(M_MMAP_THRESHOLD, HEAP_ALLOCATIONS)
    mallopt(M_TRIM_THRESHOLD, HEAP_ALLOCATIONS)


def watch_parent(parent: int) -> None:
    """Run in each worker as it starts: leave the interruption to the parent, and exit
    as soon as ``parent`` has gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)  # a fork inherits the parent's handlers
    # forked with the stops held (see worker_pool): one sent since lands now, as set above
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOPS)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(WATCH_SECONDS)
        os._exit(1)  # the parent is gone: nobody reads what this worker computes

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


@contextmanager
def worker_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """A process pool whose workers watch this process and are stopped if the block fails.

    On a normal exit the pool shuts down as usual; on an error or an interruption its
    queued work is cancelled and its workers are terminated at once.
    """
    from concurrent.futures import ProcessPoolExecutor

    class _Pool(ProcessPoolExecutor):
        def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
            # workers are forked here, and by the pool's thread, which is started here too
            with stops_held():
                return super().submit(fn, *args, **kwargs)

    # the objects this process holds (the modules, numba's compiled loop) are frozen out of
    # the garbage collector while its workers are forked: a worker's collections neither
    # walk them (~6% of its CPU) nor write to their pages, which it then shares with this
    # process rather than copies (the gc module's advice for fork)
    gc.freeze()
    pool = _Pool(workers, initializer=start_worker, initargs=(os.getpid(),))
    try:
        yield pool
    except BaseException:
        stop(pool)
        raise
    finally:
        gc.unfreeze()  # this process collects them again as before
    pool.shutdown(wait=True)


def stop(pool: ProcessPoolExecutor) -> None:
    """Cancel a pool's queued work and terminate its workers without waiting for them."""
    workers = list((pool._processes or {}).values())  # no public way to reach them
    pool.shutdown(wait=False, cancel_futures=True)
    for process in workers:
        if process.is_alive():
            process.terminate()
    for process in workers:
        process.join(timeout=5)
