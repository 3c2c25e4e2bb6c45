"""What the command line's arguments may be: the types the parser reads them with.

Each raises :class:`argparse.ArgumentTypeError`, which argparse prints as one line with
exit status 2, like a scenario's mistakes."""

from __future__ import annotations

import argparse

#: The engines ``--engine`` accepts: the keys of :data:`sim.studies.runner.ENGINES`, named
#: here so that the parser does not import the engines (tests/test_imports.py checks both).
ENGINE_NAMES = ("vector", "des")


def assignment(text: str) -> str:
    """A ``--set`` value: KEY=VALUE in one argument."""
    if "=" not in text:
        raise argparse.ArgumentTypeError(
            f"expected KEY=VALUE in one argument, e.g. --set fleet.buses.count=40, got {text!r}"
        )
    return text


def positive(text: str) -> int:
    """A whole number >= 1: replications, workers, a port."""
    value = seed(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


def fraction(text: str) -> float:
    """A number strictly between 0 and 1: a precision."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, e.g. 0.02, got {text}")
    return value


def seed(text: str) -> int:
    """A whole number >= 0: a seed, a replication number."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {text}")
    return value
