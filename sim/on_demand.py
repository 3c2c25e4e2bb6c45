"""Public names a package imports only when first used (PEP 562).

``import sim`` loads no library: the scenario layer, the engines, the studies and their
libraries load when a name that needs them is first asked for. A package lists its names'
home modules and takes :func:`importer`'s function as its module ``__getattr__``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def importer(package: str, homes: Mapping[str, str]) -> Callable[[str], Any]:
    """The module ``__getattr__`` of ``package``.

    Parameters
    ----------
    package : str
        The package's module name (its ``__name__``).
    homes : mapping of str to str
        Each public name -> the module it is imported from on first use; the name is then
        kept in the package, so it is imported once.
    """

    def __getattr__(name: str) -> Any:
        if name not in homes:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(homes[name]), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
