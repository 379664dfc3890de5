"""``python -m vcrelease``: the ``vcrelease`` command."""

import sys

from .cli import main

sys.exit(main())
