"""``python -m vfx_nodes`` is ``vfx-style``."""

import sys

from .cli.main import main

sys.exit(main())
