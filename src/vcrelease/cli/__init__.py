"""The ``vcrelease`` and ``vc-upload`` commands: :func:`main` and :func:`upload_main` run them
in a program of one's own; the console scripts are :mod:`vcrelease.scripts`'s.

The top of the data flow (``docs/architecture.md``): one module per command, each importing
what it runs only when it runs.
"""

from __future__ import annotations

from .main import main, upload_main

__all__ = ["main", "upload_main"]
