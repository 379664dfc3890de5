"""``python -m vcrelease``: the ``vcrelease`` command."""

import sys

from .cli.main import script_main

sys.exit(script_main())
