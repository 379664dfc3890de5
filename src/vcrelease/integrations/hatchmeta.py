"""hatchling metadata hook ``vcrelease``: sibling pins in the built metadata (issue 16)::

    [project]
    dynamic = ["version", "dependencies"]

    [tool.hatch.metadata.hooks.vcrelease]

    [tool.vcrelease]
    tag-prefix = "pkg-a-v"
    pin-siblings = true
    dependencies = ["pkg-b", "requests>=2"]

The hook sets ``dependencies`` to ``[tool.vcrelease] dependencies`` with each sibling pinned
to its version at this commit (:mod:`vcrelease.integrations.pins`). A module of its own (its
own ``hatch`` entry point) so the version source's module stays as it is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.metadata.plugin.interface import MetadataHookInterface
from hatchling.plugin import hookimpl

from . import BuildError, pyproject_or_none
from .pins import pinned

__all__ = ["VcreleaseMetadataHook", "hatch_register_metadata_hook"]


class VcreleaseMetadataHook(MetadataHookInterface):
    """``[tool.hatch.metadata.hooks.vcrelease]``: ``dependencies`` with siblings pinned."""

    PLUGIN_NAME = "vcrelease"

    def update(self, metadata: dict[str, Any]) -> None:
        """Set ``metadata["dependencies"]``; a ``BuildError`` (exit) when that cannot be done."""
        root = Path(self.root)
        dependencies = pinned(root, pyproject_or_none(root) or {})
        if dependencies is None:
            raise BuildError(
                f"the vcrelease metadata hook is enabled ([tool.hatch.metadata.hooks.vcrelease] "
                f"in {root / 'pyproject.toml'}) but [tool.vcrelease] does not set pin-siblings. "
                "Set pin-siblings = true (or a list of names), or remove the hook's table.",
                2,
            )
        metadata["dependencies"] = dependencies


@hookimpl
def hatch_register_metadata_hook() -> type[MetadataHookInterface]:
    """hatchling's hook: the ``vcrelease`` metadata hook."""
    return VcreleaseMetadataHook
