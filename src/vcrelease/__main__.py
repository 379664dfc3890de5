"""``python -m vcrelease``: the ``vcrelease`` command."""

import sys

from .cli.main import main

sys.exit(main())
