"""``python -m sim.cli``: the ``evacsim`` command."""

import sys

from sim.cli import main

sys.exit(main())
