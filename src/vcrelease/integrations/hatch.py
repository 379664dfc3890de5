"""hatchling plugins: a version source and a build hook, both named ``vcrelease``.

Version source (the version of every target, from git)::

    [tool.hatch.version]
    source = "vcrelease"

Build hook (writes ``version-file`` from ``[tool.vcrelease]`` into the sdist and the wheel)::

    [tool.hatch.build.hooks.vcrelease]

The hook renders the file into a temporary directory and hands it to hatchling through
``build_data["force_include"]``: the source tree is not written to, so the work tree stays
clean (``git status --porcelain`` shows nothing new). Editable wheels (``version ==
"editable"``) import the package from the source tree: there the file is written into the
work tree, where git ignores it (:mod:`vcrelease.integrations.editable`).

Settings live in ``[tool.vcrelease]``; the hatch tables take no options.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface
from hatchling.plugin import hookimpl
from hatchling.version.source.plugin.interface import VersionSourceInterface
from packaging.version import Version

from vcrelease.errors import VcreleaseError

from . import BuildError, commit_id, fail, resolve, version_file_text

__all__ = [
    "VcreleaseBuildHook",
    "VcreleaseVersionSource",
    "hatch_register_build_hook",
    "hatch_register_version_source",
]

PLUGIN_NAME = "vcrelease"


class VcreleaseVersionSource(VersionSourceInterface):
    """``[tool.hatch.version] source = "vcrelease"``: the version from git (or a fallback)."""

    PLUGIN_NAME = PLUGIN_NAME

    def get_version_data(self) -> dict[str, Any]:
        """``{"version": <PEP 440 version>}``; a ``BuildError`` (exit) when there is none."""
        result = resolve(Path(self.root))
        # As the setuptools plugin logs it: the version and where it came from, on stderr
        # (a version source has no hatchling ``app`` to display through).
        print(f"vcrelease: version {result.version} (from {result.source})", file=sys.stderr)
        return {"version": result.version}

    def set_version(self, version: str, version_data: dict[str, Any]) -> None:
        """Refused: with vcrelease the version is a git tag, not a value in a file."""
        raise BuildError(
            f"cannot set the version to {version!r}: vcrelease reads it from git tags. "
            f"Tag the commit instead (git tag v{version}).",
            2,
        )


class VcreleaseBuildHook(BuildHookInterface[Any]):
    """``[tool.hatch.build.hooks.vcrelease]``: the version file in the built artifacts."""

    PLUGIN_NAME = PLUGIN_NAME

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._tmpdir: str | None = None

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Render the version file and add it to ``build_data["force_include"]``.

        Args:
            version: the target's build version (``standard``, ``editable``), not the
                project's version.
            build_data: hatchling's mutable build data.
        """
        root = Path(self.root)
        result = resolve(root)
        relative = result.config.version_file
        if relative is None:
            raise BuildError(
                f"the vcrelease build hook is enabled ([tool.hatch.build.hooks.vcrelease] in "
                f"{root / 'pyproject.toml'}) but [tool.vcrelease] names no version-file. Add "
                'version-file = "src/<package>/_version.py" to [tool.vcrelease], or remove '
                "the hook's table.",
                2,
            )
        # The version source may be another one (a static version): the file states the
        # version hatchling builds, and a commit id only when that version is ours.
        project_version = self.metadata.version
        same = Version(project_version) == Version(result.version)
        try:
            text = version_file_text(
                root,
                relative,
                project_version,
                commit_id(result) if same else None,
                result.config.version_file_template,
                result.describe if same else None,
            )
        except VcreleaseError as error:
            fail(error)
        editable = self.target_name == "wheel" and version == "editable"
        if editable or result.config.write_to_source:
            # Editable: the package is imported from the source tree, so the file goes there,
            # where git ignores it (as hatch-vcs leaves it), rewritten on every editable
            # install. write-to-source: kept in the checkout on every build, likewise.
            from .editable import write_editable_version_file

            written = write_editable_version_file(root, relative, text, self.app.display_warning)
            if written is not None:
                self.app.display_debug(f"vcrelease: wrote {written}")
            if editable:
                return
        distribution_path = self.build_config.get_distribution_path(relative)
        if self.target_name == "wheel" and "/" not in distribution_path.replace("\\", "/"):
            # A top-level file would land in site-packages itself: sdist only, as with
            # setuptools (only files inside a package go into the wheel).
            self.app.display_info(
                f"vcrelease: version-file {relative} is not inside a package; it goes into "
                "the sdist only, not into the wheel"
            )
            return

        self._cleanup()
        self._tmpdir = tempfile.mkdtemp(prefix="vcrelease-")
        source = Path(self._tmpdir, Path(relative).name)
        source.write_text(text, encoding="utf-8")
        build_data["force_include"][str(source)] = distribution_path
        self.app.display_debug(f"vcrelease: version file {distribution_path} ({project_version})")

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        """Remove the temporary directory once the artifact is written."""
        self._cleanup()

    def _cleanup(self) -> None:
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None


@hookimpl
def hatch_register_version_source() -> type[VersionSourceInterface]:
    """hatchling's hook: the ``vcrelease`` version source."""
    return VcreleaseVersionSource


@hookimpl
def hatch_register_build_hook() -> type[BuildHookInterface[Any]]:
    """hatchling's hook: the ``vcrelease`` build hook."""
    return VcreleaseBuildHook
