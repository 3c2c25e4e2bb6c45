"""The sections of a scenario file, a module each: ``read_<section>`` reads one.

Each reads its section through :class:`~sim.inputs.schema.Table`, so unknown keys, wrong types
and out-of-range values fail with the file, the key and what is allowed.
:func:`~sim.inputs.loader.load_scenario` calls them in order and checks what spans sections.
"""
