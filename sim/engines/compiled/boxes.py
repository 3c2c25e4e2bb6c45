"""The compiled loop's state and constants as numba structures passed by reference.

A named tuple of arrays would reach each compiled function as its arrays' every field,
hundreds of arguments a call; a structure reference is one pointer. :func:`boxed` wraps
:class:`~sim.engines.compiled.layout.State` and
:class:`~sim.engines.compiled.layout.Constants` for :func:`sim.engines.compiled.loop.advance`;
the arrays are shared, not copied.
"""

from __future__ import annotations

from numba.core import types
from numba.experimental import structref

from sim.engines.compiled.layout import Constants, State


@structref.register
class StateType(types.StructRef):
    """The numba type of a boxed :class:`~sim.engines.compiled.layout.State`."""

    def preprocess_fields(self, fields):
        return tuple((name, types.unliteral(typ)) for name, typ in fields)


@structref.register
class ConstantsType(types.StructRef):
    """The numba type of boxed :class:`~sim.engines.compiled.layout.Constants`."""

    def preprocess_fields(self, fields):
        return tuple((name, types.unliteral(typ)) for name, typ in fields)


class StateBox(structref.StructRefProxy):
    """A :class:`~sim.engines.compiled.layout.State` the compiled loop takes by reference."""


class ConstantsBox(structref.StructRefProxy):
    """:class:`~sim.engines.compiled.layout.Constants` the compiled loop takes by reference."""


structref.define_proxy(StateBox, StateType, list(State._fields))
structref.define_proxy(ConstantsBox, ConstantsType, list(Constants._fields))


def boxed(state: State, shared: Constants) -> tuple[StateBox, ConstantsBox]:
    """``state`` and ``shared`` for the compiled loop."""
    return StateBox(*state), ConstantsBox(*shared)
