"""``evacsim serve``: the what-if page in a browser."""

from __future__ import annotations

import argparse


def handle(args: argparse.Namespace) -> int:
    from sim.face.page import serve  # the page's libraries are an optional extra

    serve(args.scenario, args.host, args.port, args.library)  # until Ctrl-C
    return 0
