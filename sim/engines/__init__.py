"""The simulation engines: ``des`` (SimPy, the reference) and, later, ``vector`` (batch)."""
