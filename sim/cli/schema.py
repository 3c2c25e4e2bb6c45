"""``evacsim schema``: the JSON Schemas of scenario, targets, sweep and study files, for editors."""

from __future__ import annotations

import argparse
from pathlib import Path


def handle(args: argparse.Namespace) -> int:
    if args.out is None:
        from sim.inputs.json_schema import scenario_schema, schema_text

        print(schema_text(scenario_schema()), end="")
        return 0
    from sim.studies.schemas import write_schemas

    for path in write_schemas(Path(args.out)):
        print(f"Schema: {path}")
    return 0
