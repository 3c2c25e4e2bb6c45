"""``python -m sim``: the ``evacsim`` command."""

import sys

from sim.cli import main

sys.exit(main())
