"""Worker processes that never outlive the run that started them.

A pool's workers are stopped when the run ends by an error or an interruption (Ctrl-C,
SIGTERM, SIGHUP: see :func:`stop_on_signals`), rather than left to finish chunks nobody
will read; and each worker watches its parent, so a parent killed outright (SIGKILL, the
OOM killer) takes its workers with it within :data:`WATCH_SECONDS`. A worker holds the
stops back from its fork until its own handlers are set (:func:`stops_held`).
"""

from __future__ import annotations

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

    pool = _Pool(workers, initializer=watch_parent, initargs=(os.getpid(),))
    try:
        yield pool
    except BaseException:
        stop(pool)
        raise
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
