"""Progress bars of long jobs: one look for every command and every notebook.

A bar is drawn with ``tqdm.auto``: in a terminal, on standard error and only when it is a
terminal (logs, pipes and tests see nothing); in a Jupyter notebook, as a widget (with
``ipywidgets``; plain text otherwise). Nothing is drawn unless the caller asks.
"""

from __future__ import annotations

from typing import Any

#: Seconds a job runs before its bar appears: quick jobs stay quiet.
DELAY = 0.5


def progress_bar(show: bool, *, total: int = 0, unit: str = "rep", desc: str | None = None) -> Any:
    """A tqdm bar, silent unless ``show`` and standard error is a terminal or a notebook.

    Parameters
    ----------
    show : bool
        Whether the caller wants a bar (``evacsim``'s commands: unless ``--quiet``).
    total : int
        Steps expected (0: unknown, or set later through ``bar.total``).
    unit : str
        What a step is: ``rep`` (a replication), ``frame``, ``trial``, ``point``...
    desc : str, optional
        The bar's label, e.g. the stage of the job.

    Returns
    -------
    tqdm.tqdm
        Use it as a context manager; ``update(n)`` after each ``n`` steps.
    """
    from tqdm.auto import tqdm

    return tqdm(
        total=total,
        unit=unit,
        unit_scale=unit == "rep",
        desc=desc,
        disable=None if show else True,
        delay=DELAY,
    )
