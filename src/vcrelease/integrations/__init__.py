"""Thin adapters between vcrelease's core and the build backends (setuptools, hatchling).

What the two adapters share lives here. Importing this package must stay cheap: the setuptools
hook is imported by every setuptools build in an environment where vcrelease is installed, also
for projects that do not use it. So this module uses the standard library only, and the core
(dulwich, vcs-versioning) is imported inside the functions that need it, once a project has
opted in.
"""

from __future__ import annotations

import ast
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from vcrelease.errors import VcreleaseError
    from vcrelease.git import Describe
    from vcrelease.version.resolve import VersionResult

__all__ = [
    "BuildError",
    "fail",
    "pyproject_or_none",
    "resolve",
    "uses_vcrelease",
    "version_file_text",
]


class BuildError(SystemExit):
    """vcrelease cannot give the build a version; the build stops with this message.

    A ``SystemExit``: the backend's subprocess prints ``vcrelease: <message>`` and exits 1, so
    the build frontend shows the message instead of a traceback through the plugin.

    Attributes:
        message: the core's message (names the input, the problem and the fix).
        exit_code: the exit code the ``vcrelease`` CLI would use for the same problem.
    """

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(f"vcrelease: {message}")
        self.message = message
        self.exit_code = exit_code


def fail(error: VcreleaseError) -> NoReturn:
    """Stop the build with ``error``'s message (no traceback, no chained exception)."""
    raise BuildError(error.message, error.exit_code) from None


def pyproject_or_none(project_dir: Path) -> dict[str, Any] | None:
    """``project_dir/pyproject.toml`` parsed (:func:`vcrelease.config.read_pyproject`, the one
    reader), or None when it is missing or not valid TOML.

    Not valid TOML is left for the backend to report: it reads the same file and says so, also
    for a project that does not use vcrelease (this hook runs in every setuptools build).
    """
    from vcrelease.config import read_pyproject as read
    from vcrelease.errors import ConfigError

    try:
        return read(project_dir) or None
    except ConfigError:
        return None


def uses_vcrelease(pyproject: dict[str, Any]) -> bool:
    """True when the project opted in: ``[tool.vcrelease]`` exists and ``version`` is dynamic."""
    tool = pyproject.get("tool")
    if not isinstance(tool, dict) or "vcrelease" not in tool:
        return False
    project = pyproject.get("project")
    if not isinstance(project, dict):
        return False
    dynamic = project.get("dynamic")
    return isinstance(dynamic, list) and "version" in dynamic


def resolve(project_dir: Path) -> VersionResult:
    """The core's version for ``project_dir``; a core error stops the build with its message."""
    from vcrelease.errors import VcreleaseError
    from vcrelease.version.resolve import resolve_version

    # setuptools sends every DEBUG record of the build to the terminal; vcs-versioning's
    # (dozens of lines per version) are noise there. Only when nobody set its level.
    scm_logger = logging.getLogger("vcs_versioning")
    quiet = scm_logger.level == logging.NOTSET
    if quiet:
        scm_logger.setLevel(logging.WARNING)
    from vcrelease.envvars import debug_level

    debug = debug_level(os.environ)
    if debug is not None and debug[1] <= logging.INFO:
        quiet = False  # the user asked vcs-versioning's loggers to speak
    try:
        result = resolve_version(project_dir)
    except VcreleaseError as error:
        fail(error)
    finally:
        if quiet:
            scm_logger.setLevel(logging.NOTSET)
    if debug is not None and debug[1] <= logging.INFO:
        # SETUPTOOLS_SCM_DEBUG: setuptools-scm logs how it found the version; vcrelease says
        # what `vcrelease version --explain` says, on stderr (the build's log).
        from vcrelease.version.explain import explain

        print(f"vcrelease: {debug[0]} is set: how the version was found:", file=sys.stderr)
        for line in explain(result):
            print(f"vcrelease:   {line}", file=sys.stderr)
    return result


def commit_id(result: VersionResult) -> str | None:
    """The commit the version was derived from, when the source knows it (git, archival, a
    pretended ``node``)."""
    describe = result.describe
    return result.commit if describe is None else describe.node


def version_file_text(
    project_dir: Path,
    version_file: str,
    version: str,
    node: str | None,
    template: str | None = None,
    describe: Describe | None = None,
) -> str:
    """The content of ``version_file`` (relative to ``project_dir``) for this build:
    ``template`` (``version-file-template``, setuptools-scm's variables) when given, else the
    built-in content; ``describe`` is the repository state ``scm_version`` shows.

    A wheel built from an sdist gets its version from ``PKG-INFO``, which holds no commit id.
    The sdist carries the version file we wrote into it, though: when that file states the same
    version, its ``__commit_id__`` is kept, so the wheel's file equals the sdist's.

    Raises:
        ConfigError: the template names a variable or field that does not exist.
    """
    from vcrelease.version.versionfile import render_for_path, render_template

    if node is None and version_file.endswith(".py"):
        node = _existing_commit_id(project_dir / version_file, version)
    if template is not None:
        return render_template(template, version, node, describe)
    return render_for_path(version_file, version, node)


def _existing_commit_id(path: Path, version: str) -> str | None:
    """``__commit_id__`` of an existing version file that states ``version``, else None."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return None
    values: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    values[target.id] = node.value.value
    found = values.get("__commit_id__")
    if values.get("__version__") == version and isinstance(found, str):
        return found
    return None
