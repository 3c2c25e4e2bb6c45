"""The installed version of evacsim, read from the package's metadata.

A module of its own so that ``import sim`` does not pay for importlib.metadata (~50 ms):
``sim.__version__`` imports it when first read.
"""

from __future__ import annotations

from importlib import metadata

try:
    __version__ = metadata.version("evacsim")
except metadata.PackageNotFoundError:  # a checkout on sys.path that was never installed
    __version__ = "0+unknown"
