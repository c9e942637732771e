"""``python -m sgd_tui``: the same as the ``sgd-tui`` command."""

import sys

from sgd_tui.cli import main

sys.exit(main())
