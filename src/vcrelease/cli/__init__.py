"""The ``vcrelease`` and ``vc-upload`` commands (console scripts ``vcrelease.cli:script_main``
and ``vcrelease.cli:script_upload_main``; :func:`main` and :func:`upload_main` run them in a
program of one's own).

The top of the data flow (``docs/architecture.md``): one module per command, each importing
what it runs only when it runs.
"""

from __future__ import annotations

from .main import main, script_main, script_upload_main, upload_main

__all__ = ["main", "script_main", "script_upload_main", "upload_main"]
