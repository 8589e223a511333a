"""``python -m boilerkit``: the same as the ``boilerkit`` command."""

import sys

from .cli import main

sys.exit(main())
