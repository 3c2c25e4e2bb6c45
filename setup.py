"""Build configuration that pyproject.toml cannot state: the scenario library in the wheel.

The library stays in the repository's top-level ``scenarios/`` folder, where users and the
docs find it; the wheel carries it as ``sim/scenarios/`` (with the workshop's handout,
``docs/workshop.md``), so a pip install can run ``evacsim run aleppo_2016`` from anywhere.
Every other setting is in pyproject.toml.
"""

import sys
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

LIBRARY = Path("scenarios")


class BuildWithHandout(build_py):
    """``build_py`` that also puts the workshop's handout beside the bundled library."""

    def run(self) -> None:
        super().run()
        if not self.editable_mode:  # an editable install reads docs/ in the checkout
            target = Path(self.build_lib) / "sim" / "scenarios" / "workshop.md"
            self.copy_file("docs/workshop.md", str(target))


# Every folder of the library is a package of data (no code), so that setuptools ships its
# files without asking whether it was meant to be importable.
folders = sorted(p for p in [LIBRARY, *LIBRARY.rglob("*")] if p.is_dir())
library = {".".join(("sim", *p.parts)): p.as_posix() for p in folders}
# An editable install reads scenarios/ in the checkout (sim.inputs.library); with the plain
# layout it is a path entry, where a mapped folder would need an import hook (and a banner).
if "editable_wheel" in sys.argv:
    library = {}
# The page's static files are data folders inside the package, shipped the same way.
STATIC = Path("sim/face/page/static")
static = [".".join(p.parts) for p in sorted([STATIC, *STATIC.rglob("*")]) if p.is_dir()]

setup(
    packages=[*find_packages(include=["sim", "sim.*"]), *static, "sim.inputs.probes", *library],
    package_dir={"": ".", **library},
    package_data={
        "sim": ["py.typed"],
        **{name: ["*"] for name in static},  # the page's HTML, script and uPlot
        **{name: ["*.toml", "*.json"] for name in library},  # the files and their schemas
        "sim.inputs.probes": ["*.toml"],  # what `evacsim schema` reads besides the library
    },
    cmdclass={"build_py": BuildWithHandout},
)
