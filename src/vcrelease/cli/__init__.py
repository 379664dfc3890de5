"""The ``vcrelease`` and ``vc-upload`` commands (console scripts ``vcrelease.cli:main`` and
``vcrelease.cli:upload_main``).

The top of the data flow (``docs/architecture.md``): one module per command, each importing
what it runs only when it runs.
"""

from __future__ import annotations

from .main import main, upload_main

__all__ = ["main", "upload_main"]
