"""The CI provider's environment -> a frozen :class:`BuildContext` (pure: no I/O).

Below every stage (``docs/architecture.md``): it imports nothing else of vcrelease but
:mod:`vcrelease.errors` (its URL rule, :func:`vcrelease.errors.strip_credentials`).
``values`` holds the shared value rules, ``providers`` the eight providers' readers, ``context``
the record and the ladder that classifies a build.
"""

from __future__ import annotations

from .context import DETECTION_VARIABLES, BuildContext

__all__ = ["DETECTION_VARIABLES", "BuildContext"]
