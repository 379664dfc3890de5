"""Sibling pins for the build plugins (``[tool.vcrelease] pin-siblings``).

Both plugins call :func:`pinned`: the project's ``[tool.vcrelease] dependencies`` with each
sibling project of the same repository pinned to its version at this commit
(:func:`vcrelease.version.projects.pinned_dependencies`); None when ``pin-siblings`` is off.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import fail

__all__ = ["pinned"]


def pinned(project_dir: Path, pyproject: dict[str, Any]) -> list[str] | None:
    """The dependencies to build with, siblings pinned, or None when ``pin-siblings`` is off
    (or the project does not configure vcrelease). A core error stops the build."""
    tool = pyproject.get("tool", {})
    section = tool.get("vcrelease") if isinstance(tool, dict) else None
    if not isinstance(section, dict) or not section.get("pin-siblings"):
        return None  # the common case: nothing of the core imported
    from vcrelease.config import load_config
    from vcrelease.errors import VcreleaseError
    from vcrelease.version.projects import pinned_dependencies

    try:
        return pinned_dependencies(project_dir, pyproject, load_config(project_dir))
    except VcreleaseError as error:
        fail(error)
