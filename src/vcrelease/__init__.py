"""vcrelease: git-derived PEP 440 versions, Docker tags and safe uploads.

Importing this package is cheap: it pulls in no git, HTTP or rendering library.

``__version__`` is the installed distribution's version (its metadata), looked up on first
use; vcrelease's own builds set it from its git tags (``src/_vcrelease_self_version.py``).
"""

from __future__ import annotations

__all__ = ["__version__"]

#: The version when vcrelease runs without its distribution's metadata (a bare source tree).
UNKNOWN_VERSION = "0.0.0"


def __getattr__(name: str) -> str:
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("vcrelease")
        except PackageNotFoundError:
            found = UNKNOWN_VERSION
        globals()["__version__"] = found
        return found
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
