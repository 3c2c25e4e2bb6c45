"""``evacsim schema``: the JSON Schema of scenario files, for editors."""

from __future__ import annotations

import argparse
from pathlib import Path


def handle(args: argparse.Namespace) -> int:
    from sim.inputs.json_schema import write_schemas

    if args.out is None:
        from sim.inputs.json_schema import scenario_schema, schema_text

        print(schema_text(scenario_schema()), end="")
        return 0
    for path in write_schemas(Path(args.out)):
        print(f"Schema: {path}")
    return 0
