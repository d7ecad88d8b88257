"""``python -m dramsim``: the ``dramsim`` command line (:mod:`dramsim.cli`)."""
import sys

from dramsim.cli import main

sys.exit(main())
