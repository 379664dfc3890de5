"""vcrelease's own version at build time: ``[tool.hatch.version] source = "code"``.

hatchling loads this file with ``search-paths = ["src"]``, so vcrelease versions itself with
the code of this checkout (not an installed copy) and its ``[tool.vcrelease]`` table: the
exact version on a tag, ``0.x.devN`` between releases, ``PKG-INFO`` in an sdist, and
``fallback-version`` without git. Anything else that stops the core (a shallow clone whose
cut hides the tag, a dependency missing under ``--no-isolation``) gives
:data:`FALLBACK_VERSION` and a line on stderr: building vcrelease never fails for its version.
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["FALLBACK_VERSION", "__version__"]

FALLBACK_VERSION = "0.0.0"  # as [tool.vcrelease] fallback-version in pyproject.toml
ROOT = Path(__file__).resolve().parent.parent


def _version() -> str:
    try:
        from vcrelease.version.resolve import resolve_version

        return resolve_version(ROOT).version
    except Exception as error:  # any failure: the build goes on with the fallback
        message = getattr(error, "message", None) or f"{type(error).__name__}: {error}"
        print(f"vcrelease's own version: {message}; using {FALLBACK_VERSION}", file=sys.stderr)
        return FALLBACK_VERSION


__version__ = _version()
