"""vcrelease: git-derived PEP 440 versions, Docker tags and safe uploads.

Importing this package is cheap: it pulls in no git, HTTP or rendering library.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
