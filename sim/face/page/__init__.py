"""The what-if page: ``evacsim serve`` (docs/page.md).

A browser page on which a planner or a teacher moves the levers of a scenario and sees, in
about a second, the paired answer against the base on common random numbers: fan charts of
both, the paired differences with their 95% CIs and a line in words. It needs the ``page``
extra (``pip install 'evacsim[page]'``: Starlette and uvicorn); the chart is uPlot, vendored
in ``static/vendor/``.
"""

from __future__ import annotations

import socket
from pathlib import Path

from sim.errors import ScenarioError

#: The Python packages of the ``page`` extra, by import name.
NEEDS = ("starlette", "uvicorn")


def serve(
    scenario: str | Path | None = None,
    host: str = "127.0.0.1",
    port: int = 8050,
    library: str | Path | None = None,
    workers: int | None = None,
) -> None:
    """Serve the page until interrupted.

    Parameters
    ----------
    scenario : str or Path, optional
        The scenario the page opens with (a path or a bundled name); the library's first by
        default.
    host : str
        The address to listen on: this machine only by default; ``0.0.0.0`` lets a class on
        the same network reach it.
    port : int
    library : str or Path, optional
        Folder of scenario files offered on the page (those that validate); the bundled
        library by default.
    workers : int, optional
        Engine processes; one per core by default.

    Raises
    ------
    ScenarioError
        The page's libraries are not installed, the scenario is not valid, or the port is
        taken.
    """
    missing = [name for name in NEEDS if not _importable(name)]
    if missing:
        raise ScenarioError(
            "evacsim serve",
            "",
            f"needs {' and '.join(missing)}: pip install 'evacsim[page]' "
            "(or pip install -e '.[page]' in a checkout)",
        )
    import uvicorn

    from sim.face.page.app import create_app
    from sim.face.page.whatif import Library

    first = Path(scenario) if scenario is not None else None
    folder = Path(library) if library is not None else None
    pages = create_app(Library(folder, first), workers)
    with socket.socket() as probe:  # a taken port is a user's error, not a traceback
        try:
            probe.bind((host, port))
        except OSError as error:
            message = f"cannot listen on {host}: {error.strerror}"
            raise ScenarioError("--port", str(port), message) from None

    class Announced(uvicorn.Server):
        """A server that gives its address once it answers: after the page's warm-up (the
        workers' imports, the default base), so a class opening the link at once is not
        refused."""

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if not self.started:  # uvicorn has said why on standard error
                return
            print(f"evacsim page: http://{host}:{port}/  (Ctrl-C stops it)", flush=True)
            if host not in ("127.0.0.1", "localhost", "::1"):
                print(f"  reachable from the network: others open http://<this machine>:{port}/")

    Announced(uvicorn.Config(pages, host=host, port=port, log_level="warning")).run()


def _importable(name: str) -> bool:
    from importlib.util import find_spec

    return find_spec(name) is not None
