"""``python -m vcrelease``: the ``vcrelease`` command."""

import sys

from .scripts import vcrelease

sys.exit(vcrelease())
