"""hatchling metadata hook ``vcrelease``: sibling pins in the built metadata::

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

It also takes hatch-vcs' metadata hook option ``urls`` (hatch-vcs' README, "Metadata hook"):
``[project] urls`` with ``{commit_hash}`` replaced by the full id of the commit the version
comes from (``dynamic`` must list ``"urls"``)::

    [tool.hatch.metadata.hooks.vcrelease.urls]
    source_archive = "https://github.com/org/repo/archive/{commit_hash}.zip"

In an unpacked sdist hatchling reads the URLs from ``PKG-INFO`` and the hook keeps them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.metadata.plugin.interface import MetadataHookInterface
from hatchling.plugin import hookimpl

from . import BuildError, commit_id, pyproject_or_none, resolve
from .pins import pinned

__all__ = ["VcreleaseMetadataHook", "hatch_register_metadata_hook"]


class VcreleaseMetadataHook(MetadataHookInterface):
    """``[tool.hatch.metadata.hooks.vcrelease]``: ``dependencies`` with siblings pinned."""

    PLUGIN_NAME = "vcrelease"

    def update(self, metadata: dict[str, Any]) -> None:
        """Set ``metadata["dependencies"]`` and ``metadata["urls"]``; a ``BuildError`` (exit)
        when that cannot be done."""
        root = Path(self.root)
        urls = self.config.get("urls")
        if urls is not None:
            self._urls(root, urls, metadata)
        dependencies = pinned(root, pyproject_or_none(root) or {})
        if dependencies is None:
            if urls is not None:
                return
            raise BuildError(
                f"the vcrelease metadata hook is enabled ([tool.hatch.metadata.hooks.vcrelease] "
                f"in {root / 'pyproject.toml'}) but [tool.vcrelease] does not set pin-siblings "
                "and the hook sets no urls. Set pin-siblings = true (or a list of names), or "
                "remove the hook's table.",
                2,
            )
        metadata["dependencies"] = dependencies

    def _urls(self, root: Path, urls: object, metadata: dict[str, Any]) -> None:
        """``metadata["urls"]``: ``urls`` with ``{commit_hash}`` filled in."""
        where = f"[tool.hatch.metadata.hooks.vcrelease] urls in {root / 'pyproject.toml'}"
        if not isinstance(urls, dict) or not all(isinstance(v, str) for v in urls.values()):
            raise BuildError(f"{where} must be a table of URL strings.", 2)
        if (root / "PKG-INFO").is_file() and "urls" in metadata:
            return  # an sdist: hatchling read them from PKG-INFO
        commit = commit_id(resolve(root))
        if commit is None:
            raise BuildError(
                f"{where} uses {{commit_hash}}, but the version did not come from a commit "
                "(a pretended version, PKG-INFO or fallback-version). Build from the git "
                "checkout, or set the commit with SETUPTOOLS_SCM_PRETEND_METADATA="
                "'{node=\"g<commit>\"}'.",
                2,
            )
        filled: dict[str, str] = {}
        for key, url in urls.items():
            try:
                filled[key] = str(url).format(commit_hash=commit)
            except (KeyError, IndexError, ValueError) as exc:
                raise BuildError(
                    f"{where}: {key} = {url!r} cannot be filled in ({exc}); the one field "
                    "is {commit_hash}.",
                    2,
                ) from None
        metadata["urls"] = filled


@hookimpl
def hatch_register_metadata_hook() -> type[MetadataHookInterface]:
    """hatchling's hook: the ``vcrelease`` metadata hook."""
    return VcreleaseMetadataHook
